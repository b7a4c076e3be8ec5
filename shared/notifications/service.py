"""Creating notifications and getting their mail sent, exactly as the rows say."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from shared.config import get_settings
from shared.db import after_commit, unit_of_work
from shared.notifications.models import MAX_MAIL_ATTEMPTS, DeliveryStatus, Notification

logger = logging.getLogger("eventmgr.notifications")


def notify_by_email(
    session: Session,
    *,
    kind: str,
    recipient: str,
    payload: dict[str, Any],
    user_id: uuid.UUID | None = None,
    locale: str = "en",
) -> Notification:
    """A notification row now; its mail task is enqueued once this transaction commits."""
    notification = Notification(
        id=uuid.uuid4(),
        user_id=user_id,
        kind=kind,
        recipient=recipient,
        locale=locale,
        payload=payload,
        email_status=DeliveryStatus.pending,
        attempts=0,
        enqueued_at=datetime.now(UTC),
    )
    session.add(notification)
    after_commit(session, lambda: enqueue([notification.id]))
    return notification


def enqueue(ids: list[uuid.UUID]) -> int:
    """Hand ids to Celery. A broker that is down only delays them: the sweep comes back."""
    from shared.celery_app import celery_app, trace_headers
    from shared.notifications.tasks import send_email

    celery_app()
    sent = 0
    for notification_id in ids:
        try:
            send_email.apply_async(
                args=[str(notification_id)], headers=trace_headers(), retry=False
            )
            sent += 1
        except Exception:
            logger.warning(
                "could not enqueue mail %s; the sweep will", notification_id, exc_info=True
            )
            break
    return sent


def sweep_pending(limit: int = 500) -> int:
    """Re-enqueue mail still pending (or stuck sending) after the timeout."""
    now = datetime.now(UTC)
    cutoff = now - timedelta(seconds=get_settings().task_pending_timeout_seconds)
    unsent = or_(
        Notification.email_status == DeliveryStatus.pending,
        (Notification.email_status == DeliveryStatus.sending) & (Notification.claimed_until < now),
    )
    with unit_of_work() as session:
        # Tried as often as allowed: stop, and say so, instead of sweeping it forever.
        session.execute(
            update(Notification)
            .where(unsent, Notification.attempts >= MAX_MAIL_ATTEMPTS)
            .values(
                email_status=DeliveryStatus.failed,
                claimed_until=None,
                last_error=func.coalesce(Notification.last_error, "gave up"),
            )
        )
        stale = (
            select(Notification.id)
            .where(
                unsent,
                or_(Notification.enqueued_at.is_(None), Notification.enqueued_at < cutoff),
            )
            .order_by(Notification.enqueued_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        ids = list(
            session.scalars(
                update(Notification)
                .where(Notification.id.in_(stale.scalar_subquery()))
                .values(enqueued_at=now)
                .returning(Notification.id),
                execution_options={"synchronize_session": False},
            )
        )
    return enqueue(ids)
