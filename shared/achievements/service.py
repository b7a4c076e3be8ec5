"""The rules applied to verified actions, and what a person and the leaderboards read.

Every consumer reads the current state of the registration (the source of truth) rather than
trusting the CloudEvent's order, and awards through the unique key: a duplicate, a late or a
concurrent delivery of the same action awards nothing more.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from shared.achievements import cache, repository
from shared.achievements.repository import Choice
from shared.achievements.rules import (
    ATTENDANCE_MILESTONES,
    EARLY_CANCELLATION,
    HOSTING_MILESTONES,
    RULES,
    name_of,
)
from shared.achievements.schemas import (
    Achievement,
    Gamification,
    Leaderboard,
    LeaderboardRow,
    MyAchievements,
    Period,
    ReliabilityOut,
)
from shared.catalog import AchievementAwarded
from shared.db import after_commit, unit_of_work
from shared.events.models import Event
from shared.events.statuses import EventStatus
from shared.metrics import ACHIEVEMENTS_AWARDED
from shared.outbox.writer import emit
from shared.registrations.models import RegistrationStatus

LEADERBOARD_SIZE = 50
# Every rule's series exists from the start: a dashboard's rate() shows 0, not "no data".
for _code in RULES:
    ACHIEVEMENTS_AWARDED.labels(_code)


# --- the choice ----------------------------------------------------------------------------


def gamification(session: Session, user_id: uuid.UUID) -> Gamification:
    choice = repository.choice_of(session, user_id)
    return Gamification(enabled=choice.enabled, public=choice.public)


def choose(session: Session, user_id: uuid.UUID, wanted: Gamification) -> Gamification:
    choice = repository.save_choice(session, user_id, wanted.enabled, wanted.public)
    cache.forget_after_commit(session)
    return Gamification(enabled=choice.enabled, public=choice.public)


# --- the rules -----------------------------------------------------------------------------


def _award(session: Session, user_id: uuid.UUID, code: str, scope: str, at: datetime) -> None:
    """Only an award actually inserted is announced (`notify` tells the person), from the
    outbox row written with it: a repeated rule inserts nothing and emits nothing."""
    if repository.award(session, user_id, code, scope, at):
        emit(
            session,
            AchievementAwarded(
                user_id=user_id, rule=code, scope=scope, points=RULES[code].points, awarded_at=at
            ),
        )
        after_commit(session, ACHIEVEMENTS_AWARDED.labels(code).inc)


def checked_in(session: Session, registration_id: uuid.UUID) -> None:
    """Points to the person for attending, and badges to them and to the event's hosts (its
    organizer and co-organizers)."""
    found = repository.registration_with_event(session, registration_id)
    if found is None:
        return
    registration, event = found
    if registration.status != RegistrationStatus.checked_in or registration.checked_in_at is None:
        return
    at = registration.checked_in_at
    person = registration.user_id
    if repository.choice_of(session, person).earns_at(at):
        repository.hold_person(session, person)
        _award(session, person, "attended", str(event.id), at)
        attended = repository.awards_of_rule(session, person, "attended")
        for needed, code in ATTENDANCE_MILESTONES.items():
            if attended >= needed:
                _award(session, person, code, "", at)
    for host in repository.hosts_of(session, event):
        _hosting(session, host, event.id)


def _hosting(session: Session, host_id: uuid.UUID, event_id: uuid.UUID) -> None:
    """The hosting badges of one host (the organizer or a co-organizer), each once per event:
    the unique key, not the order of check-ins, keeps them single."""
    choice = repository.choice_of(session, host_id)
    if not choice.enabled:
        return
    for needed, code in HOSTING_MILESTONES.items():
        reached_at = repository.nth_check_in(session, event_id, needed)
        if reached_at is not None and choice.earns_at(reached_at):
            _award(session, host_id, code, str(event_id), reached_at)


def joined_team(session: Session, event_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """A co-organizer added after the event's check-ins still earns what its hosts earned:
    the team as it is now decides (a role changed again since earns nothing here)."""
    event = session.get(Event, event_id)
    if event is not None and user_id in repository.hosts_of(session, event):
        _hosting(session, user_id, event_id)


SEAT_HOLDING = (RegistrationStatus.confirmed, RegistrationStatus.offered)


def cancelled(
    session: Session, registration_id: uuid.UUID, by_user_id: uuid.UUID, previous: str | None
) -> None:
    """Giving a limited seat back early enough for someone else to take it (leaving the
    waitlist gives no seat back)."""
    found = repository.registration_with_event(session, registration_id)
    if found is None:
        return
    registration, event = found
    at = registration.cancelled_at
    if (
        registration.status != RegistrationStatus.cancelled
        or at is None
        or by_user_id != registration.user_id
        or previous not in SEAT_HOLDING
        or event.capacity is None
        or event.status == EventStatus.cancelled
        or at > event.starts_at - EARLY_CANCELLATION
    ):
        return
    if repository.choice_of(session, registration.user_id).earns_at(at):
        _award(session, registration.user_id, "seat_released", str(event.id), at)


def reviewed(
    session: Session, event_id: uuid.UUID, user_id: uuid.UUID, at: datetime | None
) -> None:
    """A review counts only from someone who was checked in at the event."""
    if repository.checked_in_at(session, event_id, user_id) is None:
        return
    moment = at or datetime.now(UTC)
    if repository.choice_of(session, user_id).earns_at(moment):
        _award(session, user_id, "reviewed", str(event_id), moment)


# --- reading -------------------------------------------------------------------------------


def my_achievements(user_id: uuid.UUID) -> MyAchievements:
    """Points and badges (kept while opted out, earned only while in) and the attendance
    record, which is the person's own whatever they chose."""
    with unit_of_work() as session:
        locale = repository.locale_of(session, user_id)
        badges = [
            Achievement(code=code, name=name_of(RULES[code], locale), awarded_at=at)
            for code, at in repository.badges_of(session, user_id)
        ]
        record = repository.reliability_of(session, user_id, datetime.now(UTC))
        points = repository.points_of(session, user_id)
    return MyAchievements(
        points=points,
        achievements=badges,
        reliability=ReliabilityOut(
            attended=record.attended,
            no_shows=record.no_shows,
            late_cancellations=record.late_cancellations,
        ),
    )


def _period_start(period: Period, now: datetime) -> datetime | None:
    if period is Period.month:
        return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if period is Period.year:
        return now.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    return None


def leaderboard(period: Period) -> bytes:
    lookup = cache.LEADERBOARDS.get(cache.ALL, period.value)
    if lookup.value is not None:
        return lookup.value
    since = _period_start(period, datetime.now(UTC))
    with unit_of_work() as session:
        rows = repository.leaderboard(session, since, LEADERBOARD_SIZE)
    body = Leaderboard(
        items=[LeaderboardRow(user_id=u, display_name=n, points=p) for u, n, p in rows]
    ).model_dump_json()
    cache.LEADERBOARDS.store(cache.ALL, period.value, lookup, body.encode())
    return body.encode()


__all__ = ["Choice", "cancelled", "checked_in", "choose", "leaderboard", "reviewed"]
