"""The public API as the web front end calls it: through the gateway, at `WEB_API_URL`
(default `PUBLIC_URL`), with the visitor's access token, refreshed once when it expired."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from shared import process_state
from shared.config import get_settings
from shared.web.sessions import Session, save


@dataclass
class ApiError(Exception):
    """A problem+json answer of the API, kept to show it as a readable message."""

    status: int
    title: str
    detail: str = ""
    fields: list[str] = field(default_factory=list)
    # The problem's other members, e.g. `checked_in_at` of a ticket checked in already.
    extra: dict[str, Any] = field(default_factory=dict)


def _base_url() -> str:
    settings = get_settings()
    return (settings.web_api_url or settings.public_url).rstrip("/")


@process_state.cached
def _client() -> httpx.Client:
    return httpx.Client(base_url=_base_url(), timeout=get_settings().web_api_timeout_seconds)


@process_state.cached
def _async_client(loop: asyncio.AbstractEventLoop) -> httpx.AsyncClient:
    """One per event loop (a client belongs to the loop it first ran on)."""
    return httpx.AsyncClient(base_url=_base_url(), timeout=get_settings().web_api_timeout_seconds)


@dataclass
class Api:
    """One visitor's calls: their session's tokens, their language, their address."""

    session: Session | None = None
    language: str = "en"
    client_address: str | None = None

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._send(method, path, **kwargs)
        if response.status_code == 401 and self._refreshed():
            response = self._send(method, path, **kwargs)
        return _answer(response)

    def get(self, path: str, **params: Any) -> Any:
        wanted = {key: value for key, value in params.items() if value not in (None, "")}
        return self.call("GET", path, params=wanted)

    def tagged(self, path: str) -> tuple[Any, str | None]:
        """A GET's answer and its ETag: a page rendered from it is kept while the tag holds."""
        response = self._send("GET", path)
        if response.status_code == 401 and self._refreshed():
            response = self._send("GET", path)
        return _answer(response), response.headers.get("etag")

    async def unchanged(self, path: str, etag: str) -> bool:
        """Whether the API's anonymous answer still has this ETag (its 304, no body), asked
        on the event loop: a kept page is answered without taking a thread. Any other
        answer, an error included, is left to the page's own call."""
        client = _async_client(asyncio.get_running_loop())
        try:
            response = await client.get(
                f"/api/v1{path}", headers={**self._headers(), "If-None-Match": etag}
            )
        except httpx.HTTPError:
            return False
        return response.status_code == 304

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.call("POST", path, json=body if body is not None else {})

    def delete(self, path: str) -> Any:
        return self.call("DELETE", path)

    def file(self, path: str) -> bytes:
        """An API answer that is a file (a calendar), fetched with the visitor's token, so a
        draft the person may see comes too."""
        response = self._send("GET", path)
        if response.status_code == 401 and self._refreshed():
            response = self._send("GET", path)
        if response.status_code >= 400:
            raise _problem(response)
        return response.content

    def download(self, url: str) -> httpx.Response:
        """The file behind a download link the API gave, fetched here so the browser gets it
        from this site under the person's session. Such links are signed (no token travels
        with them) and point at the platform: its public URL, reached through the gateway as
        every call is, or the object store's public endpoint; no other host is called."""
        settings = get_settings()
        public = settings.public_url.rstrip("/") + "/"
        if url.startswith(public):
            url = "/" + url[len(public) :]
        elif urlsplit(url).netloc not in _stores(settings.s3_public_endpoint, settings.s3_endpoint):
            raise ApiError(404, "The file is not where the platform keeps files.")
        try:
            response = _client().get(url)
        except httpx.HTTPError as error:
            detail = type(error).__name__
            raise ApiError(503, "The service could not be reached.", detail) from error
        if response.status_code >= 400:
            raise _problem(response)
        return response

    def _headers(self) -> dict[str, str]:
        headers = {"Accept-Language": self.language, "Accept": "application/json"}
        if self.session is not None and self.session.access_token:
            headers["Authorization"] = f"Bearer {self.session.access_token}"
        if self.client_address:
            # Counted by the API's throttles when it trusts this function as a proxy.
            headers["X-Forwarded-For"] = self.client_address
        return headers

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return _client().request(method, f"/api/v1{path}", headers=self._headers(), **kwargs)
        except httpx.HTTPError as error:
            detail = type(error).__name__
            raise ApiError(503, "The service could not be reached.", detail) from error

    def _refreshed(self) -> bool:
        """A new token pair for an expired access token; a refused refresh ends the session."""
        session = self.session
        if session is None or not session.refresh_token:
            return False
        response = _client().post(
            "/api/v1/auth/refresh", json={"refresh_token": session.refresh_token}
        )
        if response.status_code != 200:
            session.access_token = session.refresh_token = None
            session.user = None
            save(session)
            return False
        pair = response.json()
        session.access_token, session.refresh_token = pair["access_token"], pair["refresh_token"]
        save(session)
        return True


_PROBLEM_MEMBERS = {"type", "title", "status", "detail", "instance", "errors"}


def _stores(*endpoints: str | None) -> set[str]:
    """The object store's `host:port`s (settings may name them with or without a scheme)."""
    return {urlsplit(e if "://" in e else f"//{e}").netloc for e in endpoints if e}


def _answer(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        raise _problem(response)
    if response.status_code == 204 or not response.content:
        return None
    return response.json()


def _problem(response: httpx.Response) -> ApiError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    fields = [
        ".".join(str(part) for part in error.get("loc", ())[1:]) or str(error.get("loc", ""))
        for error in body.get("errors", ())
        if isinstance(error, dict)
    ]
    return ApiError(
        response.status_code,
        str(body.get("title") or response.reason_phrase),
        str(body.get("detail") or ""),
        fields,
        {key: value for key, value in body.items() if key not in _PROBLEM_MEMBERS},
    )
