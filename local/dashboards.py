"""Grafana dashboards and the Prometheus scrape config, rendered from the function declarations.

A function added to `functions/` gets its row on the overview dashboard and its scrape job by
`eventmgr render`, and `render --check` (in `make lint`) fails until it is there. Every
expression lives here once; `tests/observability` runs each against a live Prometheus.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from local.deploy.common import PORT, service_name
from local.registry import Deployed

DASHBOARDS = Path("dashboards")
GRAFANA = DASHBOARDS / "grafana" / "dashboards"
DATASOURCE = {"type": "prometheus", "uid": "prometheus"}
RATE = "$__rate_interval"
WIDTH = 24


class Board:
    """Panels laid out left to right, rows top to bottom, as Grafana's JSON model wants them."""

    def __init__(self, uid: str, title: str, description: str) -> None:
        self.uid = uid
        self.title = title
        self.description = description
        self.panels: list[dict[str, Any]] = []
        self._x = 0
        self._y = 0

    def row(self, title: str) -> None:
        self._newline()
        self.panels.append(
            {
                "id": len(self.panels) + 1,
                "type": "row",
                "title": title,
                "collapsed": False,
                "gridPos": {"h": 1, "w": WIDTH, "x": 0, "y": self._y},
                "panels": [],
            }
        )
        self._y += 1

    def panel(
        self,
        title: str,
        targets: list[tuple[str, str]],
        *,
        unit: str = "short",
        width: int = 8,
        kind: str = "timeseries",
    ) -> None:
        if self._x + width > WIDTH:
            self._newline()
        self.panels.append(
            {
                "id": len(self.panels) + 1,
                "type": kind,
                "title": title,
                "datasource": DATASOURCE,
                "gridPos": {"h": 8, "w": width, "x": self._x, "y": self._y},
                "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
                "options": {"legend": {"displayMode": "list", "placement": "bottom"}},
                "targets": [
                    {
                        "refId": chr(ord("A") + number),
                        "datasource": DATASOURCE,
                        "expr": expr,
                        "legendFormat": legend,
                    }
                    for number, (expr, legend) in enumerate(targets)
                ],
            }
        )
        self._x += width

    def _newline(self) -> None:
        if self._x:
            self._x = 0
            self._y += 8

    def json(self) -> str:
        model = {
            "uid": self.uid,
            "title": self.title,
            "description": self.description,
            "tags": ["eventmanager"],
            "timezone": "utc",
            "schemaVersion": 39,
            "version": 1,
            "editable": True,
            "refresh": "30s",
            "time": {"from": "now-6h", "to": "now"},
            "templating": {"list": []},
            "annotations": {"list": []},
            "panels": self.panels,
        }
        return json.dumps(model, indent=2, ensure_ascii=False) + "\n"


def _requests(selector: str) -> str:
    return f"sum(rate(eventmgr_http_requests_total{{{selector}}}[{RATE}]))"


def _error_ratio(selector: str, by: str = "") -> str:
    grouping = f" by ({by})" if by else ""
    errors = f'eventmgr_http_requests_total{{{selector}{"," if selector else ""}status=~"5.."}}'
    total = f"eventmgr_http_requests_total{{{selector}}}"
    # No 5xx series yet means no errors, not "no data".
    return (
        f"(sum{grouping}(rate({errors}[{RATE}])) or sum{grouping}(rate({total}[{RATE}])) * 0)"
        f" / sum{grouping}(rate({total}[{RATE}]))"
    )


def _latency(quantile: float, selector: str, by: str = "le") -> str:
    return (
        f"histogram_quantile({quantile}, sum by ({by}) "
        f"(rate(eventmgr_http_request_duration_seconds_bucket{{{selector}}}[{RATE}])))"
    )


def overview(deployed: dict[str, Deployed]) -> Board:
    board = Board(
        "eventmanager-overview",
        "Event Manager: overview",
        "Requests, errors and latency of every function (one row each, rendered from the "
        "declarations). A function scaled to zero simply has no traffic here.",
    )
    board.row("All functions")
    board.panel(
        "Requests per second, by function",
        [(f"sum by (function) (rate(eventmgr_http_requests_total[{RATE}]))", "{{function}}")],
        unit="reqps",
    )
    board.panel(
        "Error ratio (5xx), by function",
        [(_error_ratio("", "function"), "{{function}}")],
        unit="percentunit",
    )
    board.panel(
        "p95 latency, by function",
        [(_latency(0.95, "", "function, le"), "{{function}}")],
        unit="s",
    )
    for name in sorted(deployed):
        selector = f'function="{name}"'
        board.row(f"{name}: {deployed[name].function.summary}")
        if _exporter(deployed[name]):
            # No routes, CloudEvents or schedule: its work is answering scrapes.
            board.panel(
                "Scrapes per second",
                [(f"sum(rate(eventmgr_metrics_scrapes_total{{{selector}}}[{RATE}]))", "scrapes")],
                unit="ops",
            )
            continue
        board.panel(
            "Requests per second, by status",
            [
                (
                    f"sum by (status) (rate(eventmgr_http_requests_total{{{selector}}}[{RATE}]))",
                    "{{status}}",
                )
            ],
            unit="reqps",
        )
        board.panel("Error ratio (5xx)", [(_error_ratio(selector), "errors")], unit="percentunit")
        board.panel(
            "Latency",
            [
                (_latency(0.5, selector), "p50"),
                (_latency(0.95, selector), "p95"),
                (_latency(0.99, selector), "p99"),
            ],
            unit="s",
        )
    return board


def _exporter(item: Deployed) -> bool:
    function = item.function
    return not (function.router.routes or function.consumes or function.schedule)


def business() -> Board:
    board = Board(
        "eventmanager-business",
        "Event Manager: business",
        "What the platform holds, read from PostgreSQL by platform_metrics (survives scale to "
        "zero), and what people do right now.",
    )
    board.row("People and events")
    board.panel("Accounts, by role", [("sum by (role) (eventmgr_users)", "{{role}}")])
    board.panel(
        "Events, by status",
        [('sum by (status) (eventmgr_events{moderation="approved"})', "{{status}}")],
    )
    board.panel(
        "Registrations, by status", [("sum by (status) (eventmgr_registrations)", "{{status}}")]
    )
    board.row("Activity")
    board.panel(
        "Registrations per minute",
        [
            (
                'sum(rate(eventmgr_http_requests_total{function="join_event",status=~"2.."}'
                f"[{RATE}])) * 60",
                "joins",
            )
        ],
    )
    board.panel(
        "Events waiting for moderation",
        [
            ('sum(eventmgr_events{moderation="pending"})', "pending"),
            ('sum(eventmgr_events{moderation="hidden"})', "hidden"),
            ("eventmgr_abuse_reports_open", "open reports"),
        ],
    )
    board.panel(
        "Mails, by status",
        [("sum by (status) (eventmgr_notifications)", "{{status}}")],
    )
    board.row("Discussions")
    board.panel(
        "Messages posted per minute, by kind",
        [
            (
                f"sum by (kind) (rate(eventmgr_discussion_messages_total[{RATE}])) * 60",
                "{{kind}}",
            )
        ],
    )
    board.panel(
        "Live streams open",
        [("sum(eventmgr_discussion_streams_open)", "streams")],
    )
    board.row("Achievements")
    board.panel(
        "Awards per hour, by rule",
        [(f"sum by (rule) (rate(eventmgr_achievements_awarded_total[{RATE}])) * 3600", "{{rule}}")],
    )
    return board


def eventing() -> Board:
    board = Board(
        "eventmanager-eventing",
        "Event Manager: eventing and queues",
        "CloudEvents from the outbox to their consumers, Celery tasks, mail, reports.",
    )
    board.row("Outbox")
    board.panel("CloudEvents waiting in the outbox", [("eventmgr_outbox_pending", "pending")])
    board.panel(
        "Oldest waiting CloudEvent",
        [("eventmgr_outbox_oldest_pending_age_seconds", "age")],
        unit="s",
    )
    board.panel(
        "Published, by outcome",
        [
            (
                f"sum by (outcome) (rate(eventmgr_outbox_published_total[{RATE}]))",
                "{{outcome}}",
            )
        ],
        unit="ops",
    )
    board.row("Consumers")
    board.panel(
        "CloudEvents consumed, by function and outcome",
        [
            (
                f"sum by (function, outcome) (rate(eventmgr_cloudevents_consumed_total[{RATE}]))",
                "{{function}} {{outcome}}",
            )
        ],
        unit="ops",
    )
    board.panel(
        "Duplicates skipped",
        [
            (
                "sum by (function) (rate(eventmgr_cloudevents_consumed_total"
                f'{{outcome="duplicate"}}[{RATE}])) or vector(0)',
                "{{function}}",
            )
        ],
        unit="ops",
    )
    board.panel("Dead letters", [("eventmgr_dead_letters", "dead letters")])
    board.row("Celery and mail")
    board.panel(
        "Tasks, by task and outcome",
        [
            (
                f"sum by (task, outcome) (rate(eventmgr_celery_tasks_total[{RATE}]))",
                "{{task}} {{outcome}}",
            )
        ],
        unit="ops",
    )
    board.panel(
        "Task duration p95",
        [
            (
                "histogram_quantile(0.95, sum by (task, le) "
                f"(rate(eventmgr_celery_task_duration_seconds_bucket[{RATE}])))",
                "{{task}}",
            )
        ],
        unit="s",
    )
    board.panel(
        "Mails, by backend and outcome",
        [
            (
                f"sum by (backend, outcome) (rate(eventmgr_mail_total[{RATE}]))",
                "{{backend}} {{outcome}}",
            )
        ],
        unit="ops",
    )
    board.panel(
        "Web Push, by outcome",
        [(f"sum by (outcome) (rate(eventmgr_push_total[{RATE}]))", "{{outcome}}")],
        unit="ops",
    )
    board.panel(
        "Reminders, by kind and outcome",
        [
            (
                f"sum by (kind, outcome) (increase(eventmgr_reminders_total[{RATE}]))",
                "{{kind}} {{outcome}}",
            )
        ],
    )
    board.panel(
        "Followers told of new events",
        [(f"sum(increase(eventmgr_follower_notices_total[{RATE}]))", "told")],
    )
    board.panel(
        "Reports built, by format and outcome",
        [
            (
                f"sum by (format, outcome) (increase(eventmgr_reports_total[{RATE}]))",
                "{{format}} {{outcome}}",
            )
        ],
    )
    board.panel(
        "Report build time p95, by format",
        [
            (
                "histogram_quantile(0.95, sum by (format, le) "
                f"(rate(eventmgr_report_build_seconds_bucket[{RATE}])))",
                "{{format}}",
            )
        ],
        unit="s",
    )
    board.panel(
        "Webhook attempts, by outcome",
        [(f"sum by (outcome) (rate(eventmgr_webhook_attempts_total[{RATE}]))", "{{outcome}}")],
        unit="ops",
    )
    board.panel(
        "Webhook attempt time p50 / p95",
        [
            (
                "histogram_quantile(0.5, sum by (le) "
                f"(rate(eventmgr_webhook_attempt_seconds_bucket[{RATE}])))",
                "p50",
            ),
            (
                "histogram_quantile(0.95, sum by (le) "
                f"(rate(eventmgr_webhook_attempt_seconds_bucket[{RATE}])))",
                "p95",
            ),
        ],
        unit="s",
    )
    return board


def scrape_config(deployed: dict[str, Deployed]) -> dict[str, Any]:
    """Prometheus in docker-compose: every function on `<service>:8080/metrics` (its compose
    service name, with dashes) with the internal token, the worker, dispatcher and scheduler
    on their metrics port."""
    return {
        "global": {"scrape_interval": "15s", "evaluation_interval": "15s"},
        "rule_files": ["alerts.yml"],  # beside this file in /etc/prometheus
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": ["alertmanager:9093"]}]}]},
        "scrape_configs": [
            {
                "job_name": "functions",
                "metrics_path": "/metrics",
                "authorization": {"credentials_file": "/run/secrets/internal_token"},
                "static_configs": [
                    {"targets": [f"{service_name(name)}:{PORT}"], "labels": {"service": name}}
                    for name in sorted(deployed)
                ],
            },
            {
                "job_name": "background",
                "static_configs": [
                    {"targets": [f"{name}:9808"], "labels": {"service": name}}
                    for name in ("worker", "dispatcher", "scheduler")
                ],
            },
            {"job_name": "prometheus", "static_configs": [{"targets": ["localhost:9090"]}]},
        ],
    }


def rendered_dashboards(deployed: dict[str, Deployed]) -> list[tuple[Path, str]]:
    header = "# Rendered by `eventmgr render` from the function declarations; do not edit.\n"
    return [
        (GRAFANA / "overview.json", overview(deployed).json()),
        (GRAFANA / "business.json", business().json()),
        (GRAFANA / "eventing.json", eventing().json()),
        (
            DASHBOARDS / "prometheus" / "prometheus.yml",
            header + yaml.safe_dump(scrape_config(deployed), sort_keys=False),
        ),
    ]


def expressions(board_json: str) -> list[str]:
    """Every query of a rendered dashboard (the live test runs each one)."""
    model = json.loads(board_json)
    return [
        target["expr"]
        for panel in model["panels"]
        for target in panel.get("targets", [])
        if "expr" in target
    ]
