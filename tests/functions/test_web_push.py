"""Web Push end to end: a push service on loopback (https, a trusted test CA) decrypts what
the platform sent exactly as a browser would (RFC 8291, `http_ece`) and checks the VAPID
signature. Endpoints off the allowlist are refused, and redirects are never followed."""

from __future__ import annotations

import base64
import json
import ssl
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
import trustme
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from shared import process_state
from shared.db import unit_of_work
from shared.notifications.models import DeliveryStatus, Notification, PushSubscription
from shared.notifications.tasks import send_pushes
from tests.support.factories import bearer, create_event, new_user, token_for
from tests.support.mailbox import deliver_outbox_to_notify
from tests.support.push import Browser, b64

SUBSCRIPTIONS = "/api/v1/me/push-subscriptions"


class PushService(BaseHTTPRequestHandler):
    """/ok/... takes the message (201), /gone/... answers 410, /moved/... redirects."""

    received: list[tuple[str, dict[str, str], bytes]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        headers = {name.lower(): value for name, value in self.headers.items()}
        type(self).received.append((self.path, headers, body))
        if self.path.startswith("/gone/"):
            self.send_response(410)
        elif self.path.startswith("/moved/"):
            self.send_response(307)
            self.send_header("Location", "https://localhost:1/ok/elsewhere")
        else:
            self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def push_service(tmp_path, monkeypatch) -> Iterator[str]:
    authority = trustme.CA()
    certificate = authority.issue_cert("localhost")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    certificate.configure_cert(context)
    ca_file = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    PushService.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), PushService)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca_file))
    monkeypatch.setenv("PUSH_ALLOWED_HOSTS", "localhost,*.push.example.net")
    monkeypatch.setenv("VAPID_SUBJECT", "mailto:ops@events.example.org")
    process_state.reset()
    yield f"https://localhost:{server.server_address[1]}"
    server.shutdown()
    monkeypatch.undo()
    process_state.reset()


def _subscribe(client, headers, endpoint: str, browser: Browser):
    return client.post(
        SUBSCRIPTIONS,
        headers=headers,
        json={"endpoint": endpoint, "expirationTime": None, "keys": browser.keys()},
    )


def _push_rows() -> list[Notification]:
    with unit_of_work() as session:
        return list(
            session.scalars(select(Notification).where(Notification.push_status.is_not(None)))
        )


def test_a_registration_is_pushed_encrypted_and_signed(client, push_service, outbox_dir):
    person = new_user()
    me = {"Authorization": f"Bearer {token_for(person)}"}
    browser = Browser()
    subscribed = _subscribe(client, me, f"{push_service}/ok/abc", browser)
    assert subscribed.status_code == 201, subscribed.text
    assert subscribed.json()["endpoint_host"] == "localhost"
    assert _subscribe(client, me, f"{push_service}/ok/abc", browser).status_code == 201  # again

    owner = bearer(client, "organizer")
    event = create_event(client, owner, title="Open air")
    client.post(f"/api/v1/events/{event['id']}/registrations", headers=me)
    deliver_outbox_to_notify(client, ("org.eventmanager.",))
    [row] = _push_rows()
    assert row.push_status == DeliveryStatus.pending
    assert send_pushes.apply(args=[[str(row.id)]]).get() == {
        "sent": 1,
        "failed": 0,
        "skipped": 0,
        "retried": 0,
    }
    send_pushes.apply(args=[[str(row.id)]])  # a duplicate task sends nothing
    [(path, headers, body)] = PushService.received
    assert path == "/ok/abc"
    assert headers["content-encoding"] == "aes128gcm"
    message = browser.read(body)
    assert message["title"] == "You are registered: Open air"
    assert message["url"].endswith(f"/api/v1/events/{event['id']}")
    assert "unsubscribe" not in message["body"]  # the mail's footer stays in the mail

    # The VAPID token is signed by the key the platform publishes, for this push service.
    scheme, _, params = headers["authorization"].partition(" ")
    fields = dict(part.split("=", 1) for part in params.split(","))
    assert scheme == "vapid"
    published = client.get("/api/v1/push/public-key").json()["public_key"]
    assert fields["k"].strip() == published
    raw = base64.urlsafe_b64decode(published + "=" * (-len(published) % 4))
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    claims = jwt.decode(fields["t"].strip(), public, algorithms=["ES256"], audience=push_service)
    assert claims["sub"] == "mailto:ops@events.example.org"
    with unit_of_work() as session:
        assert session.scalars(select(Notification.push_status)).one() == DeliveryStatus.sent


def test_gone_subscriptions_are_removed_and_redirects_not_followed(client, push_service):
    person = new_user()
    me = {"Authorization": f"Bearer {token_for(person)}"}
    _subscribe(client, me, f"{push_service}/gone/1", Browser())
    moved = _subscribe(client, me, f"{push_service}/moved/2", Browser()).json()
    owner = bearer(client, "organizer")
    event = create_event(client, owner, title="Lecture")
    client.post(f"/api/v1/events/{event['id']}/registrations", headers=me)
    deliver_outbox_to_notify(client, ("org.eventmanager.",))
    [row] = _push_rows()
    send_pushes.apply(args=[[str(row.id)]])
    assert sorted(path for path, _, _ in PushService.received) == ["/gone/1", "/moved/2"]
    with unit_of_work() as session:
        left = session.scalars(select(PushSubscription.id)).all()
        assert [str(i) for i in left] == [moved["id"]]  # the 410 one is gone
        assert session.scalars(select(Notification.push_status)).one() == DeliveryStatus.failed
    assert client.delete(f"{SUBSCRIPTIONS}/{moved['id']}", headers=me).status_code == 204
    assert client.delete(f"{SUBSCRIPTIONS}/{moved['id']}", headers=me).status_code == 404


def test_subscriptions_outside_the_allowlist_or_malformed_are_refused(client, push_service):
    me = bearer(client)
    for endpoint in (
        "http://localhost/ok/1",  # not https
        "https://evil.example.org/push",  # not a push service
        "https://127.0.0.1/ok/1",
        "https://user:pw@localhost/ok/1",
        "https://localhost.evil.example/ok",
        "https://push.example.net.evil.example/x",
        "ftp://localhost/x",
    ):
        refused = _subscribe(client, me, endpoint, Browser())
        assert refused.status_code == 422, endpoint
    assert _subscribe(client, me, "https://fcm.push.example.net/x", Browser()).status_code == 201
    off_the_curve = b64(b"\x04" + bytes(64))  # the right length, but no point of P-256
    for keys in (
        {"p256dh": "AAAA", "auth": "AAAA"},
        {"p256dh": off_the_curve, "auth": b64(bytes(16))},
    ):
        bad = client.post(
            SUBSCRIPTIONS, headers=me, json={"endpoint": f"{push_service}/ok/x", "keys": keys}
        )
        assert bad.status_code == 422
    not_ascii = f"{push_service}/ok/" + "推" * 1900
    assert _subscribe(client, me, not_ascii, Browser()).status_code == 422
    other = bearer(client)
    with unit_of_work() as session:
        [sid] = session.scalars(select(PushSubscription.id)).all()
    assert client.delete(f"{SUBSCRIPTIONS}/{sid}", headers=other).status_code == 404
    assert client.post(SUBSCRIPTIONS, json={}).status_code == 401


def test_a_long_russian_notice_fits_in_one_push_message(client, push_service):
    """Push services refuse payloads over 4 KiB: the text is cut by UTF-8 bytes."""
    from shared.notifications.push import payload_of

    row = Notification(
        id=uuid.uuid4(),
        kind="event_cancelled",
        recipient="x@example.org",
        locale="ru",
        payload={
            "event_id": str(uuid.uuid4()),
            "title": "Концерт",
            "starts_at": "2031-05-01T16:00:00+00:00",
            "reason": "Причина " * 800,
            "reader_timezone": "Europe/Moscow",
        },
    )
    payload = payload_of(row)
    assert len(payload.encode()) < 3000
    assert "Отменено: Концерт" in payload  # readable, not \u escapes
    json.loads(payload)


def test_a_person_keeps_at_most_ten_browsers(client, push_service):
    me = bearer(client)
    made = [
        _subscribe(client, me, f"{push_service}/ok/{i}", Browser()).json()["id"] for i in range(12)
    ]
    with unit_of_work() as session:
        kept = {str(i) for i in session.scalars(select(PushSubscription.id))}
    assert kept == set(made[2:])  # the two oldest gave way
