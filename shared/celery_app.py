"""The one Celery app: slow or rate-limited work (mail, reports) off the request path.

Work handed to Celery is first a row in PostgreSQL and a task carries only that row's id;
tasks are idempotent by it, and a scheduled sweep re-enqueues rows still pending after
`TASK_PENDING_TIMEOUT_SECONDS`. Late acks: a worker that dies mid-task leaves the message to
another worker.
"""

from __future__ import annotations

import time
from typing import Any

from celery import Celery, signals

from shared import logs, process_state
from shared.config import get_settings
from shared.kit.context import parse_traceparent
from shared.metrics import CELERY_TASK_DURATION, CELERY_TASKS

# Task modules live beside the domain they serve; named here as strings only.
TASK_MODULES = [
    "shared.notifications.delivery.tasks",
    "shared.reports.tasks",
    "shared.webhooks.tasks",
]


def broker_url() -> str:
    settings = get_settings()
    url = settings.celery_broker_url or settings.rabbitmq_url or settings.redis_url
    if not url:
        raise RuntimeError("Celery needs CELERY_BROKER_URL, RABBITMQ_URL or REDIS_URL")
    return url


@process_state.cached
def celery_app() -> Celery:
    settings = get_settings()
    app = Celery("eventmanager", broker=broker_url(), backend=settings.redis_url or None)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        accept_content=["json"],
        result_expires=3600,
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        # Fail fast when the broker is down: the row stays pending and the sweep re-enqueues.
        broker_transport_options={"max_retries": 1, "interval_start": 0, "interval_step": 0.2},
        broker_connection_timeout=2,
        worker_hijack_root_logger=False,
        # One name for Celery's queue, its direct exchange and routing key, never the CloudEvents
        # topic exchange's (the settings refuse a collision): RabbitMQ refuses to declare an
        # exchange again with another type, and the worker would die.
        task_default_queue=settings.celery_queue,
        task_default_exchange=settings.celery_queue,
        task_default_exchange_type="direct",
        task_default_routing_key=settings.celery_queue,
    )
    app.conf.include = TASK_MODULES
    # Tasks are `shared_task`s: they follow the current app, as the settings say it is.
    app.set_default()
    return app


def trace_headers() -> dict[str, Any]:
    """The current trace context, for a task's headers (then its logs)."""
    trace, span = logs.trace_id.get(), logs.span_id.get()
    return {"traceparent": f"00-{trace}-{span}-01"} if trace and span else {}


@signals.task_postrun.connect
def _count(task: Any = None, state: str | None = None, **_: Any) -> None:
    name = getattr(task, "name", "unknown")
    outcome = {"SUCCESS": "success", "RETRY": "retry"}.get(state or "", "failure")
    CELERY_TASKS.labels(name, outcome).inc()
    started = getattr(getattr(task, "request", None), "eventmgr_started", None)
    if started is not None:
        CELERY_TASK_DURATION.labels(name).observe(time.perf_counter() - started)


@signals.task_prerun.connect
def _adopt_trace(task: Any = None, **_: Any) -> None:
    request = getattr(task, "request", None)
    value = getattr(request, "traceparent", None) or (
        (getattr(request, "headers", None) or {}).get("traceparent")
    )
    parent = parse_traceparent(value)
    if request is not None:
        request.eventmgr_started = time.perf_counter()
    logs.function_name.set("worker")
    logs.trace_id.set(parent[0] if parent else None)
