"""Email verification: notify consumes user.registered, the mail task mints the link, the
page and the API redeem it once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from shared.db import unit_of_work
from shared.notifications.models import Notification
from shared.outbox.models import OutboxMessage
from shared.users.models import OneTimeToken, User
from tests.support.api import assert_problem
from tests.support.mailbox import deliver_outbox_to_notify, mailed_link, send_pending_mail

SIGN_UP = {"email": "new@example.org", "password": "0123456789", "full_name": "Nina"}


def test_sign_up_mail_link_verifies_once(client, outbox_dir):
    client.post("/api/v1/auth/register", json=SIGN_UP, headers={"Accept-Language": "ru,en;q=0.5"})
    deliver_outbox_to_notify(client)
    deliver_outbox_to_notify(client)  # a redelivery: still one notification
    with unit_of_work() as session:
        [notification] = session.scalars(select(Notification)).all()
    assert (notification.kind, notification.locale) == ("verify_email", "ru")
    assert "token" not in str(notification.payload)  # no secret in the row
    send_pending_mail()
    token, message = mailed_link(outbox_dir)
    assert message["Subject"] == "Подтвердите адрес электронной почты"
    with unit_of_work() as session:
        stored = session.scalars(select(OneTimeToken)).one()
    assert token.encode() not in stored.token_hash  # only the hash is kept

    # A mail scanner opening the link spends nothing: the page asks, its button confirms.
    for _ in range(2):
        asking = client.get(f"/verify-email?token={token}", headers={"Accept-Language": "ru"})
        assert asking.status_code == 200
        assert '<form method="post" action="/verify-email">' in asking.text
        with unit_of_work() as session:
            assert not session.scalars(select(User)).one().email_verified
            assert not session.scalars(select(OneTimeToken.used_at)).one()
    page = client.post("/verify-email", data={"token": token}, headers={"Accept-Language": "ru"})
    assert page.status_code == 200
    assert "Адрес подтверждён" in page.text
    with unit_of_work() as session:
        user = session.scalars(select(User)).one()
        verified = session.scalars(select(OutboxMessage.type)).all()
    assert user.email_verified
    assert "org.eventmanager.user.verified" in verified
    again = client.post("/verify-email", data={"token": token})
    assert again.status_code == 400
    assert "This link is not valid" in again.text
    assert_problem(client.post("/api/v1/auth/verify-email", json={"token": token}), 400)


def test_api_verification_and_bad_tokens(client, outbox_dir):
    client.post("/api/v1/auth/register", json=SIGN_UP)
    deliver_outbox_to_notify(client)
    send_pending_mail()
    token, _ = mailed_link(outbox_dir)
    for bad in ("nope", token[:-1] + ("A" if token[-1] != "A" else "B")):
        assert_problem(client.post("/api/v1/auth/verify-email", json={"token": bad}), 400)
    assert_problem(client.post("/api/v1/auth/verify-email", json={}), 422)
    with unit_of_work() as session:
        session.execute(
            update(OneTimeToken).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    assert_problem(client.post("/api/v1/auth/verify-email", json={"token": token}), 400)
    with unit_of_work() as session:
        session.execute(
            update(OneTimeToken).values(expires_at=datetime.now(UTC) + timedelta(hours=1))
        )
    assert client.post("/api/v1/auth/verify-email", json={"token": token}).status_code == 204


def test_resend_answers_the_same_whether_or_not_the_account_exists(client, outbox_dir):
    client.post("/api/v1/auth/register", json=SIGN_UP)
    for address in ("new@example.org", "nobody@example.org"):
        response = client.post("/api/v1/auth/verify-email/resend", json={"email": address})
        assert response.status_code == 202
        assert response.content == b""
    with unit_of_work() as session:
        types = session.scalars(select(OutboxMessage.type)).all()
    assert types.count("org.eventmanager.user.verification_requested") == 1
    deliver_outbox_to_notify(client)
    send_pending_mail()
    assert len(list(outbox_dir.glob("*.eml"))) == 2  # the sign-up mail and the resent one
