"""All SQL about users."""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from shared.db.search import contains_pattern
from shared.users.models import User


def name_or_email_contains(text: str) -> ColumnElement[bool]:
    """Case-insensitive and literal (no wildcards smuggled in)."""
    pattern = contains_pattern(text)
    return or_(User.email.ilike(pattern, escape="\\"), User.full_name.ilike(pattern, escape="\\"))


def by_email(session: Session, email: str, *, lock: bool = False) -> User | None:
    """`lock`: a shared row lock, so a password or access change waits for this transaction
    (and this one for it) instead of interleaving."""
    query = select(User).where(User.email == normalize_email(email))
    if lock:
        query = query.with_for_update(read=True)
    return session.scalar(query)


def by_id(session: Session, user_id: uuid.UUID, *, lock: bool = False) -> User | None:
    return session.get(User, user_id, with_for_update={"read": True} if lock else None)


def for_update(session: Session, user_id: uuid.UUID) -> User | None:
    """The exclusive lock a change of password, role or standing takes first."""
    return session.get(User, user_id, with_for_update=True)


def normalize_email(email: str) -> str:
    return email.strip().lower()
