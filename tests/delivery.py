"""Doing the dispatcher's part in-process: POST recorded CloudEvents to one consumer."""

from __future__ import annotations

from sqlalchemy import select

from shared.db import unit_of_work
from shared.outbox.models import OutboxMessage
from tests.kit.test_app import INTERNAL


def deliver_outbox(client, function: str, types: tuple[str, ...]) -> list[int]:
    """Every outbox row whose type starts with one of these (after `org.eventmanager.`),
    oldest first, as the dispatcher would send it (binary mode, internal token); answers the
    consumer's status codes. Those it handled before, it skips itself."""
    prefixes = tuple(f"org.eventmanager.{kind}" for kind in types)
    with unit_of_work() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.created_at)).all()
    statuses = []
    for row in rows:
        if not row.type.startswith(prefixes):
            continue
        response = client.post(
            f"/function/{function}/",
            json=row.data,
            headers={
                **INTERNAL,
                "ce-specversion": "1.0",
                "ce-type": row.type,
                "ce-source": row.source,
                "ce-id": str(row.id),
            },
        )
        statuses.append(response.status_code)
    return statuses
