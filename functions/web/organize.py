"""The organizer's events: the list by status, the event form (create and edit, with its
registration questions and waitlist mode), publishing and cancelling after a confirmation."""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import available_timezones

from fastapi import Form, Request
from starlette.responses import Response

from functions.web.declaration import PAGE, FormText, Text, fn
from functions.web.organize_form import KINDS, WAITLIST_MODES, EventForm, event_body, form_of
from functions.web.organize_form import question_rows as rows_of
from functions.web.organizing import MY_EVENTS, event_of, event_path, refusal, sign_in_first
from functions.web.page import Page, page_status
from shared.web.api import ApiError

STATUSES = ("draft", "published", "cancelled")
# What the time zone field suggests (any IANA name the API knows is accepted).
ZONES = sorted(available_timezones())


@fn.get(MY_EVENTS, **PAGE)
def my_events(request: Request, status: Text = "", cursor: Text = "") -> Response:
    page = Page.of(request)
    if (first := sign_in_first(page)) is not None:
        return first
    tab = status if status in STATUSES else ""
    try:
        listing = page.api.get("/me/events", status=tab, cursor=cursor[:512], limit=20)
    except ApiError as failure:
        return refusal(page, failure, back="/")
    more = None
    if listing.get("next_cursor"):
        more = {**({"status": tab} if tab else {}), "cursor": listing["next_cursor"]}
    return page.render(
        "organize_events.html", events=listing["items"], tabs=STATUSES, tab=tab, more=more
    )


@fn.get("/organize/events/new", **PAGE)
def new_event(request: Request) -> Response:
    page = Page.of(request)
    if (first := sign_in_first(page)) is not None:
        return first
    page.form_session()
    return _form(page, None, EventForm(), None)


@fn.post("/organize/events/new", **PAGE)
def create_event(
    request: Request, form: Annotated[EventForm, Form()], csrf: FormText = ""
) -> Response:
    page = Page.of(request)
    page.check_csrf(csrf)
    if (first := sign_in_first(page)) is not None:
        return first
    body, wrong = event_body(form)
    if wrong:
        return _form(page, None, form, _unreadable(page, wrong), 422)
    try:
        created = page.api.post("/events", {**body, "status": "draft"})
    except ApiError as failure:
        return _form(page, None, form, page.error_text(failure), page_status(failure))
    return page.redirect(event_path(created["id"]))


@fn.get("/organize/events/{event_id}", **PAGE)
def edit_event(request: Request, event_id: str) -> Response:
    page = Page.of(request)
    event = event_of(page, event_id)
    if isinstance(event, Response):
        return event
    return _form(page, event, form_of(event), None)


@fn.post("/organize/events/{event_id}", **PAGE)
def update_event(
    request: Request, event_id: str, form: Annotated[EventForm, Form()], csrf: FormText = ""
) -> Response:
    page = Page.of(request)
    page.check_csrf(csrf)
    event = event_of(page, event_id)
    if isinstance(event, Response):
        return event
    body, wrong = event_body(form)
    if wrong:
        return _form(page, event, form, _unreadable(page, wrong), 422)
    try:
        page.api.call("PATCH", f"/events/{event_id}", json=body)
    except ApiError as failure:
        return _form(page, event, form, page.error_text(failure), page_status(failure))
    return page.redirect(event_path(event_id) + "?saved=1")


@fn.get("/organize/events/{event_id}/publish", **PAGE)
def confirm_publish(request: Request, event_id: str) -> Response:
    return _confirm(Page.of(request), event_id, "publish")


@fn.get("/organize/events/{event_id}/cancel", **PAGE)
def confirm_cancel(request: Request, event_id: str) -> Response:
    return _confirm(Page.of(request), event_id, "cancel")


@fn.post("/organize/events/{event_id}/publish", **PAGE)
def publish(request: Request, event_id: str, csrf: FormText = "") -> Response:
    return _act(Page.of(request), csrf, event_id, "publish")


@fn.post("/organize/events/{event_id}/cancel", **PAGE)
def cancel(request: Request, event_id: str, csrf: FormText = "") -> Response:
    return _act(Page.of(request), csrf, event_id, "cancel")


def _confirm(page: Page, event_id: str, action: str) -> Response:
    """Publishing and cancelling tell people (followers, registrants): asked once more."""
    event = event_of(page, event_id)
    if isinstance(event, Response):
        return event
    return page.render("organize_confirm.html", event=event, action=action, section="edit")


def _act(page: Page, csrf: str, event_id: str, action: str) -> Response:
    page.check_csrf(csrf)
    event = event_of(page, event_id)
    if isinstance(event, Response):
        return event
    try:
        page.api.post(f"/events/{event_id}/{action}")
    except ApiError as failure:
        return refusal(page, failure, back=event_path(event_id))
    return page.redirect(event_path(event_id) + f"?done={action}")


def _form(
    page: Page, event: dict[str, Any] | None, form: EventForm, error: str | None, status: int = 200
) -> Response:
    try:
        categories = page.api.get("/categories")["items"]
    except ApiError:
        categories = [{"slug": form.category, "name": form.category}] if form.category else []
    return page.render(
        "organize_form.html",
        status,
        event=event,
        form=form,
        questions=rows_of(form),
        kinds=KINDS,
        modes=WAITLIST_MODES,
        categories=categories,
        zones=ZONES,
        error=error,
        saved=page.request.query_params.get("saved") == "1",
        done=page.request.query_params.get("done"),
        section="edit",
    )


def _unreadable(page: Page, fields: list[str]) -> str:
    return f"{page.words('error.422')} ({', '.join(sorted(set(fields)))})"
