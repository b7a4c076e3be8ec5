"""Prometheus metrics every function exports, labelled by function so one process can serve many."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Histogram, generate_latest

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


def exposition() -> tuple[bytes, str]:
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


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
