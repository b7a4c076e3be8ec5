from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from shared.audit.models import AuditEntry


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
