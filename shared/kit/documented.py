"""The error answers each route documents in OpenAPI, all `application/problem+json`.

The kit adds what every route can answer (validation 422, 413 for bodies, 404 where the path
names something, 500) and what its dependencies can (401 for a bearer token, 403 for a role or
an API key's scope, 429 for an API key's rate); a route adds the domain errors it raises
(`@fn.get(path, errors=(EventNotFound,))`). Statuses shared by several errors are one response
whose description names them all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from http import HTTPStatus
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from shared.errors import DomainError, Forbidden, NotFound, Unauthenticated
from shared.kit.auth import MissingScope, PersonOnly, admin, current_user, optional_user, organizer
from shared.kit.problems import PROBLEM_JSON
from shared.kit.scopes import required_scope

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; 422 answers add `errors`, never echoing input.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "`about:blank` or a problem URN"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "loc": {"type": "array", "items": {"type": ["string", "integer"]}},
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
    },
}
BODY_METHODS = {"POST", "PUT", "PATCH"}
HTML = "text/html"


def _phrase(status: int) -> str:
    return HTTPStatus(status).phrase


def _kit_answers(route: APIRoute) -> Iterator[tuple[int, str]]:
    """What the kit itself may answer on this route, whatever the handler does."""
    yield 500, "Something went wrong on our side (no details are given)"
    yield 503, "The database is unavailable for a moment (`Retry-After` says when to retry)"
    if set(route.methods or ()) & BODY_METHODS:
        yield 413, f"The body is over the limit ({_phrase(413)})"
    if _has_inputs(route):
        yield 422, "The request does not match the expected shape (`errors` says where)"
    if "{" in route.path:
        yield 404, f"{NotFound.title}: nothing with that id (or not visible to the caller)"
    calls = set(_calls(route.dependant))
    if calls & {current_user, optional_user, organizer, admin}:
        yield 401, f"{Unauthenticated.title}: no, an invalid or a revoked access token or API key"
        [method] = route.methods or ("GET",)
        scope = required_scope(method, route.path)
        if scope:
            yield 403, f"{MissingScope.title}: an API key without `{scope}` (`scope` names it)"
        else:
            yield 403, f"{PersonOnly.title}: API keys may not be used here"
        yield 429, "Too many requests with this API key (`Retry-After` says when to retry)"
    if calls & {organizer, admin}:
        yield 403, f"{Forbidden.title}: the caller's role may not do this"


def responses_for(
    route: APIRoute,
    errors: Sequence[type[DomainError]],
    page_errors: Sequence[type[DomainError]] = (),
) -> dict[int | str, Any]:
    """The route's error responses, merged into what it declared itself (e.g. its 200).

    `page_errors` are the errors an HTML page (a mail link's) shows as a page of its own.
    """
    described: dict[int, list[str]] = defaultdict(list)
    content: dict[int, dict[str, Any]] = defaultdict(dict)
    for status, description in _kit_answers(route):
        described[status].append(description)
        content[status][PROBLEM_JSON] = {"schema": PROBLEM_REF}
    for error in errors:
        described[error.status].append(error.title)
        content[error.status][PROBLEM_JSON] = {"schema": PROBLEM_REF}
    for error in page_errors:
        described[error.status].append(f"{error.title} (an HTML page says so)")
        content[error.status][HTML] = {"schema": {"type": "string"}}
    documented: dict[int | str, Any] = {
        status: {
            "description": "; ".join(dict.fromkeys(described[status])),
            "content": content[status],
        }
        for status in sorted(described)
    }
    return {**documented, **route.responses}


def _has_inputs(route: APIRoute) -> bool:
    dependant = route.dependant
    return bool(
        route.body_field
        or any(
            dependant.path_params
            or dependant.query_params
            or dependant.header_params
            or dependant.cookie_params
            for dependant in _dependants(dependant)
        )
    )


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for inner in dependant.dependencies:
        yield from _dependants(inner)


def _calls(dependant: Dependant) -> Iterable[Callable[..., Any]]:
    for inner in _dependants(dependant):
        if inner.call is not None:
            yield inner.call
