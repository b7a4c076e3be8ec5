"""Creating notifications and getting their mail sent, exactly as the rows say."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, text, update
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
MAIL_OFF = "mail turned off"


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
        last_error=None if email else MAIL_OFF,
        attempts=0,
        push_status=DeliveryStatus.pending if push else None,
        push_attempts=0,
        enqueued_at=datetime.now(UTC),
    )
    session.add(notification)
    _note_pending(session, notification)
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


@dataclass(frozen=True)
class Addressee:
    """Who a notice of `notify_many` goes to, and by which channels (see `reach_of`)."""

    user_id: uuid.UUID
    recipient: str
    locale: str
    email: bool
    push: bool


# One statement for a whole audience: the rows as arrays, one element per notification (see
# `notification_arrays`). `{only}` may narrow them (a reminder run keeps those it recorded).
INSERT_MANY_SQL = (
    "INSERT INTO notifications (id, user_id, kind, recipient, locale, payload, email_status,"
    " last_error, attempts, push_status, push_attempts, enqueued_at)"
    " SELECT id, user_id, :kind, recipient, locale, payload::jsonb, email_status, last_error,"
    " 0, push_status, 0, :now"
    " FROM unnest(CAST(:ids AS uuid[]), CAST(:user_ids AS uuid[]), CAST(:recipients AS text[]),"
    " CAST(:locales AS text[]), CAST(:payloads AS text[]), CAST(:email_statuses AS text[]),"
    " CAST(:last_errors AS text[]), CAST(:push_statuses AS text[]))"
    " AS rows (id, user_id, recipient, locale, payload, email_status, last_error, push_status)"
    "{only}"
)
_INSERT_MANY = text(INSERT_MANY_SQL.format(only=""))


def notification_arrays(
    kind: Kind[P], notices: Sequence[tuple[Addressee, P]]
) -> tuple[list[uuid.UUID], dict[str, Any]]:
    """New ids for these notices, in their order, and the parameters of `INSERT_MANY_SQL`."""
    ids = [uuid.uuid4() for _ in notices]
    return ids, {
        "kind": kind.name,
        "now": datetime.now(UTC),
        "ids": ids,
        "user_ids": [person.user_id for person, _ in notices],
        "recipients": [person.recipient for person, _ in notices],
        "locales": [person.locale for person, _ in notices],
        "payloads": [json.dumps(kind.stored(payload)) for _, payload in notices],
        "email_statuses": [_email_status(person.email) for person, _ in notices],
        "last_errors": [None if person.email else MAIL_OFF for person, _ in notices],
        "push_statuses": [
            DeliveryStatus.pending.value if person.push else None for person, _ in notices
        ],
    }


def notify_many(
    session: Session, kind: Kind[P], notices: Sequence[tuple[Addressee, P]]
) -> list[uuid.UUID]:
    """`notify` for many people at once, as one INSERT without the ORM's unit of work (a
    reminder run writes thousands); answers the new rows' ids, in the order given. Their mail
    and push tasks are enqueued once this transaction commits, as `notify`'s are."""
    if not notices:
        return []
    ids, arrays = notification_arrays(kind, notices)
    session.execute(_INSERT_MANY, arrays)
    deliver_after_commit(
        session, [(new, person) for new, (person, _) in zip(ids, notices, strict=True)]
    )
    return ids


def deliver_after_commit(session: Session, written: Sequence[tuple[uuid.UUID, Addressee]]) -> None:
    """The mail and push tasks of notifications written by `INSERT_MANY_SQL`, enqueued once
    this transaction commits."""
    pending = _enqueue_after_commit(session)
    for new, person in written:
        if person.email:
            pending["email"].append(new)
        if person.push:
            pending["push"].append(new)


def _email_status(email: bool) -> str:
    return (DeliveryStatus.pending if email else DeliveryStatus.skipped).value


def _enqueue_after_commit(session: Session) -> dict[str, list[uuid.UUID]]:
    """Ids collect per transaction and go to Celery in batches: a notice to 5,000 people
    is 5 mail tasks, not 5,000. Answers the transaction's lists to add the new ids to."""
    batch: dict[str, list[uuid.UUID]] | None = session.info.get("notifications.enqueue")
    if batch is None:
        batch = session.info["notifications.enqueue"] = {"email": [], "push": []}
        ids = batch

        def hand_to_celery() -> None:
            enqueue(ids["email"])
            enqueue_push(ids["push"])

        after_commit(session, hand_to_celery)
    return batch


def _note_pending(session: Session, notification: Notification) -> None:
    batch = _enqueue_after_commit(session)
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
