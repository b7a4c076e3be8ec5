"""Rules about series: making one, who sees and changes it, and changing its future dates.

A series is made in one transaction: the rule is checked and expanded first (nothing is
stored when it is refused), then every date becomes an event through the same
`create_event` as the API. Changing a series changes each event still to come through the
same `update_event` as PATCH /events/{id}: the same checks, and the same `event.updated`
that tells its registered people; dates already begun keep what they showed.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from shared.catalog import SeriesCreated, SeriesUpdated
from shared.events.models import Event
from shared.events.schemas import EventUpdate
from shared.events.series_models import Series, SeriesOccurrence
from shared.events.service import create_event, is_visible, rights_over
from shared.events.statuses import EventStatus
from shared.organizing.changes import CALENDAR_FIELDS, publish_event, update_event
from shared.outbox.writer import emit
from shared.pagination import cursor_at, time_and_id
from shared.series import repository
from shared.series.errors import NotSeriesOwner, SeriesNotFound
from shared.series.rules import checked_rule, expand
from shared.series.schemas import (
    SeriesCreate,
    SeriesDate,
    SeriesList,
    SeriesPublic,
    SeriesSummary,
    SeriesUpdate,
)
from shared.teams.rights import EventRight

TIMES = {"starts_at", "ends_at", "rrule"}


def create_series(session: Session, organizer_id: uuid.UUID, data: SeriesCreate) -> SeriesPublic:
    rule = checked_rule(data.rrule, data.starts_at, data.timezone)
    dates = expand(rule, data.starts_at, data.ends_at, data.timezone)
    fields = data.model_dump(mode="json", exclude=TIMES)
    series = Series(
        organizer_id=organizer_id,
        rrule=rule,
        timezone=data.timezone,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        fields=fields,
        sequence=0,
    )
    session.add(series)
    session.flush()
    made = []
    for starts_at, ends_at in dates:
        occurrence = data.model_copy(update={"starts_at": starts_at, "ends_at": ends_at})
        event = create_event(session, organizer_id, occurrence)
        event.series_id = series.id
        session.add(
            SeriesOccurrence(series_id=series.id, recurrence_id=starts_at, event_id=event.id)
        )
        made.append(event)
    session.flush()
    session.refresh(series)
    emit(
        session,
        SeriesCreated(
            series_id=series.id,
            organizer_id=organizer_id,
            rrule=rule,
            timezone=series.timezone,
            event_ids=[e.id for e in made],
        ),
    )
    return _public(series, [(None, e) for e in made], session, organizer_id, False)


def visible_series(
    session: Session,
    series_id: uuid.UUID,
    viewer_id: uuid.UUID | None,
    viewer_is_admin: bool,
    *,
    lock: bool = False,
) -> tuple[Series, list[tuple[SeriesOccurrence, Event | None]]]:
    """The series and its dates, for whoever may see one of its events (drafts are seen by
    their organizer, team and admins only); 404 for anyone else, as for a missing one.
    `lock`: a change to the series waits for another one to finish."""
    series = repository.get(session, series_id, lock=lock)
    if series is None:
        raise SeriesNotFound(f"No series {series_id}.")
    dates = repository.dates(session, series_id)
    if viewer_is_admin or series.organizer_id == viewer_id:
        return series, dates
    if any(e is not None and is_visible(session, e, viewer_id, False) for _, e in dates):
        return series, dates
    raise SeriesNotFound(f"No series {series_id}.")


def get_series(
    session: Session, series_id: uuid.UUID, viewer_id: uuid.UUID | None, viewer_is_admin: bool
) -> SeriesPublic:
    series, dates = visible_series(session, series_id, viewer_id, viewer_is_admin)
    return _public(series, dates, session, viewer_id, viewer_is_admin)


def update_series(
    session: Session,
    series_id: uuid.UUID,
    actor_id: uuid.UUID,
    actor_is_admin: bool,
    data: SeriesUpdate,
) -> SeriesPublic:
    """Every occurrence that has not begun and is not cancelled gets the change (`status:
    published` publishes those still drafts, as POST /events/{id}/publish does); all or
    nothing (one refused, e.g. a capacity below its confirmed seats, refuses the whole)."""
    series, dates = visible_series(session, series_id, actor_id, actor_is_admin, lock=True)
    now = datetime.now(UTC)
    future = [
        event
        for _, event in dates
        if event is not None and event.starts_at > now and event.status != EventStatus.cancelled
    ]
    owner = actor_is_admin or series.organizer_id == actor_id
    if not owner and (
        not future
        or any(EventRight.manage not in rights_over(session, e, actor_id, False) for e in future)
    ):
        raise NotSeriesOwner(
            "Only the series' organizer, a co-organizer of all its coming dates or an admin "
            "may change it."
        )
    change = data.model_dump(mode="json", exclude_unset=True)
    edit = EventUpdate.model_validate({k: v for k, v in change.items() if k != "status"})
    for event in future:
        update_event(session, event.id, actor_id, actor_is_admin, edit)
        if change.get("status") == "published":
            publish_event(session, event.id, actor_id, actor_is_admin)
    changed = sorted(field for field in change if series.fields.get(field) != change[field])
    if changed:
        series.fields = {**series.fields, **change}
        if CALENDAR_FIELDS & set(changed):
            series.sequence += 1
        session.flush()
        session.refresh(series)
        emit(
            session,
            SeriesUpdated(
                series_id=series.id,
                organizer_id=series.organizer_id,
                changes=changed,
                event_ids=[e.id for e in future],
            ),
        )
    # The events changed are the ones in `dates` (one session, one identity map).
    return _public(series, dates, session, actor_id, actor_is_admin)


def my_series(
    session: Session, organizer_id: uuid.UUID, *, cursor: str | None, limit: int
) -> SeriesList:
    """The series the caller organizes, newest first."""
    before = time_and_id(cursor) if cursor else None
    rows = repository.of_organizer(session, organizer_id, before=before, limit=limit + 1)
    page = rows[:limit]
    next_cursor = None
    if len(rows) > limit and page:
        next_cursor = cursor_at(page[-1].created_at, page[-1].id)
    return SeriesList(items=[_summary(series) for series in page], next_cursor=next_cursor)


def _summary(series: Series) -> SeriesSummary:
    return SeriesSummary(
        id=series.id,
        organizer_id=series.organizer_id,
        rrule=series.rrule,
        timezone=series.timezone,
        starts_at=series.starts_at,
        ends_at=series.ends_at,
        title=str(series.fields.get("title", "")),
        created_at=series.created_at,
        updated_at=series.updated_at,
    )


def _public(
    series: Series,
    dates: Sequence[tuple[SeriesOccurrence | None, Event | None]],
    session: Session,
    viewer_id: uuid.UUID | None,
    viewer_is_admin: bool,
) -> SeriesPublic:
    """The series with its dates; each date's details only for a viewer who may see that
    event (the organizer and admins see all of them)."""
    events = [e for _, e in dates if e is not None]
    everything = viewer_is_admin or series.organizer_id == viewer_id
    shown = [e for e in events if everything or is_visible(session, e, viewer_id, False)]
    fields = series.fields
    return SeriesPublic(
        **_summary(series).model_dump(),
        description=str(fields.get("description", "")),
        category=str(fields.get("category", "")),
        venue=fields.get("venue"),
        online_url=fields.get("online_url"),
        capacity=fields.get("capacity"),
        occurrences=[e.id for e in events],
        dates=[_date(e) for e in shown],
    )


def _date(event: Event) -> SeriesDate:
    return SeriesDate(
        id=event.id,
        title=event.title,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        timezone=event.timezone,
        status=event.status.value,
        capacity=event.capacity,
        seats_taken=event.seats_taken,
        seats_left=None if event.capacity is None else event.capacity - event.seats_taken,
        waitlist_count=event.waitlist_count,
    )
