"""All SQL about users."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.users.models import User


def by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalize_email(email)))


def by_id(session: Session, user_id: uuid.UUID) -> User | None:
    return session.get(User, user_id)


def normalize_email(email: str) -> str:
    return email.strip().lower()
