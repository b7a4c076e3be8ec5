"""Sending a webhook's due deliveries, one at a time, by whoever holds the webhook's lease.

One sender per webhook: a slow or dead receiver holds one worker slot for at most
`WEBHOOK_TIMEOUT_SECONDS` per attempt, and its failures space its attempts out along the
schedule, so other webhooks' deliveries go on beside it. A sender stops after a failed attempt
or `DRAIN_SECONDS`, and hands the rest to a fresh task at the back of the queue (fair to other
webhooks).

Every connection resolves the host again, checks every address, and connects to the checked
one with the name in the Host header and TLS SNI (certificates are verified for the name):
DNS rebinding cannot point a checked name at another address. Redirects are not followed.
"""

from __future__ import annotations

import json
import logging
import random
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx

from shared.config import get_settings
from shared.db import unit_of_work
from shared.metrics import WEBHOOK_ATTEMPT_SECONDS, WEBHOOK_ATTEMPTS
from shared.webhooks import repository, targets
from shared.webhooks.errors import UnsafeTarget
from shared.webhooks.models import DeliveryStatus, Webhook, WebhookAttempt, WebhookDelivery
from shared.webhooks.signing import signature

logger = logging.getLogger("eventmgr.webhooks")
DRAIN_SECONDS = 30
# Longer than a drain can take (its last attempt included), renewed at every attempt.
LEASE_SECONDS = 120
RESPONSE_PREFIX = 256
USER_AGENT = "EventManager-Webhooks/1"


def drain(webhook_id: uuid.UUID) -> float | None:
    """Send what is due for this webhook unless another sender holds it; answers in how many
    seconds its next pending delivery is due (None: nothing pending, or held elsewhere)."""
    now = datetime.now(UTC)
    with unit_of_work() as session:
        if not repository.take_lease(session, webhook_id, now, _lease_end()):
            return None
    stop = time.monotonic() + DRAIN_SECONDS
    try:
        while time.monotonic() < stop:
            with unit_of_work() as session:
                due = repository.next_due(session, webhook_id, datetime.now(UTC))
                if due is None:
                    break
                delivery, webhook = due
                session.expunge_all()
            if not _attempt(webhook, delivery):
                # Back of the queue: a failing receiver gets one attempt per turn, so even many
                # of them cannot keep the workers from everyone else's deliveries.
                break
            with unit_of_work() as session:
                repository.take_lease(session, webhook_id, datetime.now(UTC), _lease_end())
    finally:
        # In one transaction with the look at what is pending: a delivery added while this
        # sender held the lease (its own task found the lease taken) is seen here.
        with unit_of_work() as session:
            next_at = repository.release_lease(session, webhook_id)
    if next_at is None:
        return None
    return max(0.0, (next_at - datetime.now(UTC)).total_seconds())


def _lease_end() -> datetime:
    return datetime.now(UTC) + timedelta(seconds=LEASE_SECONDS)


def _attempt(webhook: Webhook, delivery: WebhookDelivery) -> bool:
    """One attempt, recorded; True when the receiver took it."""
    attempted_at = datetime.now(UTC)
    started = time.perf_counter()
    status_code, error, prefix = _post(webhook, delivery)
    elapsed = time.perf_counter() - started
    delivered = status_code is not None and 200 <= status_code < 300
    with unit_of_work() as session:
        row = session.get(WebhookDelivery, delivery.id, with_for_update=True)
        if row is None:  # the webhook was deleted meanwhile
            return False
        row.attempts += 1
        row.last_status_code = status_code
        row.last_attempt_at = attempted_at
        if delivered:
            row.status, row.next_attempt_at, outcome = DeliveryStatus.delivered, None, "delivered"
        else:
            wait = retry_delay(row.attempts)
            if wait is None:
                row.status, row.next_attempt_at, outcome = DeliveryStatus.failed, None, "failed"
            else:
                row.next_attempt_at, outcome = attempted_at + wait, "retry"
        repository.record_attempt(
            session,
            WebhookAttempt(
                delivery_id=row.id,
                attempted_at=attempted_at,
                status_code=status_code,
                error=error,
                duration_ms=round(elapsed * 1000),
                response_prefix=prefix,
            ),
        )
    WEBHOOK_ATTEMPTS.labels(outcome).inc()
    WEBHOOK_ATTEMPT_SECONDS.observe(elapsed)
    logger.info(
        "webhook attempt",
        extra={
            "webhook_id": str(webhook.id),
            "delivery_id": str(delivery.id),
            "status_code": status_code,
            "outcome": outcome,
            "error": error,
        },
    )
    return delivered


def retry_delay(attempts: int) -> timedelta | None:
    """The wait after the `attempts`-th failed attempt, with up to 20 % jitter so receivers
    coming back are not hit by every retry at once; None once the schedule is spent."""
    schedule = get_settings().webhook_retry_schedule_seconds
    if attempts > len(schedule):
        return None
    base = schedule[attempts - 1]
    return timedelta(seconds=base * random.uniform(1.0, 1.2))  # noqa: S311 - jitter, not secret


def _post(webhook: Webhook, delivery: WebhookDelivery) -> tuple[int | None, str | None, str | None]:
    """One POST: (status code, error, answer prefix). Refused and unreachable targets have no
    status code and an error saying why."""
    settings = get_settings()
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    message_id = str(delivery.id)
    timestamp = int(time.time())
    try:
        target = targets.parse(webhook.url)
        address = targets.resolve(target)
    except UnsafeTarget as refused:
        return None, refused.detail[:200], None
    headers = {
        "Host": target.host_header,
        "Content-Type": "application/cloudevents+json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(webhook.secret, message_id, timestamp, body),
    }
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    try:
        # No proxies from the environment: the connection must go to the checked address.
        with (
            httpx.Client(
                timeout=settings.webhook_timeout_seconds, follow_redirects=False, trust_env=False
            ) as client,
            client.stream(
                "POST",
                target.url_for(address),
                content=body,
                headers=headers,
                extensions=extensions,
            ) as response,
        ):
            prefix = b""
            for chunk in response.iter_bytes():
                prefix += chunk
                if len(prefix) >= RESPONSE_PREFIX:
                    break
            return response.status_code, None, prefix[:RESPONSE_PREFIX].decode("utf-8", "replace")
    except httpx.HTTPError as failure:
        return None, type(failure).__name__, None
