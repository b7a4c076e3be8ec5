"""RFC 9457 problem details for every error a function answers: nothing else reaches a client."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Coroutine
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.errors import DomainError

if TYPE_CHECKING:
    from sqlalchemy.exc import DBAPIError

PROBLEM_JSON = "application/problem+json"
# When PostgreSQL is away (a restart, a failover), how soon a client may try again.
DATABASE_RETRY_AFTER = "5"
logger = logging.getLogger("eventmgr.errors")


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_JSON


def problem(
    status: int,
    detail: str | None = None,
    *,
    slug: str | None = None,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> ProblemResponse:
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    body = {
        "type": f"urn:eventmanager:problem:{slug}" if slug else "about:blank",
        "title": title or phrase,
        "status": status,
        "detail": detail or phrase,
        **extra,
    }
    return ProblemResponse(body, status_code=status, headers=headers)


def _validation_errors(error: RequestValidationError) -> list[dict[str, Any]]:
    # Only where and why: echoing the input back could echo a password.
    return [
        {"loc": list(item.get("loc", ())), "msg": item.get("msg", ""), "type": item.get("type", "")}
        for item in error.errors()
    ]


async def _on_validation(_: Request, error: Exception) -> ProblemResponse:
    assert isinstance(error, RequestValidationError)
    return problem(
        422,
        "The request does not match the expected shape.",
        slug="validation-failed",
        title="Validation failed",
        errors=_validation_errors(error),
    )


async def _on_http(_: Request, error: Exception) -> ProblemResponse:
    assert isinstance(error, StarletteHTTPException)
    detail = error.detail if isinstance(error.detail, str) else None
    return problem(error.status_code, detail, headers=dict(error.headers or {}))


async def _on_domain(_: Request, error: Exception) -> ProblemResponse:
    assert isinstance(error, DomainError)
    return problem(
        error.status,
        error.detail,
        slug=error.slug,
        title=error.title,
        headers=error.headers,
        **error.extra,
    )


async def _on_unexpected(request: Request, error: Exception) -> ProblemResponse:
    # Starlette calls this outside the request's own middleware, whose context is gone by
    # now: the ids come back from the request state, for the log line and the answer.
    state = request.scope.get("state", {})
    context = {
        "function": state.get("function"),
        "http.request.id": state.get("request_id"),
        "trace.id": state.get("trace_id"),
        "span.id": state.get("span_id"),
        "transaction.id": state.get("span_id"),
    }
    logger.error("unhandled error", exc_info=error, extra={k: v for k, v in context.items() if v})
    headers = {}
    if state.get("request_id"):
        headers["X-Request-ID"] = state["request_id"]
    if state.get("trace_id") and state.get("span_id"):
        headers["traceparent"] = f"00-{state['trace_id']}-{state['span_id']}-01"
    return problem(
        500, "Something went wrong on our side; it has been logged.", headers=headers or None
    )


def _lost_connection(error: DBAPIError) -> bool:
    """No connection to PostgreSQL (SQLSTATE class 08, a server shutting down: 57P, or none at
    all when the socket was never reached), as opposed to a statement that failed."""
    from sqlalchemy.exc import InterfaceError

    if error.connection_invalidated:
        return True
    if isinstance(error, InterfaceError):
        # The driver's misuse errors (a closed cursor) carry no SQLSTATE either: they are our
        # bugs, a 500, unless SQLAlchemy recognised a disconnect (above).
        return False
    sqlstate = getattr(error.orig, "sqlstate", None)
    return sqlstate is None or str(sqlstate).startswith(("08", "57P"))


async def _on_database(request: Request, error: DBAPIError) -> ProblemResponse:
    # A database restart is the platform's trouble, not a bug: 503 says "come back shortly"
    # (and /readyz says the same), where a 500 would page someone for every request meanwhile.
    if not _lost_connection(error):
        return await _on_unexpected(request, error)
    logger.warning("PostgreSQL unavailable", extra={"error.message": str(error.orig)})
    return problem(
        503,
        "The database is unavailable for a moment; try again shortly.",
        slug="database-unavailable",
        headers={"Retry-After": DATABASE_RETRY_AFTER},
    )


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(DomainError, _on_domain)
    # SQLAlchemy's errors are answered by ProblemRoute, which every kit route is.
    app.add_exception_handler(Exception, _on_unexpected)


async def problem_for(request: Request, error: Exception) -> Response | None:
    """The answer the handlers give to a domain error or to PostgreSQL trouble, for a request
    answered outside the router (a shortcut); None for any other error (left to rise)."""
    if isinstance(error, DomainError):
        return await _on_domain(request, error)
    database_error = _database_error(error)
    if database_error is not None:
        return await _on_database(request, database_error)
    return None


def _database_error(error: Exception) -> DBAPIError | None:
    """The error as SQLAlchemy's connection or interface trouble, else None. Its exceptions are
    looked up once SQLAlchemy is loaded: before that, none can have been raised."""
    if "sqlalchemy.exc" not in sys.modules:
        return None
    from sqlalchemy.exc import InterfaceError, OperationalError

    return error if isinstance(error, OperationalError | InterfaceError) else None


class ProblemRoute(APIRoute):
    """The route class of every kit router: answers SQLAlchemy's connection and interface
    errors as `_on_database` does (503 when PostgreSQL is away, else the unexpected 500).

    Mapped here rather than by `add_exception_handler`, which is keyed by the class and would
    import SQLAlchemy with the app: a function starts, and answers from the cache, without it
    (bench/startup.py). Every other error goes on to the handlers above.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handled(request: Request) -> Response:
            try:
                return await handle(request)
            except Exception as error:
                database_error = _database_error(error)
                if database_error is None:
                    raise
                return await _on_database(request, database_error)

        return handled
