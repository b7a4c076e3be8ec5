"""Who is calling: bearer access tokens for people, API keys acting for a person within their
scopes, and the internal token for the platform itself."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from shared.config import get_settings
from shared.errors import Forbidden, Unauthenticated
from shared.kit.internal_token import is_internal_token
from shared.kit.scopes import required_scope

ROLE_ORGANIZER = "organizer"
ROLE_ADMIN = "admin"

# The expiry of a principal whose API key has none.
NEVER = datetime.max.replace(tzinfo=UTC)
_bearer = HTTPBearer(
    auto_error=False,
    description="An access token from POST /api/v1/auth/login, or an API key from "
    "POST /api/v1/me/api-keys (acts for its person within its scopes)",
)


@dataclass(frozen=True)
class Principal:
    user_id: uuid.UUID
    role: str
    token_id: str
    session_id: uuid.UUID | None
    expires_at: datetime
    # Set when an API key is calling: what it may do is further narrowed by its scopes.
    api_key_id: uuid.UUID | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == ROLE_ADMIN


class MissingScope(Forbidden):
    title = "Scope missing"
    slug = "missing-scope"


class PersonOnly(Forbidden):
    title = "Not for API keys"
    slug = "person-only"


def _verified(request: Request, credentials: HTTPAuthorizationCredentials) -> Principal:
    from shared.security.api_keys import is_api_key

    if is_api_key(credentials.credentials):
        return _key_holder(request, credentials.credentials)
    # Imported on the first token, not at start: JWT and its cryptography are a large part of
    # a function's import time, and an anonymous request (or a probe) never needs them.
    from shared.security.revocation import is_revoked
    from shared.security.tokens import InvalidToken, verify_access_token

    try:
        claims = verify_access_token(credentials.credentials)
    except InvalidToken as error:
        raise Unauthenticated("The access token is invalid or expired.") from error
    if is_revoked(claims):
        raise Unauthenticated("This access token was revoked (signed out, or access changed).")
    request.state.user_id = str(claims.user_id)
    return Principal(
        claims.user_id, claims.role, claims.token_id, claims.session_id, claims.expires_at
    )


def _key_holder(request: Request, key: str) -> Principal:
    """The key's person, if the key is live and its scopes cover this route (kit.scopes)."""
    from shared import ratelimit
    from shared.security import api_keys

    holder = api_keys.holder_of(key)
    if holder is None:
        raise Unauthenticated("The API key is unknown, revoked or expired.")
    request.state.user_id = str(holder.user_id)
    ratelimit.limit(
        f"api-key:{holder.key_id}",
        get_settings().api_key_requests_per_minute,
        60,
        "This API key made too many requests; slow down.",
    )
    route = request.scope.get("route")
    needed = required_scope(request.method, getattr(route, "path", ""))
    if needed is None:
        raise PersonOnly("API keys cannot be used here: sign in as the person.")
    if needed not in holder.scopes:
        raise MissingScope(f"This API key lacks the scope `{needed}`.", scope=needed)
    api_keys.note_use(holder)
    return Principal(
        holder.user_id,
        holder.role,
        f"api-key:{holder.key_id}",
        None,
        holder.expires_at or NEVER,
        api_key_id=holder.key_id,
    )


class _BearerUser(HTTPBearer):
    """The bearer scheme and the check of its token as one dependency: FastAPI resolves each
    level of dependencies anew on every request, and on a cached read that was a large part of
    the cost. Documented as the plain `HTTPBearer` scheme it is.

    Async, so that what needs no I/O (no token sent) costs no hop to the thread pool; checking
    a token (which may read Redis or PostgreSQL) still takes it."""

    def __init__(self, *, required: bool) -> None:
        super().__init__(auto_error=False, description=_bearer.model.description)
        self.scheme_name = _bearer.scheme_name
        self.required = required

    async def __call__(self, request: Request) -> Principal | None:  # type: ignore[override]
        credentials = await super().__call__(request)
        if credentials is None:
            if self.required:
                raise Unauthenticated("Send an access token: Authorization: Bearer <token>.")
            return None
        return await run_in_threadpool(_verified, request, credentials)


# Anonymous callers are welcome, but a token that is sent must be valid.
optional_user = _BearerUser(required=False)
current_user = _BearerUser(required=True)


async def organizer(user: Annotated[Principal, Depends(current_user)]) -> Principal:
    if user.role not in (ROLE_ORGANIZER, ROLE_ADMIN):
        raise Forbidden("Only organizers and admins may do this.")
    return user


async def admin(user: Annotated[Principal, Depends(current_user)]) -> Principal:
    if not user.is_admin:
        raise Forbidden("Only admins may do this.")
    return user


async def internal_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """The platform's own calls (dispatcher, scheduler, Prometheus, `eventmgr invoke`).

    The local runner marks requests that came straight from loopback as trusted; nothing a
    client sends can set that mark. With `INTERNAL_AUTH=network` the deployment, not the
    request, decides: only the platform's own components can reach the function.
    """
    if request.scope.get("state", {}).get("internal_trusted"):
        return
    if is_internal_token(credentials.credentials if credentials else None):
        return
    if get_settings().internal_auth == "network":
        # Reachable, not proven: what it may do is narrowed further (signed CloudEvents only,
        # scheduled runs rate-limited).
        request.state.internal_unproven = True
        return
    raise Unauthenticated("This endpoint is internal.")


def is_unproven(request: Request) -> bool:
    """An internal call let in by `INTERNAL_AUTH=network` alone, without the token."""
    return bool(getattr(request.state, "internal_unproven", False))


OptionalUser = Annotated[Principal | None, Depends(optional_user)]
CurrentUser = Annotated[Principal, Depends(current_user)]
Organizer = Annotated[Principal, Depends(organizer)]
Admin = Annotated[Principal, Depends(admin)]
Internal = Annotated[None, Depends(internal_caller)]
