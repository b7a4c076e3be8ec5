"""`send_email(notification_id)`: render and send one notification's mail, once.

The task claims the row (pending → sending, with a lease) before sending, so a duplicate
task finds nothing to do; a worker that dies mid-send leaves a lease that runs out, and the
sweep sends again (mail is at-least-once, never silently lost).
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from celery import shared_task
from sqlalchemy import or_, update

from shared.config import get_settings
from shared.db import unit_of_work
from shared.mail import MailDeliveryError, compose, get_mailer
from shared.metrics import MAIL_SENT
from shared.notifications.models import MAX_MAIL_ATTEMPTS, DeliveryStatus, Notification
from shared.notifications.templates import render

logger = logging.getLogger("eventmgr.mail")
LEASE = timedelta(minutes=5)


def claim(notification_id: uuid.UUID) -> Notification | None:
    now = datetime.now(UTC)
    with unit_of_work() as session:
        return session.scalars(
            update(Notification)
            .where(
                Notification.id == notification_id,
                Notification.attempts < MAX_MAIL_ATTEMPTS,
                or_(
                    Notification.email_status == DeliveryStatus.pending,
                    (Notification.email_status == DeliveryStatus.sending)
                    & (Notification.claimed_until < now),
                ),
            )
            .values(
                email_status=DeliveryStatus.sending,
                claimed_until=now + LEASE,
                attempts=Notification.attempts + 1,
            )
            .returning(Notification),
            execution_options={"synchronize_session": False},
        ).first()


def _give_up(notification: Notification, error: Exception) -> str:
    finish(notification.id, DeliveryStatus.failed, f"{type(error).__name__}: {error}")
    logger.warning("mail failed for good", extra={"error.message": str(error)})
    return "failed"


def finish(notification_id: uuid.UUID, status: DeliveryStatus, error: str | None) -> None:
    with unit_of_work() as session:
        session.execute(
            update(Notification)
            .where(Notification.id == notification_id)
            .values(
                email_status=status,
                claimed_until=None,
                last_error=error[:1000] if error else None,
                sent_at=datetime.now(UTC) if status == DeliveryStatus.sent else None,
            )
        )


@shared_task(name="notifications.send_email", bind=True, max_retries=MAX_MAIL_ATTEMPTS)
def send_email(self: Any, notification_id: str) -> str:
    notification = claim(uuid.UUID(notification_id))
    if notification is None:
        return "skipped"  # sent already, given up, or another worker holds it
    backend = "unknown"
    try:
        rendered = render(notification)
        message = compose(
            sender=get_settings().mail_from,
            to=notification.recipient,
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
        )
        mailer = get_mailer()
        backend = type(mailer).__name__.removesuffix("Mailer").lower()
        mailer.send(message)
    except MailDeliveryError as error:
        if error.retryable and notification.attempts < MAX_MAIL_ATTEMPTS:
            MAIL_SENT.labels(backend, "retried").inc()
            finish(notification.id, DeliveryStatus.pending, str(error))
            raise self.retry(countdown=min(600, 2**notification.attempts)) from error
        MAIL_SENT.labels(backend, "failed").inc()
        return _give_up(notification, error)
    except Exception as error:
        # A bug or bad data (unknown kind, missing field): retrying would fail the same way.
        logger.exception("mail could not be prepared")
        MAIL_SENT.labels(backend, "failed").inc()
        return _give_up(notification, error)
    MAIL_SENT.labels(backend, "sent").inc()
    finish(notification.id, DeliveryStatus.sent, None)
    logger.info(
        "mail sent",
        extra={"notification.id": notification_id, "notification.kind": notification.kind},
    )
    return "sent"
