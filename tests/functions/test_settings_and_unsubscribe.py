"""Settings per person, one-click unsubscribe (RFC 8058) and the suppression list."""

from __future__ import annotations

import base64
import json
import time
import uuid

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from shared.db import unit_of_work
from shared.notifications.models import DeliveryStatus, MailSuppression, Notification
from tests.support.factories import bearer, create_event, new_user, token_for
from tests.support.mailbox import deliver, mails

SETTINGS = "/api/v1/me/notification-settings"


def test_settings_default_then_replace_and_refuse_nonsense(client):
    me = bearer(client)
    assert client.get(SETTINGS, headers=me).json() == {
        "email": True,
        "push": True,
        "reminders": ["24h", "1h"],
    }
    chosen = {"email": False, "push": True, "reminders": ["1h", "1h"]}
    answer = client.put(SETTINGS, headers=me, json=chosen)
    assert answer.status_code == 200
    assert answer.json() == {"email": False, "push": True, "reminders": ["1h"]}
    assert client.get(SETTINGS, headers=me).json()["reminders"] == ["1h"]
    for bad in (
        {"email": True, "push": True, "reminders": ["2h"]},
        {"email": True, "reminders": []},
        {"email": "maybe", "push": True, "reminders": []},
        {"email": True, "push": True, "reminders": [], "sms": True},
    ):
        refused = client.put(SETTINGS, headers=me, json=bad)
        assert refused.status_code == 422, bad
        assert refused.headers["content-type"] == "application/problem+json"
    assert client.get(SETTINGS, headers=me).json()["reminders"] == ["1h"]  # unchanged
    assert client.get(SETTINGS).status_code == 401


def _registered_and_told(client, outbox_dir, person, title):
    owner = bearer(client, "organizer")
    event = create_event(client, owner, title=title)
    client.post(
        f"/api/v1/events/{event['id']}/registrations",
        headers={"Authorization": f"Bearer {token_for(person)}"},
    )
    deliver(client)
    return event


def test_notices_carry_one_click_unsubscribe_that_turns_mail_off(client, outbox_dir):
    person, other = new_user(), new_user()
    _registered_and_told(client, outbox_dir, person, "Choir")
    _registered_and_told(client, outbox_dir, other, "Choir 2")
    [message] = [m for m in mails(outbox_dir) if m["To"] == person.email]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = str(message["List-Unsubscribe"]).strip("<>")
    body = message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert link in text  # and in the body, for people
    path = link.removeprefix("https://events.example.org")
    assert path.startswith("/unsubscribe/")  # the contract's mail-link page
    api_path = f"/api/v1{path}"  # the API's address does the same

    # Opening the link (or a scanner doing so) changes nothing; it shows a button that posts
    # the one-click form to the same address.
    for opened in (path, api_path):
        page = client.get(opened, headers={"Accept-Language": "ru"})
        assert page.status_code == 200
        assert "Отписаться" in page.text
        assert '<form method="post">' in page.text
    me = {"Authorization": f"Bearer {token_for(person)}"}
    assert client.get(SETTINGS, headers=me).json()["email"] is True

    # The mail app's one-click POST: no login, only this person's mail stops.
    clicked = client.post(
        path,
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert clicked.status_code == 200
    assert client.post(path).status_code == 200  # again: the same
    assert client.post(api_path).status_code == 200  # and the API's address
    assert client.get(SETTINGS, headers=me).json() == {
        "email": False,
        "push": True,
        "reminders": ["24h", "1h"],
    }
    assert client.get(SETTINGS, headers={"Authorization": f"Bearer {token_for(other)}"}).json()[
        "email"
    ]

    # The next notice is in the app but not mailed.
    before = len(mails(outbox_dir))
    _registered_and_told(client, outbox_dir, person, "Choir 3")
    assert len(mails(outbox_dir)) == before
    inbox = client.get("/api/v1/me/notifications", headers=me).json()["items"]
    assert inbox[0]["title"] == "You are registered: Choir 3"

    from shared.notifications.unsubscribe import token_for as unsubscribe_token

    nobody = f"/api/v1/unsubscribe/{unsubscribe_token(uuid.uuid4())}"  # signed, but no such person
    assert client.post(nobody).status_code == 404
    forged = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    assert client.post(forged).status_code == 404
    assert client.get(forged).status_code == 404
    assert client.get(f"/api/v1{forged}").status_code == 404
    assert client.post(f"/api/v1{forged}").status_code == 404


def test_account_mails_carry_no_unsubscribe_and_still_come_when_mail_is_off(client, outbox_dir):
    person = new_user()
    me = {"Authorization": f"Bearer {token_for(person)}"}
    client.put(SETTINGS, headers=me, json={"email": False, "push": False, "reminders": []})
    client.post("/api/v1/auth/password-reset", json={"email": person.email})
    deliver(client)
    [message] = mails(outbox_dir)
    assert message["Subject"] == "Reset your password"
    assert message["List-Unsubscribe"] is None


def _signed(private_key, body: bytes, timestamp: str) -> str:
    signature = private_key.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    return base64.b64encode(signature).decode()


def test_signed_bounces_suppress_the_address_and_unsigned_ones_do_nothing(
    client, outbox_dir, monkeypatch
):
    from shared import process_state

    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    monkeypatch.setenv("SENDGRID_WEBHOOK_PUBLIC_KEY", base64.b64encode(public).decode())
    process_state.reset()
    bounced, blocked, fine = new_user(), new_user(), new_user()
    events = [
        {"email": bounced.email.upper(), "event": "bounce", "type": "bounce", "reason": "550"},
        {"email": blocked.email, "event": "bounce", "type": "blocked"},
        {"email": fine.email, "event": "delivered"},
        {"email": fine.email, "event": "open"},
    ]
    body = json.dumps(events).encode()
    now = str(int(time.time()))
    url = "/api/v1/webhooks/sendgrid"

    def post(payload: bytes, signature: str | None, timestamp: str | None):
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["X-Twilio-Email-Event-Webhook-Signature"] = signature
        if timestamp is not None:
            headers["X-Twilio-Email-Event-Webhook-Timestamp"] = timestamp
        return client.post(url, content=payload, headers=headers)

    assert post(body, None, None).status_code == 401
    other_key = ec.generate_private_key(ec.SECP256R1())
    assert post(body, _signed(other_key, body, now), now).status_code == 401
    assert post(body, "not base64!", now).status_code == 401
    stale = str(int(time.time()) - 3600)
    assert post(body, _signed(key, body, stale), stale).status_code == 401  # a replay
    with unit_of_work() as session:
        assert session.scalars(select(MailSuppression)).all() == []

    assert post(body, _signed(key, body, now), now).status_code == 204
    assert post(body, _signed(key, body, now), now).status_code == 204  # redelivered
    with unit_of_work() as session:
        rows = session.scalars(select(MailSuppression)).all()
    assert [(row.address, row.reason) for row in rows] == [(bounced.email, "bounce")]
    not_json = b"[{"
    assert post(not_json, _signed(key, not_json, now), now).status_code == 422

    # The suppressed address gets no more mail; the others do.
    for person in (bounced, fine):
        _registered_and_told(client, outbox_dir, person, f"Talk for {person.email}")
    assert [str(m["To"]) for m in mails(outbox_dir)] == [fine.email]
    with unit_of_work() as session:
        skipped = session.scalars(
            select(Notification).where(Notification.recipient == bounced.email)
        ).one()
    assert skipped.email_status == DeliveryStatus.skipped
    assert skipped.last_error == "address suppressed"
