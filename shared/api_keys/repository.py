"""All SQL about API keys."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.security.models import ApiKey
from shared.users.models import User


def live_of(session: Session, user_id: uuid.UUID) -> list[ApiKey]:
    return list(
        session.scalars(
            select(ApiKey)
            .where(ApiKey.user_id == user_id, ApiKey.revoked_at.is_(None))
            .order_by(ApiKey.created_at, ApiKey.id)
        )
    )


def all_of(session: Session, user_id: uuid.UUID) -> list[ApiKey]:
    return list(
        session.scalars(
            select(ApiKey).where(ApiKey.user_id == user_id).order_by(ApiKey.created_at, ApiKey.id)
        )
    )


def hold_person(session: Session, user_id: uuid.UUID) -> None:
    """Serialize one person's key creations, so two at once cannot both pass the cap.
    FOR NO KEY UPDATE: it still lets the key rows' foreign keys share-lock the person."""
    session.execute(select(User.id).where(User.id == user_id).with_for_update(key_share=True))


def count_live(session: Session, user_id: uuid.UUID) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(ApiKey)
            .where(ApiKey.user_id == user_id, ApiKey.revoked_at.is_(None))
        )
        or 0
    )


def live_for_update(session: Session, user_id: uuid.UUID, key_id: uuid.UUID) -> ApiKey | None:
    return session.scalar(
        select(ApiKey)
        .where(ApiKey.id == key_id, ApiKey.user_id == user_id, ApiKey.revoked_at.is_(None))
        .with_for_update()
    )
