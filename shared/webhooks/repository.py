"""All SQL about webhooks, their deliveries and attempts."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import any_, func, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shared.users.models import Role, User
from shared.webhooks.models import DeliveryStatus, Webhook, WebhookAttempt, WebhookDelivery


def of_owner(session: Session, owner_id: uuid.UUID) -> list[Webhook]:
    return list(
        session.scalars(
            select(Webhook)
            .where(Webhook.owner_id == owner_id)
            .order_by(Webhook.created_at.desc(), Webhook.id)
        )
    )


def count_of_owner(session: Session, owner_id: uuid.UUID) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(Webhook).where(Webhook.owner_id == owner_id)
        )
        or 0
    )


def owned(session: Session, webhook_id: uuid.UUID, owner_id: uuid.UUID) -> Webhook | None:
    return session.scalar(
        select(Webhook).where(Webhook.id == webhook_id, Webhook.owner_id == owner_id)
    )


def subscribed(session: Session, cloudevent_type: str) -> list[tuple[Webhook, bool]]:
    """The webhooks of this type, each with whether its owner is an admin."""
    rows = session.execute(
        select(Webhook, User.role == Role.admin)
        .join(User, User.id == Webhook.owner_id)
        .where(any_(Webhook.types) == cloudevent_type)
    )
    return [(webhook, bool(is_admin)) for webhook, is_admin in rows]


def add_deliveries(session: Session, rows: list[dict[str, object]]) -> list[uuid.UUID]:
    """Insert the rows; a (webhook, CloudEvent) already there is left as it is. Answers the
    webhooks that got a new delivery."""
    if not rows:
        return []
    added = session.execute(
        insert(WebhookDelivery)
        .values(rows)
        .on_conflict_do_nothing(constraint="uq_webhook_deliveries_cloudevent")
        .returning(WebhookDelivery.webhook_id)
    )
    return sorted(set(added.scalars()))


def deliveries(
    session: Session,
    webhook_id: uuid.UUID,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[WebhookDelivery]:
    query = select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook_id)
    if before is not None:
        query = query.where(tuple_(WebhookDelivery.created_at, WebhookDelivery.id) < before)
    query = query.order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
    return list(session.scalars(query.limit(limit)))


def delivery(
    session: Session, webhook_id: uuid.UUID, delivery_id: uuid.UUID
) -> WebhookDelivery | None:
    return session.scalar(
        select(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.webhook_id == webhook_id)
        .with_for_update()
    )


def take_lease(session: Session, webhook_id: uuid.UUID, now: datetime, until: datetime) -> bool:
    taken = session.execute(
        update(Webhook)
        .where(
            Webhook.id == webhook_id,
            or_(Webhook.sending_until.is_(None), Webhook.sending_until < now),
        )
        .values(sending_until=until)
        .returning(Webhook.id)
    ).first()
    return taken is not None


def release_lease(session: Session, webhook_id: uuid.UUID) -> datetime | None:
    """Let the lease go; answers when this webhook's next pending delivery is due."""
    session.execute(update(Webhook).where(Webhook.id == webhook_id).values(sending_until=None))
    return session.scalar(
        select(func.min(WebhookDelivery.next_attempt_at)).where(
            WebhookDelivery.webhook_id == webhook_id,
            WebhookDelivery.status == DeliveryStatus.pending,
        )
    )


def next_due(
    session: Session, webhook_id: uuid.UUID, now: datetime
) -> tuple[WebhookDelivery, Webhook] | None:
    row = session.execute(
        select(WebhookDelivery, Webhook)
        .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
        .where(
            WebhookDelivery.webhook_id == webhook_id,
            WebhookDelivery.status == DeliveryStatus.pending,
            WebhookDelivery.next_attempt_at <= now,
        )
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(1)
    ).first()
    return (row[0], row[1]) if row is not None else None


def record_attempt(session: Session, attempt: WebhookAttempt) -> None:
    session.add(attempt)


def due_webhooks(session: Session, now: datetime, limit: int) -> list[uuid.UUID]:
    """Webhooks with a delivery due and no sender holding them: their task was lost, or the
    wait was too long to hand Celery as a countdown."""
    return list(
        session.scalars(
            select(WebhookDelivery.webhook_id)
            .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
            .where(
                WebhookDelivery.status == DeliveryStatus.pending,
                WebhookDelivery.next_attempt_at <= now,
                or_(Webhook.sending_until.is_(None), Webhook.sending_until < now),
            )
            .group_by(WebhookDelivery.webhook_id)
            .limit(limit)
        )
    )
