"""Outgoing webhooks against a real receiver on loopback: what an integrator's endpoint gets
(signed as the Standard Webhooks spec says, checked by the spec's own library), retries,
giving up, redelivery, exactly once, only the owner's CloudEvents, SSRF refusals, and a dead
receiver that must not hold up anyone else's deliveries."""

from __future__ import annotations

import ipaddress
import json
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import func, select
from standardwebhooks.webhooks import Webhook as StandardWebhook
from standardwebhooks.webhooks import WebhookVerificationError

from shared import process_state
from shared.db import unit_of_work
from shared.webhooks import service, targets
from shared.webhooks.models import Webhook, WebhookAttempt, WebhookDelivery
from shared.webhooks.sending import drain
from shared.webhooks.signing import new_secret
from tests.support.api import INTERNAL, assert_problem
from tests.support.consumers import eventually
from tests.support.delivery import deliver_outbox
from tests.support.factories import auth, create_event, join, new_user

CREATED = "org.eventmanager.registration.created"


class Receiver:
    """An integrator's endpoint on loopback. `/ok` answers 204; `/flaky` 500 twice then 204;
    `/down` always 500; `/slow` answers after `slow_seconds` (longer than the timeout)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes, float]] = []
        self.flaky_left = 2
        self.slow_seconds = 5.0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.requests.append(
                        (self.path, dict(self.headers.items()), body, time.monotonic())
                    )
                    status = 204
                    if self.path == "/down":
                        status = 500
                    elif self.path == "/flaky" and receiver.flaky_left > 0:
                        receiver.flaky_left -= 1
                        status = 500
                if self.path == "/slow":
                    time.sleep(receiver.slow_seconds)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def got(self, path: str) -> list[tuple[dict[str, str], bytes, float]]:
        with self.lock:
            return [(h, b, t) for p, h, b, t in self.requests if p == path]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def private_allowed(monkeypatch: pytest.MonkeyPatch, db_url: str) -> None:
    """Only here: the receiver sits on loopback, and retries come in fractions of a second."""
    monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE", "true")
    monkeypatch.setenv("WEBHOOK_RETRY_SCHEDULE_SECONDS", "0.2,0.2")
    process_state.reset()


def subscribe(client, owner, url: str, types: tuple[str, ...] = (CREATED,)) -> dict[str, Any]:
    response = client.post(
        "/api/v1/webhooks", json={"url": url, "types": list(types)}, headers=auth(owner)
    )
    assert response.status_code == 201, response.text
    return response.json()


def registrations(client, organizer, people: int = 1) -> None:
    """`people` join one of the organizer's events; the consumer gets their CloudEvents."""
    event = create_event(client, auth(organizer))
    for _ in range(people):
        join(client, event["id"], new_user())
    assert set(deliver_outbox(client, "deliver_webhooks", ("registration.",))) == {204}


def deliveries(webhook_id: str) -> list[WebhookDelivery]:
    with unit_of_work() as session:
        rows = session.scalars(
            select(WebhookDelivery).where(WebhookDelivery.webhook_id == uuid.UUID(webhook_id))
        )
        return list(rows)


def drain_until_settled(webhook_id: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while any(d.status == "pending" for d in deliveries(webhook_id)):
        assert time.monotonic() < deadline, [d.status for d in deliveries(webhook_id)]
        drain(uuid.UUID(webhook_id))
        time.sleep(0.05)


def test_an_organizer_manages_webhooks_and_sees_the_secret_once(client, private_allowed) -> None:
    organizer, other = new_user("organizer"), new_user("organizer")
    created = subscribe(client, organizer, "http://127.0.0.1:9/hook")
    assert created["secret"].startswith("whsec_")
    assert 24 <= len(__import__("base64").b64decode(created["secret"][6:])) <= 32
    assert created["types"] == [CREATED]
    listed = client.get("/api/v1/webhooks", headers=auth(organizer)).json()["items"]
    assert [w["id"] for w in listed] == [created["id"]]
    assert "secret" not in listed[0]
    one = client.get(f"/api/v1/webhooks/{created['id']}", headers=auth(organizer))
    assert one.status_code == 200
    assert "secret" not in one.json()
    # Someone else's webhook does not exist for them; a participant may not have any.
    assert_problem(client.get(f"/api/v1/webhooks/{created['id']}", headers=auth(other)), 404)
    assert_problem(client.delete(f"/api/v1/webhooks/{created['id']}", headers=auth(other)), 404)
    assert_problem(
        client.get(f"/api/v1/webhooks/{created['id']}/deliveries", headers=auth(other)), 404
    )
    participant = new_user()
    assert_problem(client.get("/api/v1/webhooks", headers=auth(participant)), 403)
    assert (
        client.delete(f"/api/v1/webhooks/{created['id']}", headers=auth(organizer)).status_code
        == 204
    )
    assert client.get("/api/v1/webhooks", headers=auth(organizer)).json()["items"] == []


@pytest.mark.parametrize(
    "body",
    [
        {"url": "https://hooks.example.org/x", "types": ["org.eventmanager.nothing.happened"]},
        {"url": "https://hooks.example.org/x", "types": []},
        {"url": "https://hooks.example.org/x"},
        {"url": "", "types": [CREATED]},
        {"url": "https://hooks.example.org/x", "types": [CREATED], "extra": 1},
    ],
)
def test_bad_subscriptions_are_refused(client, body) -> None:
    organizer = new_user("organizer")
    assert_problem(client.post("/api/v1/webhooks", json=body, headers=auth(organizer)), 422)
    assert client.get("/api/v1/webhooks", headers=auth(organizer)).json()["items"] == []


@pytest.mark.parametrize(
    "url",
    [
        "http://93.184.215.14/plain-http",
        "https://127.0.0.1/",
        "https://10.1.2.3/",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/",
        "https://[::ffff:127.0.0.1]/",
        "https://[64:ff9b::a00:1]/",
        "https://100.64.0.1/",
        "https://224.0.0.1/",
        "https://0.0.0.0/",
        "https://localhost:8443/",
        "https://user:pw@hooks.example.org/",
    ],
)
def test_targets_inside_our_networks_are_refused_at_creation(client, url) -> None:
    organizer = new_user("organizer")
    response = client.post(
        "/api/v1/webhooks", json={"url": url, "types": [CREATED]}, headers=auth(organizer)
    )
    assert_problem(response, 422)
    assert client.get("/api/v1/webhooks", headers=auth(organizer)).json()["items"] == []


@pytest.mark.parametrize(
    "address",
    [
        "2002:7f00:1::1",
        "2001:0:4136:e378:8000:63bf:f5ff:fffe",
        "::127.0.0.1",
        "64:ff9b:1::a00:1",
        "fec0::1",
        "fe80::1",
        "fc00::1",
        "ff02::1",
    ],
)
def test_ipv6_forms_of_private_addresses_are_forbidden(address) -> None:
    # 6to4 of 127.0.0.1, Teredo whose client is 10.0.0.1, IPv4-compatible loopback, local-use
    # NAT64, site-local, link-local, unique-local, multicast.
    assert targets.is_forbidden(ipaddress.ip_address(address))


def test_public_addresses_pass() -> None:
    assert not targets.is_forbidden(ipaddress.ip_address("93.184.215.14"))
    assert not targets.is_forbidden(ipaddress.ip_address("2606:2800:21f:cb07:6820:80da:af6b:8b2c"))


def test_the_target_is_checked_again_at_every_connection(client, receiver) -> None:
    """A name that resolved to a public address at creation and resolves to loopback now (DNS
    rebinding) is refused when connecting, before any byte is sent."""
    organizer = new_user("organizer")
    with unit_of_work() as session:
        # As created when `localhost` still resolved to a public address.
        hook = Webhook(
            owner_id=organizer.id,
            url=f"https://localhost:{receiver.port}/ok",
            types=[CREATED],
            secret=new_secret(),
        )
        session.add(hook)
        session.flush()
        hook_id = hook.id
    registrations(client, organizer)
    drain(hook_id)
    [delivery] = deliveries(str(hook_id))
    assert delivery.attempts == 1
    assert delivery.last_status_code is None
    assert delivery.status == "pending"  # tried again later: the name may point back
    with unit_of_work() as session:
        [attempt] = session.scalars(select(WebhookAttempt)).all()
        assert attempt.error is not None
        assert "not a public address" in attempt.error
    assert receiver.requests == []


def test_signed_deliveries_retried_after_500s_through_the_worker(
    client, private_allowed, receiver, worker
) -> None:
    """End to end as deployed: consumer, Celery worker, real HTTP. The receiver verifies the
    signature with the Standard Webhooks library, not with our code."""
    worker()
    organizer = new_user("organizer")
    hook = subscribe(client, organizer, receiver.url("/flaky"))
    registrations(client, organizer)
    eventually(lambda: len(receiver.got("/flaky")) == 3, 30, lambda: deliveries(hook["id"]))
    eventually(lambda: deliveries(hook["id"])[0].status == "delivered", 10)
    [delivery] = deliveries(hook["id"])
    assert delivery.attempts == 3
    assert delivery.last_status_code == 204
    verifier = StandardWebhook(hook["secret"])
    for headers, body, _ in receiver.got("/flaky"):
        lowered = {k.lower(): v for k, v in headers.items()}
        verifier.verify(body, lowered)  # raises when the signature does not match
        assert lowered["webhook-id"] == str(delivery.id)
        cloudevent = json.loads(body)
        assert cloudevent["specversion"] == "1.0"
        assert cloudevent["type"] == CREATED
        assert cloudevent["id"] == delivery.cloudevent_id
        assert cloudevent["data"]["registration_id"]
    with pytest.raises(WebhookVerificationError):
        StandardWebhook(hook["secret"]).verify(body + b" ", lowered)
    page = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=auth(organizer))
    [logged] = page.json()["items"]
    assert logged["status"] == "delivered"
    assert logged["attempts"] == 3
    assert logged["last_status_code"] == 204
    assert logged["type"] == CREATED
    with unit_of_work() as session:
        codes = session.scalars(select(WebhookAttempt.status_code).order_by(WebhookAttempt.id))
        assert list(codes) == [500, 500, 204]


def test_a_delivery_is_failed_once_the_schedule_is_spent_and_can_be_redelivered(
    client, private_allowed, receiver
) -> None:
    organizer = new_user("organizer")
    hook = subscribe(client, organizer, receiver.url("/down"))
    registrations(client, organizer)
    drain_until_settled(hook["id"])
    [delivery] = deliveries(hook["id"])
    # The first attempt and one per step of the (shrunk) schedule.
    assert delivery.status == "failed"
    assert delivery.attempts == 3
    assert delivery.last_status_code == 500
    assert delivery.next_attempt_at is None
    assert len(receiver.got("/down")) == 3
    answer = client.post(
        f"/api/v1/webhooks/{hook['id']}/deliveries/{delivery.id}/redeliver",
        headers=auth(organizer),
    )
    assert answer.status_code == 202, answer.text
    drain_until_settled(hook["id"])
    sent = receiver.got("/down")
    assert len(sent) == 4
    assert {headers["webhook-id"] for headers, _, _ in sent} == {str(delivery.id)}
    assert deliveries(hook["id"])[0].status == "failed"
    other = new_user("organizer")
    assert_problem(
        client.post(
            f"/api/v1/webhooks/{hook['id']}/deliveries/{delivery.id}/redeliver",
            headers=auth(other),
        ),
        404,
    )
    assert_problem(
        client.post(
            f"/api/v1/webhooks/{hook['id']}/deliveries/{uuid.uuid4()}/redeliver",
            headers=auth(organizer),
        ),
        404,
    )


def test_duplicated_cloudevents_make_one_delivery(client, private_allowed, receiver) -> None:
    organizer = new_user("organizer")
    hook = subscribe(client, organizer, receiver.url("/ok"))
    registrations(client, organizer)
    # The broker gives it again: the consumer acknowledges and adds nothing.
    assert set(deliver_outbox(client, "deliver_webhooks", ("registration.",))) == {204}
    [delivery] = deliveries(hook["id"])
    # Even past the consumer's own record (another consumer instance, a replayed row).
    payload = delivery.payload
    from shared.catalog import RegistrationCreated

    data = RegistrationCreated.model_validate(payload["data"])
    threads = [
        threading.Thread(target=_record_in_own_transaction, args=(payload, data)) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(deliveries(hook["id"])) == 1
    drain_until_settled(hook["id"])
    assert len(receiver.got("/ok")) == 1


def _record_in_own_transaction(payload: dict[str, Any], data: Any) -> None:
    with unit_of_work() as session:
        service.record(session, payload, data)


def test_only_the_owners_cloudevents_reach_a_webhook(client, private_allowed, receiver) -> None:
    mine, theirs, admin = new_user("organizer"), new_user("organizer"), new_user("admin")
    my_hook = subscribe(client, mine, receiver.url("/ok"))
    admin_hook = subscribe(client, admin, receiver.url("/ok"))
    registrations(client, theirs)
    assert deliveries(my_hook["id"]) == []
    # Admins' webhooks receive the platform's CloudEvents, whoever owns them.
    assert len(deliveries(admin_hook["id"])) == 1
    registrations(client, mine)
    assert len(deliveries(my_hook["id"])) == 1
    with unit_of_work() as session:
        total = session.scalar(select(func.count()).select_from(WebhookDelivery))
    assert total == 3


def test_a_dead_receiver_does_not_delay_another_webhook(
    client, private_allowed, receiver, worker, monkeypatch
) -> None:
    """Five deliveries to a receiver that never answers in time, one to a healthy one: the
    healthy one arrives while the dead one is still being waited for."""
    monkeypatch.setenv("WEBHOOK_TIMEOUT_SECONDS", "3")
    process_state.reset()
    worker()
    organizer = new_user("organizer")
    dead = subscribe(client, organizer, receiver.url("/slow"))
    event = create_event(client, auth(organizer))
    for _ in range(5):
        join(client, event["id"], new_user())
    healthy_owner = new_user("organizer")
    healthy = subscribe(client, healthy_owner, receiver.url("/ok"))
    other_event = create_event(client, auth(healthy_owner))
    join(client, other_event["id"], new_user())
    started = time.monotonic()
    assert set(deliver_outbox(client, "deliver_webhooks", ("registration.",))) == {204}
    eventually(lambda: len(receiver.got("/ok")) == 1, 20, lambda: deliveries(healthy["id"]))
    [(_, _, arrived)] = receiver.got("/ok")
    # Far less than one timeout of the dead receiver, let alone five.
    assert arrived - started < 3, arrived - started
    assert len(receiver.got("/slow")) <= 2
    assert all(d.status == "pending" for d in deliveries(dead["id"]))
    receiver.slow_seconds = 0  # lets the worker finish its attempt and stop


def test_the_sweep_hands_the_worker_deliveries_whose_task_was_lost(
    client, private_allowed, receiver, worker
) -> None:
    """A delivery recorded while the broker was down (its task never enqueued), or waiting
    longer than a countdown may: the scheduled sweep hands it to the worker."""
    worker()
    organizer = new_user("organizer")
    hook = subscribe(client, organizer, receiver.url("/ok"))
    with unit_of_work() as session:
        session.add(
            WebhookDelivery(
                webhook_id=uuid.UUID(hook["id"]),
                cloudevent_id=str(uuid.uuid4()),
                cloudevent_type=CREATED,
                payload={"specversion": "1.0", "type": CREATED, "data": {}},
                next_attempt_at=datetime.now(UTC),
            )
        )
    assert client.post("/function/sweep_tasks/", headers=INTERNAL).status_code < 300
    eventually(lambda: len(receiver.got("/ok")) == 1, 20, lambda: deliveries(hook["id"]))
    eventually(lambda: deliveries(hook["id"])[0].status == "delivered", 10)
