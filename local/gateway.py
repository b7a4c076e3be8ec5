"""The local gateway: one ASGI app that routes like production does.

Public routes go to the function that declares them (method and path, as Nginx does in
deployments); nothing internal is routed publicly. `/function/<name>/<path>` reaches any path of
one function, as on the OpenFaaS gateway, but only for internal callers: the internal token, or
a request straight from loopback (no proxy in between). The gateway also serves the merged
OpenAPI document, `/docs` (Swagger UI with its assets, offline), and `/metrics` for every
function at once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import cached_property
from typing import Any

from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from local.apidocs import ASSETS_PATH, asset, docs_page
from local.registry import Deployed
from shared.db import ping
from shared.kit import problem
from shared.kit.catch_all import caught, is_catch_all
from shared.kit.context import (
    GATEWAY_HOP,
    GatewayHop,
    bind_log_context,
    edge_ids,
    log_access,
    traceparent_header,
    unbind_log_context,
)
from shared.kit.headers import secured
from shared.kit.internal_token import bears_internal_token
from shared.metrics import exposition

LOOPBACK = {"127.0.0.1", "::1"}
EDGE_HEADERS = (b"x-request-id", b"traceparent")
OWN_PATHS = {"/healthz", "/readyz", "/openapi.json", "/docs", "/metrics"}
access_log = logging.getLogger("eventmgr.gateway")
FUNCTION_PREFIX = "/function/"


class Gateway:
    def __init__(
        self,
        deployed: dict[str, Deployed],
        components: Callable[[], dict[str, str]] | None = None,
    ) -> None:
        self.deployed = deployed
        # The runner's worker, dispatcher and scheduler: `up`, or why not (for /readyz).
        self.components = components
        routes: list[tuple[APIRoute, ASGIApp]] = [
            (route, item.app)
            for item in deployed.values()
            for route in item.function.router.routes
            if isinstance(route, APIRoute)
        ]
        self.table = [entry for entry in routes if not is_catch_all(entry[0].path)]
        # Tried after every declared route, and never for the platform's own paths.
        self.catch_all = [entry for entry in routes if is_catch_all(entry[0].path)]
        self.by_prefix = _by_prefix(self.table)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        await _traced(self._route, scope, receive, send)

    async def _route(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        response = self._own_route(scope, path)
        if response is not None:
            await response(scope, receive, secured(send))
            return
        if path.startswith(FUNCTION_PREFIX):
            await self._function_path(scope, receive, send)
            return
        target = self._match(scope)
        if target is not None:
            await target(scope, receive, send)
            return
        allowed = self._allowed_methods(scope)
        if allowed and scope["method"] == "OPTIONS":
            # A CORS preflight: the function's CORS middleware answers it.
            await self._path_owner(scope)(scope, receive, send)
            return
        # The detail never echoes the path: it may hold a token, or text aimed at a reader.
        if allowed:
            refusal = problem(
                405,
                f"This path accepts {', '.join(allowed)}.",
                headers={"Allow": ", ".join(allowed)},
            )
        else:
            refusal = problem(404, "No route for this method and path.")
        await refusal(scope, receive, secured(send))

    def _own_route(self, scope: Scope, path: str) -> Response | None:
        if scope["method"] not in ("GET", "HEAD"):
            return None
        if path == "/healthz":
            return JSONResponse({"status": "ok", "functions": sorted(self.deployed)})
        if path == "/readyz":
            return self._readiness()
        if path == "/openapi.json":
            return JSONResponse(self.openapi)
        if path == "/docs":
            return docs_page("/openapi.json", "Event Manager API")
        if path.startswith(ASSETS_PATH):
            found = asset(path)
            if found is not None:
                scope.setdefault("state", {})["gateway_route"] = "/docs/assets"
            return found
        if path == "/metrics":
            if not self._internal(scope):
                return problem(401, "This endpoint is internal.", headers=_BEARER)
            body, content_type = exposition()
            return Response(body, media_type=content_type)
        return None

    def _readiness(self) -> Response:
        return readiness(self.components)

    def _match(self, scope: Scope) -> ASGIApp | None:
        """The function that declares this method and path (HEAD: where GET is; the kit
        answers it as a GET without the body)."""
        probe = {**scope, "method": "GET"} if scope["method"] == "HEAD" else scope
        candidates = self.by_prefix.get(_prefix(scope["path"]), self.by_prefix[_ANY])
        for route, app in [*candidates, *self._catching(scope["path"])]:
            if route.matches(probe)[0] == Match.FULL:
                scope.setdefault("state", {})["gateway_route"] = route.path
                return app
        return None

    def _allowed_methods(self, scope: Scope) -> list[str]:
        """Every method some function serves on this path (several functions may share one)."""
        methods: set[str] = set()
        for route, _ in [*self.table, *self._catching(scope["path"])]:
            if route.path_regex.match(scope["path"]):
                methods.update(route.methods or ())
        if "GET" in methods:
            methods.add("HEAD")
        return sorted(methods)

    def _path_owner(self, scope: Scope) -> ASGIApp:
        routes = [*self.table, *self._catching(scope["path"])]
        return next(app for route, app in routes if route.path_regex.match(scope["path"]))

    def _catching(self, path: str) -> list[tuple[APIRoute, ASGIApp]]:
        return self.catch_all if caught(path) else []

    async def _function_path(self, scope: Scope, receive: Receive, send: Send) -> None:
        name, _, rest = scope["path"][len(FUNCTION_PREFIX) :].partition("/")
        deployed = self.deployed.get(name)
        if deployed is None:
            await problem(404, "No function by that name.")(scope, receive, secured(send))
            return
        if not self._internal(scope):
            refusal = problem(401, "This path is internal.", headers=_BEARER)
            await refusal(scope, receive, secured(send))
            return
        scope.setdefault("state", {})["gateway_route"] = f"/function/{name}"
        inner = dict(scope)
        inner["path"] = "/" + rest
        inner["raw_path"] = inner["path"].encode()
        inner["state"] = {**scope.get("state", {}), "internal_trusted": True}
        await deployed.app(inner, receive, send)

    def _internal(self, scope: Scope) -> bool:
        headers = dict(scope.get("headers", ()))
        if _straight_from_loopback(scope, headers):
            return True
        return bears_internal_token(headers.get(b"authorization", b"").decode("latin-1"))

    @cached_property
    def openapi(self) -> dict[str, Any]:
        merged: dict[str, Any] = {
            "openapi": "3.1.0",
            "info": {
                "title": "Event Manager API",
                "version": "1",
                "description": "Every public route of every function, as the gateway serves it.",
            },
            "paths": {},
            "components": {"schemas": {}, "securitySchemes": {}},
        }
        for name, item in sorted(self.deployed.items()):
            document = item.app.openapi()
            for path, operations in document.get("paths", {}).items():
                for operation in operations.values():
                    operation.setdefault("tags", [name])
                merged["paths"].setdefault(path, {}).update(operations)
            for section in ("schemas", "securitySchemes"):
                _merge_components(
                    merged["components"][section],
                    document.get("components", {}).get(section, {}),
                    name,
                )
        return merged


def _merge_components(merged: dict[str, Any], own: dict[str, Any], function: str) -> None:
    """Two functions may share a component only if it is the same: otherwise one function's
    operations would point at the other's schema (e.g. two different `ReportPublic` models)."""
    for key, definition in own.items():
        if key in merged and merged[key] != definition:
            raise ValueError(f"{function} defines component {key!r} unlike another function")
        merged[key] = definition


_BEARER = {"WWW-Authenticate": "Bearer"}
_PREFIX_SEGMENTS = 3
_ANY: tuple[str, ...] = ()


def _prefix(path: str) -> tuple[str, ...]:
    """The first segments of a path (`/api/v1/events/…` → api, v1, events)."""
    return tuple(path.split("/", _PREFIX_SEGMENTS + 1)[1 : _PREFIX_SEGMENTS + 1])


def _by_prefix(
    table: list[tuple[APIRoute, ASGIApp]],
) -> dict[tuple[str, ...], list[tuple[APIRoute, ASGIApp]]]:
    """The routes a path can match, by its first segments: a request is tried against the
    few routes that share them, not every route of every function. A route with a parameter
    among its first segments could match any prefix: it is a candidate everywhere (`_ANY`
    holds those alone), and every list keeps the table's order, so the first match is the
    one a scan of the whole table finds."""

    def literal(route: APIRoute) -> tuple[str, ...] | None:
        prefix = _prefix(route.path)
        return None if any("{" in segment for segment in prefix) else prefix

    prefixes = {literal(route) for route, _ in table} - {None}
    index: dict[tuple[str, ...], list[tuple[APIRoute, ASGIApp]]] = {
        prefix: [entry for entry in table if literal(entry[0]) in (prefix, None)]
        for prefix in prefixes
        if prefix is not None
    }
    index[_ANY] = [entry for entry in table if literal(entry[0]) is None]
    return index


FORWARDING = (b"x-forwarded-for", b"forwarded", b"x-real-ip")
# Only browsers send these: a page in the user's browser that calls loopback (a form posting
# to /function/relay_outbox/, a fetch) is not a local tool and needs the token like anyone.
BROWSER = (b"origin", b"sec-fetch-site")
LOOPBACK_NAMES = {"127.0.0.1", "localhost", "[::1]", "::1"}


def _straight_from_loopback(scope: Scope, headers: dict[bytes, bytes]) -> bool:
    """A loopback peer, no proxy in between, no browser, and a loopback Host: a browser page
    on another name (DNS rebinding) cannot pass for a local tool."""
    client = scope.get("client")
    if not client or client[0] not in LOOPBACK:
        return False
    if any(name in headers for name in (*FORWARDING, *BROWSER)):
        return False
    host = headers.get(b"host", b"").decode("latin-1").lower()
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    return name in LOOPBACK_NAMES


async def _traced(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """The edge of the platform, as Nginx is in deployments: every request leaves with a
    request id and a W3C trace context the functions continue, and gets one access line."""
    started = time.perf_counter()
    headers = dict(scope.get("headers", ()))
    request_id, trace_id, span_id = edge_ids(
        headers.get(b"x-request-id", b"").decode("latin-1"),
        headers.get(b"traceparent", b"").decode("latin-1"),
    )
    # Repeated headers stay as they came; only these two are set anew.
    passed = [(k, v) for k, v in scope.get("headers", ()) if k not in EDGE_HEADERS]
    passed.append((b"x-request-id", request_id.encode()))
    passed.append((b"traceparent", traceparent_header(trace_id, span_id)))
    hop = GatewayHop(span_id, started)
    scope = {**scope, "headers": passed, "state": {**scope.get("state", {}), GATEWAY_HOP: hop}}
    status = 500

    async def observed(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        await send(message)

    tokens = bind_log_context("gateway", request_id, trace_id, span_id)
    try:
        await app(scope, receive, observed)
    finally:
        if not hop.logged:  # a function of this process wrote the request's one line
            route = scope["state"].get("gateway_route") or (
                scope["path"] if scope["path"] in OWN_PATHS else "unmatched"
            )
            log_access(access_log, scope["method"], route, status, time.perf_counter() - started)
        unbind_log_context(tokens)


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def readiness(components: Callable[[], dict[str, str]] | None) -> Response:
    """The runner's `/readyz`: PostgreSQL answers and every watched component is up (the
    one-process gateway serves it, and with --processes a loopback server behind Nginx)."""
    if not ping():
        return problem(503, "PostgreSQL does not answer.", slug="not-ready")
    states = components() if components else {}
    down = {name: state for name, state in states.items() if state != "up"}
    if down:
        detail = "; ".join(f"{name}: {state}" for name, state in sorted(down.items()))
        return problem(503, f"Not ready, {detail}.", slug="not-ready", components=states)
    body: dict[str, Any] = {"status": "ready"}
    if states:
        body["components"] = states
    return JSONResponse(body)
