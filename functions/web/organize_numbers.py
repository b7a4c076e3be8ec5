"""An event's numbers: statistics with charts, and reports asked of the API, built in the
background, then downloaded through this site with the person's session."""

from __future__ import annotations

from itertools import accumulate
from typing import Any

from fastapi import Request
from starlette.responses import Response

from functions.web.charts import Series, bar_chart, line_chart
from functions.web.declaration import PAGE, FormText, fn
from functions.web.organizing import event_of, event_path, refusal
from functions.web.page import Page, is_uuid, not_found
from shared.web.api import ApiError

KINDS = ("event_attendance", "organizer_summary")
FORMATS = ("csv", "xlsx", "pdf")
# The headers of a report's file that the browser needs to save it under its name.
FILE_HEADERS = ("content-type", "content-disposition")


@fn.get("/organize/events/{event_id}/statistics", **PAGE)
def statistics(request: Request, event_id: str) -> Response:
    page = Page.of(request)
    event = event_of(page, event_id)
    if isinstance(event, Response):
        return event
    try:
        figures = page.api.get(f"/analytics/events/{event_id}")
    except ApiError as failure:
        return refusal(page, failure, back=event_path(event_id))
    return page.render(
        "organize_statistics.html",
        event=event,
        figures=figures,
        **_charts(page, figures),
        section="statistics",
    )


def _charts(page: Page, figures: dict[str, Any]) -> dict[str, Any]:
    words = page.words
    totals = ("confirmed", "waitlisted", "offered", "cancelled", "checked_in")
    days = figures.get("by_day") or []
    labels = [str(day["date"])[5:] for day in days]  # MM-DD: the year is the event's
    daily = [
        Series(words("organize.stats.registrations"), [d["registrations"] for d in days]),
        Series(words("organize.stats.cancellations"), [d["cancellations"] for d in days]),
        Series(words("organize.stats.check_ins"), [d.get("check_ins", 0) for d in days]),
    ]
    growing = Series(
        words("organize.stats.total"),
        list(accumulate(d["registrations"] - d["cancellations"] for d in days)),
    )
    return {
        "totals": [(key, figures.get(key, 0)) for key in totals],
        "days": days,
        "totals_chart": bar_chart(
            words("organize.stats.totals_chart"),
            [words(f"status.{key}") for key in totals],
            [Series(words("organize.stats.people"), [figures.get(k, 0) for k in totals])],
        ),
        "daily_chart": bar_chart(words("organize.stats.daily_chart"), labels, daily),
        "growth_chart": line_chart(words("organize.stats.growth_chart"), labels, [growing]),
    }


@fn.get("/organize/events/{event_id}/reports", **PAGE)
def reports(request: Request, event_id: str) -> Response:
    page = Page.of(request)
    event = event_of(page, event_id)
    if isinstance(event, Response):
        return event
    return _reports_page(page, event, None)


def _reports_of(page: Page, event_id: str) -> list[dict[str, Any]]:
    """The event's reports, newest first, from the API (whoever of its team asked)."""
    try:
        items: list[dict[str, Any]] = page.api.get(f"/events/{event_id}/reports")["items"]
    except ApiError:
        return []  # the page still asks for new ones
    return items


@fn.post("/organize/events/{event_id}/reports", **PAGE)
def request_report(
    request: Request,
    event_id: str,
    csrf: FormText = "",
    kind: FormText = "event_attendance",
    format: FormText = "csv",
) -> Response:
    page = Page.of(request)
    page.check_csrf(csrf)
    event = event_of(page, event_id)
    if isinstance(event, Response):
        return event
    body: dict[str, Any] = {"kind": kind, "format": format}
    if kind == "event_attendance":
        body["event_id"] = event_id
    try:
        accepted = page.api.post("/reports", body)
    except ApiError as failure:
        return refusal(page, failure, back=event_path(event_id, "reports"))
    return page.redirect(event_path(event_id, f"reports/{accepted['id']}"))


@fn.get("/organize/events/{event_id}/reports/{report_id}", **PAGE)
def report(request: Request, event_id: str, report_id: str) -> Response:
    page = Page.of(request)
    if not is_uuid(report_id):
        return not_found(page)
    event = event_of(page, event_id)
    if isinstance(event, Response):
        return event
    try:
        found = page.api.get(f"/reports/{report_id}")
    except ApiError as failure:
        return refusal(page, failure, back=event_path(event_id, "reports"))
    return _reports_page(page, event, found)


def _reports_page(page: Page, event: dict[str, Any], report: dict[str, Any] | None) -> Response:
    """The form asking for a report, under the one asked for last (if any) and its status."""
    page.form_session()
    return page.render(
        "organize_reports.html",
        event=event,
        kinds=KINDS,
        formats=FORMATS,
        report=report,
        reports=_reports_of(page, event["id"]),
        section="reports",
    )


@fn.get("/organize/events/{event_id}/reports/{report_id}/download", **PAGE)
def download(request: Request, event_id: str, report_id: str) -> Response:
    page = Page.of(request)
    if not (is_uuid(event_id) and is_uuid(report_id)):
        return not_found(page)
    waiting = event_path(event_id, f"reports/{report_id}")
    if not page.signed_in:
        return page.redirect(f"/signin?next={waiting}")
    try:
        found = page.api.get(f"/reports/{report_id}")
        if found.get("status") != "ready" or not found.get("download_url"):
            return page.redirect(waiting)
        file = page.api.download(found["download_url"])
    except ApiError as failure:
        return refusal(page, failure, back=waiting)
    headers = {k: v for k, v in file.headers.items() if k.lower() in FILE_HEADERS}
    headers["Cache-Control"] = "no-store"  # a person's report stays out of shared caches
    return Response(file.content, headers=headers)
