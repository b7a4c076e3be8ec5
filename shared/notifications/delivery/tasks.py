"""The Celery tasks that deliver notifications: `send_emails(ids)` and `send_pushes(ids)`.

A task claims its rows (pending → sending, with a lease it keeps alive while it sends) before
sending, so a duplicate task finds nothing to do; a worker that dies mid-send leaves a lease
that runs out, and its task, given again by the broker, sends once it has (the sweep is the
net for a task lost with its broker): delivery is at-least-once, never silently lost.
Mail goes to the backend in one call per batch, so SendGrid gets up to 1,000 recipients per
request. A refusal that may pass (429, 5xx, a network error) is retried on a backoff that
spans about two hours; the rows say when they are due, so the sweep does not hurry them.
"""

from __future__ import annotations

import logging
import math
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from celery import shared_task

from shared.config import get_settings
from shared.mail import Attachment, Mail, compose, get_mailer
from shared.metrics import MAIL_SENT
from shared.notifications.delivery import push, suppression
from shared.notifications.delivery.channels import EMAIL, PUSH, Channel, retry_delay
from shared.notifications.delivery.unsubscribe import sign_off
from shared.notifications.kinds import batch_renderer
from shared.notifications.mails.events import with_ticket
from shared.notifications.models import MAX_MAIL_ATTEMPTS, DeliveryStatus, Notification

if TYPE_CHECKING:
    from collections.abc import Callable

    from shared.notifications.delivery.tickets import TicketPicture
    from shared.notifications.mails.rendering import Rendered

logger = logging.getLogger("eventmgr.mail")
Tally = dict[str, int]


@shared_task(name="notifications.send_emails", bind=True, max_retries=MAX_MAIL_ATTEMPTS)
def send_emails(self: Any, notification_ids: list[str]) -> Tally:
    ids = [uuid.UUID(i) for i in notification_ids]
    tally, retry = deliver_mails(ids)
    lost = _lost_worker_lease(self, EMAIL, ids)
    if lost is not None:
        # All of them again (the claim skips what is sent), once that lease has run out.
        countdown = max(lost, _countdown(EMAIL, retry) if retry else 0)
        raise self.retry(countdown=countdown)
    if retry:
        raise self.retry(args=[[str(row.id) for row in retry]], countdown=_countdown(EMAIL, retry))
    return tally


@shared_task(name="notifications.send_email", bind=True, max_retries=MAX_MAIL_ATTEMPTS)
def send_email(self: Any, notification_id: str) -> str:
    """One notification's mail (what a person debugging a row runs by hand)."""
    tally, retry = deliver_mails([uuid.UUID(notification_id)])
    if retry:
        raise self.retry(countdown=_countdown(EMAIL, retry))
    return next((outcome for outcome, count in tally.items() if count), "skipped")


def _lost_worker_lease(task: Any, channel: Channel, ids: list[uuid.UUID]) -> int | None:
    """Seconds until the lease of a lost worker runs out, when this task is its redelivery.

    The broker gives a task again when the worker that had it went away (late acks); the rows
    that worker claimed stay held under a lease no heartbeat renews any more. The task comes
    back once it has run out, rather than leave them to the sweep."""
    if not (task.request.delivery_info or {}).get("redelivered"):
        return None
    until = channel.held_elsewhere_until(ids)
    if until is None:
        return None
    wait = max(1, math.ceil((until - datetime.now(UTC)).total_seconds()))
    logger.info("redelivered; waiting for a lost worker's lease", extra={"seconds": wait})
    return wait


def _countdown(channel: Channel, rows: list[Notification]) -> int:
    return int(retry_delay(min(channel.attempts_of(row) for row in rows)).total_seconds())


def _retry_later(channel: Channel, rows: list[Notification], error: str | None = None) -> None:
    due = datetime.now(UTC) + retry_delay(min(channel.attempts_of(row) for row in rows))
    channel.finish(rows, DeliveryStatus.pending, error, not_before=due)


def deliver_mails(ids: list[uuid.UUID]) -> tuple[Tally, list[Notification]]:
    """Send the mails of these rows still to send; answers the tally and the rows to retry."""
    tally = {"sent": 0, "failed": 0, "skipped": 0}
    rows = EMAIL.claim(ids)
    if not rows:
        return tally, []
    blocked = suppression.suppressed(row.recipient for row in rows)
    skipped = [row for row in rows if row.recipient.lower() in blocked]
    EMAIL.finish(skipped, DeliveryStatus.skipped, "address suppressed")
    tally["skipped"] = len(skipped)
    # Only the worker sends: functions that enqueue these tasks need no calendar library.
    from shared.notifications.delivery.invitations import invitations
    from shared.notifications.delivery.tickets import ticket_pictures

    to_send = [row for row in rows if row not in skipped]
    ready: list[tuple[Notification, Mail]] = []
    render = batch_renderer()
    with EMAIL.held(to_send):
        attached = invitations(to_send)
        try:
            pictures = ticket_pictures(to_send)
        except Exception:
            # No TICKET_KEY on this worker (or the registrations unreadable): the seat is
            # still told, without its picture; the ticket stays in the API.
            logger.exception("tickets could not be made for these mails")
            pictures = {}
        for row in to_send:
            try:
                mail = _message(row, render, attached.get(row.id, ()), pictures.get(row.id))
                ready.append((row, mail))
            except Exception as error:
                # A bug or bad data (unknown kind, missing field): retrying would fail alike.
                logger.exception(
                    "mail could not be prepared", extra={"notification.id": str(row.id)}
                )
                EMAIL.finish([row], DeliveryStatus.failed, f"{type(error).__name__}: {error}")
                tally["failed"] += 1
        mailer = get_mailer()
        outcomes = mailer.send_many([mail for _, mail in ready]) if ready else []
    backend = type(mailer).__name__.removesuffix("Mailer").lower() if ready else "none"
    sent: list[Notification] = []
    retry: list[Notification] = []
    for (row, _), outcome in zip(ready, outcomes, strict=True):
        if outcome is None:
            sent.append(row)
        elif outcome.retryable and row.attempts < MAX_MAIL_ATTEMPTS:
            retry.append(row)
        else:
            tally["failed"] += 1
            EMAIL.finish([row], DeliveryStatus.failed, f"MailDeliveryError: {outcome}")
            logger.warning("mail failed for good", extra={"error.message": str(outcome)})
    EMAIL.finish(sent, DeliveryStatus.sent)
    if retry:
        _retry_later(EMAIL, retry, "backend busy, retrying")
    tally["sent"] = len(sent)
    for word, count in (*tally.items(), ("retried", len(retry))):
        if count:
            MAIL_SENT.labels(backend, word).inc(count)
    if sent:
        logger.info("mail sent", extra={"mail.count": len(sent)})
    return tally, retry


def _message(
    row: Notification,
    render: Callable[[Notification], Rendered],
    attachments: tuple[Attachment, ...],
    ticket: TicketPicture | None = None,
) -> Mail:
    rendered = render(row)
    if ticket is not None:
        rendered = with_ticket(row, rendered, ticket.code, ticket.cid)
        attachments = (*attachments, ticket.attachment)
    text, html, headers = rendered.text, rendered.html, {}
    if rendered.footer and row.user_id:
        text, html, link = sign_off(rendered, row.user_id)
        # RFC 8058: mail apps show an unsubscribe button that POSTs without asking.
        headers = {
            "List-Unsubscribe": f"<{link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
    return compose(
        sender=get_settings().mail_from,
        to=row.recipient,
        subject=rendered.subject,
        text=text,
        html=html,
        headers=headers,
        attachments=attachments,
    )


@shared_task(name="notifications.send_pushes", bind=True, max_retries=MAX_MAIL_ATTEMPTS)
def send_pushes(self: Any, notification_ids: list[str]) -> Tally:
    ids = [uuid.UUID(i) for i in notification_ids]
    rows = PUSH.claim(ids)
    tally = {"sent": 0, "failed": 0, "skipped": 0, "retried": 0}
    retry: list[Notification] = []
    with PUSH.held(rows):
        subscriptions = push.subscriptions_of(rows)
        for row in rows:
            try:
                outcome = push.deliver(row, subscriptions.get(row.user_id, []))
            except push.PushUnavailable as error:
                logger.warning("push failed", extra={"error.message": str(error)})
                if row.push_attempts < MAX_MAIL_ATTEMPTS:
                    retry.append(row)
                    continue
                outcome = DeliveryStatus.failed
            except Exception:
                logger.exception(
                    "push could not be prepared", extra={"notification.id": str(row.id)}
                )
                outcome = DeliveryStatus.failed
            PUSH.finish([row], outcome)
            tally[outcome.value] += 1
    if retry:
        tally["retried"] = len(retry)
        _retry_later(PUSH, retry)
    lost = _lost_worker_lease(self, PUSH, ids)
    if lost is not None:
        raise self.retry(countdown=max(lost, _countdown(PUSH, retry) if retry else 0))
    if retry:
        raise self.retry(args=[[str(row.id) for row in retry]], countdown=_countdown(PUSH, retry))
    return tally
