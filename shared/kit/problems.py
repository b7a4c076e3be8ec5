"""RFC 9457 problem details for every error a function answers: nothing else reaches a client."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.errors import DomainError

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
    if error.connection_invalidated:
        return True
    if isinstance(error, InterfaceError):
        # The driver's misuse errors (a closed cursor) carry no SQLSTATE either: they are our
        # bugs, a 500, unless SQLAlchemy recognised a disconnect (above).
        return False
    sqlstate = getattr(error.orig, "sqlstate", None)
    return sqlstate is None or str(sqlstate).startswith(("08", "57P"))


async def _on_database(request: Request, error: Exception) -> ProblemResponse:
    # A database restart is the platform's trouble, not a bug: 503 says "come back shortly"
    # (and /readyz says the same), where a 500 would page someone for every request meanwhile.
    assert isinstance(error, DBAPIError)
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
    app.add_exception_handler(OperationalError, _on_database)
    app.add_exception_handler(InterfaceError, _on_database)
    app.add_exception_handler(Exception, _on_unexpected)
