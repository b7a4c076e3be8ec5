"""What every organizer page does first: a signed-in visitor, the event it is about (the API
decides who may see it), and an API refusal told as a page."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from functions.web.page import Page, failure_page, is_uuid, not_found
from shared.web.api import ApiError

MY_EVENTS = "/organize"
# The tabs of MY_EVENTS by event status (then "My series", organize_series.py).
STATUSES = ("draft", "published", "cancelled")


def event_path(event_id: str, part: str = "") -> str:
    return f"/organize/events/{event_id}{'/' + part if part else ''}"


def sign_in_first(page: Page) -> Response | None:
    """The sign-in page, coming back here after it, for a visitor who is not signed in."""
    if page.signed_in:
        return None
    return page.redirect(f"/signin?next={page.request.url.path}")


def refusal(page: Page, failure: ApiError, back: str = MY_EVENTS) -> Response:
    if failure.status == 401 and not page.signed_in:  # the session ended meanwhile
        return page.redirect(f"/signin?next={page.request.url.path}")
    return failure_page(page, failure, back=back, back_label=page.words("organize.back"))


def event_of(page: Page, event_id: str) -> dict[str, Any] | Response:
    """The event an organizer page is about, or the page to answer instead."""
    if not is_uuid(event_id):
        return not_found(page)
    if (first := sign_in_first(page)) is not None:
        return first
    try:
        event: dict[str, Any] = page.api.get(f"/events/{event_id}")
    except ApiError as failure:
        return refusal(page, failure)
    return event


def event_and_items(
    page: Page, event_id: str, part: str, **params: Any
) -> tuple[dict[str, Any], list[dict[str, Any]]] | Response:
    """An organizer page listing one part of an event (its pictures, its team) with a form:
    the event and the API's `/events/{id}/{part}` items, or the page to answer instead."""
    event = event_of(page, event_id)
    if isinstance(event, Response):
        return event
    page.form_session()
    try:
        items: list[dict[str, Any]] = page.api.get(f"/events/{event_id}/{part}", **params)["items"]
    except ApiError as failure:
        return refusal(page, failure, back=event_path(event_id))
    return event, items


def remove_from_event(page: Page, csrf: str, event_id: str, part: str, item_id: str) -> Response:
    """A remove button on such a page: the API's DELETE of the item, then back to the list."""
    page.check_csrf(csrf)
    if not (is_uuid(event_id) and is_uuid(item_id)):
        return not_found(page)
    back = event_path(event_id, part)
    try:
        page.api.delete(f"/events/{event_id}/{part}/{item_id}")
    except ApiError as failure:
        return refusal(page, failure, back=back)
    return page.redirect(back)
