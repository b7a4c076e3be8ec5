"""`eventmgr up --processes`: every function its own process behind a real Nginx with the
rendered gateway config, the local twin of production routing."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.support.runner import Runner, create_user, start_runner, wait_for_link

PASSWORD = "organizer-password-1"


@pytest.fixture(scope="module")
def processes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runner]:
    base = tmp_path_factory.mktemp("processes")
    running = start_runner(base / "data", base / "runner.log", "--processes")
    yield running
    if running.process.poll() is None:
        running.stop()


def test_the_scenario_through_nginx(processes: Runner):
    record = json.loads((processes.data_dir / "run.json").read_text())
    assert record["mode"] == "processes"
    assert len(record["functions"]) >= 15  # one process (and port) per function
    create_user(processes.data_dir, "org@example.org", PASSWORD, "organizer")
    api = httpx.Client(base_url=processes.url, timeout=30)
    signup = api.post(
        "/api/v1/auth/register",
        json={"email": "pat@example.org", "password": "participant-1", "full_name": "Pat"},
    )
    assert signup.status_code == 201, signup.text
    assert signup.headers["x-request-id"]
    organizer = api.post(
        "/api/v1/auth/login", json={"email": "org@example.org", "password": PASSWORD}
    ).json()
    event = api.post(
        "/api/v1/events",
        headers={"Authorization": f"Bearer {organizer['access_token']}"},
        json={
            "title": "Behind Nginx",
            "description": "Routing like production",
            "starts_at": "2031-09-01T18:00:00+00:00",
            "ends_at": "2031-09-01T22:00:00+00:00",
            "timezone": "UTC",
            "category": "meetup",
            "status": "published",
        },
    )
    assert event.status_code == 201, event.text
    assert [e["title"] for e in api.get("/api/v1/events").json()["items"]] == ["Behind Nginx"]
    pat = api.post(
        "/api/v1/auth/login", json={"email": "pat@example.org", "password": "participant-1"}
    ).json()
    joined = api.post(
        f"/api/v1/events/{event.json()['id']}/registrations",
        headers={"Authorization": f"Bearer {pat['access_token']}"},
    )
    assert (joined.status_code, joined.json()["status"]) == (201, "confirmed")
    # The CloudEvent of the sign-up went through Nginx's internal server to notify, and the
    # worker mailed the link.
    assert wait_for_link(processes, "pat@example.org").startswith("http")


@pytest.mark.parametrize(
    ("method", "path", "status", "allow"),
    [
        # `/` is the web front end's home page: the internal POST is refused as a method.
        ("POST", "/", 405, "GET, HEAD, OPTIONS"),
        ("GET", "/metrics", 404, None),
        ("GET", "/function/login/healthz", 404, None),
        ("POST", "/function/notify/", 404, None),
        ("PUT", "/api/v1/events", 405, "GET, HEAD, OPTIONS, POST"),
    ],
)
def test_internal_paths_are_refused_at_the_edge(processes: Runner, method, path, status, allow):
    answer = httpx.request(method, processes.url + path, timeout=10)
    assert answer.status_code == status
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-request-id"]
    assert answer.headers.get("allow") == allow


def test_head_works_wherever_get_does_through_nginx(processes: Runner):
    get = httpx.get(f"{processes.url}/api/v1/categories", timeout=10)
    head = httpx.head(f"{processes.url}/api/v1/categories", timeout=10)
    assert (head.status_code, head.content) == (200, b"")
    assert head.headers["content-type"] == get.headers["content-type"]
    assert httpx.head(f"{processes.url}/api/v1/auth/login", timeout=10).status_code == 405


def test_gateway_access_lines_are_ecs_json_without_query_strings(processes: Runner):
    httpx.get(f"{processes.url}/api/v1/events?q=secret-looking-query", timeout=10)
    lines = [json.loads(line) for line in processes.lines() if '"service.name":"gateway"' in line]
    assert lines
    assert all(line["url.path"].startswith("/") and "?" not in line["url.path"] for line in lines)
    assert "secret-looking-query" not in processes.log.read_text()


def test_readiness_through_nginx_names_the_runners_components(processes: Runner):
    """The runner's worker, dispatcher and scheduler are reported at /readyz with --processes
    too, as in one process: the platform never answers ready while its mail is dead."""
    deadline = time.monotonic() + 90
    while True:
        answer = httpx.get(f"{processes.url}/readyz", timeout=10)
        if answer.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert answer.status_code == 200, answer.text
    assert answer.json()["components"] == {
        "worker": "up",
        "dispatcher": "up",
        "scheduler": "up",
    }
