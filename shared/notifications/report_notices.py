"""Telling a requester that their report is ready or failed. Current state decides, not the
CloudEvent: a report removed meanwhile, or a requester no longer active, hears nothing."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from shared.events.models import Event
from shared.notifications import kinds
from shared.notifications.preferences import reach_of
from shared.notifications.schemas import ReportNotice
from shared.notifications.service import notify_person
from shared.reports.models import Report, ReportStatus
from shared.users.models import User

KINDS = {ReportStatus.ready: kinds.REPORT_READY, ReportStatus.failed: kinds.REPORT_FAILED}


def report_finished(session: Session, report_id: uuid.UUID, status: ReportStatus) -> None:
    report = session.get(Report, report_id)
    if report is None or report.status != status:
        return
    person = session.get(User, report.requester_id)
    if person is None or not person.is_active:
        return
    event = session.get(Event, report.event_id) if report.event_id else None
    reach = reach_of(session, [person.id])[person.id]
    notify_person(
        session,
        person,
        KINDS[status],
        ReportNotice(
            report_id=report.id,
            kind=report.kind.value,
            format=report.format.value,
            event_id=event.id if event else None,
            title=event.title if event else None,
            error=report.error,
        ),
        email=reach.email,
        push=reach.push,
    )
