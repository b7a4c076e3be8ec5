"""Recording CloudEvents: a row in the outbox, in the same transaction as the change.

Right after the commit the rows are handed to the process's background publisher
(`shared.outbox.background`), which publishes them in batches and marks them sent once the
broker confirmed them; whatever is left is swept by `relay_outbox`.

`emit` writes the row with a statement of its own. A change that holds a hot row lock can
instead write it inside its own statement (`insert_from`, then `emitted`): taking a seat does,
so the event's row stays locked for that one statement and the commit, not for a round trip more.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Insert,
    String,
    Table,
    bindparam,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB
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
    row = new_row(data)
    # A Core INSERT built once, not the ORM's unit of work: on a join's path the flush of this
    # one row cost as much CPU as the statement taking the seat.
    session.execute(_insert(), {column: getattr(row, column) for column in _COLUMNS})
    emitted(session, row)
    return row.id


def new_row(data: CloudEventData) -> OutboxMessage:
    """The outbox row of this CloudEvent, not written yet."""
    cloudevent_type = type(data).cloudevent_type
    if CATALOG.get(cloudevent_type) is not type(data):
        raise ValueError(f"{cloudevent_type} is not in the CloudEvent catalog")
    return OutboxMessage(
        id=uuid.uuid4(),
        type=cloudevent_type,
        source=source(),
        subject=data.subject(),
        data=data.model_dump(mode="json"),
        traceparent=current_traceparent(),
        created_at=datetime.now(UTC),
        attempts=0,
    )


def insert_from(rows: FromClause, changes: dict[str, ColumnElement[Any]]) -> Insert:
    """An INSERT of one outbox row per row of `rows` (a CTE of the caller's statement): the
    row given to `parameters`, its data with the keys of `changes` set from `rows`' columns
    (what only the statement decides, such as a seat or a waitlist place)."""
    table = cast(Table, OutboxMessage.__table__)
    changed = func.jsonb_build_object(
        *(part for key, value in changes.items() for part in (literal(key, String), value))
    )
    data = bindparam("outbox_data", type_=JSONB).op("||", return_type=JSONB)(changed)
    columns = [
        data if name == "data" else bindparam(f"outbox_{name}", type_=table.c[name].type)
        for name in _COLUMNS
    ]
    return insert(table).from_select(_COLUMNS, select(*columns).select_from(rows))


def parameters(row: OutboxMessage) -> dict[str, Any]:
    """The bound values of an `insert_from` statement for this row."""
    return {f"outbox_{column}": getattr(row, column) for column in _COLUMNS}


def emitted(session: Session, row: OutboxMessage) -> None:
    """The row is written in this transaction (by `emit`, or by the caller's own statement
    made with `insert_from`, its data then set as written): published right after the commit."""
    pending: list[OutboxMessage] | None = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = []
        after_commit(session, lambda: _publish_committed(session.info.pop(_PENDING, [])))
    pending.append(row)


def _publish_committed(rows: list[OutboxMessage]) -> None:
    from shared.outbox.background import hand

    hand(rows)
