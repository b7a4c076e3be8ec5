"""Statistics kept exact: refreshed from the source tables on every CloudEvent, read by role.

A refresh does not add or subtract what a CloudEvent says happened: it recounts the event
(and the person) it is about from `registrations` and `events`. So a CloudEvent delivered
twice, late, or before the one that preceded it leaves the same rollups, and at any quiet
moment they equal a GROUP BY over the source tables.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.orm import Session

from shared.analytics import cache, repository
from shared.analytics.errors import NotYourActivity
from shared.analytics.repository import RebuildCounts
from shared.analytics.schemas import (
    ActivityEvent,
    DayFigures,
    EventStatistics,
    PopularCategories,
    PopularCategory,
    UserActivity,
)
from shared.db import unit_of_work
from shared.errors import InvalidInput, NotFound
from shared.events.service import owned_event
from shared.events.withdrawn import WITHDRAWN_TITLE, is_withdrawn
from shared.teams.rights import EventRight
from shared.users import repository as users

STATISTICS = "statistics"


def refresh(session: Session, event_id: uuid.UUID, person_id: uuid.UUID | None = None) -> None:
    """Recount one event, its category day(s) and, when given, one person's part in it.

    Runs in the consumer's transaction. Locks: this event's, then its category keys' in
    sorted order; a concurrent refresh of the same event waits and then recounts what this
    one committed, so no update is lost.
    """
    repository.hold_for_refresh(session, event_id)
    before = repository.counted_under(session, event_id)
    after = repository.refresh_totals(session, event_id)
    # An event-wide change (its title, its moderation) shows in everyone's activity list.
    people = [person_id] if person_id is not None else repository.people_of(session, event_id)
    if after is None:
        people = repository.forget_event(session, event_id)
    else:
        repository.refresh_days(session, event_id)
        if person_id is not None:
            repository.refresh_person(session, person_id, event_id)
    # The key it was counted under and the one it is counted under now (a moved, hidden or
    # deleted event leaves the first).
    keys = sorted({c.key for c in (before, after) if c is not None and c.listed})
    repository.hold_categories(session, keys)
    for key in keys:
        repository.refresh_category(session, key)
    cache.forget_after_commit(session, event_id, people)


def rebuild() -> RebuildCounts:
    """Every rollup from scratch, in one transaction; refreshes wait for it, then go on."""
    with unit_of_work() as session:
        repository.hold_for_rebuild(session)
        return repository.rebuild(session)


# --- reading -------------------------------------------------------------------------------


def event_statistics(event_id: uuid.UUID, viewer_id: uuid.UUID, viewer_is_admin: bool) -> bytes:
    """The event's figures as JSON, for its organizer or an admin (others: 403, or 404 where
    they cannot see the event, as for every owner-only action)."""
    with unit_of_work() as session:
        owned_event(
            session, event_id, viewer_id, viewer_is_admin, right=EventRight.manage, lock=False
        )
        lookup = cache.EVENTS.get(str(event_id), STATISTICS)
        if lookup.value is not None:
            return lookup.value
        body = event_figures(session, event_id).model_dump_json().encode()
    cache.EVENTS.store(str(event_id), STATISTICS, lookup, body)
    return body


def event_figures(session: Session, event_id: uuid.UUID) -> EventStatistics:
    """The figures as the rollups hold them (what the endpoint answers, uncached). An event
    whose first CloudEvent is still on its way has nothing rolled up yet: zeros."""
    registrations, confirmed, waitlisted, offered, checked_in, cancelled = repository.event_totals(
        session, event_id
    ) or (0, 0, 0, 0, 0, 0)
    return EventStatistics(
        event_id=event_id,
        registrations=registrations,
        confirmed=confirmed,
        waitlisted=waitlisted,
        offered=offered,
        cancelled=cancelled,
        checked_in=checked_in,
        by_day=[
            DayFigures(date=day, registrations=made, cancellations=left, check_ins=came)
            for day, made, left, came in repository.event_days(session, event_id)
        ],
    )


def popular_categories(first: date | None, last: date | None, limit: int) -> bytes:
    """Categories by registrations for listed events starting between `first` and `last`
    (UTC dates, both included; open-ended when absent)."""
    if first is not None and last is not None and first > last:
        raise InvalidInput("`from` must not be after `to`.", field="from", where="query")
    cacheable = first is None and last is None
    lookup = cache.CATEGORIES.get(cache.ALL, str(limit)) if cacheable else None
    if lookup is not None and lookup.value is not None:
        return lookup.value
    with unit_of_work() as session:
        rows = repository.popular_categories(session, first, last, limit)
    items = [PopularCategory(category=c, events=e, registrations=r) for c, e, r in rows]
    body = PopularCategories(items=items).model_dump_json().encode()
    if lookup is not None:
        cache.CATEGORIES.store(cache.ALL, str(limit), lookup, body)
    return body


def user_activity(
    user_id: uuid.UUID, viewer_id: uuid.UUID, viewer_is_admin: bool, limit: int
) -> bytes:
    """A person's registrations, attendance and cancellations, for them and for admins."""
    if user_id != viewer_id and not viewer_is_admin:
        raise NotYourActivity("Only the person themself or an admin may see this.")
    key = f"activity:{limit}"
    with unit_of_work() as session:
        if users.by_id(session, user_id) is None:
            raise NotFound(f"No user {user_id}.")
        lookup = cache.PEOPLE.get(str(user_id), key)
        if lookup.value is not None:
            return lookup.value
        registered, attended, cancelled = repository.person_totals(session, user_id)
        events = [
            ActivityEvent(
                event_id=row.event_id,
                title=WITHDRAWN_TITLE if withdrawn else event.title,
                starts_at=event.starts_at,
                status=row.status,
                registered_at=row.registered_at,
                withdrawn=withdrawn,
            )
            for row, event in repository.person_events(session, user_id, limit)
            for withdrawn in [is_withdrawn(event, user_id)]
        ]
        activity = UserActivity(
            user_id=user_id,
            registered=registered,
            attended=attended,
            cancelled=cancelled,
            events=events,
        )
    body = activity.model_dump_json().encode()
    cache.PEOPLE.store(str(user_id), key, lookup, body)
    return body
