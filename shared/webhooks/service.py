"""Webhooks' rules: who may subscribe what, which CloudEvents reach which webhook, and handing
due deliveries to Celery (the sending itself is sending.py, run by tasks.py)."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from shared.catalog import CloudEventData
from shared.db import after_commit, unit_of_work
from shared.pagination import cursor_at, time_and_id
from shared.webhooks import repository, targets
from shared.webhooks.errors import DeliveryNotFound, TooManyWebhooks, WebhookNotFound
from shared.webhooks.models import (
    MAX_WEBHOOKS_PER_OWNER,
    SEND_TASK,
    DeliveryStatus,
    Webhook,
)
from shared.webhooks.ownership import owner_of
from shared.webhooks.schemas import (
    DeliveryPage,
    DeliveryPublic,
    WebhookCreate,
    WebhookCreated,
    WebhookList,
    WebhookPublic,
)
from shared.webhooks.signing import new_secret

logger = logging.getLogger("eventmgr.webhooks")
SWEEP_BATCH = 500


def create(session: Session, owner_id: uuid.UUID, asked: WebhookCreate) -> WebhookCreated:
    # Refused now rather than failing every delivery later; checked again at each connection.
    targets.resolve(targets.parse(asked.url))
    if repository.count_of_owner(session, owner_id) >= MAX_WEBHOOKS_PER_OWNER:
        raise TooManyWebhooks(f"An account keeps at most {MAX_WEBHOOKS_PER_OWNER} webhooks.")
    webhook = Webhook(
        id=uuid.uuid4(),
        owner_id=owner_id,
        url=asked.url,
        types=asked.types,
        description=asked.description,
        secret=new_secret(),
    )
    session.add(webhook)
    session.flush()
    session.refresh(webhook, ["created_at"])
    return WebhookCreated(
        **WebhookPublic.model_validate(webhook).model_dump(), secret=webhook.secret
    )


def mine(session: Session, owner_id: uuid.UUID) -> WebhookList:
    return WebhookList(
        items=[WebhookPublic.model_validate(w) for w in repository.of_owner(session, owner_id)]
    )


def _owned(session: Session, webhook_id: uuid.UUID, owner_id: uuid.UUID) -> Webhook:
    webhook = repository.owned(session, webhook_id, owner_id)
    if webhook is None:
        raise WebhookNotFound(f"No webhook {webhook_id}.")
    return webhook


def one(session: Session, webhook_id: uuid.UUID, owner_id: uuid.UUID) -> WebhookPublic:
    return WebhookPublic.model_validate(_owned(session, webhook_id, owner_id))


def delete(session: Session, webhook_id: uuid.UUID, owner_id: uuid.UUID) -> None:
    """Its pending deliveries go with it: nothing more is sent to that URL."""
    session.delete(_owned(session, webhook_id, owner_id))


def deliveries(
    session: Session,
    webhook_id: uuid.UUID,
    owner_id: uuid.UUID,
    *,
    cursor: str | None,
    limit: int,
) -> DeliveryPage:
    """The delivery log, newest first."""
    _owned(session, webhook_id, owner_id)
    before = time_and_id(cursor) if cursor else None
    rows = repository.deliveries(session, webhook_id, before, limit + 1)
    page = rows[:limit]
    next_cursor = None
    if len(rows) > limit and page:
        next_cursor = cursor_at(page[-1].created_at, page[-1].id)
    return DeliveryPage(
        items=[DeliveryPublic.model_validate(d) for d in page], next_cursor=next_cursor
    )


def redeliver(
    session: Session, webhook_id: uuid.UUID, delivery_id: uuid.UUID, owner_id: uuid.UUID
) -> DeliveryPublic:
    """An attempt now, with the same `webhook-id` (receivers deduplicate on it), whatever
    the delivery's state; a failed one that fails again stays failed."""
    _owned(session, webhook_id, owner_id)
    delivery = repository.delivery(session, webhook_id, delivery_id)
    if delivery is None:
        raise DeliveryNotFound(f"No delivery {delivery_id} of webhook {webhook_id}.")
    delivery.status = DeliveryStatus.pending
    delivery.next_attempt_at = datetime.now(UTC)
    session.flush()
    after_commit(session, lambda: enqueue([webhook_id]))
    return DeliveryPublic.model_validate(delivery)


def structured(
    cloudevent_id: str,
    cloudevent_type: str,
    source: str,
    subject: str | None,
    time: datetime | None,
    data: CloudEventData,
) -> dict[str, Any]:
    """The CloudEvent in structured JSON mode, as a webhook's body carries it."""
    body: dict[str, Any] = {
        "specversion": "1.0",
        "id": cloudevent_id,
        "type": cloudevent_type,
        "source": source,
        "datacontenttype": "application/json",
    }
    if subject is not None:
        body["subject"] = subject
    if time is not None:
        body["time"] = time.isoformat()
    body["data"] = data.model_dump(mode="json")
    return body


def record(session: Session, payload: dict[str, Any], data: CloudEventData) -> int:
    """One delivery per subscribed webhook, in the consumer's transaction; handed to Celery
    once committed. A CloudEvent seen again adds nothing (unique per webhook and id)."""
    subscribed = repository.subscribed(session, payload["type"])
    if not subscribed:
        return 0  # most CloudEvents: no need to look up whose it is
    owner = owner_of(session, data)
    webhooks = [w for w, by_admin in subscribed if by_admin or w.owner_id == owner]
    now = datetime.now(UTC)
    rows: list[dict[str, object]] = [
        {
            "id": uuid.uuid4(),
            "webhook_id": webhook.id,
            "cloudevent_id": payload["id"],
            "cloudevent_type": payload["type"],
            "payload": payload,
            "status": DeliveryStatus.pending,
            "next_attempt_at": now,
        }
        for webhook in webhooks
    ]
    added = repository.add_deliveries(session, rows)
    if added:
        after_commit(session, lambda: enqueue(added))
    return len(added)


def enqueue(webhook_ids: list[uuid.UUID], countdown: float = 0) -> int:
    """Hand webhooks to Celery. A broker that is down only delays them: the sweep comes back."""
    from shared.celery_app import celery_app, trace_headers

    app = celery_app()
    sent = 0
    for webhook_id in webhook_ids:
        try:
            app.send_task(
                SEND_TASK,
                args=[str(webhook_id)],
                countdown=countdown or None,
                headers=trace_headers(),
                retry=False,
                ignore_result=True,
            )
        except Exception:
            logger.warning("could not enqueue %d webhooks; the sweep will", len(webhook_ids) - sent)
            break
        sent += 1
    return sent


def sweep() -> int:
    """Hand Celery the webhooks with deliveries due and no sender: tasks lost with a broker,
    and waits too long for a countdown (the later steps of the schedule)."""
    with unit_of_work() as session:
        due = repository.due_webhooks(session, datetime.now(UTC), SWEEP_BATCH)
    return enqueue(due) if due else 0
