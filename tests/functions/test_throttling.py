"""Guessing is slowed down: 429 with Retry-After, per account and per address, then recovery."""

from __future__ import annotations

import pytest
import redis

from shared import process_state
from tests.support.api import assert_problem
from tests.support.factories import PASSWORD, make_user
from tests.support.services import REDIS_URL


def attempt(client, email: str, password: str, address: str | None = None):
    headers = {"X-Forwarded-For": address} if address else {}
    return client.post(
        "/api/v1/auth/login", json={"email": email, "password": password}, headers=headers
    )


def _lock_keys() -> list[str]:
    found = redis.Redis.from_url(REDIS_URL, decode_responses=True).keys("lock:login:*")
    return sorted(str(key) for key in found)


def test_failed_logins_lock_that_client_out_of_that_account_with_a_growing_wait(client):
    email = make_user()
    for _ in range(4):
        assert attempt(client, email, "wrong password").status_code == 401
    assert attempt(client, email, "wrong password").status_code == 401  # the 5th locks
    locked = attempt(client, email, PASSWORD)  # from this client, even the right one waits
    body = assert_problem(locked, 429)
    assert body["type"].endswith("too-many-requests")
    first_wait = int(locked.headers["Retry-After"])
    assert 50 <= first_wait <= 60
    # The lock ends (here: we let it expire) and the right password works again.
    redis.Redis.from_url(REDIS_URL).delete(*_lock_keys())
    assert attempt(client, email, PASSWORD).status_code == 200


def test_lock_doubles_with_each_further_failure(client):
    email = make_user()
    r = redis.Redis.from_url(REDIS_URL)
    waits = []
    for _ in range(7):
        locks = _lock_keys()
        waits.append(r.ttl(locks[0]) if locks else -2)
        if locks:
            r.delete(*locks)
        attempt(client, email, "wrong password")
    waits.append(r.ttl(_lock_keys()[0]))
    assert waits[:5] == [-2, -2, -2, -2, -2]
    assert 55 <= waits[5] <= 60
    assert 115 <= waits[6] <= 120
    assert 235 <= waits[7] <= 240


def test_sign_ups_are_capped_per_address_behind_a_trusted_proxy(client, gateway, monkeypatch):
    from starlette.testclient import TestClient

    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.0/8")
    process_state.reset()
    behind_proxy = TestClient(gateway, client=("10.0.0.5", 50000))  # the proxy is the peer

    def sign_up(i: int, address: str):
        return behind_proxy.post(
            "/api/v1/auth/register",
            headers={"X-Forwarded-For": address},
            json={
                "email": f"s{address}{i}@example.org",
                "password": "0123456789",
                "full_name": "S",
            },
        )

    for i in range(10):
        assert sign_up(i, "198.51.100.1").status_code == 201
    refused = sign_up(10, "198.51.100.1")
    assert_problem(refused, 429)
    assert int(refused.headers["Retry-After"]) > 3000
    # Another client behind the same proxy is not affected.
    assert sign_up(0, "198.51.100.2").status_code == 201


def test_forwarded_for_is_ignored_from_an_untrusted_peer(client):
    for i in range(10):
        client.post(
            "/api/v1/auth/register",
            headers={"X-Forwarded-For": f"203.0.113.{i}"},
            json={"email": f"u{i}@example.org", "password": "0123456789", "full_name": "U"},
        )
    # All ten counted against the real peer, whatever they claimed.
    refused = client.post(
        "/api/v1/auth/register",
        headers={"X-Forwarded-For": "203.0.113.99"},
        json={"email": "x@example.org", "password": "0123456789", "full_name": "X"},
    )
    assert_problem(refused, 429)


def test_resend_is_capped_per_account(client):
    for _ in range(3):
        ok = client.post("/api/v1/auth/verify-email/resend", json={"email": "a@example.org"})
        assert ok.status_code == 202
    assert_problem(
        client.post("/api/v1/auth/verify-email/resend", json={"email": "a@example.org"}), 429
    )


@pytest.mark.usefixtures("client")
def test_limits_hold_in_process_when_redis_is_down(client, monkeypatch):
    from local.embedded import free_port

    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    process_state.reset()
    email = make_user()
    codes = [attempt(client, email, "wrong password").status_code for _ in range(6)]
    assert codes == [401] * 5 + [429]


def test_attempts_sent_all_at_once_cannot_slip_past_the_threshold(live_url):
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    email = make_user()

    def wrong(_: int) -> int:
        return httpx.post(
            f"{live_url}/api/v1/auth/login",
            timeout=60,
            json={"email": email, "password": "wrong password"},
        ).status_code

    with ThreadPoolExecutor(16) as pool:
        codes = list(pool.map(wrong, range(16)))
    assert codes.count(401) <= 5
    assert codes.count(429) >= 11


def test_ipv6_clients_are_counted_per_64():
    from shared.auth.throttle import address_bucket

    assert address_bucket("2001:db8:1:2:aaaa::1") == address_bucket("2001:db8:1:2:bbbb::9")
    assert address_bucket("2001:db8:1:3::1") != address_bucket("2001:db8:1:2::1")
    assert address_bucket("198.51.100.7") == "198.51.100.7"


def test_every_forwarded_for_line_is_read(gateway, monkeypatch):
    from starlette.requests import Request

    from shared.kit.client import client_address

    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.0/8")
    process_state.reset()
    scope = {
        "type": "http",
        "client": ("10.0.0.5", 1),
        "headers": [
            (b"x-forwarded-for", b"203.0.113.50"),  # what the client claimed
            (b"x-forwarded-for", b"198.51.100.1"),  # what our proxy appended
        ],
    }
    assert client_address(Request(scope)) == "198.51.100.1"
    monkeypatch.undo()
    process_state.reset()
