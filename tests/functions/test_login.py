"""Login, refresh rotation with reuse detection, JWKS, and token checks in other functions."""

from __future__ import annotations

import base64
import json
import os
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from joserfc import jwt as jose_jwt
from joserfc.jwk import KeySet
from sqlalchemy import update

from shared.db import unit_of_work
from shared.users.models import User
from tests.support.api import assert_problem
from tests.support.factories import PASSWORD, event_body, login, make_user


def test_login_returns_a_token_pair(client):
    body = login(client, make_user())
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 900
    assert body["refresh_token"]
    assert body["access_token"]


def test_access_token_verifies_with_an_independent_library_from_the_jwks_alone(client):
    email = make_user("organizer")
    token = login(client, email)["access_token"]
    keys = KeySet.import_key_set(client.get("/api/v1/auth/jwks.json").json())
    decoded = jose_jwt.decode(token, keys, algorithms=["ES256"])
    claims = decoded.claims
    assert decoded.header["kid"] == keys.keys[0].kid
    assert claims["role"] == "organizer"
    assert claims["iss"] == "eventmanager"
    assert claims["aud"] == "eventmanager-api"
    assert {"sub", "jti", "iat", "exp"} <= claims.keys()
    assert 899 < claims["exp"] - claims["iat"] <= 900


@pytest.mark.parametrize(
    ("email", "password"),
    [("nobody@example.org", PASSWORD), (None, "wrong password!")],
)
def test_wrong_credentials_are_401(client, email, password):
    known = make_user()
    response = client.post(
        "/api/v1/auth/login", json={"email": email or known, "password": password}
    )
    assert_problem(response, 401)


def test_blocked_user_is_403(client):
    email = make_user()
    with unit_of_work() as session:
        session.execute(update(User).where(User.email == email).values(is_active=False))
    assert_problem(
        client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD}), 403
    )


def test_refresh_rotates_and_reuse_revokes_the_session(client):
    first = login(client, make_user())
    second = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    # The old token again: someone replayed it, so the whole session ends...
    reuse = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert_problem(reuse, 401)
    # ...including the token the legitimate client holds now.
    after = client.post("/api/v1/auth/refresh", json={"refresh_token": rotated["refresh_token"]})
    assert_problem(after, 401)


def test_unknown_refresh_token_is_401(client):
    assert_problem(client.post("/api/v1/auth/refresh", json={"refresh_token": "nope"}), 401)


def _forge(claims: dict, key=None, headers=None) -> str:
    key = key or ec.generate_private_key(ec.SECP256R1())
    return jwt.encode(claims, key, algorithm="ES256", headers=headers)


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_bad_tokens_are_refused_by_another_function(client):
    good = login(client, make_user("organizer"))["access_token"]
    header, payload, signature = good.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    kid = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"]
    now = datetime.now(UTC)
    tampered_claims = {**claims, "role": "admin"}
    bad = {
        "tampered": f"{header}.{_b64(tampered_claims)}.{signature}",
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': kid})}.{payload}.",
        "expired": _forge(
            {**claims, "iat": now - timedelta(hours=2), "exp": now - timedelta(hours=1)},
            headers={"kid": kid},
        ),
        "other key, same kid": _forge(claims, headers={"kid": kid}),
        "other key": _forge(claims),
        "garbage": "not-a-jwt",
    }
    for name, token in bad.items():
        response = client.post(
            "/api/v1/events", json=event_body(), headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 401, name
    ok = client.post(
        "/api/v1/events", json=event_body(), headers={"Authorization": f"Bearer {good}"}
    )
    assert ok.status_code == 201


def test_tokens_signed_with_our_key_but_expired_or_for_another_audience_are_refused(client):
    our_key = serialization.load_pem_private_key(os.environ["JWT_PRIVATE_KEY"].encode(), None)
    kid = client.get("/api/v1/auth/jwks.json").json()["keys"][0]["kid"]
    now = datetime.now(UTC)
    base = {
        "iss": "eventmanager",
        "aud": "eventmanager-api",
        "sub": "00000000-0000-0000-0000-000000000001",
        "role": "admin",
        "jti": "x",
        "iat": now,
        "exp": now + timedelta(minutes=5),
    }
    expired = {**base, "iat": now - timedelta(hours=1), "exp": now - timedelta(minutes=1)}
    for claims in (
        expired,
        {**base, "aud": "other"},
        {**base, "iss": "other"},
        {k: v for k, v in base.items() if k != "jti"},
    ):
        token = _forge(claims, key=our_key, headers={"kid": kid})
        response = client.post(
            "/api/v1/events", json=event_body(), headers={"Authorization": f"Bearer {token}"}
        )
        assert_problem(response, 401)


AUTHENTICATED = [
    ("POST", "/api/v1/events"),
    ("POST", "/api/v1/events/00000000-0000-0000-0000-000000000001/registrations"),
    ("GET", "/api/v1/users/me"),
    ("GET", "/api/v1/users/me/export"),
    ("POST", "/api/v1/users/me/password"),
    ("POST", "/api/v1/auth/logout"),
    ("GET", "/api/v1/admin/users"),
]


def test_every_authenticated_route_refuses_bad_tokens(client, gateway):
    """Each function verifies tokens itself: none may trust a token another would refuse."""
    declared = {
        (r.method, r.path) for d in gateway.deployed.values() for r in d.function.public_routes()
    }
    assert {
        (m, p.replace("00000000-0000-0000-0000-000000000001", "{event_id}"))
        for m, p in AUTHENTICATED
    } <= declared
    good = login(client, make_user("admin"))["access_token"]
    header, payload, signature = good.split(".")
    bad = [
        "",
        "not-a-jwt",
        f"{header}.{payload}.{signature[:-4]}AAAA",
        f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{payload}.",
        _forge(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))),
    ]
    for method, path in AUTHENTICATED:
        for token in bad:
            response = client.request(method, path, headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 401, (method, path, token[:20])


def test_key_rotation_keeps_old_tokens_valid_until_their_key_is_dropped(client, monkeypatch):
    """Publish old and new public keys, give `login` the new private key, then drop the old."""
    from shared import process_state
    from shared.security.tokens import generate_private_key_pem, jwks_for

    old_pem = os.environ["JWT_PRIVATE_KEY"]
    old_token = login(client, make_user("organizer"))["access_token"]
    new_pem = generate_private_key_pem()
    both = {"keys": jwks_for(old_pem)["keys"] + jwks_for(new_pem)["keys"]}
    monkeypatch.setenv("JWT_PUBLIC_KEYS", json.dumps(both))
    monkeypatch.setenv("JWT_PRIVATE_KEY", new_pem)
    process_state.reset()
    new_token = login(client, make_user("organizer"))["access_token"]
    assert len(client.get("/api/v1/auth/jwks.json").json()["keys"]) == 2
    for token in (old_token, new_token):
        created = client.post(
            "/api/v1/events", json=event_body(), headers={"Authorization": f"Bearer {token}"}
        )
        assert created.status_code == 201
    monkeypatch.setenv("JWT_PUBLIC_KEYS", json.dumps(jwks_for(new_pem)))
    process_state.reset()
    refused = client.post(
        "/api/v1/events", json=event_body(), headers={"Authorization": f"Bearer {old_token}"}
    )
    assert_problem(refused, 401)
    monkeypatch.undo()
    process_state.reset()


def test_a_grace_window_lets_a_client_retry_a_refresh(client, monkeypatch):
    from shared import process_state

    monkeypatch.setenv("REFRESH_REUSE_GRACE_SECONDS", "30")
    process_state.reset()
    first = login(client, make_user())
    body = {"refresh_token": first["refresh_token"]}
    answers = [client.post("/api/v1/auth/refresh", json=body) for _ in range(2)]
    assert [a.status_code for a in answers] == [200, 200]  # the retry is not a theft
    for answer in answers:
        again = client.post(
            "/api/v1/auth/refresh", json={"refresh_token": answer.json()["refresh_token"]}
        )
        assert again.status_code == 200
    monkeypatch.undo()
    process_state.reset()


def test_two_refreshes_with_one_token_at_once_leave_one_chain(live_url, client):
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    first = login(client, make_user())

    def refresh(_: int) -> int:
        return httpx.post(
            f"{live_url}/api/v1/auth/refresh",
            timeout=30,
            json={"refresh_token": first["refresh_token"]},
        ).status_code

    for _ in range(3):
        with ThreadPoolExecutor(2) as pool:
            codes = sorted(pool.map(refresh, range(2)))
        assert codes in ([200, 401], [401, 401])
        first = login(client, make_user())
