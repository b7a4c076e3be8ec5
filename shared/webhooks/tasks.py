"""The Celery task that sends a webhook's due deliveries: `webhooks.send(webhook_id)`.

A duplicate task finds the webhook's lease taken and does nothing. When deliveries stay
pending, the next wait up to `COUNTDOWN_LIMIT` goes back to Celery as a countdown; longer ones
(the schedule's later steps) are left to the sweep, since a broker holds an unacknowledged
delayed message only so long (RabbitMQ's consumer timeout).
"""

from __future__ import annotations

import uuid

from celery import shared_task

from shared.webhooks.models import SEND_TASK
from shared.webhooks.sending import drain
from shared.webhooks.service import enqueue

COUNTDOWN_LIMIT = 300


@shared_task(name=SEND_TASK)
def send(webhook_id: str) -> str:
    wait = drain(uuid.UUID(webhook_id))
    if wait is not None and wait <= COUNTDOWN_LIMIT:
        enqueue([uuid.UUID(webhook_id)], countdown=wait)
        return "again"
    return "done"
