"""Recording CloudEvents: a row in the outbox, in the same transaction as the change.

Right after the commit the rows are handed to the process's background publisher
(`shared.outbox.background`), which publishes them in batches and marks them sent once the
broker confirmed them; whatever is left is swept by `relay_outbox`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import cast

from sqlalchemy import Insert, Table, insert
from sqlalchemy.orm import Session

from shared import logs, process_state
from shared.catalog import CATALOG, CloudEventData
from shared.db import after_commit
from shared.outbox.models import OutboxMessage

_PENDING = "outbox_pending"
_COLUMNS = ("id", "type", "source", "subject", "data", "traceparent", "created_at", "attempts")


@process_state.cached
def _insert() -> Insert:
    return insert(cast(Table, OutboxMessage.__table__))


def source() -> str:
    return f"/eventmanager/{logs.function_name.get()}"


def current_traceparent() -> str | None:
    trace, span = logs.trace_id.get(), logs.span_id.get()
    return f"00-{trace}-{span}-01" if trace and span else None


def emit(session: Session, data: CloudEventData) -> uuid.UUID:
    cloudevent_type = type(data).cloudevent_type
    if CATALOG.get(cloudevent_type) is not type(data):
        raise ValueError(f"{cloudevent_type} is not in the CloudEvent catalog")
    row = OutboxMessage(
        id=uuid.uuid4(),
        type=cloudevent_type,
        source=source(),
        subject=data.subject(),
        data=data.model_dump(mode="json"),
        traceparent=current_traceparent(),
        created_at=datetime.now(UTC),
        attempts=0,
    )
    # A Core INSERT built once, not the ORM's unit of work: on a join's path the flush of this
    # one row cost as much CPU as the statement taking the seat.
    session.execute(_insert(), {column: getattr(row, column) for column in _COLUMNS})
    pending: list[OutboxMessage] | None = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = []
        after_commit(session, lambda: _publish_committed(session.info.pop(_PENDING, [])))
    pending.append(row)
    return row.id


def _publish_committed(rows: list[OutboxMessage]) -> None:
    from shared.outbox.background import hand

    hand(rows)
