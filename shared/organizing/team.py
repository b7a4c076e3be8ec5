"""The organizer (or an admin) manages an event's team: add or re-role someone, list, remove.

Here rather than in `teams`: the rule of who may do it is the events' (`owned_event`), and
events read the team to apply it, so `teams` sits below events and these use cases above.
Every change is audited and emits its CloudEvent (the person is told by `notify`). The event
row is locked first, so concurrent changes to one team apply one after the other.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from shared.audit.service import record
from shared.catalog import TeamMemberAdded, TeamMemberRemoved
from shared.events.service import owned_event
from shared.outbox.writer import emit
from shared.teams import repository
from shared.teams.errors import AccountNotFound, OrganizerNotTeamMember, TeamMemberNotFound
from shared.teams.models import TeamMember
from shared.teams.rights import EventRight
from shared.teams.schemas import TeamList, TeamMemberIn, TeamMemberPublic
from shared.users import repository as users
from shared.users.models import User


def add_member(
    session: Session,
    event_id: uuid.UUID,
    actor_id: uuid.UUID,
    actor_is_admin: bool,
    data: TeamMemberIn,
) -> TeamMemberPublic:
    """Adding someone already on the team gives them the role asked for (nothing changes, and
    nobody is told, when it is the one they have)."""
    event = owned_event(session, event_id, actor_id, actor_is_admin, right=EventRight.team)
    person = users.by_email(session, str(data.email))
    if person is None or not person.is_active:
        raise AccountNotFound(f"No account with the email {data.email}.")
    if person.id == event.organizer_id:
        raise OrganizerNotTeamMember("The organizer already holds every right over the event.")
    membership = repository.member(session, event_id, person.id)
    previous = membership.role if membership is not None else None
    if membership is None:
        membership = TeamMember(
            event_id=event_id, user_id=person.id, role=data.role, added_by=actor_id
        )
        session.add(membership)
    elif previous != data.role:
        membership.role = data.role
        membership.added_by = actor_id
    if previous != data.role:
        session.flush()
        session.refresh(membership)
        record(
            session,
            actor_id,
            "team.add",
            "event",
            event_id,
            user_id=str(person.id),
            role=data.role.value,
            previous_role=previous.value if previous else None,
        )
        emit(
            session,
            TeamMemberAdded(
                event_id=event_id,
                user_id=person.id,
                role=data.role.value,
                by_user_id=actor_id,
                previous_role=previous.value if previous else None,
            ),
        )
    return _public(membership, person)


def members(
    session: Session, event_id: uuid.UUID, actor_id: uuid.UUID, actor_is_admin: bool
) -> TeamList:
    owned_event(session, event_id, actor_id, actor_is_admin, right=EventRight.team, lock=False)
    return TeamList(
        items=[_public(row, person) for row, person in repository.members(session, event_id)]
    )


def remove_member(
    session: Session,
    event_id: uuid.UUID,
    user_id: uuid.UUID,
    actor_id: uuid.UUID,
    actor_is_admin: bool,
) -> None:
    owned_event(session, event_id, actor_id, actor_is_admin, right=EventRight.team)
    membership = repository.member(session, event_id, user_id)
    if membership is None:
        raise TeamMemberNotFound(f"User {user_id} is not on the team of event {event_id}.")
    role = membership.role.value
    session.delete(membership)
    session.flush()
    record(session, actor_id, "team.remove", "event", event_id, user_id=str(user_id), role=role)
    emit(
        session,
        TeamMemberRemoved(event_id=event_id, user_id=user_id, role=role, by_user_id=actor_id),
    )


def _public(membership: TeamMember, person: User) -> TeamMemberPublic:
    return TeamMemberPublic(
        user_id=person.id,
        email=person.email,
        role=membership.role,
        full_name=person.full_name,
        added_by=membership.added_by,
        added_at=membership.added_at,
    )
