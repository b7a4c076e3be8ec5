"""All SQL about gamification choices, awards and the attendance record."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shared.achievements.models import Award, GamificationChoice
from shared.achievements.rules import EARLY_CANCELLATION, RULES
from shared.events.models import Event
from shared.events.statuses import EventStatus
from shared.registrations.models import Registration, RegistrationStatus
from shared.teams.models import TeamMember, TeamRole
from shared.users.models import User


@dataclass(frozen=True)
class Choice:
    enabled: bool = False
    public: bool = False
    enabled_since: datetime | None = None

    def earns_at(self, moment: datetime) -> bool:
        """Opted in, and the action happened since: nothing is awarded retroactively."""
        return self.enabled and self.enabled_since is not None and moment >= self.enabled_since


def choice_of(session: Session, user_id: uuid.UUID) -> Choice:
    row = session.get(GamificationChoice, user_id)
    if row is None:
        return Choice()
    return Choice(row.enabled, row.public, row.enabled_since)


def save_choice(session: Session, user_id: uuid.UUID, enabled: bool, public: bool) -> Choice:
    table = GamificationChoice.__table__
    statement = insert(GamificationChoice).values(
        user_id=user_id,
        enabled=enabled,
        public=public,
        enabled_since=func.now() if enabled else None,
    )
    # Opting in again starts a new period of earning; staying in keeps the old start.
    since = case(
        (and_(statement.excluded.enabled, table.c.enabled), table.c.enabled_since),
        (statement.excluded.enabled, func.now()),
        else_=None,
    )
    row = session.execute(
        statement.on_conflict_do_update(
            index_elements=[GamificationChoice.user_id],
            set_={
                "enabled": statement.excluded.enabled,
                "public": statement.excluded.public,
                "enabled_since": since,
                "updated_at": func.now(),
            },
        ).returning(
            GamificationChoice.enabled, GamificationChoice.public, GamificationChoice.enabled_since
        )
    ).one()
    return Choice(row.enabled, row.public, row.enabled_since)


def hold_person(session: Session, user_id: uuid.UUID) -> None:
    """Serialize one person's awards: a milestone counts the awards committed before it."""
    key = func.hashtextextended(f"achievements:{user_id}", 0)
    session.execute(select(func.pg_advisory_xact_lock(key)))


def award(session: Session, user_id: uuid.UUID, code: str, scope: str, at: datetime) -> bool:
    """True when the award is new; a second one of the same rule and scope is nothing."""
    inserted = session.execute(
        insert(Award)
        .values(user_id=user_id, rule=code, scope=scope, points=RULES[code].points, awarded_at=at)
        .on_conflict_do_nothing(constraint="uq_achievement_awards_once")
        .returning(Award.id)
    ).first()
    return inserted is not None


def awards_of_rule(session: Session, user_id: uuid.UUID, code: str) -> int:
    return (
        session.scalar(select(func.count()).where(Award.user_id == user_id, Award.rule == code))
        or 0
    )


def registration_with_event(
    session: Session, registration_id: uuid.UUID
) -> tuple[Registration, Event] | None:
    row = session.execute(
        select(Registration, Event)
        .join(Event, Event.id == Registration.event_id)
        .where(Registration.id == registration_id)
    ).first()
    return None if row is None else (row[0], row[1])


def checked_in_at(session: Session, event_id: uuid.UUID, user_id: uuid.UUID) -> datetime | None:
    return session.scalar(
        select(func.min(Registration.checked_in_at)).where(
            Registration.event_id == event_id,
            Registration.user_id == user_id,
            Registration.status == RegistrationStatus.checked_in,
        )
    )


def hosts_of(session: Session, event: Event) -> list[uuid.UUID]:
    """Who hosts the event: its organizer and its co-organizers (stewards help at the door,
    they do not organize), as the team is now."""
    co_organizers = session.scalars(
        select(TeamMember.user_id)
        .where(TeamMember.event_id == event.id, TeamMember.role == TeamRole.co_organizer)
        .order_by(TeamMember.user_id)
    )
    return [event.organizer_id, *co_organizers]


def nth_check_in(session: Session, event_id: uuid.UUID, n: int) -> datetime | None:
    """When the n-th person was checked in at the event (None: not that many yet)."""
    return session.scalar(
        select(Registration.checked_in_at)
        .where(
            Registration.event_id == event_id,
            Registration.status == RegistrationStatus.checked_in,
            Registration.checked_in_at.is_not(None),
        )
        .order_by(Registration.checked_in_at)
        .offset(n - 1)
        .limit(1)
    )


def points_of(session: Session, user_id: uuid.UUID) -> int:
    return (
        session.scalar(
            select(func.coalesce(func.sum(Award.points), 0)).where(Award.user_id == user_id)
        )
        or 0
    )


def badges_of(session: Session, user_id: uuid.UUID) -> list[tuple[str, datetime]]:
    """Each listed achievement once, with when it was first earned."""
    shown = [code for code, rule in RULES.items() if rule.names]
    rows = session.execute(
        select(Award.rule, func.min(Award.awarded_at).label("first"))
        .where(Award.user_id == user_id, Award.rule.in_(shown))
        .group_by(Award.rule)
        .order_by("first", Award.rule)
    )
    return [(row.rule, row.first) for row in rows]


def locale_of(session: Session, user_id: uuid.UUID) -> str:
    return session.scalar(select(User.locale).where(User.id == user_id)) or "en"


def leaderboard(
    session: Session, since: datetime | None, limit: int
) -> list[tuple[uuid.UUID, str, int]]:
    """Opted-in public people only, as their choice is now."""
    points = func.sum(Award.points).label("points")
    statement = (
        select(User.id, User.full_name, points)
        .join(Award, Award.user_id == User.id)
        .join(GamificationChoice, GamificationChoice.user_id == User.id)
        .where(GamificationChoice.enabled, GamificationChoice.public, User.is_active)
        .group_by(User.id)
        .order_by(points.desc(), User.id)
        .limit(limit)
    )
    if since is not None:
        statement = statement.where(Award.awarded_at >= since)
    return [(row.id, row.full_name, int(row.points)) for row in session.execute(statement)]


@dataclass(frozen=True)
class Reliability:
    attended: int
    no_shows: int
    late_cancellations: int


def reliability_of(session: Session, user_id: uuid.UUID, now: datetime) -> Reliability:
    """From the registrations themselves; events the organizer cancelled count for nothing."""
    r = Registration
    late = and_(
        r.status == RegistrationStatus.cancelled,
        r.cancelled_at > Event.starts_at - EARLY_CANCELLATION,
        # An offer left to expire is not a seat given back late.
        r.offer_expires_at.is_(None) | (r.cancelled_at < r.offer_expires_at),
    )
    no_show = and_(r.status == RegistrationStatus.confirmed, Event.ends_at < now)
    row = session.execute(
        select(
            func.count().filter(r.status == RegistrationStatus.checked_in),
            func.count().filter(no_show),
            func.count().filter(late),
        )
        .select_from(r)
        .join(Event, Event.id == r.event_id)
        .where(r.user_id == user_id, Event.status != EventStatus.cancelled)
    ).one()
    return Reliability(row[0], row[1], row[2])
