"""A person's notification settings, and which channels reach each of a batch of people."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, field_validator
from sqlalchemy import exists, func, select, true
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shared.notifications.models import (
    DEFAULT_REMINDERS,
    REMINDER_KINDS,
    NotificationSettings,
    PushSubscription,
)
from shared.users.models import User
from shared.validation import Flag, RequestModel

ReminderKind = Literal["24h", "1h"]


class Preferences(BaseModel):
    email: bool
    push: bool
    reminders: list[ReminderKind]


class PreferencesUpdate(RequestModel):
    """PUT replaces the settings whole: every field is required."""

    email: Flag
    push: Flag
    reminders: list[ReminderKind]

    @field_validator("reminders")
    @classmethod
    def _once_each(cls, value: list[str]) -> list[str]:
        # Stored in a fixed order, so equal settings read back equal.
        return [kind for kind in REMINDER_KINDS if kind in value]


DEFAULTS = Preferences(email=True, push=True, reminders=list(DEFAULT_REMINDERS))


def preferences_of(session: Session, user_id: uuid.UUID) -> Preferences:
    row = session.get(NotificationSettings, user_id)
    if row is None:
        return DEFAULTS
    return Preferences(email=row.email, push=row.push, reminders=list(row.reminders))


def save(session: Session, user_id: uuid.UUID, update: PreferencesUpdate) -> Preferences:
    values = update.model_dump()
    session.execute(
        insert(NotificationSettings)
        .values(user_id=user_id, **values)
        .on_conflict_do_update(index_elements=["user_id"], set_=values)
    )
    return Preferences(**values)


def stop_email(session: Session, user_id: uuid.UUID) -> bool:
    """One-click unsubscribe: mail off, the rest as it was. False when there is no such
    person (a valid link whose account row was removed)."""
    if session.get(User, user_id) is None:
        return False
    session.execute(
        insert(NotificationSettings)
        .values(user_id=user_id, email=False, push=True, reminders=list(DEFAULT_REMINDERS))
        .on_conflict_do_update(index_elements=["user_id"], set_={"email": False})
    )
    return True


@dataclass(frozen=True)
class Reach:
    """How a notice reaches one person: mail if they want it; push if they want it and
    have a subscription to push to."""

    email: bool
    push: bool


def reach_of(session: Session, user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Reach]:
    """One query for a whole audience (an event can have thousands of people)."""
    subscribed = exists().where(PushSubscription.user_id == User.id)
    rows = session.execute(
        select(
            User.id,
            func.coalesce(NotificationSettings.email, true()),
            func.coalesce(NotificationSettings.push, true()) & subscribed,
        )
        .outerjoin(NotificationSettings, NotificationSettings.user_id == User.id)
        .where(User.id.in_(set(user_ids)))
    )
    return {user_id: Reach(email=email, push=push) for user_id, email, push in rows}
