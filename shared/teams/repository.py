"""All SQL about event teams."""

from __future__ import annotations

import uuid

from sqlalchemy import Select, delete, select
from sqlalchemy.orm import Session

from shared.teams.models import TeamMember, TeamRole
from shared.users.models import User


def role_of(session: Session, event_id: uuid.UUID, user_id: uuid.UUID) -> TeamRole | None:
    return session.scalar(
        select(TeamMember.role).where(
            TeamMember.event_id == event_id, TeamMember.user_id == user_id
        )
    )


def member(session: Session, event_id: uuid.UUID, user_id: uuid.UUID) -> TeamMember | None:
    return session.get(TeamMember, (event_id, user_id))


def members(session: Session, event_id: uuid.UUID) -> list[tuple[TeamMember, User]]:
    """In the order they were added."""
    query = (
        select(TeamMember, User)
        .join(User, User.id == TeamMember.user_id)
        .where(TeamMember.event_id == event_id)
        .order_by(TeamMember.added_at, TeamMember.user_id)
    )
    return [(row, person) for row, person in session.execute(query)]


def events_of(user_id: uuid.UUID) -> Select[uuid.UUID]:
    """The ids of the events this person is on the team of, as a subquery."""
    return select(TeamMember.event_id).where(TeamMember.user_id == user_id)


def memberships_of(session: Session, user_id: uuid.UUID) -> list[TeamMember]:
    return list(
        session.scalars(
            select(TeamMember).where(TeamMember.user_id == user_id).order_by(TeamMember.added_at)
        )
    )


def leave_every_team(session: Session, user_id: uuid.UUID) -> None:
    session.execute(delete(TeamMember).where(TeamMember.user_id == user_id))
