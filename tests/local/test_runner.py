"""`eventmgr up` as a user runs it: a real process on embedded PostgreSQL and Redis."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from collections.abc import Iterator

import httpx
import psutil
import psycopg
import pytest
import redis

from local.embedded import free_port
from tests.support.runner import (
    EVENTMGR,
    PASSWORD,
    Runner,
    clean_env,
    cli,
    create_user,
    processes_using,
    start_runner,
    wait_for_link,
    wait_for_mail,
)


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runner]:
    base = tmp_path_factory.mktemp("runner")
    running = start_runner(base / "data", base / "runner.log")
    yield running
    if running.process.poll() is None:
        running.stop()


def test_data_dir_layout(runner: Runner):
    root = runner.data_dir
    for name in ("pg", "redis", "outbox", "media", "keys"):
        assert (root / name).is_dir()
    assert (root / "keys").stat().st_mode & 0o777 == 0o700
    record = json.loads((root / "run.json").read_text())
    assert record["url"] == runner.url
    assert record["pid"] == runner.process.pid
    assert (root / "run.json").stat().st_mode & 0o777 == 0o600


def test_the_whole_flow_over_plain_http(runner: Runner):
    create_user(runner.data_dir, "org@example.org", PASSWORD, "organizer")
    api = httpx.Client(base_url=runner.url, timeout=30)
    tokens = api.post(
        "/api/v1/auth/login", json={"email": "org@example.org", "password": PASSWORD}
    ).json()
    organizer = {"Authorization": f"Bearer {tokens['access_token']}"}
    event = api.post(
        "/api/v1/events",
        headers=organizer,
        json={
            "title": "Launch party",
            "description": "Cake",
            "starts_at": "2031-09-01T18:00:00+00:00",
            "ends_at": "2031-09-01T22:00:00+00:00",
            "timezone": "UTC",
            "category": "other",
            "capacity": 1,
            "status": "published",
        },
    )
    assert event.status_code == 201, event.text
    listed = api.get("/api/v1/events").json()["items"]
    assert [item["title"] for item in listed] == ["Launch party"]
    signup = api.post(
        "/api/v1/auth/register",
        json={"email": "pat@example.org", "password": "participant-1", "full_name": "Pat"},
    )
    assert signup.status_code == 201
    pat = api.post(
        "/api/v1/auth/login", json={"email": "pat@example.org", "password": "participant-1"}
    ).json()
    joined = api.post(
        f"/api/v1/events/{event.json()['id']}/registrations",
        headers={"Authorization": f"Bearer {pat['access_token']}"},
    )
    assert joined.status_code == 201
    assert joined.json()["status"] == "confirmed"
    # The confirmation is mailed with the event's calendar entry, an invitation calendars add.
    confirmation = wait_for_mail(runner, "pat@example.org", "You are registered: Launch party")
    [invitation] = [
        part for part in confirmation.iter_attachments() if part.get_filename() == "event.ics"
    ]
    calendar_bytes = invitation.get_payload(decode=True)
    assert isinstance(calendar_bytes, bytes)
    calendar_text = calendar_bytes.decode()
    assert "METHOD:REQUEST" in calendar_text
    assert "SUMMARY:Launch party" in calendar_text
    assert confirmation["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # A new time is a notice to everyone registered, with the old and the new time.
    moved = api.patch(
        f"/api/v1/events/{event.json()['id']}",
        headers=organizer,
        json={"starts_at": "2031-09-02T18:00:00+00:00", "ends_at": "2031-09-02T22:00:00+00:00"},
    )
    assert moved.status_code == 200, moved.text
    notice = wait_for_mail(runner, "pat@example.org", "Changed: Launch party")
    notice_body = notice.get_body(("plain",))
    assert notice_body is not None
    assert "Starts: 2031-09-02 18:00 UTC (was: 2031-09-01 18:00 UTC)" in notice_body.get_content()
    # Signing up mailed a verification link, through the whole embedded path: outbox →
    # in-process delivery → notify → notification row → Celery worker → .eml in the outbox.
    link = wait_for_link(runner, "pat@example.org")
    assert link.startswith(f"{runner.url}/verify-email?token=")
    assert httpx.get(link).status_code == 200  # the page asks; its button confirms
    token = link.partition("token=")[2]
    assert httpx.post(f"{runner.url}/verify-email", data={"token": token}).status_code == 200
    # Their CloudEvents went through the embedded delivery. The one the CLI wrote (no broker
    # in that process) is swept up by `relay_outbox`, here invoked by hand.
    record = json.loads((runner.data_dir / "run.json").read_text())

    def outbox() -> tuple[int, int]:
        with psycopg.connect(record["database_url"]) as connection:
            row = connection.execute(
                "SELECT count(*), count(*) FILTER (WHERE sent_at IS NULL) FROM outbox"
            ).fetchone()
        assert row
        return row[0], row[1]

    with psycopg.connect(record["database_url"]) as connection:
        verified = connection.execute(
            "SELECT email_verified FROM users WHERE email = 'pat@example.org'"
        ).fetchone()
    assert verified == (True,)
    total, unsent = outbox()
    assert total >= 6  # 2 x user.registered, event.created/published, registration.created,
    #                     user.verified
    # The runner publishes in the background, after each answer: give its last rows a moment.
    settle = time.monotonic() + 10
    while unsent > 1 and time.monotonic() < settle:
        time.sleep(0.1)
        unsent = outbox()[1]
    assert unsent <= 1
    deadline = time.monotonic() + 20
    while outbox()[1] and time.monotonic() < deadline:
        invoked = cli("invoke", "relay_outbox", data_dir=runner.data_dir)
        assert invoked.returncode == 0, invoked.stderr
        assert invoked.stdout.startswith("relay_outbox: done"), invoked.stdout
        time.sleep(1)
    assert outbox() == (total, 0)
    duplicate = cli(
        "users",
        "create",
        "--email",
        "org@example.org",
        "--password",
        PASSWORD,
        data_dir=runner.data_dir,
    )
    assert duplicate.returncode == 1
    assert "already exists" in duplicate.stderr


def test_data_dir_is_private_and_redis_needs_its_password(runner: Runner):
    """Mail holds live reset links, Redis's append-only file cached state: none of it is
    readable by other users, and no local process reaches Redis without the password."""
    root = runner.data_dir
    create_user(root, "private@example.org", PASSWORD, "participant")
    wait_for_mail(runner, "pat@example.org", "You are registered: Launch party")
    # Root (whose PostgreSQL runs as another user) may keep the root traversable, no more.
    assert root.stat().st_mode & 0o066 == 0
    for path in root.rglob("*"):
        if path.is_relative_to(root / "pg") or path.is_symlink():
            continue  # PostgreSQL's own, 0700 by initdb
        if path.is_dir():
            assert path.stat().st_mode & 0o777 == 0o700, path
        else:
            assert path.stat().st_mode & 0o077 == 0, path
    assert list((root / "outbox").glob("*.eml"))
    assert [p for p in (root / "redis").rglob("*") if p.name.startswith("appendonly")]
    record = json.loads((root / "run.json").read_text())
    password = (root / "keys" / "redis-password").read_text().strip()
    with_password = redis.Redis.from_url(record["redis_url"])
    assert with_password.connection_pool.connection_kwargs["password"] == password
    assert with_password.ping()
    port = with_password.connection_pool.connection_kwargs["port"]
    with pytest.raises(redis.AuthenticationError):
        redis.Redis(host="127.0.0.1", port=port).ping()
    assert "--requirepass" not in " ".join(psutil.Process(record["pids"]["redis"]).cmdline())


@pytest.mark.parametrize(
    "browser",
    [
        {"Origin": "https://attacker.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
    ],
)
def test_a_web_page_cannot_make_internal_calls_through_loopback(runner: Runner, browser):
    """A page in the user's browser may post to 127.0.0.1: it must not run scheduled jobs or
    read metrics as loopback tools do, unless it has the internal token."""
    api = httpx.Client(base_url=runner.url, timeout=60)
    assert api.post("/function/relay_outbox/", headers=browser).status_code == 401
    assert api.get("/metrics", headers=browser).status_code == 401
    assert api.get("/function/login/healthz", headers=browser).status_code == 401
    token = (runner.data_dir / "keys" / "internal-token").read_text().strip()
    with_token = {**browser, "Authorization": f"Bearer {token}"}
    assert api.post("/function/relay_outbox/", headers=with_token).status_code in (200, 204)
    # Loopback tools (curl, Prometheus) send neither header and stay trusted.
    assert api.get("/metrics").status_code == 200


def test_invoke_says_what_the_run_did(runner: Runner):
    said = []
    for attempt in range(3):
        # A CLI command has no broker: its CloudEvent waits in the outbox for relay_outbox
        # (after the writer's grace period).
        create_user(runner.data_dir, f"relayed{attempt}@example.org", PASSWORD, "participant")
        time.sleep(6)
        invoked = cli("invoke", "relay_outbox", data_dir=runner.data_dir)
        assert invoked.returncode == 0, invoked.stderr
        said.append(invoked.stdout.strip())
        if "published" in invoked.stdout:
            break  # else the runner's own schedule relayed it first: try again
    assert re.fullmatch(r"relay_outbox: done: (\d+) claimed, \1 published", said[-1]), said
    again = cli("invoke", "relay_outbox", data_dir=runner.data_dir)
    assert again.stdout.strip() == "relay_outbox: done, nothing to do"


def test_a_worker_beside_the_runner_uses_its_redis(runner: Runner):
    """`eventmgr worker --data-dir` finds the running runner through run.json, as every
    command does, Redis password included."""
    record = json.loads((runner.data_dir / "run.json").read_text())
    port = redis.Redis.from_url(record["redis_url"]).connection_pool.connection_kwargs["port"]
    worker = subprocess.Popen(
        [EVENTMGR, "worker", "--concurrency", "1", "--data-dir", str(runner.data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**clean_env(), "METRICS_PORT": str(free_port())},
    )
    lines: list[str] = []
    try:
        assert worker.stdout is not None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = worker.stdout.readline().decode()
            if not line:
                break
            lines.append(line)
            if "ready." in line:
                break
    finally:
        worker.terminate()
        worker.wait(30)
    records = [json.loads(line) for line in lines if line.strip()]
    messages = [record["message"] for record in records]
    assert any(f"@127.0.0.1:{port}/0" in message for message in messages), lines
    assert any(message.endswith("ready.") for message in messages), lines


def test_gateway_extras(runner: Runner):
    api = httpx.Client(base_url=runner.url, timeout=30)
    spec = api.get("/openapi.json").json()
    for path in (
        "/api/v1/auth/register",
        "/api/v1/auth/login",
        "/api/v1/events",
        "/api/v1/events/{event_id}",
        "/api/v1/events/{event_id}/registrations",
    ):
        assert path in spec["paths"]
    assert "/healthz" not in spec["paths"]
    docs = api.get("/docs")
    assert docs.status_code == 200
    assert docs.headers["content-security-policy"] == "frame-ancestors 'none'"
    # The real server says nothing of itself; every answer refuses MIME sniffing.
    for answer in (api.get("/healthz"), api.get("/api/v1/events"), api.get("/nowhere/x")):
        assert "server" not in answer.headers
        assert answer.headers["x-content-type-options"] == "nosniff"
    # Straight from loopback, internal calls need no token (a local Prometheus can scrape).
    metrics = api.get("/metrics").text
    for function in ("browse_events", "login"):
        assert f'function="{function}"' in metrics
    assert api.get("/function/login/healthz").json()["function"] == "login"
    # ...but not when a proxy says the request came from elsewhere.
    assert api.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 401


def test_readyz_reports_the_worker_the_delivery_and_the_scheduler(runner: Runner):
    deadline = time.monotonic() + 60
    while httpx.get(f"{runner.url}/readyz").status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert httpx.get(f"{runner.url}/readyz").json() == {
        "status": "ready",
        "components": {"worker": "up", "dispatcher": "up", "scheduler": "up"},
    }


def test_logs_are_json_lines_with_request_context(runner: Runner):
    httpx.get(f"{runner.url}/api/v1/categories", headers={"X-Request-ID": "log-check-1"})
    time.sleep(0.2)
    records = []
    for line in runner.lines():
        if line.startswith("{"):
            records.append(json.loads(line))
    ours = [r for r in records if r.get("http.request.id") == "log-check-1"]
    access = [r for r in ours if "http.response.status_code" in r]
    # Gateway and function share the process: one access line, the gateway's part in it.
    assert len(access) == 1, access
    line = access[0]
    assert line["service.name"] == "browse_events"
    assert line["url.path"] == "/api/v1/categories"
    assert line["gateway.route"] == "/api/v1/categories"
    assert line["gateway.upstream"] == "browse_events"
    assert len(line["gateway.span.id"]) == 16
    assert line["gateway.duration"] >= line["event.duration"]
    assert line["http.response.status_code"] == 200
    assert len(line["trace.id"]) == 32
    assert {"@timestamp", "log.level", "message"} <= line.keys()
    assert PASSWORD not in runner.log.read_text()


def test_second_runner_on_the_same_data_dir_is_refused(runner: Runner):
    second = subprocess.run(
        [EVENTMGR, "up", "--data-dir", str(runner.data_dir), "--port", str(free_port())],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=60,
        check=False,
    )
    assert second.returncode == 1
    assert runner.url in second.stderr


def test_ctrl_c_stops_everything_and_sigkill_loses_nothing(runner: Runner):
    # Ctrl-C: the runner, its PostgreSQL (not a child), its Redis and its worker are all gone.
    started = processes_using(runner.data_dir)
    started += psutil.Process(runner.process.pid).children(recursive=True)
    assert any("worker" in " ".join(p.cmdline()) for p in started)
    assert runner.stop(signal.SIGINT) == 0
    time.sleep(0.5)
    assert processes_using(runner.data_dir) == []
    assert [p for p in started if p.is_running() and p.status() != psutil.STATUS_ZOMBIE] == []
    assert not (runner.data_dir / "run.json").exists()

    # A runner killed outright leaves no lock behind, and the data survives.
    killed = start_runner(runner.data_dir, runner.log)
    orphans = psutil.Process(killed.process.pid).children(recursive=True)
    killed.stop(signal.SIGKILL)
    # Its children were told to die with it (the kernel's parent-death signal).
    psutil.wait_procs(orphans, timeout=20)
    revived = start_runner(runner.data_dir, runner.log)
    titles = [e["title"] for e in httpx.get(f"{revived.url}/api/v1/events").json()["items"]]
    assert titles == ["Launch party"]
    assert revived.stop(signal.SIGTERM) == 0
    time.sleep(0.5)
    assert processes_using(runner.data_dir) == []


def test_every_line_the_runner_wrote_is_json(runner: Runner):
    """Three runs by now (started, stopped, killed, revived, stopped): from the first line to
    the last, including the Celery worker's notices and Python warnings, all JSON objects."""
    lines = runner.lines()
    assert len(lines) > 50
    not_json = []
    for line in lines:
        try:
            assert isinstance(json.loads(line), dict)
        except (ValueError, AssertionError):
            not_json.append(line)
    assert not_json == []
    messages = [json.loads(line)["message"] for line in lines]
    assert any(message.startswith("Stopped. Data kept in") for message in messages)
