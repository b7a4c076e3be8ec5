"""What mailed links do: verify an address, reset a password (their secrets are
`shared.users.one_time_tokens`). Also the signed-in user's own password change, which ends
the user's other login sessions."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from shared.accounts.errors import WrongPassword
from shared.auth.service import end_all_sessions, end_other_sessions
from shared.catalog import (
    UserPasswordChanged,
    UserPasswordResetRequested,
    UserVerificationRequested,
    UserVerified,
)
from shared.outbox.writer import emit
from shared.security.passwords import hash_password, verify_password
from shared.users import repository
from shared.users.models import TokenPurpose, User
from shared.users.one_time_tokens import redeem, spend_all


def verify_email(session: Session, secret: str) -> User:
    user = redeem(session, secret, TokenPurpose.verify_email)
    if not user.email_verified:
        user.email_verified = True
        spend_all(session, user.id, TokenPurpose.verify_email)
        emit(session, UserVerified(user_id=user.id))
    return user


def request_verification(session: Session, email: str) -> None:
    """Ask for a new link; says nothing about whether the account exists."""
    user = repository.by_email(session, email)
    if user is not None and user.is_active and not user.email_verified:
        emit(session, UserVerificationRequested(user_id=user.id))


def request_password_reset(session: Session, email: str) -> None:
    """Mail a reset link if the account exists; the caller answers the same either way."""
    user = repository.by_email(session, email)
    if user is not None and user.is_active:
        emit(session, UserPasswordResetRequested(user_id=user.id))


def reset_password(session: Session, secret: str, new_password: str) -> User:
    """Spend the link, set the password, end every session of the user, send a notice."""
    user = redeem(session, secret, TokenPurpose.reset_password)
    _set_password(session, user, new_password)
    end_all_sessions(session, user.id, "password-reset")
    return user


def change_password(
    session: Session,
    user_id: uuid.UUID,
    current_password: str,
    new_password: str,
    keep_session: uuid.UUID | None,
) -> None:
    """The signed-in user's own change: every other session ends, this one goes on."""
    user = repository.for_update(session, user_id)
    if user is None or not verify_password(user.password_hash, current_password):
        raise WrongPassword("The current password is not right.")
    _set_password(session, user, new_password)
    end_other_sessions(session, user.id, keep_session, "password-changed")


def _set_password(session: Session, user: User, new_password: str) -> None:
    user.password_hash = hash_password(new_password)
    spend_all(session, user.id, TokenPurpose.reset_password)
    emit(session, UserPasswordChanged(user_id=user.id))
