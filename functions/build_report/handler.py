"""Reports on demand: asked for here and answered at once (202), built by the worker, read
back here with a fresh download link once ready."""

import uuid
from typing import Annotated

from fastapi import Header, Query, Response
from fastapi.responses import HTMLResponse
from mangum import Mangum

from shared.db import unit_of_work
from shared.events.errors import EventNotFound, NotEventOwner
from shared.kit import CurrentUser, Function, Organizer
from shared.pagination import DEFAULT_LIMIT, MAX_LIMIT
from shared.ratelimit import TooManyRequests
from shared.reports import service
from shared.reports.errors import NotYourReport, OrganizerNotFound, ReportNotFound
from shared.reports.page import SCRIPT_PATH, download_page, download_script
from shared.reports.schemas import EventReports, ReportAccepted, ReportPublic, ReportRequest
from shared.users.service import locale_from_accept_language

fn = Function(
    "build_report",
    summary="Reports in CSV, XLSX and PDF: asked for, built in the background, downloaded.",
    secrets=(
        "rabbitmq_url",
        "cursor_secret",
        "storage_url_secret",
        "s3_access_key",
        "s3_secret_key",
    ),
    extras=("reports",),
)


@fn.post(
    "/api/v1/reports",
    status_code=202,
    response_model=ReportAccepted,
    errors=(
        EventNotFound,
        NotEventOwner,
        NotYourReport,
        OrganizerNotFound,
        TooManyRequests,
    ),
)
def request_report(body: ReportRequest, user: Organizer) -> ReportAccepted:
    with unit_of_work() as session:
        return service.request_report(session, user.user_id, user.is_admin, body)


@fn.get(
    "/api/v1/reports/{report_id}",
    response_model=ReportPublic,
    response_model_exclude_none=True,
    errors=(ReportNotFound, NotYourReport),
)
def get_report(report_id: uuid.UUID, user: CurrentUser) -> ReportPublic:
    with unit_of_work() as session:
        return service.report_for(session, report_id, user.user_id, user.is_admin)


@fn.get(
    "/api/v1/events/{event_id}/reports",
    response_model=EventReports,
    errors=(EventNotFound, NotEventOwner),
    description="The reports asked for this event (by its organizer, co-organizers or "
    "admins), newest first, each with its state and, once ready, a fresh download link.",
)
def event_reports(
    event_id: uuid.UUID,
    user: CurrentUser,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> EventReports:
    with unit_of_work() as session:
        return service.reports_of_event(
            session, event_id, user.user_id, user.is_admin, cursor=cursor, limit=limit
        )


# Declared before the page: its path would otherwise be read as a report id.
@fn.get(SCRIPT_PATH, include_in_schema=False)
def page_script() -> Response:
    return download_script()


@fn.get("/reports/{report_id}", response_class=HTMLResponse)
def report_page(
    report_id: uuid.UUID, accept_language: Annotated[str | None, Header()] = None
) -> HTMLResponse:
    """The page the "report ready" mail opens: sign in, then the download starts."""
    return download_page(report_id, locale_from_accept_language(accept_language))


app = fn.app()
handler = Mangum(app, lifespan="off")
