"""Per-request plumbing in one pure ASGI middleware: ids, trace, body limit, security headers,
metrics, access log.

Pure ASGI rather than BaseHTTPMiddleware: it adds no task per request and streams bodies.
"""

from __future__ import annotations

import gc
import logging
import re
import secrets
import time
from contextvars import Token
from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException
from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared import logs
from shared.kit.headers import add_security_headers
from shared.kit.problems import problem
from shared.metrics import HTTP_DURATION, HTTP_REQUESTS

access_log = logging.getLogger("eventmgr.access")
TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
OPERATIONS = frozenset({"/healthz", "/readyz", "/metrics"})
# The scope state's key of a `GatewayHop`.
GATEWAY_HOP = "gateway_hop"


@dataclass
class GatewayHop:
    """The local gateway's part of a request it hands to a function of its own process (`eventmgr
    up`): the function's access line carries the gateway's fields and the gateway writes none,
    one line per request instead of two (each cost ~12% of a cached read in the profile).
    Separate processes (Nginx in front) share no scope: each writes its own line, as before."""

    span_id: str
    started: float
    logged: bool = False

    def fields(self, function: str, route: str | None) -> dict[str, Any]:
        self.logged = True
        return {
            "gateway.span.id": self.span_id,
            "gateway.route": route or "unmatched",
            "gateway.upstream": function,
            # The request's time at the edge, as the gateway's own line had it.
            "gateway.duration": int((time.perf_counter() - self.started) * 1e9),
        }


def new_trace_id() -> str:
    return secrets.token_hex(16)


def new_span_id() -> str:
    return secrets.token_hex(8)


def parse_traceparent(value: str | None) -> tuple[str, str] | None:
    """(trace id, parent span id) from a W3C `traceparent`, or None when absent or malformed."""
    match = TRACEPARENT.match(value or "")
    if not match or match.group(1) == "0" * 32 or match.group(2) == "0" * 16:
        return None
    return match.group(1), match.group(2)


def edge_ids(request_id: str | None, traceparent: str | None) -> tuple[str, str, str]:
    """(request id, trace id, span id) of a request arriving here: the caller's request id when
    well-formed, the caller's trace continued, and a new span for this hop."""
    if not request_id or not REQUEST_ID.match(request_id):
        request_id = secrets.token_hex(8)
    parent = parse_traceparent(traceparent)
    trace_id = parent[0] if parent else new_trace_id()
    return request_id, trace_id, new_span_id()


def traceparent_header(trace_id: str, span_id: str) -> bytes:
    return f"00-{trace_id}-{span_id}-01".encode()


LogTokens = tuple[Token[str], Token[str | None], Token[str | None], Token[str | None]]


def bind_log_context(function: str, request_id: str, trace_id: str, span_id: str) -> LogTokens:
    """Every log line of this request carries these; hand the tokens to `unbind_log_context`."""
    return (
        logs.function_name.set(function),
        logs.request_id.set(request_id),
        logs.trace_id.set(trace_id),
        logs.span_id.set(span_id),
    )


def unbind_log_context(tokens: LogTokens) -> None:
    function, request_id, trace_id, span_id = tokens
    logs.function_name.reset(function)
    logs.request_id.reset(request_id)
    logs.trace_id.reset(trace_id)
    logs.span_id.reset(span_id)


def log_access(
    logger: logging.Logger,
    method: str,
    route: str,
    status: int,
    elapsed: float,
    *,
    level: int = logging.INFO,
    fields: dict[str, Any] | None = None,
) -> None:
    """The one access line of a request, in ECS fields (the route template, never the path:
    ids in paths would make every line unique and may identify people)."""
    logger.log(
        level,
        "%s %s %s",
        method,
        route,
        status,
        extra={
            "http.request.method": method,
            "url.path": route,
            "http.response.status_code": status,
            "event.duration": int(elapsed * 1e9),
            **(fields or {}),
        },
    )


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def route_template(scope: Scope) -> str:
    route = scope.get("route")
    return getattr(route, "path", None) or "unmatched"


_settled = False


def settle() -> None:
    """Once the process has served its first request (the app built, the modules a request
    needs imported, lazy ones too), move every object made so far out of the collector's sight
    (`gc.freeze`): they live as long as the process, yet every full collection scanned them all,
    stalling the event loop. Under wrk on the cached page (every function in one process, 210k
    objects) one came every ~0.5 s of CPU and took 0.4-1.8 s on the 2-core machine at load 10-18,
    every connection waiting: the cached page's p99. Frozen, one takes 6-10 ms there. What the
    first request leaves is kept for good: a few objects, once."""
    global _settled
    if not _settled:
        _settled = True
        gc.freeze()


class RequestContext:
    """Wraps one function's app; every request through it is counted, timed and logged once."""

    def __init__(self, app: ASGIApp, *, function: str, max_body_bytes: int) -> None:
        self.app = app
        self.function = function
        self.max_body_bytes = max_body_bytes
        self._known: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id, trace_id, span_id = edge_ids(
            _header(scope, b"x-request-id"), _header(scope, b"traceparent")
        )
        state = scope.setdefault("state", {})
        state.update(
            request_id=request_id, trace_id=trace_id, span_id=span_id, function=self.function
        )
        tokens = bind_log_context(self.function, request_id, trace_id, span_id)
        status = 500

        declared = _header(scope, b"content-length")
        if declared and declared.isdigit() and int(declared) > self.max_body_bytes:
            receive = _refuse_body(self.max_body_bytes)
        else:
            receive = _limited(receive, self.max_body_bytes)

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                headers.append((b"traceparent", traceparent_header(trace_id, span_id)))
                add_security_headers(headers)
                message["headers"] = headers
            await send(message)

        try:
            if _has_nul(scope):
                # PostgreSQL text cannot hold NUL: refuse it before it reaches a query.
                refusal = problem(
                    422,
                    "The path or query contains a NUL character.",
                    slug="validation-failed",
                    title="Validation failed",
                    errors=[{"loc": ["query"], "msg": "NUL character", "type": "value_error"}],
                )
                await refusal(scope, receive, send_with_headers)
                return
            await self.app(scope, receive, send_with_headers)
        finally:
            self._observe(scope, status, time.perf_counter() - started)
            unbind_log_context(tokens)
            if not _settled:
                settle()

    def _series(self, method: str, route: str, status: int) -> tuple[Counter, Histogram]:
        """The labelled series of a request, found once per (method, route, status): few, as
        routes are templates, and looking them up in the metric costs a lock and a check."""
        key = (method, route, status)
        series = self._known.get(key)
        if series is None:
            series = (
                HTTP_REQUESTS.labels(self.function, method, route, str(status)),
                HTTP_DURATION.labels(self.function, method, route),
            )
            self._known[key] = series
        return series

    def _observe(self, scope: Scope, status: int, elapsed: float) -> None:
        route = route_template(scope)
        method = scope["method"]
        # Scrapes and probes are not traffic: counted, they would pass for a function's load
        # in the alerts and pull its latency down. Their access lines are debug-level.
        operational = route in OPERATIONS
        if not operational:
            counted, timed = self._series(method, route, status)
            counted.inc()
            timed.observe(elapsed)
        fields: dict[str, Any] = {}
        user_id = scope.get("state", {}).get("user_id")
        if user_id:
            fields["user.id"] = user_id
        client = scope.get("client")
        if client:
            fields["client.ip"] = client[0]
        state = scope.get("state", {})
        hop = state.get(GATEWAY_HOP)
        if hop is not None:
            fields.update(hop.fields(self.function, state.get("gateway_route")))
        level = logging.DEBUG if operational and status < 400 else logging.INFO
        log_access(access_log, method, route, status, elapsed, level=level, fields=fields)


def _has_nul(scope: Scope) -> bool:
    return "\x00" in scope["path"] or b"%00" in scope.get("query_string", b"")


def _too_large(limit: int) -> HTTPException:
    return HTTPException(413, f"The request body is larger than {limit} bytes.")


def _refuse_body(limit: int) -> Receive:
    async def receive() -> Message:
        raise _too_large(limit)

    return receive


def _limited(receive: Receive, limit: int) -> Receive:
    """Count streamed bytes too: a chunked body has no Content-Length to check up front."""
    seen = 0

    async def guarded() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise _too_large(limit)
        return message

    return guarded
