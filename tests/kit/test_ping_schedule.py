"""A Knative PingSource's CloudEvent on `POST /` is the function's scheduled run."""

from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient

from shared.kit import PROBLEM_JSON, Function
from shared.kit.operations import SCHEDULE_CLOUDEVENT_TYPE
from tests.support.api import INTERNAL

PING_SOURCE = "/apis/v1/namespaces/eventmanager/pingsources/ticker-schedule"

ticks: list[str] = []
ticker = Function("ticker", summary="test", schedule="* * * * *")
no_schedule = Function("no_schedule", summary="test")


@ticker.on_schedule
def _tick() -> None:
    ticks.append("tick")


def ping_headers(**extra: str) -> dict[str, str]:
    # What the PingSource adapter sends in binary mode when the source has no data.
    return {
        **INTERNAL,
        "ce-specversion": "1.0",
        "ce-type": SCHEDULE_CLOUDEVENT_TYPE,
        "ce-source": PING_SOURCE,
        "ce-id": "5f6ae1f9-1c2b-4a4e-9f53-0d3b7f0e9a11",
        "ce-time": "2025-01-01T00:00:00Z",
        **extra,
    }


@pytest.fixture
def ticks_recorded() -> list[str]:
    ticks.clear()
    return ticks


def test_ping_in_binary_mode_runs_the_schedule(ticks_recorded):
    with TestClient(ticker.app(), raise_server_exceptions=False) as client:
        response = client.post("/", content=b"", headers=ping_headers())
        assert response.status_code == 204, response.text
        with_data = client.post(
            "/",
            content=json.dumps({"note": "ping"}),
            headers=ping_headers(**{"content-type": "application/json"}),
        )
        assert with_data.status_code == 204, with_data.text
    assert ticks_recorded == ["tick", "tick"]


def test_ping_in_structured_mode_runs_the_schedule(ticks_recorded):
    envelope = {
        "specversion": "1.0",
        "type": SCHEDULE_CLOUDEVENT_TYPE,
        "source": PING_SOURCE,
        "id": "1",
    }
    with TestClient(ticker.app(), raise_server_exceptions=False) as client:
        response = client.post(
            "/",
            content=json.dumps(envelope),
            headers={**INTERNAL, "content-type": "application/cloudevents+json"},
        )
    assert response.status_code == 204, response.text
    assert ticks_recorded == ["tick"]


def test_ping_is_internal_and_needs_a_schedule(ticks_recorded):
    with TestClient(ticker.app(), raise_server_exceptions=False) as client:
        anonymous = {k: v for k, v in ping_headers().items() if k != "Authorization"}
        refused = client.post("/", content=b"", headers=anonymous)
        assert refused.status_code == 401
        assert refused.headers["content-type"].startswith(PROBLEM_JSON)
    with TestClient(no_schedule.app(), raise_server_exceptions=False) as client:
        missing = client.post("/", content=b"", headers=ping_headers())
        assert missing.status_code == 404
        assert missing.headers["content-type"].startswith(PROBLEM_JSON)
    assert ticks_recorded == []


def test_with_network_authorization_a_ping_without_a_token_runs(ticks_recorded, monkeypatch):
    """Knative: Triggers and PingSources cannot send the token; INTERNAL_AUTH=network trusts
    reachability (cluster-local Services behind a NetworkPolicy) instead."""
    from shared import process_state

    anonymous = {k: v for k, v in ping_headers().items() if k != "Authorization"}
    monkeypatch.setenv("INTERNAL_AUTH", "network")
    process_state.reset()
    try:
        with TestClient(ticker.app(), raise_server_exceptions=False) as client:
            assert client.post("/", content=b"", headers=anonymous).status_code == 204
            assert client.get("/metrics").status_code == 200
        assert ticks_recorded == ["tick"]
    finally:
        monkeypatch.undo()
        process_state.reset()
    with TestClient(ticker.app(), raise_server_exceptions=False) as client:
        assert client.post("/", content=b"", headers=anonymous).status_code == 401


counter = Function("counter", summary="test", schedule="* * * * *")
counted: list[int] = []


@counter.on_schedule
def _count() -> dict[str, int]:
    counted.append(1)
    return {"published": len(counted), "skipped": 0}


def test_a_scheduled_run_tells_what_it_did_to_a_caller_that_asks():
    """`eventmgr invoke` prints the counts; schedulers and Knative keep a bodiless 204."""
    counted.clear()
    with TestClient(counter.app(), raise_server_exceptions=False) as client:
        asked = client.post("/", content=b"", headers={**INTERNAL, "accept": "application/json"})
        assert asked.status_code == 200, asked.text
        assert asked.json() == {"function": "counter", "counts": {"published": 1, "skipped": 0}}
        plain = client.post("/", content=b"", headers=INTERNAL)
        assert (plain.status_code, plain.content) == (204, b"")
        pinged = client.post("/", content=b"", headers=ping_headers())
        assert pinged.status_code == 204
    assert counted == [1, 1, 1]
