"""The notifications domain's queries: a person's in-app list, and who hears about an event."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import bindparam, delete, literal_column, select, text, tuple_
from sqlalchemy.orm import Session

from shared.notifications.models import QUOTED_MESSAGE, QUOTING_KINDS, Notification
from shared.pagination import time_and_id
from shared.registrations.models import Registration, RegistrationStatus
from shared.users.models import User


def inbox_rows(
    session: Session,
    user_id: uuid.UUID,
    kinds: Iterable[str],
    *,
    cursor: str | None,
    limit: int,
) -> list[Notification]:
    """A person's rows of these kinds, newest first, after the cursor; `limit` of them."""
    query = select(Notification).where(
        Notification.user_id == user_id, Notification.kind.in_(list(kinds))
    )
    if cursor:
        query = query.where(
            tuple_(Notification.created_at, Notification.id) < tuple_(*time_and_id(cursor))
        )
    return list(
        session.scalars(
            query.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)
        )
    )


def delete_unread_quoting(session: Session, message_id: uuid.UUID) -> int:
    """Deletes the unread reply and mention notices quoting the message; answers how many.
    Written as `ix_notifications_message` is, so the planner uses it."""
    result = session.execute(
        delete(Notification).where(
            text(QUOTING_KINDS),
            literal_column(QUOTED_MESSAGE) == bindparam("message_id", str(message_id)),
            Notification.read_at.is_(None),
        ),
        execution_options={"synchronize_session": False},
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def registered_people(session: Session, event_id: uuid.UUID) -> list[User]:
    """The active people holding a seat or a waitlist place, in registration order."""
    return list(
        session.scalars(
            select(User)
            .join(Registration, Registration.user_id == User.id)
            .where(
                Registration.event_id == event_id,
                Registration.status != RegistrationStatus.cancelled,
                User.is_active.is_(True),
            )
            .order_by(Registration.queue_seq)
        )
    )


def active_people(session: Session, ids: list[uuid.UUID]) -> list[User]:
    """The active ones among these people, in the order given (one query for all)."""
    people = {
        person.id: person
        for person in session.scalars(
            select(User).where(User.id.in_(ids), User.is_active.is_(True))
        )
    }
    return [people[i] for i in ids if i in people]
