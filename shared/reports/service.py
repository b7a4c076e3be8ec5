"""Asking for reports and reading them back; handing them to Celery and sweeping up the lost.

A request is checked (who may report on what), recorded as a pending row and answered at
once; the row's id goes to Celery after the commit. The task (`shared.reports.tasks`) builds
the file; `sweep` hands Celery again what it lost, fails what was tried too often, and
removes reports older than `REPORT_RETENTION_DAYS` with their files.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, defer

from shared.catalog import ReportFailed
from shared.config import get_settings
from shared.db import after_commit, unit_of_work
from shared.events.models import Event
from shared.events.service import owned_event, rights_over
from shared.outbox.writer import emit
from shared.pagination import cursor_at, time_and_id
from shared.ratelimit import limit
from shared.reports import repository
from shared.reports.errors import NotYourReport, OrganizerNotFound, ReportNotFound
from shared.reports.models import BUILD_TASK, Report, ReportKind, ReportStatus, failure_of
from shared.reports.schemas import (
    EventReport,
    EventReports,
    ReportAccepted,
    ReportPublic,
    ReportRequest,
)
from shared.storage import get_storage
from shared.teams.rights import EventRight
from shared.users.models import Role

logger = logging.getLogger("eventmgr.reports")
HOUR = 3600
SWEEP_BATCH = 200


def request_report(
    session: Session, requester_id: uuid.UUID, is_admin: bool, asked: ReportRequest
) -> ReportAccepted:
    """Check what is asked, record it pending, enqueue its build once committed."""
    limit(
        f"report-request:{requester_id}",
        get_settings().report_requests_per_user_per_hour,
        HOUR,
        "Too many reports asked for from this account; try again later.",
    )
    organizer_id = None
    if asked.kind == ReportKind.event_attendance:
        assert asked.event_id is not None
        # 404 for an event the caller cannot see, 403 for one they see but do not run.
        owned_event(
            session, asked.event_id, requester_id, is_admin, right=EventRight.manage, lock=False
        )
    else:
        organizer_id = _summarized(session, requester_id, is_admin, asked.organizer_id)
    report = Report(
        id=uuid.uuid4(),
        requester_id=requester_id,
        kind=asked.kind,
        format=asked.format,
        event_id=asked.event_id,
        organizer_id=organizer_id,
        period_from=asked.period_from,
        period_to=asked.period_to,
        status=ReportStatus.pending,
        attempts=0,
        enqueued_at=datetime.now(UTC),
    )
    session.add(report)
    after_commit(session, lambda: enqueue([report.id]))
    return ReportAccepted(id=report.id)


def _summarized(
    session: Session, requester_id: uuid.UUID, is_admin: bool, organizer_id: uuid.UUID | None
) -> uuid.UUID:
    """Whose events a summary covers: the caller's own; an admin may name an organizer."""
    if organizer_id is None or organizer_id == requester_id:
        return requester_id
    if not is_admin:
        raise NotYourReport("Only admins may summarize another organizer's events.")
    organizer = repository.requester(session, organizer_id)
    if organizer is None or organizer.role == Role.participant:
        raise OrganizerNotFound(f"No organizer {organizer_id}.")
    return organizer_id


def report_for(
    session: Session, report_id: uuid.UUID, viewer_id: uuid.UUID, viewer_is_admin: bool
) -> ReportPublic:
    """The report's state for its requester, an admin, or (an event's report) whoever runs
    the event, as its list shows it to them; a fresh download link once ready. Anyone else
    learns nothing, not even that it exists (404)."""
    # The period is not needed here, and a row written before periods were checked may hold
    # one Python cannot read: leaving it out keeps such a report readable.
    report = session.get(
        Report,
        report_id,
        options=[
            defer(Report.period_from, raiseload=True),
            defer(Report.period_to, raiseload=True),
        ],
    )
    if report is None or not (
        viewer_is_admin
        or report.requester_id == viewer_id
        or _runs_its_event(session, report, viewer_id)
    ):
        raise ReportNotFound(f"No report {report_id}.")
    return _public(report)


def _runs_its_event(session: Session, report: Report, viewer_id: uuid.UUID) -> bool:
    if report.event_id is None:
        return False
    event = session.get(Event, report.event_id)
    return event is not None and EventRight.manage in rights_over(session, event, viewer_id, False)


def _public(report: Report) -> ReportPublic:
    """The report's state, with a fresh download link once ready."""
    url = None
    if report.status == ReportStatus.ready and report.object_key:
        ttl = timedelta(seconds=get_settings().report_url_ttl_seconds)
        url = get_storage().presigned_url(report.object_key, ttl, filename=report.filename)
    return ReportPublic(
        id=report.id,
        status=report.status,
        kind=report.kind,
        format=report.format,
        download_url=url,
        error=report.error if report.status == ReportStatus.failed else None,
    )


def reports_of_event(
    session: Session,
    event_id: uuid.UUID,
    viewer_id: uuid.UUID,
    viewer_is_admin: bool,
    *,
    cursor: str | None,
    limit: int,
) -> EventReports:
    """Every report asked for the event, by anyone of those who run it, newest first: they
    may each ask for the same ones (404 for an event the caller cannot see, 403 for one they
    see but do not run, as asking for a report answers)."""
    owned_event(session, event_id, viewer_id, viewer_is_admin, right=EventRight.manage, lock=False)
    before = time_and_id(cursor) if cursor else None
    rows = repository.of_event(session, event_id, before=before, limit=limit + 1)
    page = rows[:limit]
    next_cursor = None
    if len(rows) > limit and page:
        next_cursor = cursor_at(page[-1].created_at, page[-1].id)
    items = [
        EventReport(
            **_public(report).model_dump(),
            requester_id=report.requester_id,
            created_at=report.created_at,
            finished_at=report.finished_at,
        )
        for report in page
    ]
    return EventReports(items=items, next_cursor=next_cursor)


def enqueue(ids: list[uuid.UUID]) -> int:
    """Hand ids to Celery. A broker that is down only delays them: the sweep comes back."""
    from shared.celery_app import celery_app, trace_headers

    # By name: the task module imports the building, which must not import this module back.
    app = celery_app()
    sent = 0
    for report_id in ids:
        try:
            app.send_task(
                BUILD_TASK,
                args=[str(report_id)],
                headers=trace_headers(),
                retry=False,
                ignore_result=True,  # as the task itself would: nobody reads its result
            )
        except Exception:
            logger.warning("could not enqueue %d reports; the sweep will", len(ids) - sent)
            break
        sent += 1
    return sent


def sweep() -> dict[str, int]:
    """Re-enqueue lost builds, fail the exhausted ones (telling their requesters), and remove
    expired reports and their files. Safe to overlap: rows are claimed SKIP LOCKED."""
    settings = get_settings()
    now = datetime.now(UTC)
    with unit_of_work() as session:
        exhausted = repository.exhausted(session, SWEEP_BATCH)
        for report in exhausted:
            emit(session, ReportFailed(**failure_of(report)))
        cutoff = now - timedelta(seconds=settings.task_pending_timeout_seconds)
        lost = repository.stale(session, cutoff, SWEEP_BATCH)
    expired = _remove_expired(now - timedelta(days=settings.report_retention_days))
    return {"requeued": enqueue(lost) if lost else 0, "gave_up": len(exhausted), "removed": expired}


def _remove_expired(before: datetime) -> int:
    """Files first, then rows: a storage outage leaves both for the next sweep."""
    with unit_of_work() as session:
        gone = repository.expired(session, before, SWEEP_BATCH)
        storage = get_storage()
        for _, key in gone:
            if key:
                storage.delete(key)
    return len(gone)
