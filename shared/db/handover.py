"""Taking work rows whose task was lost, so a sweep hands each to Celery again exactly once.

Rows are chosen oldest first and locked with SKIP LOCKED, so two sweeps at once split the rows
between them instead of both taking the same ones; the chosen rows are stamped `enqueued_at =
now`, so the next sweep leaves them alone until the timeout passes again.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session


def hand_over(
    session: Session, model: Any, waiting: ColumnElement[bool], cutoff: datetime, limit: int
) -> list[uuid.UUID]:
    """Ids of up to `limit` rows matching `waiting` not handed over since `cutoff`."""
    stale = (
        select(model.id)
        .where(waiting, or_(model.enqueued_at.is_(None), model.enqueued_at < cutoff))
        .order_by(model.enqueued_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(
        session.scalars(
            update(model)
            .where(model.id.in_(stale.scalar_subquery()))
            .values(enqueued_at=datetime.now(UTC))
            .returning(model.id),
            execution_options={"synchronize_session": False},
        )
    )
