"""Abuse reports and what admins do about them.

Anyone signed in may report an event they can see. An event with open reports is *flagged*
and waits in the admins' queue with the events held for approval (`MODERATION_MODE=pre`) and
the hidden ones. Approving or hiding closes its open reports; every action is audited in the
same transaction and announced as a CloudEvent.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel
from sqlalchemy import CompoundSelect, Select, func, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared.audit.service import record
from shared.catalog import EventApproved, EventHidden, EventRestored
from shared.config import get_settings
from shared.events import repository as events
from shared.events.errors import EventNotFound
from shared.events.models import Event
from shared.events.schemas import EventPublic
from shared.events.service import visible_event
from shared.events.statuses import EventStatus, Moderation
from shared.moderation.errors import ModerationConflict
from shared.moderation.models import AbuseReport
from shared.outbox.writer import emit
from shared.pagination import cursor_at, time_and_id
from shared.ratelimit import limit

Queue = Literal["pending", "flagged", "hidden"]
Action = Literal["approve", "hide", "restore"]
REASONS_SHOWN = 5


class AbuseReportPublic(BaseModel):
    """One person's abuse report (not a statistics report: their OpenAPI names differ)."""

    reporter_id: uuid.UUID
    reason: str
    created_at: datetime


class QueueItem(BaseModel):
    event: EventPublic
    open_reports: int
    # The latest few open reports; `open_reports` counts them all.
    reports: list[AbuseReportPublic]


class QueuePage(BaseModel):
    items: list[QueueItem]
    next_cursor: str | None


def report_abuse(
    session: Session, event_id: uuid.UUID, reporter_id: uuid.UUID, is_admin: bool, reason: str
) -> None:
    limit(
        f"abuse-report:{reporter_id}",
        get_settings().reports_per_user_per_hour,
        3600,
        "Too many reports from this account; try again later.",
    )
    visible_event(session, event_id, reporter_id, is_admin)
    try:
        with session.begin_nested():
            session.execute(
                insert(AbuseReport)
                .values(id=uuid.uuid4(), event_id=event_id, reporter_id=reporter_id, reason=reason)
                .on_conflict_do_update(
                    index_elements=["event_id", "reporter_id"],
                    index_where=text("resolved_at IS NULL"),
                    set_={"reason": reason},
                )
            )
    except IntegrityError:
        # Deleted between the check and the insert (the foreign key caught it).
        raise EventNotFound(f"No event {event_id}.") from None


def _open_reports() -> Select[int]:
    return select(func.count()).where(
        AbuseReport.event_id == Event.id, AbuseReport.resolved_at.is_(None)
    )


def _queue_ids(which: Queue | None) -> Select[uuid.UUID] | CompoundSelect[uuid.UUID]:
    """The events in a queue, found from small sets (the partial index of events awaiting a
    decision, open reports), never by walking every event."""
    pending = select(Event.id).where(
        Event.moderation == Moderation.pending, Event.status == EventStatus.published
    )
    flagged = (
        select(Event.id)
        .join(AbuseReport, AbuseReport.event_id == Event.id)
        .where(AbuseReport.resolved_at.is_(None), Event.moderation == Moderation.approved)
    )
    if which == "pending":
        return pending
    if which == "flagged":
        return flagged
    if which == "hidden":
        return select(Event.id).where(Event.moderation == Moderation.hidden)
    return pending.union(flagged)


def queue(session: Session, which: Queue | None, *, cursor: str | None, limit: int) -> QueuePage:
    """Oldest first. Without `which`: what needs a decision (pending and flagged)."""
    members = _queue_ids(which).subquery()
    query = (
        select(Event, _open_reports().scalar_subquery())
        .where(Event.id.in_(select(members.c.id)))
        .options(events.with_tags())
    )
    if cursor:
        query = query.where(tuple_(Event.created_at, Event.id) > tuple_(*time_and_id(cursor)))
    rows = list(session.execute(query.order_by(Event.created_at, Event.id).limit(limit + 1)))
    page = rows[:limit]
    reasons = _latest_reports(session, [event.id for event, _ in page])
    items = [
        QueueItem(
            event=EventPublic.of(event), open_reports=count, reports=reasons.get(event.id, [])
        )
        for event, count in page
    ]
    next_cursor = None
    if len(rows) > limit:
        last = page[-1][0]
        next_cursor = cursor_at(last.created_at, last.id)
    return QueuePage(items=items, next_cursor=next_cursor)


def _latest_reports(
    session: Session, event_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[AbuseReportPublic]]:
    if not event_ids:
        return {}
    ranked = (
        select(
            AbuseReport,
            func.row_number()
            .over(partition_by=AbuseReport.event_id, order_by=AbuseReport.created_at.desc())
            .label("rank"),
        )
        .where(AbuseReport.event_id.in_(event_ids), AbuseReport.resolved_at.is_(None))
        .subquery()
    )
    rows = session.execute(
        select(ranked.c.event_id, ranked.c.reporter_id, ranked.c.reason, ranked.c.created_at)
        .where(ranked.c.rank <= REASONS_SHOWN)
        .order_by(ranked.c.created_at.desc())
    )
    found: dict[uuid.UUID, list[AbuseReportPublic]] = {}
    for event_id, reporter_id, reason, created_at in rows:
        found.setdefault(event_id, []).append(
            AbuseReportPublic(reporter_id=reporter_id, reason=reason, created_at=created_at)
        )
    return found


def moderate(
    session: Session, event_id: uuid.UUID, admin_id: uuid.UUID, action: Action, reason: str | None
) -> Event:
    event = events.get(session, event_id, for_update=True)
    if event is None:
        raise EventNotFound(f"No event {event_id}.")
    was = event.moderation
    if action == "approve":
        if was == Moderation.hidden:
            raise ModerationConflict("A hidden event is restored, not approved.")
        event.moderation = Moderation.approved
        if was == Moderation.pending:
            emit(session, EventApproved(event_id=event.id, by_user_id=admin_id, reason=reason))
    elif action == "hide":
        if was == Moderation.hidden:
            return event
        event.moderation = Moderation.hidden
        emit(session, EventHidden(event_id=event.id, by_user_id=admin_id, reason=reason))
    else:
        if was != Moderation.hidden:
            raise ModerationConflict("Only a hidden event can be restored.")
        event.moderation = Moderation.approved
        emit(session, EventRestored(event_id=event.id, by_user_id=admin_id, reason=reason))
    closed = _close_reports(session, event.id, admin_id, action)
    record(
        session,
        admin_id,
        f"event.{action}",
        "event",
        event.id,
        reason=reason,
        was=was.value,
        reports_closed=closed,
    )
    session.flush()
    session.refresh(event)
    return event


def _close_reports(session: Session, event_id: uuid.UUID, admin_id: uuid.UUID, action: str) -> int:
    result = session.execute(
        update(AbuseReport)
        .where(AbuseReport.event_id == event_id, AbuseReport.resolved_at.is_(None))
        .values(resolved_at=datetime.now(UTC), resolved_by=admin_id, resolution=action)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
