"""A registration's ticket on its own page, made to be shown at the door on a phone: the QR
as large as the screen allows, with the event, the person's name and the time."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import Response

from functions.web.declaration import PAGE, fn
from functions.web.page import Page, failure_page, is_uuid, not_found
from shared.web.api import ApiError


@fn.get("/account/registrations/{registration_id}/ticket", **PAGE)
def ticket(request: Request, registration_id: str) -> Response:
    page = Page.of(request)
    if not is_uuid(registration_id):
        return not_found(page)
    here = f"/account/registrations/{registration_id}/ticket"
    if not page.signed_in:
        return page.redirect(f"/signin?next={here}")
    try:
        # The ticket first: it answers whether this registration is the visitor's (404)
        # and has a seat (409) before anything else is looked up.
        found = page.api.get(f"/me/registrations/{registration_id}/ticket")
        event = page.api.get(f"/events/{found['event_id']}")
    except ApiError as failure:
        if not page.signed_in:  # the refresh was refused: the session is over
            return page.redirect(f"/signin?next={here}")
        text = page.words("door.ticket.none") if failure.status == 409 else None
        return failure_page(page, failure, text, back="/account/registrations")
    return page.render("ticket.html", ticket=found, event=event)
