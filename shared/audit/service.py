from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from shared.audit import repository
from shared.audit.models import AuditEntry
from shared.audit.schemas import AuditEntryPublic, AuditPage
from shared.pagination import cursor_at, time_and_id


def record(
    session: Session,
    actor_id: uuid.UUID,
    action: str,
    target_type: str,
    target_id: uuid.UUID | str,
    **details: Any,
) -> None:
    session.add(
        AuditEntry(
            actor_id=actor_id,
            action=action,
            target_type=target_type,
            target_id=str(target_id),
            details=details,
        )
    )


def entries(
    session: Session,
    *,
    actor_id: uuid.UUID | None,
    action: str | None,
    target_id: str | None,
    cursor: str | None,
    limit: int,
) -> AuditPage:
    """The log newest first, narrowed by who acted, what they did and to what."""
    found = repository.newest_first(
        session,
        actor_id=actor_id,
        action=action,
        target_id=target_id,
        after=time_and_id(cursor) if cursor else None,
        limit=limit + 1,
    )
    page = found[:limit]
    next_cursor = cursor_at(page[-1].created_at, page[-1].id) if len(found) > limit else None
    return AuditPage(
        items=[AuditEntryPublic.model_validate(entry) for entry in page], next_cursor=next_cursor
    )
