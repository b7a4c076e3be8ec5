"""Creating notifications and getting their mail sent, exactly as the rows say."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, update
from sqlalchemy.orm import Session

from shared.config import get_settings
from shared.db import after_commit, unit_of_work
from shared.db.handover import hand_over
from shared.notifications.delivery.channels import EMAIL, PUSH, Channel
from shared.notifications.kinds import Kind, kind_named
from shared.notifications.mails.rendering import P
from shared.notifications.models import MAX_MAIL_ATTEMPTS, DeliveryStatus, Notification
from shared.notifications.schemas import Payload
from shared.users.models import User

logger = logging.getLogger("eventmgr.notifications")


def notify(
    session: Session,
    *,
    kind: Kind[P] | str,
    recipient: str,
    payload: P | Mapping[str, Any],
    user_id: uuid.UUID | None = None,
    locale: str = "en",
    email: bool = True,
    push: bool = False,
) -> Notification:
    """A notification row now (the in-app list shows it); its mail and push tasks are
    enqueued once this transaction commits. A channel the person turned off is skipped.

    The kind is one of the kinds table (a name not there raises UnknownKind), the payload its
    model (a mapping is validated by it): a notice that could not be rendered is never stored.
    """
    known = kind if isinstance(kind, Kind) else kind_named(kind)
    parsed = payload if isinstance(payload, Payload) else known.payload.model_validate(payload)
    notification = Notification(
        id=uuid.uuid4(),
        user_id=user_id,
        kind=known.name,
        recipient=recipient,
        locale=locale,
        payload=known.stored(parsed),
        email_status=DeliveryStatus.pending if email else DeliveryStatus.skipped,
        last_error=None if email else "mail turned off",
        attempts=0,
        push_status=DeliveryStatus.pending if push else None,
        push_attempts=0,
        enqueued_at=datetime.now(UTC),
    )
    session.add(notification)
    _enqueue_after_commit(session, notification)
    return notification


def notify_person(
    session: Session,
    person: User,
    kind: Kind[P],
    payload: P,
    *,
    email: bool = True,
    push: bool = False,
) -> Notification:
    """A notification to a person: to their address, in their language."""
    return notify(
        session,
        kind=kind,
        recipient=person.email,
        user_id=person.id,
        locale=person.locale,
        payload=payload,
        email=email,
        push=push,
    )


def _enqueue_after_commit(session: Session, notification: Notification) -> None:
    """Ids collect per transaction and go to Celery in batches: a notice to 5,000 people
    is 5 mail tasks, not 5,000."""
    batch: dict[str, list[uuid.UUID]] | None = session.info.get("notifications.enqueue")
    if batch is None:
        batch = session.info["notifications.enqueue"] = {"email": [], "push": []}
        ids = batch

        def hand_to_celery() -> None:
            enqueue(ids["email"])
            enqueue_push(ids["push"])

        after_commit(session, hand_to_celery)
    if notification.email_status == DeliveryStatus.pending:
        batch["email"].append(notification.id)
    if notification.push_status == DeliveryStatus.pending:
        batch["push"].append(notification.id)


def _chunks(ids: list[uuid.UUID]) -> list[list[str]]:
    size = get_settings().mail_batch_size
    return [[str(i) for i in ids[start : start + size]] for start in range(0, len(ids), size)]


def _hand(task: Any, ids: list[uuid.UUID]) -> int:
    """Hand ids to Celery. A broker that is down only delays them: the sweep comes back."""
    from shared.celery_app import celery_app, trace_headers

    celery_app()
    sent = 0
    for chunk in _chunks(ids):
        try:
            task.apply_async(args=[chunk], headers=trace_headers(), retry=False)
            sent += len(chunk)
        except Exception:
            logger.warning("could not enqueue %d notifications; the sweep will", len(chunk))
            break
    return sent


def enqueue(ids: list[uuid.UUID]) -> int:
    from shared.notifications.delivery.tasks import send_emails

    return _hand(send_emails, ids)


def enqueue_push(ids: list[uuid.UUID]) -> int:
    from shared.notifications.delivery.tasks import send_pushes

    return _hand(send_pushes, ids)


def sweep_pending(limit: int = 500) -> int:
    """Re-enqueue mail and push still pending (or stuck sending) after the timeout."""
    return enqueue(_stale(EMAIL, limit)) + enqueue_push(_stale(PUSH, limit))


def _stale(channel: Channel, limit: int) -> list[uuid.UUID]:
    now = datetime.now(UTC)
    cutoff = now - timedelta(seconds=get_settings().task_pending_timeout_seconds)
    unsent = channel.unsent(now)
    gave_up: dict[Any, Any] = {channel.status: DeliveryStatus.failed, channel.claimed_until: None}
    if channel.last_error is not None:
        gave_up[channel.last_error] = func.coalesce(channel.last_error, "gave up")
    with unit_of_work() as session:
        # Tried as often as allowed: stop, and say so, instead of sweeping it forever.
        session.execute(
            update(Notification)
            .where(unsent, channel.attempts >= MAX_MAIL_ATTEMPTS)
            .values(gave_up)
        )
        return hand_over(session, Notification, unsent, cutoff, limit)
