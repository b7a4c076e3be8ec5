"""Answers a route gives before FastAPI is asked: an anonymous cached read, already bytes.

A function declares a shortcut for one of its GET routes (`@fn.shortcut(path)`). For an
anonymous GET of that route (no Authorization header) it answers with a body and its tag
(`Tagged`, with the answer's own headers if it has any), or None to leave the request to the
route. It is given the path's parameters and the request (its query, cookies, languages;
never its body). It runs inside the kit's request context, so the request gets its ids, trace
context, security headers, access line and metrics as any other; what it skips is what a
cached answer does not need: the router's scan, dependency resolution and parameter models.
The route stays the contract and serves everything else (a token to check, query parameters
to validate); a shortcut answers only what the route would answer the same way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from starlette.requests import Request
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from shared.kit.conditional import JSON as JSON_TYPE
from shared.kit.conditional import Tagged, none_match
from shared.kit.problems import problem_for

# (path parameters, the request) -> the answer, or None: the route answers.
Shortcut = Callable[[Mapping[str, str], Request], Awaitable[Tagged | None]]


@dataclass(frozen=True)
class Declared:
    answer: Shortcut
    # Headers of every answer it gives (the route gives the same).
    headers: Mapping[str, str]
    media_type: str = JSON_TYPE


@dataclass(frozen=True)
class _Entry:
    route: Route
    # The app's routes tried before it: a request one of them matches is theirs.
    earlier: tuple[Route, ...]
    answer: Shortcut
    headers: tuple[tuple[bytes, bytes], ...]
    content_type: bytes


def entries(routes: Sequence[BaseRoute], declared: Mapping[str, Declared]) -> list[_Entry]:
    """Each declared shortcut with the GET route of its path, in the app's order."""
    found: list[_Entry] = []
    for path, shortcut in declared.items():
        index = next(
            (
                number
                for number, route in enumerate(routes)
                if isinstance(route, Route)
                and route.path == path
                and "GET" in (route.methods or ())
            ),
            None,
        )
        if index is None:
            raise ValueError(f"a shortcut for {path}, which is no GET route of the function")
        route = routes[index]
        assert isinstance(route, Route)
        earlier = tuple(r for r in routes[:index] if isinstance(r, Route))
        headers = tuple((k.lower().encode(), v.encode()) for k, v in shortcut.headers.items())
        content_type = shortcut.media_type.encode()
        found.append(_Entry(route, earlier, shortcut.answer, headers, content_type))
    return found


class Shortcuts:
    def __init__(self, app: ASGIApp, *, shortcuts: list[_Entry]) -> None:
        self.app = app
        self.shortcuts = shortcuts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            if_none_match, anonymous = _conditions(scope)
            if anonymous:
                for entry in self.shortcuts:
                    if await self._answered(entry, scope, receive, send, if_none_match):
                        return
        await self.app(scope, receive, send)

    async def _answered(
        self, entry: _Entry, scope: Scope, receive: Receive, send: Send, if_none_match: str | None
    ) -> bool:
        path: str = scope["path"]
        match = entry.route.path_regex.match(path)
        if match is None or any(r.path_regex.match(path) for r in entry.earlier):
            return False
        request = Request(scope, receive)
        try:
            tagged = await entry.answer(match.groupdict(), request)
        except Exception as error:
            refusal = await problem_for(request, error)
            if refusal is None:
                raise
            scope["route"] = entry.route
            await refusal(scope, receive, send)
            return True
        if tagged is None:
            return False
        scope["route"] = entry.route  # the access line's and the metrics' route template
        headers = [(b"etag", tagged.etag.encode()), *entry.headers, *tagged.headers]
        if none_match(if_none_match, tagged.etag):
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return True
        headers.append((b"content-type", entry.content_type))
        headers.append((b"content-length", str(len(tagged.body)).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": tagged.body})
        return True


def _conditions(scope: Scope) -> tuple[str | None, bool]:
    """`If-None-Match`, and whether the request is anonymous (no Authorization header)."""
    if_none_match = None
    for name, value in scope["headers"]:
        if name == b"authorization":
            return None, False
        if name == b"if-none-match":  # repeated lines are one list (RFC 9110 5.3)
            tags = value.decode("latin-1")
            if_none_match = tags if if_none_match is None else f"{if_none_match}, {tags}"
    return if_none_match, True
