"""An event's discussion for the people taking part: the messages (oldest first, paged with
`after`), the pinned announcements on top, posting, replying and deleting, all through the
public API (/events/{id}/messages).

Without JavaScript the page reads and posts; with it, `discussion.js` asks this function's
own JSON endpoint for newer messages every few seconds (the API's SSE stream needs a bearer
token that a browser's EventSource cannot send)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.responses import Response

from functions.web.declaration import PAGE, FormText, Text, fn
from functions.web.page import Page, is_uuid, not_found, page_status, problem
from shared.web.api import ApiError

DISCUSSION = "/events/{event_id}/discussion"
PAGE_SIZE = 50
# What the API's MessageText allows; longer is refused there too, this keeps the form honest.
MAX_MESSAGE = 2000


def discussion_path(event_id: str) -> str:
    return DISCUSSION.format(event_id=event_id)


def _signin(page: Page, event_id: str) -> Response:
    return page.redirect("/signin?" + urlencode({"next": discussion_path(event_id)}))


def _refused(page: Page, failure: ApiError, event_id: str) -> Response:
    if failure.status == 401 and not page.signed_in:  # the session ended meanwhile
        return _signin(page, event_id)
    if failure.status == 404:
        return not_found(page)
    # 403: the API lets only the people registered, the team and admins take part.
    text = page.words("talk.only_registered") if failure.status == 403 else None
    return page.render(
        "message.html",
        page_status(failure),
        title=page.words("talk.title"),
        text=text or page.error_text(failure),
        back=f"/events/{event_id}",
    )


def _messages(page: Page, event_id: str, after: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = page.api.get(
        f"/events/{event_id}/messages", after=after, limit=PAGE_SIZE
    )["items"]
    return found


def _discussion_page(
    page: Page,
    event_id: str,
    after: str = "",
    status: int = 200,
    *,
    error: str | None = None,
    text: str = "",
    reply_to: str = "",
) -> Response:
    if not page.signed_in:
        return _signin(page, event_id)
    after = after if is_uuid(after) else ""
    try:
        event = page.api.get(f"/events/{event_id}")
        items = _messages(page, event_id, after)
    except ApiError as failure:
        return _refused(page, failure, event_id)
    user = page.session.user if page.session else None
    moderator = bool(user and user.get("role") in ("organizer", "admin"))
    replied = next((m for m in items if m["id"] == reply_to), None)
    return page.render(
        "discussion.html",
        status,
        event=event,
        pinned=[m for m in items if m["pinned"]],
        messages=[m for m in items if not m["pinned"]],
        names={m["id"]: m["author"]["name"] for m in items},
        me=(user or {}).get("id"),
        moderator=moderator,
        newer=items[-1]["id"] if len(items) == PAGE_SIZE else None,
        after=after,
        error=error,
        text=text,
        reply_to=reply_to if is_uuid(reply_to) else "",
        replied=replied,
        max_message=MAX_MESSAGE,
        poll_url=f"{discussion_path(event_id)}/messages",
    )


@fn.get(DISCUSSION, **PAGE)
def discussion(request: Request, event_id: str, after: Text = "", reply_to: Text = "") -> Response:
    page = Page.of(request)
    if not is_uuid(event_id):
        return not_found(page)
    return _discussion_page(page, event_id, after, reply_to=reply_to)


@fn.post(DISCUSSION, **PAGE)
def post_message(
    request: Request,
    event_id: str,
    csrf: FormText = "",
    text: FormText = "",
    reply_to: FormText = "",
    after: FormText = "",
) -> Response:
    page = Page.of(request)
    page.check_csrf(csrf)
    if not is_uuid(event_id):
        return not_found(page)
    if not page.signed_in:
        return _signin(page, event_id)
    if not text.strip() or len(text) > MAX_MESSAGE:
        error = page.words("talk.bad_text")
        return _discussion_page(page, event_id, after, 422, error=error, text=text[:MAX_MESSAGE])
    body: dict[str, Any] = {"text": text, "reply_to": reply_to if is_uuid(reply_to) else None}
    try:
        posted = page.api.post(f"/events/{event_id}/messages", body)
    except ApiError as failure:
        if failure.status not in (404, 422, 429):
            return _refused(page, failure, event_id)
        # A reply to a message deleted meanwhile (404), or too fast (429): the text is kept.
        return _discussion_page(
            page,
            event_id,
            after,
            page_status(failure),
            error=page.error_text(failure),
            text=text,
        )
    back = discussion_path(event_id) + (f"?after={after}" if is_uuid(after) else "")
    return page.redirect(f"{back}#m-{posted['id']}")


@fn.post(DISCUSSION + "/{message_id}/delete", **PAGE)
def delete_message(
    request: Request, event_id: str, message_id: str, csrf: FormText = "", after: FormText = ""
) -> Response:
    page = Page.of(request)
    page.check_csrf(csrf)
    if not is_uuid(event_id) or not is_uuid(message_id):
        return not_found(page)
    if not page.signed_in:
        return _signin(page, event_id)
    try:
        page.api.delete(f"/events/{event_id}/messages/{message_id}")
    except ApiError as failure:
        if failure.status == 404:  # deleted already: what was asked for is done
            return page.redirect(discussion_path(event_id))
        return _refused(page, failure, event_id)
    back = discussion_path(event_id) + (f"?after={after}" if is_uuid(after) else "")
    return page.redirect(back)


@fn.get(DISCUSSION + "/messages", **PAGE)
def newer_messages(request: Request, event_id: str, after: Text = "") -> Response:
    """The messages after the page's last one, for `discussion.js` (same origin, the
    session's cookie): `{items}` as the API answers them, or a problem document."""
    page = Page.of(request)
    if not is_uuid(event_id) or (after and not is_uuid(after)):
        return problem(page, ApiError(404, "Not found"))
    if not page.signed_in:
        return problem(page, ApiError(401, "Not signed in"))
    try:
        items = _messages(page, event_id, after)
    except ApiError as failure:
        return problem(page, failure)
    return JSONResponse({"items": items}, headers={"Cache-Control": "no-store"})
