"""The local gateway: one ASGI app that routes like production does.

Public routes go to the function that declares them (method and path, as Nginx does in
deployments); nothing internal is routed publicly. `/function/<name>/<path>` reaches any path of
one function, as on the OpenFaaS gateway, but only for internal callers: the internal token, or
a request straight from loopback (no proxy in between). The gateway also serves the merged
OpenAPI document, `/docs`, and `/metrics` for every function at once.
"""

from __future__ import annotations

import hmac
from functools import cached_property
from typing import Any

from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from local.registry import Deployed
from shared.config import get_settings
from shared.db import ping
from shared.kit import problem
from shared.metrics import exposition

LOOPBACK = {"127.0.0.1", "::1"}
FUNCTION_PREFIX = "/function/"


class Gateway:
    def __init__(self, deployed: dict[str, Deployed]) -> None:
        self.deployed = deployed
        self.table: list[tuple[APIRoute, ASGIApp]] = [
            (route, item.app)
            for item in deployed.values()
            for route in item.function.router.routes
            if isinstance(route, APIRoute)
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        response = self._own_route(scope, path)
        if response is not None:
            await response(scope, receive, send)
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
        if allowed:
            refusal = problem(
                405, f"{path} accepts {', '.join(allowed)}.", headers={"Allow": ", ".join(allowed)}
            )
        else:
            refusal = problem(404, f"No route for {scope['method']} {path}.")
        await refusal(scope, receive, send)

    def _own_route(self, scope: Scope, path: str) -> Response | None:
        if scope["method"] not in ("GET", "HEAD"):
            return None
        if path == "/healthz":
            return JSONResponse({"status": "ok", "functions": sorted(self.deployed)})
        if path == "/readyz":
            if ping():
                return JSONResponse({"status": "ready"})
            return problem(503, "PostgreSQL does not answer.", slug="not-ready")
        if path == "/openapi.json":
            return JSONResponse(self.openapi)
        if path == "/docs":
            return get_swagger_ui_html(openapi_url="/openapi.json", title="Event Manager API")
        if path == "/metrics":
            if not self._internal(scope):
                return problem(401, "This endpoint is internal.", headers=_BEARER)
            body, content_type = exposition()
            return Response(body, media_type=content_type)
        return None

    def _match(self, scope: Scope) -> ASGIApp | None:
        """The function that declares this method and path."""
        for route, app in self.table:
            if route.matches(scope)[0] == Match.FULL:
                return app
        return None

    def _allowed_methods(self, scope: Scope) -> list[str]:
        """Every method some function serves on this path (several functions may share one)."""
        methods: set[str] = set()
        for route, _ in self.table:
            if route.path_regex.match(scope["path"]):
                methods.update(route.methods or ())
        return sorted(methods)

    def _path_owner(self, scope: Scope) -> ASGIApp:
        return next(app for route, app in self.table if route.path_regex.match(scope["path"]))

    async def _function_path(self, scope: Scope, receive: Receive, send: Send) -> None:
        name, _, rest = scope["path"][len(FUNCTION_PREFIX) :].partition("/")
        deployed = self.deployed.get(name)
        if deployed is None:
            await problem(404, f"No function named {name!r}.")(scope, receive, send)
            return
        if not self._internal(scope):
            await problem(401, "This path is internal.", headers=_BEARER)(scope, receive, send)
            return
        inner = dict(scope)
        inner["path"] = "/" + rest
        inner["raw_path"] = inner["path"].encode()
        inner["state"] = {**scope.get("state", {}), "internal_trusted": True}
        await deployed.app(inner, receive, send)

    def _internal(self, scope: Scope) -> bool:
        headers = dict(scope.get("headers", ()))
        if _straight_from_loopback(scope, headers):
            return True
        token = get_settings().internal_token
        authorization = headers.get(b"authorization", b"").decode("latin-1")
        scheme, _, credentials = authorization.partition(" ")
        return bool(
            token
            and scheme.lower() == "bearer"
            and hmac.compare_digest(credentials.encode(), token.encode())
        )

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
                merged["components"][section].update(
                    document.get("components", {}).get(section, {})
                )
        return merged


_BEARER = {"WWW-Authenticate": "Bearer"}
FORWARDING = (b"x-forwarded-for", b"forwarded", b"x-real-ip")
LOOPBACK_NAMES = {"127.0.0.1", "localhost", "[::1]", "::1"}


def _straight_from_loopback(scope: Scope, headers: dict[bytes, bytes]) -> bool:
    """A loopback peer, no proxy in between, and a loopback Host: a browser page on another
    name (DNS rebinding) cannot pass for a local tool."""
    client = scope.get("client")
    if not client or client[0] not in LOOPBACK:
        return False
    if any(name in headers for name in FORWARDING):
        return False
    host = headers.get(b"host", b"").decode("latin-1").lower()
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    return name in LOOPBACK_NAMES


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
