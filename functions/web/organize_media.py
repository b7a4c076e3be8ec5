"""An event's pictures and documents: the gallery, an upload sent on to the API's media
route (which checks size and content), and removal."""

from __future__ import annotations

from fastapi import Request, UploadFile
from starlette.responses import Response

from functions.web.declaration import PAGE, FormText, fn
from functions.web.organizing import event_and_items, event_path, remove_from_event
from functions.web.page import Page, is_uuid, not_found, page_status
from shared.web.api import ApiError


@fn.get("/organize/events/{event_id}/media", **PAGE)
def gallery(request: Request, event_id: str) -> Response:
    return _gallery(Page.of(request), event_id, None)


@fn.post("/organize/events/{event_id}/media", **PAGE)
def upload(
    request: Request, event_id: str, file: UploadFile | None = None, csrf: FormText = ""
) -> Response:
    page = Page.of(request)
    page.check_csrf(csrf)
    if not is_uuid(event_id):
        return not_found(page)
    if file is None or not file.filename:
        return _gallery(page, event_id, ApiError(422, "", fields=["file"]))
    sent = {"file": (file.filename, file.file, file.content_type or "application/octet-stream")}
    try:
        page.api.call("POST", f"/events/{event_id}/media", files=sent)
    except ApiError as failure:
        return _gallery(page, event_id, failure)
    return page.redirect(event_path(event_id, "media"))


@fn.post("/organize/events/{event_id}/media/{media_id}/remove", **PAGE)
def remove(request: Request, event_id: str, media_id: str, csrf: FormText = "") -> Response:
    return remove_from_event(Page.of(request), csrf, event_id, "media", media_id)


def _gallery(page: Page, event_id: str, failure: ApiError | None) -> Response:
    found = event_and_items(page, event_id, "media", limit=100)
    if isinstance(found, Response):
        return found
    event, items = found
    return page.render(
        "organize_media.html",
        page_status(failure) if failure else 200,
        event=event,
        items=items,
        error=_why(page, failure) if failure else None,
        section="media",
    )


def _why(page: Page, failure: ApiError) -> str:
    # 413 and 415 are this page's own refusals: the file, not the request, is at fault.
    return (
        page.words(f"organize.media.{failure.status}")
        if failure.status in (413, 415)
        else (page.error_text(failure))
    )
