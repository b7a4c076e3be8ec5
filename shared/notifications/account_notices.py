"""The mails about an account's safety: verify the address, reset the password, the password
was changed. They go whatever the settings say, to the account as it is now: the CloudEvent
may arrive late or twice, so an account gone inactive (or verified meanwhile) hears nothing.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from shared.notifications import kinds
from shared.notifications.kinds import Kind
from shared.notifications.schemas import NoPayload
from shared.notifications.service import notify_person
from shared.users import repository as users
from shared.users.models import User


def verification_requested(session: Session, user_id: uuid.UUID) -> None:
    """Signed up, or asked again: the link, unless the address is verified by now."""
    user = _account_holder(session, user_id)
    if user is not None and not user.email_verified:
        _mail(session, user, kinds.VERIFY_EMAIL)


def password_reset_requested(session: Session, user_id: uuid.UUID) -> None:
    user = _account_holder(session, user_id)
    if user is not None:
        _mail(session, user, kinds.RESET_PASSWORD)


def password_changed(session: Session, user_id: uuid.UUID) -> None:
    user = _account_holder(session, user_id)
    if user is not None:
        _mail(session, user, kinds.PASSWORD_CHANGED)


def _account_holder(session: Session, user_id: uuid.UUID) -> User | None:
    user = users.by_id(session, user_id)
    return user if user is not None and user.is_active else None


def _mail(session: Session, user: User, kind: Kind[NoPayload]) -> None:
    notify_person(session, user, kind, NoPayload())
