"""The people of an event: its team (co-organizers and stewards, added by e-mail) and its
participants with their answers to the registration questions."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.responses import Response

from functions.web.declaration import MAX_TEXT, PAGE, FormText, Text, fn
from functions.web.organizing import (
    event_and_items,
    event_of,
    event_path,
    refusal,
    remove_from_event,
)
from functions.web.page import Page, is_uuid, not_found, page_status
from shared.web.api import ApiError

TEAM_ROLES = ("co_organizer", "steward")
PARTICIPANT_STATUSES = ("confirmed", "waitlisted", "offered", "checked_in", "cancelled")


@fn.get("/organize/events/{event_id}/team", **PAGE)
def team(request: Request, event_id: str) -> Response:
    page = Page.of(request)
    return _team(page, event_id, None, {})


@fn.post("/organize/events/{event_id}/team", **PAGE)
def add_member(
    request: Request, event_id: str, csrf: FormText = "", email: FormText = "", role: FormText = ""
) -> Response:
    page = Page.of(request)
    page.check_csrf(csrf)
    values = {"email": email.strip(), "role": role}
    if not is_uuid(event_id):
        return not_found(page)
    try:
        page.api.post(f"/events/{event_id}/team", values)
    except ApiError as failure:
        return _team(page, event_id, failure, values)
    return page.redirect(event_path(event_id, "team"))


@fn.post("/organize/events/{event_id}/team/{user_id}/remove", **PAGE)
def remove_member(request: Request, event_id: str, user_id: str, csrf: FormText = "") -> Response:
    return remove_from_event(Page.of(request), csrf, event_id, "team", user_id)


def _team(page: Page, event_id: str, failure: ApiError | None, values: dict[str, str]) -> Response:
    found = event_and_items(page, event_id, "team")
    if isinstance(found, Response):
        return found
    event, members = found
    return page.render(
        "organize_team.html",
        page_status(failure) if failure else 200,
        event=event,
        members=members,
        roles=TEAM_ROLES,
        values=values,
        error=page.error_text(failure) if failure else None,
        section="team",
    )


@fn.get("/organize/events/{event_id}/participants", **PAGE)
def participants(
    request: Request, event_id: str, status: Text = "", q: Text = "", cursor: Text = ""
) -> Response:
    page = Page.of(request)
    event = event_of(page, event_id)
    if isinstance(event, Response):
        return event
    chosen = status if status in PARTICIPANT_STATUSES else ""
    query = q[:MAX_TEXT]
    try:
        listing = page.api.get(
            f"/events/{event_id}/registrations",
            status=chosen,
            q=query,
            cursor=cursor[:512],
            limit=50,
        )
    except ApiError as failure:
        return refusal(page, failure, back=event_path(event_id))
    more: dict[str, Any] | None = None
    if listing.get("next_cursor"):
        filters = {"status": chosen, "q": query}
        more = {**{k: v for k, v in filters.items() if v}, "cursor": listing["next_cursor"]}
    return page.render(
        "organize_participants.html",
        event=event,
        people=listing["items"],
        statuses=PARTICIPANT_STATUSES,
        chosen=chosen,
        q=query,
        more=more,
        section="participants",
    )
