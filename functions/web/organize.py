"""The organizer's events: the list by status, the event form (create and edit, with its
registration questions and waitlist mode, and a "Repeats" part that makes a series),
publishing and cancelling after a confirmation."""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import available_timezones

from fastapi import Form, Request
from starlette.responses import Response

from functions.web.declaration import PAGE, FormText, Text, fn
from functions.web.organize_form import KINDS, WAITLIST_MODES, EventForm, event_body, form_of
from functions.web.organize_form import question_rows as rows_of
from functions.web.organizing import (
    MY_EVENTS,
    STATUSES,
    event_of,
    event_path,
    refusal,
    sign_in_first,
)
from functions.web.page import Page, page_status
from functions.web.series_form import ENDS, FREQUENCIES, WEEKDAYS, rule_of
from shared.web.api import ApiError

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
    rule, wrong_rule = rule_of(form)
    if wrong or wrong_rule:
        return _form(page, None, form, _unreadable(page, wrong + wrong_rule), 422)
    if rule is not None:
        return _create_series(page, form, {**body, "status": "draft", "rrule": rule})
    try:
        created = page.api.post("/events", {**body, "status": "draft"})
    except ApiError as failure:
        return _form(page, None, form, page.error_text(failure), page_status(failure))
    return page.redirect(event_path(created["id"]))


def _create_series(page: Page, form: EventForm, body: dict[str, Any]) -> Response:
    """One draft event per date of the rule; the API's refusal of the rule is shown next to
    the "Repeats" fields, any other next to the form as for one event."""
    try:
        created = page.api.post("/series", body)
    except ApiError as failure:
        if failure.status == 422 and "rrule" in failure.fields:
            text = f"{page.words('series.rule.invalid')} {failure.detail}".strip()
            return _form(page, None, form, None, 422, rule_error=text)
        return _form(page, None, form, page.error_text(failure), page_status(failure))
    return page.redirect(f"/organize/series/{created['id']}?created=1")


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
    page: Page,
    event: dict[str, Any] | None,
    form: EventForm,
    error: str | None,
    status: int = 200,
    rule_error: str | None = None,
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
        rule_error=rule_error,
        frequencies=FREQUENCIES,
        weekdays=WEEKDAYS,
        ends=ENDS,
        saved=page.request.query_params.get("saved") == "1",
        done=page.request.query_params.get("done"),
        section="edit",
    )


def _unreadable(page: Page, fields: list[str]) -> str:
    return f"{page.words('error.422')} ({', '.join(sorted(set(fields)))})"
