"""Signing out and revocation hold in every function at once, with or without Redis."""

from __future__ import annotations

import pytest
import redis
from sqlalchemy import update

from shared import process_state
from shared.auth.service import end_all_sessions
from shared.db import unit_of_work
from shared.users.models import User
from tests.support.api import assert_problem
from tests.support.factories import event_body, login, make_user
from tests.support.services import REDIS_URL


def can_create(client, access_token: str) -> int:
    return client.post(
        "/api/v1/events", json=event_body(), headers={"Authorization": f"Bearer {access_token}"}
    ).status_code


@pytest.mark.parametrize("flush_redis", [False, True])
def test_logout_ends_the_access_token_and_the_session_everywhere(client, flush_redis):
    tokens = login(client, make_user("organizer"))
    assert can_create(client, tokens["access_token"]) == 201
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert client.post("/api/v1/auth/logout", headers=auth).status_code == 204
    if flush_redis:  # a lost cache must not revive anything
        redis.Redis.from_url(REDIS_URL).flushdb()
    assert can_create(client, tokens["access_token"]) == 401
    refused = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert_problem(refused, 401)
    assert_problem(client.post("/api/v1/auth/logout", headers=auth), 401)


def test_logout_with_another_sessions_refresh_token_ends_that_one_too(client):
    email = make_user()
    phone, laptop = login(client, email), login(client, email)
    response = client.post(
        "/api/v1/auth/logout",
        json={"refresh_token": laptop["refresh_token"]},
        headers={"Authorization": f"Bearer {phone['access_token']}"},
    )
    assert response.status_code == 204
    for tokens in (phone, laptop):
        again = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
        assert_problem(again, 401)


def test_refresh_reuse_also_kills_the_sessions_access_tokens(client):
    first = login(client, make_user("organizer"))
    rotated = client.post(
        "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    ).json()
    assert can_create(client, rotated["access_token"]) == 201
    client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert can_create(client, rotated["access_token"]) == 401


def test_ending_all_sessions_revokes_every_token_but_a_new_login_works(client):
    email = make_user("organizer")
    one, two = login(client, email), login(client, email)
    with unit_of_work() as session:
        user = session.query(User).filter_by(email=email).one()
        end_all_sessions(session, user.id, "password-changed")
    for tokens in (one, two):
        assert can_create(client, tokens["access_token"]) == 401
    assert can_create(client, login(client, email)["access_token"]) == 201


def test_revocation_holds_with_redis_down(client, monkeypatch):
    from local.embedded import free_port

    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    process_state.reset()
    tokens = login(client, make_user("organizer"))
    assert can_create(client, tokens["access_token"]) == 201
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert client.post("/api/v1/auth/logout", headers=auth).status_code == 204
    assert can_create(client, tokens["access_token"]) == 401


def test_unverified_organizers_cannot_create_events(client):
    email = make_user("organizer")
    with unit_of_work() as session:
        session.execute(update(User).where(User.email == email).values(email_verified=False))
    response = client.post(
        "/api/v1/events",
        json=event_body(),
        headers={"Authorization": f"Bearer {login(client, email)['access_token']}"},
    )
    body = assert_problem(response, 403)
    assert body["type"].endswith("email-not-verified")
