"""The organizer's series (the "My series" tab of /organize), and a series' page: its dates
(each linking to its own organizer page), its calendar, and one form that changes every
coming date (PATCH /series/{id}). A series is made from the new-event form's "Repeats" part
(organize.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Form, Request
from starlette.responses import Response

from functions.web.declaration import PAGE, FormText, Text, fn
from functions.web.organizing import MY_EVENTS, STATUSES, refusal, sign_in_first
from functions.web.page import Page, is_uuid, not_found, page_status
from functions.web.series_form import SeriesForm, series_change, series_form_of
from shared.config import get_settings
from shared.web.api import ApiError


def _public_url() -> str:
    return get_settings().public_url.rstrip("/")


def series_path(series_id: str, part: str = "") -> str:
    return f"/organize/series/{series_id}{'/' + part if part else ''}"


def _series_of(
    page: Page, series_id: str
) -> tuple[dict[str, Any], list[dict[str, Any]]] | Response:
    """The series and its dates as events, or the page to answer instead."""
    if not is_uuid(series_id):
        return not_found(page)
    if (first := sign_in_first(page)) is not None:
        return first
    try:
        # One call: the series gives each date's time, status and seats (`dates`).
        series: dict[str, Any] = page.api.get(f"/series/{series_id}")
    except ApiError as failure:
        return refusal(page, failure)
    return series, series["dates"]


def _coming(dates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    return [e for e in dates if datetime.fromisoformat(e["starts_at"]) > now]


MY_SERIES = "/organize/series"


@fn.get(MY_SERIES, **PAGE)
def my_series(request: Request, cursor: Text = "") -> Response:
    page = Page.of(request)
    if (first := sign_in_first(page)) is not None:
        return first
    try:
        listing = page.api.get("/me/series", cursor=cursor[:512], limit=20)
    except ApiError as failure:
        return refusal(page, failure, back=MY_EVENTS)
    more = {"cursor": listing["next_cursor"]} if listing.get("next_cursor") else None
    return page.render("organize_my_series.html", series=listing["items"], tabs=STATUSES, more=more)


@fn.get("/organize/series/{series_id}", **PAGE)
def series_page(request: Request, series_id: str) -> Response:
    page = Page.of(request)
    found = _series_of(page, series_id)
    if isinstance(found, Response):
        return found
    series, dates = found
    return _page(page, series, dates, series_form_of(series), None)


@fn.post("/organize/series/{series_id}", **PAGE)
def change_series(
    request: Request, series_id: str, form: Annotated[SeriesForm, Form()], csrf: FormText = ""
) -> Response:
    page = Page.of(request)
    page.check_csrf(csrf)
    found = _series_of(page, series_id)
    if isinstance(found, Response):
        return found
    series, dates = found
    change, wrong = series_change(form)
    if wrong:
        text = f"{page.words('error.422')} ({', '.join(sorted(set(wrong)))})"
        return _page(page, series, dates, form, text, 422)
    try:
        page.api.call("PATCH", f"/series/{series_id}", json=change)
    except ApiError as failure:
        if failure.status == 401 and not page.signed_in:
            return refusal(page, failure)
        return _page(page, series, dates, form, page.error_text(failure), page_status(failure))
    return page.redirect(series_path(series_id) + "?saved=1")


@fn.get("/organize/series/{series_id}/calendar.ics", **PAGE)
def series_calendar(request: Request, series_id: str) -> Response:
    """The series' calendar file fetched with the person's session: a draft series is not
    public, so the API's own link would not give it to the browser."""
    page = Page.of(request)
    if not is_uuid(series_id):
        return not_found(page)
    if (first := sign_in_first(page)) is not None:
        return first
    try:
        content = page.api.file(f"/series/{series_id}/calendar.ics")
    except ApiError as failure:
        return refusal(page, failure)
    return page.download(content, "text/calendar; charset=utf-8", f"series-{series_id}.ics")


def _page(
    page: Page,
    series: dict[str, Any],
    dates: list[dict[str, Any]],
    form: SeriesForm,
    error: str | None,
    status: int = 200,
) -> Response:
    coming = {e["id"] for e in _coming(dates)}
    return page.render(
        "organize_series.html",
        status,
        series=series,
        dates=[{**e, "coming": e["id"] in coming} for e in dates],
        form=form,
        error=error,
        saved=page.request.query_params.get("saved") == "1",
        created=page.request.query_params.get("created") == "1",
        public_calendar=f"{_public_url()}/api/v1/series/{series['id']}/calendar.ics",
    )
