"""All SQL reading the audit log."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Select, select, tuple_
from sqlalchemy.orm import Session

from shared.audit.models import AuditEntry


def newest_first(
    session: Session,
    *,
    actor_id: uuid.UUID | None,
    action: str | None,
    target_id: str | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[AuditEntry]:
    query: Select[tuple[AuditEntry]] = select(AuditEntry)
    if actor_id is not None:
        query = query.where(AuditEntry.actor_id == actor_id)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    if target_id is not None:
        query = query.where(AuditEntry.target_id == target_id)
    if after is not None:
        query = query.where(tuple_(AuditEntry.created_at, AuditEntry.id) < tuple_(*after))
    order = (AuditEntry.created_at.desc(), AuditEntry.id.desc())
    return list(session.scalars(query.order_by(*order).limit(limit)))
