"""A real Prometheus scraping `eventmgr up` while a scenario touches every function: every
dashboard query returns data, every alert rule evaluates; the logs of that scenario are ECS
JSON, one trace crosses gateway, function, consumer and Celery task, and no secret is in them."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from local.dashboards import expressions
from local.registry import function_names
from tests.support.files import png
from tests.support.runner import Runner, create_user, start_runner, wait_for_link

DASHBOARDS = Path(__file__).resolve().parents[2] / "dashboards"
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PASSWORDS = ("admin-password-1", "organizer-password-1", "participant-password-1")
CALENDAR = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
    b"UID:observed@example.org\r\nDTSTAMP:20300101T000000Z\r\nSUMMARY:Imported\r\n"
    b"DTSTART:20311001T100000Z\r\nDTEND:20311001T110000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Runner, dict[str, Any]]]:
    base = tmp_path_factory.mktemp("observed")
    runner = start_runner(base / "data", base / "runner.log")
    try:
        secrets = scenario(runner)
        yield runner, secrets
    finally:
        if runner.process.poll() is None:
            runner.stop()


def scenario(runner: Runner) -> dict[str, Any]:
    """Touch every function once, the way people and the platform do."""
    for email, password, role in (
        ("admin@example.org", PASSWORDS[0], "admin"),
        ("org@example.org", PASSWORDS[1], "organizer"),
    ):
        create_user(runner.data_dir, email, password, role)
    api = httpx.Client(base_url=runner.url, timeout=30)

    def login(email: str, password: str) -> dict[str, Any]:
        answer = api.post("/api/v1/auth/login", json={"email": email, "password": password})
        assert answer.status_code == 200, answer.text
        tokens: dict[str, Any] = answer.json()
        return tokens

    admin = login("admin@example.org", PASSWORDS[0])
    organizer = login("org@example.org", PASSWORDS[1])
    as_admin = {"Authorization": f"Bearer {admin['access_token']}"}
    as_organizer = {"Authorization": f"Bearer {organizer['access_token']}"}
    signup = api.post(
        "/api/v1/auth/register",
        json={"email": "pat@example.org", "password": PASSWORDS[2], "full_name": "Pat"},
        headers={"traceparent": f"00-{TRACE}-00f067aa0ba902b7-01"},
    )
    assert signup.status_code == 201, signup.text
    link = wait_for_link(runner, "pat@example.org")
    assert httpx.get(link).status_code == 200
    pat = login("pat@example.org", PASSWORDS[2])
    as_pat = {"Authorization": f"Bearer {pat['access_token']}"}
    assert (
        api.post("/api/v1/auth/password-reset", json={"email": "pat@example.org"}).status_code
        == 202
    )
    assert api.get("/api/v1/users/me", headers=as_pat).status_code == 200
    assert api.get("/api/v1/admin/users", headers=as_admin).status_code == 200
    event = api.post(
        "/api/v1/events",
        headers=as_organizer,
        json={
            "title": "Observed meetup",
            "description": "Metrics and logs",
            "starts_at": "2031-09-01T18:00:00+00:00",
            "ends_at": "2031-09-01T22:00:00+00:00",
            "timezone": "UTC",
            "category": "meetup",
            "capacity": 5,
            "status": "published",
        },
    ).json()
    path = f"/api/v1/events/{event['id']}"
    assert api.patch(path, headers=as_organizer, json={"title": "Observed"}).status_code == 200
    assert api.get("/api/v1/events").status_code == 200
    assert api.get(path).status_code == 200
    assert api.get("/api/v1/categories").status_code == 200
    # The web front end's pages, which read the same API through the gateway.
    assert api.get("/").status_code == 200
    assert api.get(f"/events/{event['id']}").status_code == 200
    # Pat opts in to achievements: leaving early below gives a seat back (an award).
    opted = api.put("/api/v1/me/gamification", headers=as_pat, json={"enabled": True})
    assert opted.status_code == 200, opted.text
    assert api.post(f"{path}/registrations", headers=as_pat).status_code == 201
    assert api.get("/api/v1/me/registrations", headers=as_pat).status_code == 200
    # Community: registered, Pat talks in the event's discussion; its reviews are read; Pat
    # follows the organizer, whose public profile is read.
    said = api.post(f"{path}/messages", headers=as_pat, json={"text": "See you there"})
    assert said.status_code == 201, said.text
    assert api.get(f"{path}/messages", headers=as_organizer).status_code == 200
    assert api.get(f"{path}/reviews").status_code == 200
    organizer_id = event["organizer_id"]
    assert api.post(f"/api/v1/organizers/{organizer_id}/follow", headers=as_pat).status_code == 204
    assert api.get(f"/api/v1/organizers/{organizer_id}").status_code == 200
    assert api.get("/api/v1/webhooks", headers=as_organizer).status_code == 200
    assert api.get("/api/v1/me/notifications", headers=as_pat).status_code == 200
    settings = api.get("/api/v1/me/notification-settings", headers=as_pat)
    assert settings.status_code == 200
    assert api.get("/api/v1/unsubscribe/not-a-valid-token-at-all").status_code == 404
    assert api.post("/api/v1/webhooks/sendgrid", json=[]).status_code == 401  # unsigned
    assert api.get(f"{path}/registrations", headers=as_organizer).status_code == 200
    assert api.get(f"{path}/check-in/snapshot", headers=as_organizer).status_code == 200
    steward = api.post(
        f"{path}/team", headers=as_organizer, json={"email": "pat@example.org", "role": "steward"}
    )
    assert steward.status_code == 201, steward.text
    assert api.get(f"{path}/team", headers=as_organizer).status_code == 200
    report = api.post(f"{path}/reports-abuse", headers=as_pat, json={"reason": "test"})
    assert report.status_code == 202
    # Media and calendars: an upload and its signed download, the event's .ics, the
    # personal feed (whose token must stay out of the logs), an import.
    poster = api.post(f"{path}/media", headers=as_organizer, files={"file": ("p.png", png())})
    assert poster.status_code == 201, poster.text
    assert httpx.get(poster.json()["url"]).status_code == 200
    assert api.get(f"{path}/calendar.ics").status_code == 200
    feed = api.get("/api/v1/me/calendar-feed", headers=as_pat).json()["url"]
    assert httpx.get(feed).status_code == 200
    imported = api.post(
        "/api/v1/calendar/import",
        headers={**as_organizer, "Content-Type": "text/calendar"},
        content=CALENDAR,
    )
    assert imported.status_code == 201, imported.text
    # A series of two dates, changed, and its .ics.
    series = api.post(
        "/api/v1/series",
        headers=as_organizer,
        json={
            "title": "Observed series",
            "description": "",
            "starts_at": "2031-09-08T20:00:00+00:00",
            "ends_at": "2031-09-08T22:00:00+00:00",
            "timezone": "UTC",
            "category": "meetup",
            "rrule": "FREQ=WEEKLY;COUNT=2",
        },
    )
    assert series.status_code == 201, series.text
    series_path = f"/api/v1/series/{series.json()['id']}"
    changed = api.patch(series_path, headers=as_organizer, json={"title": "Observed again"})
    assert changed.status_code == 200, changed.text
    assert api.get(f"{series_path}/calendar.ics", headers=as_organizer).status_code == 200
    # A report: asked for (202 at once), built by the worker, downloaded by its fresh link.
    asked = api.post(
        "/api/v1/reports",
        headers=as_organizer,
        json={"kind": "event_attendance", "event_id": event["id"], "format": "pdf"},
    )
    assert asked.status_code == 202, asked.text
    built = ready_report(api, asked.json()["id"], as_organizer)
    assert httpx.get(built["download_url"]).content.startswith(b"%PDF")
    assert api.delete(f"{path}/registrations/me", headers=as_pat).status_code == 204
    # Scheduled runs and a scrape of the platform's figures, as the scheduler and
    # Prometheus call them (internal: straight from loopback).
    for name in ("relay_outbox", "sweep_tasks", "send_reminder"):
        assert api.post(f"/function/{name}/").status_code < 300
    assert api.get("/function/platform_metrics/metrics").status_code == 200
    # Statistics (track_activity was delivered every registration and event CloudEvent).
    assert api.get(f"/api/v1/analytics/events/{event['id']}", headers=as_organizer).is_success
    assert api.get("/api/v1/analytics/categories/popular").is_success
    me = api.get("/api/v1/users/me", headers=as_pat).json()
    assert api.get(f"/api/v1/analytics/users/{me['id']}/activity", headers=as_pat).is_success
    assert api.get("/api/v1/me/achievements", headers=as_pat).is_success
    assert api.get("/api/v1/leaderboard").is_success
    return {
        "tokens": [admin, organizer, pat],
        "link_token": link.split("token=", 1)[1],
        "feed_token": feed.rsplit("/", 1)[1].removesuffix(".ics"),
        "download_signature": poster.json()["url"].split("signature=", 1)[1],
        "report_signature": built["download_url"].split("signature=", 1)[1],
    }


def ready_report(api: httpx.Client, report_id: str, headers: dict[str, str]) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        answer = api.get(f"/api/v1/reports/{report_id}", headers=headers)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        if body["status"] in ("ready", "failed"):
            assert body["status"] == "ready", body
            return body
        time.sleep(0.2)
    raise AssertionError("the report was not built within a minute")


@pytest.fixture(scope="module")
def prometheus(platform: tuple[Runner, dict[str, Any]], tmp_path_factory) -> Iterator[str]:
    runner, _ = platform
    binary = shutil.which("prometheus")
    assert binary, "the prometheus Debian package (make test installs it)"
    base = tmp_path_factory.mktemp("prometheus")
    record = json.loads((runner.data_dir / "run.json").read_text())
    worker = httpx.URL(record["worker_metrics_url"])
    shutil.copy(DASHBOARDS / "prometheus/alerts.yml", base / "alerts.yml")
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(base / "alerts.yml")],
        "scrape_configs": [
            {
                "job_name": "eventmgr-up",
                "static_configs": [{"targets": [httpx.URL(runner.url).netloc.decode()]}],
            },
            {
                "job_name": "worker",
                "static_configs": [{"targets": [f"{worker.host}:{worker.port}"]}],
            },
        ],
    }
    (base / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={base / 'prometheus.yml'}",
            f"--storage.tsdb.path={base / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                answer = httpx.get(f"{url}/api/v1/targets")
            except httpx.TransportError:
                answer = None
            # Until its storage is open Prometheus answers a plain-text 503.
            if answer is not None and answer.status_code == 200:
                targets = answer.json()["data"]["activeTargets"]
                if len(targets) == 2 and all(t["health"] == "up" for t in targets):
                    break
            time.sleep(0.5)
        else:
            raise AssertionError("Prometheus did not scrape both targets")
        time.sleep(5)  # a few samples each, for rate()
        yield url
    finally:
        process.terminate()
        process.wait(30)


def query(prometheus: str, expr: str) -> dict[str, Any]:
    answer = httpx.get(f"{prometheus}/api/v1/query", params={"query": expr}).json()
    assert answer["status"] == "success", (expr, answer)
    data: dict[str, Any] = answer["data"]
    return data


@pytest.mark.parametrize("board", ["overview", "business", "eventing"])
def test_every_dashboard_query_returns_data(prometheus: str, board: str):
    text = (DASHBOARDS / f"grafana/dashboards/{board}.json").read_text()
    empty = [
        expr
        for expr in expressions(text)
        if not query(prometheus, expr.replace("$__rate_interval", "1m"))["result"]
    ]
    assert empty == []


def test_every_alert_rule_is_loaded_and_evaluates(prometheus: str):
    rules = httpx.get(f"{prometheus}/api/v1/rules").json()["data"]["groups"][0]["rules"]
    assert len(rules) == 7
    assert all(rule["health"] == "ok" for rule in rules), rules
    firing = httpx.get(f"{prometheus}/api/v1/alerts").json()["data"]["alerts"]
    assert [alert["labels"]["alertname"] for alert in firing] == []
    for rule in yaml.safe_load((DASHBOARDS / "prometheus/alerts.yml").read_text())["groups"][0][
        "rules"
    ]:
        query(prometheus, rule["expr"])


def test_logs_are_ecs_and_one_trace_crosses_every_hop(platform: tuple[Runner, dict[str, Any]]):
    runner, _ = platform
    records = [json.loads(line) for line in runner.lines() if line.startswith("{")]
    assert records
    for record in records:
        assert {"@timestamp", "log.level", "message", "service.name"} <= record.keys(), record
    access = [r for r in records if "http.response.status_code" in r]
    for line in access:
        assert {
            "http.request.method",
            "url.path",
            "event.duration",
            "trace.id",
            "transaction.id",
        } <= line.keys()
        assert "{" in line["url.path"] or "?" not in line["url.path"]
    traced = {r["service.name"] for r in records if r.get("trace.id") == TRACE}
    # Gateway and functions share the process: the function's access line is the request's
    # one line, and carries the gateway's part (its span, route and time) too.
    hops = [r for r in access if r.get("trace.id") == TRACE and "gateway.span.id" in r]
    assert hops, "no access line carries the gateway's part of the traced request"
    assert {"register", "notify", "worker"} <= traced, traced
    names = {r["service.name"] for r in access}
    assert set(function_names()) - {"platform_metrics"} <= names | {"verify_email"}


def test_no_secret_reaches_the_logs(platform: tuple[Runner, dict[str, Any]]):
    runner, secrets = platform
    text = runner.log.read_text()
    leaked = [p for p in PASSWORDS if p in text]
    for tokens in secrets["tokens"]:
        leaked += [kind for kind in ("access_token", "refresh_token") if tokens[kind] in text]
    if secrets["link_token"] in text:
        leaked.append("verification link token")
    if secrets["feed_token"] in text:
        leaked.append("calendar feed token")
    if secrets["download_signature"] in text:
        leaked.append("download link signature")
    if secrets["report_signature"] in text:
        leaked.append("report link signature")
    assert leaked == []
