"""Publishing to an HTTP sink (Knative's broker ingress) and running declared schedules."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from eventing.scheduler import Scheduler
from eventing.triggers import Schedule
from shared import process_state
from shared.outbox.background import wait_idle
from shared.outbox.relay import pending_count, relay_once
from tests.support.api import INTERNAL
from tests.support.consumers import wait_until
from tests.support.factories import sign_up


class Ingress(BaseHTTPRequestHandler):
    """Stands in for the Knative broker ingress: records binary-mode CloudEvents."""

    status = 202
    received: list[dict[str, str]] = []

    bodies: list[bytes] = []
    # Cleared: the ingress holds every answer until it is set (a slow broker).
    answering = threading.Event()

    def do_POST(self):
        type(self).answering.wait(30)
        type(self).bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).received.append({k.lower(): v for k, v in self.headers.items()})
        self.send_response(type(self).status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def ingress(db_url, monkeypatch) -> Iterator[type[Ingress]]:
    Ingress.received = []
    Ingress.bodies = []
    Ingress.status = 202
    Ingress.answering.set()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Ingress)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("K_SINK", f"http://127.0.0.1:{server.server_address[1]}/")
    monkeypatch.setenv("OUTBOX_GRACE_SECONDS", "0")
    process_state.reset()
    yield Ingress
    Ingress.answering.set()
    server.shutdown()
    process_state.reset()


def test_k_sink_gets_binary_mode_cloudevents_and_refusals_wait_for_the_relay(ingress, client):
    sign_up(client, 1, traceparent="00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
    assert wait_idle()  # published by the process's background publisher, after the commit
    [headers] = ingress.received
    assert headers["ce-type"] == "org.eventmanager.user.registered"
    assert headers["ce-source"] == "/eventmanager/register"
    assert headers["ce-specversion"] == "1.0"
    assert headers["traceparent"].startswith("00-4bf92f3577b34da6a3ce929d0e0e4736-")
    assert pending_count() == 0
    # The ingress refuses: the write still succeeds and the row waits for the relay.
    ingress.status = 503
    client.post(
        "/api/v1/auth/register",
        json={"email": "late@example.org", "password": "0123456789", "full_name": "L"},
    )
    assert wait_idle()
    assert pending_count() == 1
    ingress.status = 202
    assert relay_once().published == 1
    assert pending_count() == 0


def test_a_request_answers_before_its_cloudevents_are_published_and_none_is_lost(ingress, client):
    """Publishing is off the request's path: with the broker holding its answers, sign-ups
    still answer at once, their rows wait unsent, and once the broker answers every one is
    published and marked sent by the process's background publisher, with nothing for the
    relay."""
    sign_up(client, 2)
    assert wait_idle()
    ingress.answering.clear()
    # Held for less than the publish timeout (2 s), so the publish then succeeds.
    held = client.post(
        "/api/v1/auth/register",
        json={"email": "held@example.org", "password": "0123456789", "full_name": "H"},
    )
    assert held.status_code == 201
    assert pending_count() == 1  # committed and answered, not yet confirmed
    ingress.answering.set()
    assert wait_idle()
    assert pending_count() == 0
    assert len(ingress.received) == 3
    assert relay_once().claimed == 0


def go_rfc3339(moment: datetime) -> str:
    """`time` as eventing-rabbitmq writes it into AMQP headers and back to HTTP (Go's
    RFC3339Nano in UTC: no trailing zeros, `Z`)."""
    moment = moment.astimezone(UTC)
    fraction = f"{moment.microsecond:06d}".rstrip("0")
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + (f".{fraction}" if fraction else "") + "Z"


def test_what_the_knative_broker_delivers_is_accepted(ingress, client):
    """The CloudEvent published to K_SINK, as the RabbitMQ broker's dispatcher hands it on in
    HTTP binary mode (its extensions become AMQP headers and `ce-` headers again, names in
    Go's case, `time` re-formatted, no internal token): the consumer verifies and applies it;
    the same with changed data is refused."""
    sign_up(client, 1)
    assert wait_idle()
    [headers], [body] = ingress.received, ingress.bodies
    assert headers["ce-eventmgrsig"]
    delivered = {
        key.title(): value
        for key, value in headers.items()
        if key.startswith("ce-") or key == "content-type"
    }
    delivered["Ce-Time"] = go_rfc3339(datetime.fromisoformat(headers["ce-time"]))
    url = "/function/notify/"
    altered = body.replace(b"participant", b"admin")
    assert altered != body
    refused = client.post(url, content=altered, headers={**delivered, **INTERNAL})
    assert refused.status_code == 403, refused.text
    accepted = client.post(url, content=body, headers={**delivered, **INTERNAL})
    assert accepted.status_code == 204, accepted.text


def test_scheduler_calls_each_schedule_on_time(consumers):
    from tests.support.consumers import ticks

    scheduler = Scheduler([Schedule("ticker", "* * * * * *")])  # every second
    scheduler.start()
    try:
        wait_until(lambda: len(ticks) >= 2, 10)
    finally:
        scheduler.stop()
