"""Nobody can lock someone else out by guessing their password: a guessing client is locked
out of that account, the account is only slowed down for clients it does not know, its known
devices and its owner after a password reset go through, and current-password checks are
throttled like sign-ins."""

from __future__ import annotations

import re

import pytest
import redis
from starlette.testclient import TestClient

from shared import process_state
from tests.support.api import assert_problem
from tests.support.factories import PASSWORD, login, make_user
from tests.support.mailbox import deliver_outbox_to_notify, mails, send_pending_mail
from tests.support.services import REDIS_URL

ATTACKER = "203.0.113.66"
OWNER = "198.51.100.7"


@pytest.fixture
def proxied(client, gateway, monkeypatch):
    """Requests through a trusted proxy, so each can come from an address of its choice."""
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.0/8")
    process_state.reset()
    behind = TestClient(gateway, client=("10.0.0.5", 50000))
    yield behind
    monkeypatch.undo()
    process_state.reset()


def sign_in(proxied, email, password, address, device=None):
    body = {"email": email, "password": password} | ({"device_token": device} if device else {})
    proxied.cookies.clear()  # a browser of its own per call: the cookie is tested apart
    return proxied.post("/api/v1/auth/login", json=body, headers={"X-Forwarded-For": address})


def test_guessing_from_one_address_does_not_lock_the_owner_out(proxied):
    email = make_user()
    for _ in range(5):
        assert sign_in(proxied, email, "wrong password", ATTACKER).status_code == 401
    assert_problem(sign_in(proxied, email, PASSWORD, ATTACKER), 429)  # the guesser is out
    assert sign_in(proxied, email, PASSWORD, OWNER).status_code == 200  # the owner is not
    other = make_user()
    assert sign_in(proxied, other, PASSWORD, ATTACKER).status_code == 200  # nor other accounts


def test_an_address_failing_across_accounts_is_locked_out(proxied):
    victims = [make_user() for _ in range(5)]
    for victim in victims:
        for _ in range(4):
            assert sign_in(proxied, victim, "wrong password", ATTACKER).status_code == 401
    # 20 failures from this address: it is locked out of every account, others are not.
    assert_problem(sign_in(proxied, make_user(), PASSWORD, ATTACKER), 429)
    assert sign_in(proxied, victims[0], PASSWORD, OWNER).status_code == 200


def test_a_distributed_guess_slows_the_account_down_but_known_devices_go_through(proxied):
    email, stranger = make_user(), make_user()
    device = sign_in(proxied, email, PASSWORD, OWNER).json()["device_token"]
    assert device
    theirs = sign_in(proxied, stranger, PASSWORD, OWNER).json()["device_token"]
    for n in range(10):  # ten addresses, one guess each: no address is locked...
        assert sign_in(proxied, email, "wrong password", f"203.0.113.{n}").status_code == 401
    # ...but each counted for the account, which is now slowed down. A long attack (here:
    # its count set at once, so that the pace, a minute by now, outlasts this test):
    failures = f"rl:login:account:{email}:0:failures"
    r = redis.Redis.from_url(REDIS_URL)
    assert int(r.get(failures) or 0) == 10
    r.set(failures, 30, keepttl=True)
    assert sign_in(proxied, email, PASSWORD, "192.0.2.1").status_code == 200  # the slot
    paced = sign_in(proxied, email, PASSWORD, "192.0.2.2")  # the next one waits
    assert_problem(paced, 429)
    assert 30 <= int(paced.headers["Retry-After"]) <= 60
    # The owner's known device is not paced, however often it signs in.
    for _ in range(3):
        assert sign_in(proxied, email, PASSWORD, "192.0.2.3", device).status_code == 200
    # A token of another account, or a forged one, is no device of this account.
    assert_problem(sign_in(proxied, email, PASSWORD, "192.0.2.4", theirs), 429)
    assert_problem(sign_in(proxied, email, PASSWORD, "192.0.2.5", device[:-2] + "xx"), 429)


def test_strangers_checking_at_once_never_crowd_out_a_known_device(proxied):
    email = make_user()
    device = sign_in(proxied, email, PASSWORD, OWNER).json()["device_token"]
    # A stranger's check of this account is running (its slot held, as by a request that is
    # still waiting on the password hash): another stranger waits, the owner's device not.
    slot = f"rl:login:account:{email}:0:in-flight"
    redis.Redis.from_url(REDIS_URL).set(slot, 1, ex=30)
    assert_problem(sign_in(proxied, email, PASSWORD, "192.0.2.9"), 429)
    assert sign_in(proxied, email, PASSWORD, "192.0.2.3", device).status_code == 200


def test_a_known_device_comes_back_by_cookie_and_its_failures_are_its_own(proxied):
    email = make_user()
    proxied.cookies.clear()
    first = proxied.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    cookie = first.headers["set-cookie"]
    assert "eventmgr_device=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Path=/api/v1/auth" in cookie
    for _ in range(12):  # the device mistypes: it locks itself, not the account
        wrong = proxied.post("/api/v1/auth/login", json={"email": email, "password": "nope"})
        if wrong.status_code == 429:
            break
    assert_problem(
        proxied.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD}), 429
    )
    proxied.cookies.clear()
    assert sign_in(proxied, email, PASSWORD, OWNER).status_code == 200


def test_a_password_reset_lets_the_owner_through(proxied, outbox_dir):
    email = make_user()
    for n in range(10):
        sign_in(proxied, email, "wrong password", f"203.0.113.{n}")
    for _ in range(5):
        sign_in(proxied, email, "wrong password", OWNER)  # the owner forgot it too
    assert_problem(sign_in(proxied, email, "new password 1", OWNER), 429)
    assert proxied.post("/api/v1/auth/password-reset", json={"email": email}).status_code == 202
    deliver_outbox_to_notify(proxied)
    send_pending_mail()
    [message] = mails(outbox_dir)
    body = message.get_body(("plain",))
    assert body is not None
    match = re.search(r"/reset-password\?token=(\S+)", body.get_content())
    assert match
    confirmed = proxied.post(
        "/api/v1/auth/password-reset/confirm",
        json={"token": match.group(1), "new_password": "new password 1"},
    )
    assert confirmed.status_code == 204
    # Neither the owner's own lock nor the account's slow-down is left.
    assert sign_in(proxied, email, "new password 1", OWNER).status_code == 200
    assert sign_in(proxied, email, "new password 1", "192.0.2.9").status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "field"),
    [
        ("POST", "/api/v1/users/me/password", "current_password"),
        ("DELETE", "/api/v1/users/me", "password"),
    ],
)
def test_current_password_checks_are_throttled_like_sign_ins(client, method, path, field):
    email = make_user()
    me = {"Authorization": f"Bearer {login(client, email)['access_token']}"}
    extra = {"new_password": "another password"} if field == "current_password" else {}
    for _ in range(5):
        wrong = client.request(method, path, headers=me, json={field: "wrong password", **extra})
        assert_problem(wrong, 400)
    refused = client.request(method, path, headers=me, json={field: PASSWORD, **extra})
    assert_problem(refused, 429)
    assert int(refused.headers["Retry-After"]) > 30
    # Refused means unchanged: the old password still signs in.
    assert login(client, email)["access_token"]
