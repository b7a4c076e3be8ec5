"""What the running stack must show: JSON logs, one trace across the hops, no dead letters."""

from __future__ import annotations

import json
import re

from rehearsal.podman import logs, podman
from rehearsal.stack import by_service

# Nginx's own error log (`error_log /dev/stderr warn`) has its fixed text format by design;
# the gateway's access lines are the JSON ones. What it says while reading its configuration
# comes before that log is open, as `nginx: [warn] …`.
NGINX_ERROR_LINE = re.compile(r"^(\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2} |nginx: )\[\w+\] ")
APP_SERVICES_WITHOUT_FUNCTIONS = ("migrate", "dispatcher", "scheduler", "worker")


def not_json(lines: list[str]) -> list[str]:
    bad = []
    for line in lines:
        if not line.strip():
            continue
        try:
            parsed = json.loads(line)
        except ValueError:
            bad.append(line)
            continue
        if not isinstance(parsed, dict):
            bad.append(line)
    return bad


def log_problems(app_services: list[str]) -> dict[str, list[str]]:
    """Lines that are not one JSON object, per service (the gateway's error log aside)."""
    names = by_service()
    problems: dict[str, list[str]] = {}
    for service in [*app_services, "gateway"]:
        lines = logs(names[service])
        if service == "gateway":
            lines = [line for line in lines if not NGINX_ERROR_LINE.match(line)]
        bad = not_json(lines)
        if bad:
            problems[service] = bad[:5]
    return problems


def gateway_error_lines() -> list[str]:
    return [line for line in logs(by_service()["gateway"]) if NGINX_ERROR_LINE.match(line)]


def services_with_trace(trace_id: str, services: list[str]) -> list[str]:
    names = by_service()
    return [s for s in services if any(trace_id in line for line in logs(names[s]))]


def dead_letters() -> dict[str, int]:
    """Messages in every RabbitMQ `.dead` queue and rows in the `dead_letters` table."""
    names = by_service()
    listed = podman(
        "exec", "-u", "rabbitmq", names["rabbitmq"],
        "rabbitmqctl", "list_queues", "--quiet", "--no-table-headers", "name", "messages",
    )  # fmt: skip
    found: dict[str, int] = {}
    for line in listed.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].endswith(".dead"):
            found[parts[0]] = int(parts[1])
    rows = podman(
        "exec", "-u", "postgres", names["postgres"],
        "psql", "-U", "eventmanager", "-d", "eventmanager", "-tAc",
        "select count(*) from dead_letters",
    )  # fmt: skip
    found["table dead_letters"] = int(rows.strip())
    return found
