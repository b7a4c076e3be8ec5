"""Rules about accounts: creating them."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared.catalog import UserRegistered
from shared.errors import NotFound
from shared.outbox.writer import emit
from shared.security.passwords import hash_password
from shared.users import repository
from shared.users.errors import EmailTaken
from shared.users.models import Role, User

SUPPORTED_LOCALES = ("en", "ru")


def locale_from_accept_language(header: str | None) -> str:
    """The first supported language the client prefers, else English."""
    for part in (header or "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in SUPPORTED_LOCALES:
            return tag
    return "en"


def create_user(
    session: Session,
    *,
    email: str,
    password: str,
    full_name: str,
    role: Role,
    email_verified: bool = False,
    locale: str = "en",
) -> User:
    user = User(
        email=repository.normalize_email(email),
        password_hash=hash_password(password),
        full_name=full_name,
        role=role,
        email_verified=email_verified,
        is_active=True,
        locale=locale,
        timezone="UTC",
    )
    try:
        # A savepoint: two sign-ups racing for one address meet the unique constraint here.
        with session.begin_nested():
            session.add(user)
    except IntegrityError as error:
        raise EmailTaken("An account with this email already exists.") from error
    emit(
        session,
        UserRegistered(
            user_id=user.id,
            email=user.email,
            full_name=user.full_name,
            role=user.role.value,
            locale=user.locale,
        ),
    )
    return user


def update_profile(session: Session, user_id: uuid.UUID, changes: dict[str, str]) -> User:
    user = repository.by_id(session, user_id)
    if user is None:
        raise NotFound("No such user.")
    for field, value in changes.items():
        setattr(user, field, value)
    session.flush()
    return user
