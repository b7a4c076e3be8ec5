"""All SQL of series: the series row and its dates with their events."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from shared.events.models import Event
from shared.events.series_models import Series, SeriesOccurrence


def get(session: Session, series_id: uuid.UUID, *, lock: bool = False) -> Series | None:
    return session.get(Series, series_id, with_for_update=lock, populate_existing=lock)


def dates(session: Session, series_id: uuid.UUID) -> list[tuple[SeriesOccurrence, Event | None]]:
    """Every date of the rule, with its event (None once deleted), in order."""
    rows = session.execute(
        select(SeriesOccurrence, Event)
        .outerjoin(Event, Event.id == SeriesOccurrence.event_id)
        .where(SeriesOccurrence.series_id == series_id)
        .order_by(SeriesOccurrence.recurrence_id)
    ).all()
    return [(date, event) for date, event in rows]


def of_organizer(
    session: Session,
    organizer_id: uuid.UUID,
    *,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Series]:
    """The series this person organizes, newest first, keyset-paginated on (created_at, id)."""
    query = select(Series).where(Series.organizer_id == organizer_id)
    if before is not None:
        query = query.where(tuple_(Series.created_at, Series.id) < tuple_(*before))
    order = (Series.created_at.desc(), Series.id.desc())
    return list(session.scalars(query.order_by(*order).limit(limit)))
