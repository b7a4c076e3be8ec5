"""Prometheus metrics every function exports, labelled by function so one process can serve many."""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
)
from prometheus_client.registry import Collector

HTTP_REQUESTS = Counter(
    "eventmgr_http_requests_total",
    "HTTP requests answered, by function, method, route template and status.",
    ["function", "method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "eventmgr_http_request_duration_seconds",
    "Time to answer an HTTP request, by function, method and route template.",
    ["function", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


# Collectors that read shared state at scrape time (PostgreSQL), not per-process values.
_READERS: list[Collector] = []


def register_reader(collector: Collector) -> None:
    _READERS.append(collector)
    REGISTRY.register(collector)


def exposition() -> tuple[bytes, str]:
    """This process's metrics; with `PROMETHEUS_MULTIPROC_DIR` set (several worker processes
    behind one port) the sum of every process's, plus the readers of shared state."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        for reader in _READERS:
            registry.register(reader)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def serve_metrics(port: int | None, host: str) -> None:
    """For processes with no HTTP app of their own (worker, dispatcher, scheduler)."""
    if port:
        start_http_server(port, addr=host)


OUTBOX_PUBLISHED = Counter(
    "eventmgr_outbox_published_total",
    "CloudEvents handed to the broker, by outcome (confirmed or failed).",
    ["outcome"],
)
CLOUDEVENTS_CONSUMED = Counter(
    "eventmgr_cloudevents_consumed_total",
    "CloudEvents received by a consumer, by function, type and outcome "
    "(handled, duplicate, failed).",
    ["function", "type", "outcome"],
)
DISPATCHER_DELIVERIES = Counter(
    "eventmgr_dispatcher_deliveries_total",
    "Deliveries attempted by the dispatcher, by consumer function and outcome "
    "(delivered, retried, dead_lettered).",
    ["function", "outcome"],
)
RATE_LIMIT_FALLBACKS = Counter(
    "eventmgr_rate_limit_fallbacks_total",
    "Rate-limit checks counted in-process because Redis did not answer.",
)
CELERY_TASKS = Counter(
    "eventmgr_celery_tasks_total",
    "Celery task runs, by task and outcome (success, retry, failure).",
    ["task", "outcome"],
)
CELERY_TASK_DURATION = Histogram(
    "eventmgr_celery_task_duration_seconds",
    "Time a Celery task ran, by task.",
    ["task"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)
MAIL_SENT = Counter(
    "eventmgr_mail_total",
    "Mails handed to the mail backend, by backend and outcome (sent, retried, failed, "
    "skipped: the address is suppressed).",
    ["backend", "outcome"],
)
PUSH_SENT = Counter(
    "eventmgr_push_total",
    "Web Push messages by outcome (sent, gone: the subscription expired, failed, retried).",
    ["outcome"],
)
REMINDERS = Counter(
    "eventmgr_reminders_total",
    "Event reminders due and recorded, by kind (24h, 1h) and what was done (notified, "
    "covered: a nearer reminder went instead).",
    ["kind", "outcome"],
)
# Every known label set exists from the start at 0, so dashboards and alerts see a flat line
# rather than no data before the first reminder or push.
for _outcome in ("sent", "gone", "failed", "retried"):
    PUSH_SENT.labels(_outcome)
for _kind in ("24h", "1h"):
    for _outcome in ("notified", "covered"):
        REMINDERS.labels(_kind, _outcome)
FOLLOWER_NOTICES = Counter(
    "eventmgr_follower_notices_total",
    "Followers told of a new published event by an organizer they follow.",
)
SCRAPES = Counter(
    "eventmgr_metrics_scrapes_total",
    "Times a function's /metrics was read (scrapes are not counted as HTTP traffic).",
    ["function"],
)


def announce_consumers(functions: list[str]) -> None:
    """Create every consumer's delivery series at 0, so the first dead letter is an increase
    that alerts see (a series born at 1 has no increase)."""
    for function in functions:
        for outcome in ("delivered", "retried", "dead_lettered"):
            DISPATCHER_DELIVERIES.labels(function, outcome)


MEDIA_UPLOADS = Counter(
    "eventmgr_media_uploads_total",
    "Media uploads by outcome (stored, too_large, unsupported_type, too_many_pixels, refused).",
    ["outcome"],
)
MEDIA_STORED_BYTES = Counter(
    "eventmgr_media_stored_bytes_total",
    "Bytes of media written to object storage (after images were re-encoded).",
)
ACHIEVEMENTS_AWARDED = Counter(
    "eventmgr_achievements_awarded_total",
    "Achievement awards committed, by rule (a duplicate delivery awards nothing).",
    ["rule"],
)
REPORTS_BUILT = Counter(
    "eventmgr_reports_total",
    "Report builds by format and outcome (ready, failed, retry: storage or the database was "
    "unavailable and the build is tried again later).",
    ["format", "outcome"],
)
REPORT_BUILD_SECONDS = Histogram(
    "eventmgr_report_build_seconds",
    "Time to build a report and store its file, by format.",
    ["format"],
    buckets=(0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0),
)
for _format in ("csv", "xlsx", "pdf"):
    REPORT_BUILD_SECONDS.labels(_format)
    for _outcome in ("ready", "failed", "retry"):
        REPORTS_BUILT.labels(_format, _outcome)
WEBHOOK_ATTEMPTS = Counter(
    "eventmgr_webhook_attempts_total",
    "Webhook delivery attempts by outcome (delivered: a 2xx; retry: failed, tried again later; "
    "failed: the retry schedule is spent).",
    ["outcome"],
)
WEBHOOK_ATTEMPT_SECONDS = Histogram(
    "eventmgr_webhook_attempt_seconds",
    "Time of one webhook attempt, from resolving the host to the answer's first bytes.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0),
)
for _outcome in ("delivered", "retry", "failed"):
    WEBHOOK_ATTEMPTS.labels(_outcome)
DISCUSSION_MESSAGES = Counter(
    "eventmgr_discussion_messages_total",
    "Discussion messages posted, by kind (message, announcement).",
    ["kind"],
)
DISCUSSION_STREAMS = Gauge(
    "eventmgr_discussion_streams_open",
    "Live discussion streams (Server-Sent Events) this process is serving now.",
    multiprocess_mode="livesum",
)
for _kind in ("message", "announcement"):
    DISCUSSION_MESSAGES.labels(_kind)
