"""An organizer's announcement to everyone registered for an event: a title and a text,
pinned in the discussion and sent to each person by their notification settings (the API's
POST /events/{id}/announcements, answered 202: the sending happens after the answer)."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import Response

from functions.web.declaration import MAX_TEXT, PAGE, FormText, fn
from functions.web.discussion import MAX_MESSAGE, discussion_path
from functions.web.organizing import event_of, event_path, refusal
from functions.web.page import Page, is_uuid, not_found, page_status
from shared.web.api import ApiError


@fn.get("/organize/events/{event_id}/announce", **PAGE)
def announce_form(request: Request, event_id: str) -> Response:
    return _announce_page(Page.of(request), event_id)


@fn.post("/organize/events/{event_id}/announce", **PAGE)
def announce(
    request: Request, event_id: str, csrf: FormText = "", title: FormText = "", text: FormText = ""
) -> Response:
    page = Page.of(request)
    page.check_csrf(csrf)
    if not is_uuid(event_id):
        return not_found(page)
    values = {"title": title.strip()[:MAX_TEXT], "text": text[:MAX_MESSAGE]}
    if not values["title"] or not text.strip() or len(text) > MAX_MESSAGE:
        error = page.words("talk.announce.incomplete")
        return _announce_page(page, event_id, 422, error=error, values=values)
    try:
        page.api.post(f"/events/{event_id}/announcements", values)
    except ApiError as failure:
        if failure.status not in (422, 429):
            return refusal(page, failure, back=event_path(event_id, "announce"))
        return _announce_page(
            page, event_id, page_status(failure), error=page.error_text(failure), values=values
        )
    return _announce_page(page, event_id, sent=True)


def _announce_page(
    page: Page,
    event_id: str,
    status: int = 200,
    *,
    error: str | None = None,
    values: dict[str, str] | None = None,
    sent: bool = False,
) -> Response:
    event = event_of(page, event_id)
    if isinstance(event, Response):
        return event
    return page.render(
        "organize_announce.html",
        status,
        event=event,
        section="announce",
        error=error,
        values=values or {"title": "", "text": ""},
        sent=sent,
        discussion=discussion_path(event_id),
        max_title=MAX_TEXT,
        max_text=MAX_MESSAGE,
    )
