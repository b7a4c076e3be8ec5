"""The platform's figures come from PostgreSQL, whatever process asks."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest

from shared.stats.collector import NAMES, PlatformCollector
from tests.support.factories import bearer, create_event


def test_figures_are_read_from_postgresql(client):
    create_event(client, bearer(client, "organizer"))
    create_event(client, bearer(client, "organizer"), status="draft")
    registry = CollectorRegistry()
    collector = PlatformCollector()
    registry.register(collector)
    assert {family.name for family in collector.describe()} == set(NAMES)
    text = generate_latest(registry).decode()
    assert {family.name for family in collector.collect()} == set(NAMES)
    assert 'eventmgr_users{active="true",role="organizer"} 2.0' in text
    assert 'eventmgr_events{moderation="approved",status="published"} 1.0' in text
    assert 'eventmgr_events{moderation="hidden",status="cancelled"} 0.0' in text
    assert "eventmgr_outbox_pending" in text
    assert "eventmgr_platform_figures_up 1.0" in text


def test_several_processes_behind_one_port_add_up(tmp_path):
    """With PROMETHEUS_MULTIPROC_DIR (gunicorn-style workers), /metrics sums every process."""
    import os
    import subprocess
    import sys

    code = (
        "from shared.metrics import HTTP_REQUESTS, exposition\n"
        "HTTP_REQUESTS.labels('login', 'POST', '/api/v1/auth/login', '200').inc()\n"
        "print(exposition()[0].decode())\n"
    )
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    outputs = [
        subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        ).stdout
        for _ in range(2)
    ]
    assert 'function="login"' in outputs[1]
    assert "eventmgr_http_requests_total" in outputs[1]
    line = next(
        line for line in outputs[1].splitlines() if line.startswith("eventmgr_http_requests_total{")
    )
    assert line.endswith(" 2.0")
