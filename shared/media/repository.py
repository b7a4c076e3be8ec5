"""All SQL about media."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.media.models import Media


def of_event(session: Session, event_id: uuid.UUID) -> Sequence[Media]:
    return session.scalars(
        select(Media).where(Media.event_id == event_id).order_by(Media.created_at, Media.id)
    ).all()


def count_of_event(session: Session, event_id: uuid.UUID) -> int:
    return session.scalar(select(func.count()).where(Media.event_id == event_id)) or 0


def one_of_event(session: Session, event_id: uuid.UUID, media_id: uuid.UUID) -> Media | None:
    return session.scalar(select(Media).where(Media.id == media_id, Media.event_id == event_id))
