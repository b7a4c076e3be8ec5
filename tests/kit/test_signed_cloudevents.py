"""Only the platform's own CloudEvents are applied: the outbox signs, the kit checks, on every
target; and a scheduled run that no token proves is rate-limited.

Where deliveries cannot carry the internal token (Knative, `INTERNAL_AUTH=network`), whoever
reaches a function could otherwise make it act on made-up CloudEvents or sweep in a loop.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from cloudevents.core.formats.json import JSONFormat
from starlette.testclient import TestClient

from shared import process_state
from shared.kit import PROBLEM_JSON, Function
from shared.kit.operations import SCHEDULE_CLOUDEVENT_TYPE
from shared.outbox.signing import SIGNATURE_EXTENSION
from tests.support.api import INTERNAL
from tests.support.delivery import binary_mode, signed_cloudevent

VERIFIED = "org.eventmanager.user.verified"
BLOCKED = "org.eventmanager.user.blocked"
USER = "7d1f6a9e-5b1c-4c44-9a55-0a2f8b8e2b10"
OTHER_USER = "0b7e2f3c-1d4a-4f6e-8a9b-2c3d4e5f6a7b"
AT = datetime(2026, 5, 4, 3, 2, 1, 120000, tzinfo=UTC)

applied: list[tuple[str, str, str]] = []
ticks: list[str] = []
guarded = Function("guarded", summary="test", consumes=(VERIFIED, BLOCKED), schedule="* * * * *")


@guarded.on(VERIFIED)
def _on_verified(session, cloudevent) -> None:
    applied.append((cloudevent.id, cloudevent.type, str(cloudevent.data.user_id)))


@guarded.on(BLOCKED)
def _on_blocked(session, cloudevent) -> None:
    applied.append((cloudevent.id, cloudevent.type, str(cloudevent.data.user_id)))


@guarded.on_schedule
def _tick() -> None:
    ticks.append("tick")


def verified(cloudevent_id: str = "ce-1"):
    return signed_cloudevent(
        type=VERIFIED, id=cloudevent_id, data={"user_id": USER}, subject=USER, time=AT
    )


@pytest.fixture
def app(db_url) -> Iterator[TestClient]:
    applied.clear()
    ticks.clear()
    with TestClient(guarded.app(), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def network_mode(db_url, monkeypatch) -> Iterator[None]:
    """As on Knative: reachability lets a caller in, without the internal token."""
    monkeypatch.setenv("INTERNAL_AUTH", "network")
    process_state.reset()
    yield
    monkeypatch.undo()
    process_state.reset()


def post(client: TestClient, headers: dict[str, str], body: bytes, *, token: bool = True):
    return client.post("/", content=body, headers={**(INTERNAL if token else {}), **headers})


def assert_refused(response, status: int, slug: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert response.json()["type"].endswith(slug)


def test_a_signed_cloudevent_is_applied_once_however_often_it_is_replayed(app):
    headers, body = binary_mode(verified())
    for _ in range(3):
        assert post(app, headers, body).status_code == 204
    assert applied == [("ce-1", VERIFIED, USER)]


def test_an_unsigned_cloudevent_is_refused_even_with_the_token(app):
    headers, body = binary_mode(verified())
    del headers[f"ce-{SIGNATURE_EXTENSION}"]
    assert_refused(post(app, headers, body), 401, "unsigned-cloudevent")
    assert applied == []


def test_a_cloudevent_signed_with_another_key_is_refused(app, monkeypatch):
    monkeypatch.setenv("CLOUDEVENT_KEY", "someone-elses-key")
    process_state.reset()
    headers, body = binary_mode(verified())
    monkeypatch.undo()
    process_state.reset()
    assert_refused(post(app, headers, body), 403, "bad-cloudevent-signature")
    assert applied == []


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("ce-type", BLOCKED),  # another type this function consumes
        ("ce-id", "ce-2"),  # a fresh id would dodge the duplicate check
        ("ce-source", "/eventmanager/admin_users"),
        ("ce-subject", OTHER_USER),
        ("ce-time", "2026-05-04T03:02:02.12Z"),
    ],
)
def test_an_altered_attribute_breaks_the_signature(app, header, value):
    headers, body = binary_mode(verified())
    assert_refused(post(app, {**headers, header: value}, body), 403, "bad-cloudevent-signature")
    assert applied == []


def test_altered_data_breaks_the_signature(app):
    headers, body = binary_mode(verified())
    altered = body.replace(USER.encode(), OTHER_USER.encode())
    assert altered != body
    assert_refused(post(app, headers, altered), 403, "bad-cloudevent-signature")
    assert applied == []


def test_the_signature_survives_re_encoding_on_the_way(app):
    """The dispatcher and Knative's RabbitMQ broker parse and re-serialise: the JSON's spacing
    and key order, the header names' case and the form of `time` (Go writes RFC 3339 in UTC
    without trailing zeros) may change; the signed content does not."""
    headers, _ = binary_mode(verified())
    go_style = {key.title(): value for key, value in headers.items()}
    go_style["Ce-Time"] = "2026-05-04T03:02:01.12Z"
    body = b'{ "user_id" : "%s" }' % USER.encode()
    assert post(app, go_style, body).status_code == 204
    structured = JSONFormat().write(verified("ce-3"))
    response = post(app, {"content-type": "application/cloudevents+json"}, structured)
    assert response.status_code == 204
    assert [entry[0] for entry in applied] == ["ce-1", "ce-3"]


def test_in_network_mode_only_signed_cloudevents_get_in(app, network_mode):
    headers, body = binary_mode(verified())
    forged = {key: value for key, value in headers.items() if SIGNATURE_EXTENSION not in key}
    assert_refused(post(app, forged, body, token=False), 401, "unsigned-cloudevent")
    assert post(app, headers, body, token=False).status_code == 204
    assert applied == [("ce-1", VERIFIED, USER)]


def ping(cloudevent_id: str) -> dict[str, str]:
    return {
        "ce-specversion": "1.0",
        "ce-type": SCHEDULE_CLOUDEVENT_TYPE,
        "ce-source": "/apis/v1/namespaces/eventmanager/pingsources/guarded-schedule",
        "ce-id": cloudevent_id,
    }


def test_unproven_scheduled_runs_start_at_most_once_per_interval(app, network_mode):
    assert post(app, {}, b"", token=False).status_code == 204
    again = post(app, {}, b"", token=False)
    assert_refused(again, 429, "too-many-requests")
    assert 1 <= int(again.headers["retry-after"]) <= 30
    # A PingSource tick is a scheduled run like any other: the same limit holds.
    assert_refused(post(app, ping("tick-2"), b"", token=False), 429, "too-many-requests")
    assert ticks == ["tick"]
    # The platform's own callers prove themselves with the token and are not limited.
    assert post(app, {}, b"").status_code == 204
    assert post(app, ping("tick-3"), b"").status_code == 204
    assert ticks == ["tick", "tick", "tick"]
    assert applied == []  # a scheduled run never reaches a CloudEvent handler


@pytest.fixture
def keys_restored() -> Iterator[None]:
    """Set up before `monkeypatch`, so torn down after it: the keys are read again from the
    restored environment."""
    yield
    process_state.reset()


def test_a_rotation_accepts_the_previous_key_and_signs_with_the_new_one(keys_restored, monkeypatch):
    from shared.outbox import signing

    message = b'["id","type"]'
    monkeypatch.setenv("CLOUDEVENT_KEY", "old-key")
    process_state.reset()
    old = signing.sign(message)
    monkeypatch.setenv("CLOUDEVENT_KEY", "new-key")
    process_state.reset()
    assert not signing.is_valid(message, old)  # no previous key given: refused
    monkeypatch.setenv("CLOUDEVENT_KEY_PREVIOUS", "old-key")
    process_state.reset()
    assert signing.is_valid(message, old)
    assert signing.sign(message) != old  # never signs with the previous one
    assert signing.is_valid(message, signing.sign(message))


def test_no_key_is_a_clear_refusal_not_a_key_of_one_process(keys_restored, monkeypatch):
    from shared.outbox import signing

    monkeypatch.delenv("CLOUDEVENT_KEY", raising=False)
    process_state.reset()
    with pytest.raises(signing.MissingCloudEventKey, match="CLOUDEVENT_KEY is unset"):
        signing.sign(b"anything")
