"""Public pages: the event list (search, filters, pages) and an event's page, with its
gallery, calendar links, the register and leave buttons, its organizer and reviews."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any

from fastapi import Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from functions.web.declaration import MAX_TEXT, PAGE, FormText, Text, fn
from functions.web.kept_pages import HTML, Kept, Key, kept_pages
from functions.web.organizing import event_path
from functions.web.page import Page, failure_page, is_uuid, not_found, page_status
from functions.web.people import about_event
from functions.web.showing import origin_of
from shared.kit.client import client_address
from shared.kit.conditional import Tagged
from shared.web import language, sessions
from shared.web.api import Api, ApiError


@fn.get("/", **PAGE)
def events(
    request: Request,
    q: Text = "",
    category: Text = "",
    tag: Text = "",
    from_: Annotated[str, Query(alias="from")] = "",
    to: Text = "",
    cursor: Text = "",
) -> Response:
    page = Page.of(request)
    filters = {
        key: value[:MAX_TEXT]
        for key, value in {
            "q": q,
            "category": category,
            "tag": tag,
            "from": from_,
            "to": to,
        }.items()
    }
    error, status = None, 200
    listing: dict[str, Any] = {"items": [], "next_cursor": None}
    categories: list[dict[str, str]] = []
    try:
        categories = page.api.get("/categories")["items"]
        listing = page.api.get("/events", **filters, cursor=cursor[:1000], limit=20)
    except ApiError as failure:
        error, status = page.error_text(failure), page_status(failure)
    more = None
    if listing.get("next_cursor"):
        more = {**{k: v for k, v in filters.items() if v}, "cursor": listing["next_cursor"]}
    return page.render(
        "events.html",
        status,
        events=listing["items"],
        categories=categories,
        filters=filters,
        more=more,
        error=error,
    )


@fn.get("/events/{event_id}", **PAGE)
async def event(request: Request, event_id: str) -> Response:
    """A visitor without a session, on the plain address, reads what every such visitor in
    their language reads: the page is kept rendered (kept_pages.py), answered from the kept
    bytes by the shortcut below and rendered here when there is none. Everyone else's is
    rendered for them."""
    key = _anonymous_key(request, event_id)
    if key is None:
        response, _ = await run_in_threadpool(_event_page, request, event_id)
        return response
    pages = kept_pages()
    kept = await pages.current(key, _asker(request, key))
    if kept is not None:
        return kept.response()

    async def render() -> Kept:
        response, etag = await run_in_threadpool(_event_page, request, event_id)
        return pages.keep(key, etag, response)

    # One rendering at a time per page; the others wait for it on the loop, not on threads
    # (which the API's own calls may need when it runs in this process, as in `eventmgr up`).
    return (await pages.flights.load(key, render)).response()


@fn.shortcut("/events/{event_id}", headers={}, media_type=HTML)
async def kept_event_page(path: Mapping[str, str], request: Request) -> Tagged | None:
    """The kept page's bytes without the router (If-None-Match answered 304 by the kit);
    None when there is none to answer: the route renders it."""
    key = _anonymous_key(request, path["event_id"])
    if key is None:
        return None
    kept = await kept_pages().current(key, _asker(request, key))
    return kept.tagged if kept is not None else None


def _anonymous_key(request: Request, event_id: str) -> Key | None:
    """The kept page a request reads: a visitor without a session on the plain address."""
    if sessions.COOKIE in request.cookies or request.scope["query_string"] or not is_uuid(event_id):
        return None
    chosen = language.choose(
        request.cookies.get(language.COOKIE), None, request.headers.get("accept-language")
    )
    return event_id, chosen


def _asker(request: Request, key: Key) -> Callable[[str], Awaitable[bool]]:
    """Asks the API whether the event still has the ETag a kept page was rendered from."""
    api = Api(None, key[1], client_address(request))
    return lambda etag: api.unchanged(f"/events/{key[0]}", etag)


def _event_page(request: Request, event_id: str) -> tuple[Response, str | None]:
    """The page, and the ETag of the API's event it shows."""
    page = Page.of(request)
    if not is_uuid(event_id):
        return not_found(page), None
    try:
        found, etag = page.api.tagged(f"/events/{event_id}")
    except ApiError as failure:
        return failure_page(page, failure), None
    place = _my_place(page, event_id) if page.signed_in else {}
    mine = place.get("registration")
    try:
        google = page.api.get(f"/events/{event_id}/calendar/google")["url"]
    except ApiError:
        google = None  # the page still offers the .ics file
    media = _media(page, event_id)
    response = page.render(
        "event.html",
        event=found,
        mine=mine,
        manage=_manage_path(event_id, place.get("viewer_role")),
        google=google,
        pictures=[item for item in media if item["content_type"].startswith("image/")],
        documents=[item for item in media if not item["content_type"].startswith("image/")],
        image_origins={origin_of(item["url"]) for item in media},
        **about_event(page, {**found, "viewer_role": place.get("viewer_role")}, mine),
    )
    return response, etag


def _media(page: Page, event_id: str) -> list[dict[str, Any]]:
    try:
        items: list[dict[str, Any]] = page.api.get(f"/events/{event_id}/media")["items"]
    except ApiError:
        return []  # the event is readable without its gallery
    return items


def _my_place(page: Page, event_id: str) -> dict[str, Any]:
    """The visitor's registration and part at the event: per person, so asked apart from the
    event page, which is cached and shared between readers."""
    try:
        place: dict[str, Any] = page.api.get(f"/events/{event_id}/me")
    except ApiError:
        return {}  # the event is readable without it
    return place


def _manage_path(event_id: str, role: str | None) -> str | None:
    """Where the event's own team works on it, shown instead of the Register button: the
    event form for the owner and co-organizers, the participant list for a steward (who
    may only see the participants and check people in)."""
    if role in ("owner", "co_organizer"):
        return event_path(event_id)
    if role == "steward":
        return event_path(event_id, "participants")
    return None


@fn.post("/events/{event_id}/register", **PAGE)
def register(request: Request, event_id: str, csrf: FormText = "") -> Response:
    return _act(request, csrf, event_id, "POST", f"/events/{event_id}/registrations")


@fn.post("/events/{event_id}/leave", **PAGE)
def leave(request: Request, event_id: str, csrf: FormText = "") -> Response:
    return _act(request, csrf, event_id, "DELETE", f"/events/{event_id}/registrations/me")


def _act(request: Request, csrf: str, event_id: str, method: str, path: str) -> Response:
    page = Page.of(request)
    if not is_uuid(event_id):
        return not_found(page)
    page.check_csrf(csrf)
    if not page.signed_in:
        return page.redirect(f"/signin?next=/events/{event_id}")
    try:
        page.api.call(method, path)
    except ApiError as failure:
        return failure_page(page, failure, back=f"/events/{event_id}")
    return page.redirect(f"/events/{event_id}")
