"""Domain errors: exceptions with meaning, mapped by the kit to problem+json in one place.

A domain module subclasses `DomainError` and says its HTTP status and a short title; handlers
just raise. The kit never needs to import a domain to map its errors.
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    status: ClassVar[int] = 400
    title: ClassVar[str] = "Bad request"
    # Stable machine-readable name, used in the problem `type`.
    slug: ClassVar[str] = "bad-request"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra
        self.headers: dict[str, str] = {}


class NotFound(DomainError):
    status = 404
    title = "Not found"
    slug = "not-found"


class Conflict(DomainError):
    status = 409
    title = "Conflict"
    slug = "conflict"


class Unauthenticated(DomainError):
    status = 401
    title = "Authentication required"
    slug = "unauthenticated"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.headers = {"WWW-Authenticate": "Bearer"}


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"
    slug = "forbidden"


class InvalidInput(DomainError):
    """A rule the request schema cannot express (e.g. an unknown category): 422 like validation."""

    status = 422
    title = "Validation failed"
    slug = "validation-failed"

    def __init__(self, detail: str, *, field: str | None = None, where: str = "body") -> None:
        loc = [where, field] if field else [where]
        super().__init__(detail, errors=[{"loc": loc, "msg": detail, "type": "value_error"}])
