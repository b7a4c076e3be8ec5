"""Public pages: the event list (search, filters, pages) and an event's page, with its
gallery, calendar links, the register and leave buttons, its organizer and reviews."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from functions.web.declaration import MAX_TEXT, PAGE, FormText, Text, fn
from functions.web.kept_pages import Kept, kept_pages
from functions.web.page import Page, failure_page, is_uuid, not_found, page_status
from functions.web.people import about_event
from functions.web.showing import origin_of
from shared.web import sessions
from shared.web.api import ApiError


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
    their language reads: the page is kept rendered while the API's event is unchanged
    (kept_pages.py), and answered on the event loop. Everyone else's is rendered for them."""
    if sessions.COOKIE in request.cookies or request.url.query or not is_uuid(event_id):
        response, _ = await run_in_threadpool(_event_page, request, event_id)
        return response
    page = Page.of(request)  # no session to load: nothing here waits on Redis
    key = (event_id, page.language)
    pages = kept_pages()
    kept = pages.get(key)
    if kept is not None and await page.api.unchanged(f"/events/{event_id}", kept.etag):
        return kept.response()

    async def render() -> Kept:
        response, etag = await run_in_threadpool(_event_page, request, event_id)
        return pages.keep(key, etag, response)

    # One rendering at a time per page; the others wait for it on the loop, not on threads
    # (which the API's own calls may need when it runs in this process, as in `eventmgr up`).
    return (await pages.flights.load((key, kept.etag if kept else None), render)).response()


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
