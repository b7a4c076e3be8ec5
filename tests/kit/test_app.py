"""What every function gets from the kit: operations endpoints, errors, limits, CORS, tracing."""

from __future__ import annotations

import gc
import json

import pytest
from cloudevents.core.formats.json import JSONFormat
from starlette.testclient import TestClient

from shared import process_state
from shared.catalog import CloudEventData, UserVerified
from shared.kit import PROBLEM_JSON, Function
from tests.support.api import INTERNAL, assert_problem
from tests.support.delivery import binary_mode, signed_cloudevent


def test_health_and_readiness(client):
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").json()["status"] == "ready"
    assert client.get("/function/browse_events/healthz", headers=INTERNAL).status_code == 200


def test_readiness_fails_when_postgres_does_not_answer(gateway, monkeypatch):
    # An operator's load balancer must take the function out of rotation.
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/none")
    process_state.reset()
    try:
        with TestClient(gateway) as client:
            assert_problem(client.get("/readyz"), 503)
            assert_problem(client.get("/function/login/readyz", headers=INTERNAL), 503)
            assert client.get("/healthz").status_code == 200
    finally:
        process_state.reset()


def test_metrics_are_internal(client):
    assert_problem(client.get("/metrics"), 401)
    assert_problem(client.get("/function/login/metrics"), 401)
    wrong = {"Authorization": "Bearer nope"}
    assert_problem(client.get("/function/login/metrics", headers=wrong), 401)
    client.get("/api/v1/categories")
    body = client.get("/metrics", headers=INTERNAL).text
    assert (
        'eventmgr_http_requests_total{function="browse_events",method="GET",'
        'route="/api/v1/categories",status="200"}'
    ) in body
    assert "eventmgr_http_request_duration_seconds_bucket" in body


def test_unknown_route_and_wrong_method_are_problems(client):
    assert_problem(client.get("/api/v1/nothing-here"), 404)
    response = client.put("/api/v1/events")
    assert_problem(response, 405)
    # Two functions share this path; the answer names the methods of both.
    assert response.headers["allow"] == "GET, HEAD, POST"
    assert_problem(client.get("/function/no_such_function/healthz", headers=INTERNAL), 404)


def test_internal_entry_is_not_routed_publicly(client):
    # `/` is the web front end's home page: a POST there is refused (405), never delivered
    # to a function's internal CloudEvents entry.
    refused = assert_problem(client.post("/", content=b""), 405)
    assert refused["detail"] == "This path accepts GET, HEAD."
    assert_problem(client.post("/function/login/", content=b""), 401)


def test_validation_error_lists_fields_without_echoing_input(client):
    secret = "my-secret-password-123"
    response = client.post(
        "/api/v1/auth/register", json={"email": "not-an-email", "password": secret}
    )
    body = assert_problem(response, 422)
    locations = {tuple(error["loc"]) for error in body["errors"]}
    assert ("body", "email") in locations
    assert ("body", "full_name") in locations
    assert secret not in response.text


@pytest.mark.parametrize(
    "raw",
    [b"{", b"[1, 2", b"\xff\xfe", b"null", b"[]", b'"text"', b"{" * 50_000, b"[" * 100_000],
)
def test_malformed_or_deeply_nested_json_is_a_client_error(client, raw):
    response = client.post(
        "/api/v1/auth/login", content=raw, headers={"content-type": "application/json"}
    )
    assert 400 <= response.status_code < 500
    assert response.headers["content-type"].startswith(PROBLEM_JSON)


def test_body_over_the_limit_is_refused(client):
    big = json.dumps({"email": "a@example.org", "password": "x" * 2_000_000})
    assert_problem(
        client.post(
            "/api/v1/auth/login", content=big, headers={"content-type": "application/json"}
        ),
        413,
    )

    def chunks():  # no Content-Length: the limit is enforced while streaming
        yield b'{"email": "a@example.org", "password": "'
        for _ in range(40):
            yield b"y" * 65536
        yield b'"}'

    response = client.post(
        "/api/v1/auth/login", content=chunks(), headers={"content-type": "application/json"}
    )
    assert_problem(response, 413)


def test_request_id_and_trace_context_are_propagated(client):
    trace = "0af7651916cd43dd8448eb211c80319c"
    response = client.get(
        "/api/v1/categories",
        headers={"X-Request-ID": "req-123", "traceparent": f"00-{trace}-b7ad6b7169203331-01"},
    )
    assert response.headers["x-request-id"] == "req-123"
    assert response.headers["traceparent"].startswith(f"00-{trace}-")
    fresh = client.get("/api/v1/categories", headers={"traceparent": "garbage"})
    assert len(fresh.headers["x-request-id"]) == 16
    assert fresh.headers["traceparent"].split("-")[1] != trace


def test_cors_preflight_for_configured_origin_only(client):
    allowed = client.options(
        "/api/v1/events",
        headers={
            "Origin": "https://app.example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://app.example.org"
    refused = client.options(
        "/api/v1/events",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in refused.headers
    simple = client.get("/api/v1/categories", headers={"Origin": "https://app.example.org"})
    assert simple.headers["access-control-allow-origin"] == "https://app.example.org"


# A function declared here with the real kit, to exercise CloudEvents and schedules.
received: list[tuple[str, object]] = []
VERIFIED = "org.eventmanager.user.verified"
USER = "7d1f6a9e-5b1c-4c44-9a55-0a2f8b8e2b10"
probe = Function("probe", summary="test", schedule="*/5 * * * *")


@probe.on(UserVerified)
def _on_verified(session, cloudevent) -> None:
    received.append((cloudevent.id, str(cloudevent.data.user_id)))


@probe.on_schedule
def _tick() -> None:
    received.append(("tick", None))


@pytest.fixture
def probe_client(db_url):
    received.clear()
    with TestClient(probe.app(), raise_server_exceptions=False) as test_client:
        yield test_client


def test_cloudevent_binary_and_structured_modes(probe_client):
    headers, body = binary_mode(signed_cloudevent(type=VERIFIED, id="id-1", data={"user_id": USER}))
    binary = probe_client.post("/", content=body, headers={**INTERNAL, **headers})
    assert binary.status_code == 204
    assert binary.content == b""
    second = signed_cloudevent(type=VERIFIED, id="id-2", data={"user_id": USER})
    structured = probe_client.post(
        "/",
        content=JSONFormat().write(second),
        headers={**INTERNAL, "content-type": "application/cloudevents+json"},
    )
    assert structured.status_code == 204
    assert received == [("id-1", USER), ("id-2", USER)]


def test_cloudevent_errors_and_scheduled_run(probe_client):
    assert_problem(probe_client.post("/", content=b""), 401)
    not_ours = probe_client.post(
        "/",
        content=b"{}",
        headers={
            **INTERNAL,
            "ce-specversion": "1.0",
            "ce-type": "org.eventmanager.other",
            "ce-source": "/x",
            "ce-id": "1",
            "content-type": "application/json",
        },
    )
    assert_problem(not_ours, 422)
    broken = probe_client.post(
        "/", content=b"{", headers={**INTERNAL, "content-type": "application/cloudevents+json"}
    )
    assert_problem(broken, 400)
    assert probe_client.post("/", content=b"", headers=INTERNAL).status_code == 204
    assert received == [("tick", None)]


def test_declarations_refuse_undeclared_consumers_and_duplicate_routes():
    from shared.kit import declared

    class Undeclared(CloudEventData):
        cloudevent_type = "org.eventmanager.undeclared"

    with pytest.raises(ValueError, match="catalog lacks"):
        probe.on(Undeclared)
    with pytest.raises(ValueError, match=r"user\.verified twice"):
        probe.on(UserVerified)
    assert probe.consumes == (VERIFIED,)
    one, two = Function("one", summary="a"), Function("two", summary="b")
    for function in (one, two):
        function.get("/same")(lambda: None)
    with pytest.raises(ValueError, match="GET /same is declared by one and two"):
        declared([one, two])


def test_objects_made_before_the_first_request_are_frozen(client):
    # Full collections would scan every module, route and model on each run, stalling the
    # event loop (the cached page's p99): what exists once a request was served is frozen.
    assert client.get("/function/browse_events/healthz", headers=INTERNAL).status_code == 200
    assert gc.get_freeze_count() > 10_000
