"""API keys: a person's scripts and apps act as them, within the key's scopes, on every function.

If these failed, a leaked key could do more than its owner allowed, a revoked or blocked one
would keep working, or the secret itself would sit in the database or the export.
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import redis
from sqlalchemy import select

from shared import process_state
from shared.api_keys import service
from shared.api_keys.schemas import ApiKeyCreate
from shared.db import unit_of_work
from shared.kit.scopes import SCOPES, required_scope
from shared.security.models import ApiKey
from shared.users.models import User
from tests.support.api import assert_problem
from tests.support.factories import auth, create_event, event_body, new_user
from tests.support.services import REDIS_URL

KEYS = "/api/v1/me/api-keys"


def make_key(client, person: User, *scopes: str, **fields) -> dict:
    body = {"name": "my script", "scopes": list(scopes), **fields}
    response = client.post(KEYS, json=body, headers=auth(person))
    assert response.status_code == 201, response.text
    return response.json()


def with_key(created: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {created['key']}"}


def test_a_key_is_shown_once_and_only_its_hash_is_kept(client):
    person = new_user()
    created = make_key(client, person, "events:read", "registrations:write")
    assert created["key"].startswith("emk_")
    assert len(created["key"]) > 40
    assert created["scopes"] == ["events:read", "registrations:write"]
    assert created["expires_at"] is None
    assert created["created_at"]
    listed = client.get(KEYS, headers=auth(person)).json()
    assert listed["next_cursor"] is None
    [item] = listed["items"]
    assert item["id"] == created["id"]
    assert "key" not in item
    assert created["key"].startswith(item["hint"])
    assert len(item["hint"]) < 16
    with unit_of_work() as session:
        row = session.scalars(select(ApiKey)).one()
        stored = [str(getattr(row, column.key)) for column in ApiKey.__table__.columns]
        assert row.key_hash == hashlib.sha256(created["key"].encode()).digest()
    assert not any(created["key"] in value for value in stored)
    # Someone else's list is theirs alone.
    assert client.get(KEYS, headers=auth(new_user())).json()["items"] == []


def test_a_key_acts_as_its_person_within_its_scopes_on_every_function(client):
    organizer = new_user("organizer")
    key = with_key(make_key(client, organizer, "events:read", "events:write"))
    event = create_event(client, key)
    assert event["organizer_id"] == str(organizer.id)
    assert (
        client.patch(f"/api/v1/events/{event['id']}", json={"title": "T"}, headers=key).json()[
            "title"
        ]
        == "T"
    )
    assert client.get("/api/v1/me/events", headers=key).status_code == 200
    assert client.get("/api/v1/me/series", headers=key).status_code == 200
    refusals = [
        ("GET", f"/api/v1/events/{event['id']}/me", "registrations:read"),
        ("GET", f"/api/v1/events/{event['id']}/reports", "reports:read"),
        ("POST", f"/api/v1/events/{event['id']}/registrations", "registrations:write"),
        ("GET", f"/api/v1/events/{event['id']}/registrations", "registrations:read"),
        ("GET", "/api/v1/me/registrations", "registrations:read"),
        ("POST", f"/api/v1/events/{event['id']}/check-in", "checkin:write"),
        ("GET", f"/api/v1/analytics/events/{event['id']}", "reports:read"),
        ("GET", "/api/v1/me/notifications", "notifications:read"),
        ("GET", "/api/v1/users/me/export", "account:read"),
    ]
    for method, path, scope in refusals:
        refused = assert_problem(client.request(method, path, headers=key, json={}), 403)
        assert refused["scope"] == scope, path
        assert scope in refused["detail"]
        assert refused["type"].endswith("missing-scope")
    reader = with_key(make_key(client, organizer, "events:read"))
    refused = assert_problem(client.post("/api/v1/events", json=event_body(), headers=reader), 403)
    assert refused["scope"] == "events:write"
    assert client.get(f"/api/v1/events/{event['id']}", headers=reader).status_code == 200


def test_a_key_has_no_more_rights_than_its_person(client):
    owner = auth(new_user("organizer"))
    event = create_event(client, owner)
    participant = new_user()
    key = with_key(make_key(client, participant, *SCOPES))
    edit = client.patch(f"/api/v1/events/{event['id']}", json={"title": "Mine"}, headers=key)
    assert_problem(edit, 403)
    assert_problem(client.post("/api/v1/events", json=event_body(), headers=key), 403)
    assert_problem(client.get(f"/api/v1/events/{event['id']}/registrations", headers=key), 403)
    joined = client.post(f"/api/v1/events/{event['id']}/registrations", headers=key)
    assert joined.status_code == 201
    assert joined.json()["user_id"] == str(participant.id)


def test_a_key_can_never_manage_keys_the_password_or_the_account(client):
    admin = new_user("admin")
    created = make_key(client, admin, *SCOPES)
    key = with_key(created)
    person_only = [
        ("POST", KEYS, {"name": "more", "scopes": ["events:read"]}),
        ("GET", KEYS, None),
        ("DELETE", f"{KEYS}/{created['id']}", None),
        ("POST", "/api/v1/users/me/password", {"current_password": "x", "new_password": "y" * 12}),
        ("PATCH", "/api/v1/users/me", {"full_name": "Someone else"}),
        ("DELETE", "/api/v1/users/me", {"password": "x"}),
        ("POST", "/api/v1/auth/logout", {}),
        ("GET", "/api/v1/admin/users", None),
    ]
    for method, path, body in person_only:
        refused = assert_problem(client.request(method, path, json=body, headers=key), 403)
        assert refused["type"].endswith("person-only"), path
    assert client.get("/api/v1/users/me", headers=key).json()["id"] == str(admin.id)
    assert len(client.get(KEYS, headers=auth(admin)).json()["items"]) == 1


def test_revoked_and_expired_keys_are_refused_at_once(client):
    person = new_user()
    created = make_key(client, person, "account:read")
    key = with_key(created)
    assert client.get("/api/v1/users/me", headers=key).status_code == 200  # state now cached
    assert client.delete(f"{KEYS}/{created['id']}", headers=auth(person)).status_code == 204
    assert_problem(client.get("/api/v1/users/me", headers=key), 401)
    redis.Redis.from_url(REDIS_URL).flushdb()  # a lost cache revives nothing
    assert_problem(client.get("/api/v1/users/me", headers=key), 401)
    assert_problem(client.delete(f"{KEYS}/{created['id']}", headers=auth(person)), 404)
    assert client.get(KEYS, headers=auth(person)).json()["items"] == []

    soon = (datetime.now(UTC) + timedelta(seconds=2)).isoformat()
    brief = with_key(make_key(client, person, "account:read", expires_at=soon))
    assert client.get("/api/v1/users/me", headers=brief).status_code == 200
    time.sleep(2.1)
    assert_problem(client.get("/api/v1/users/me", headers=brief), 401)
    assert_problem(client.get("/api/v1/users/me", headers=with_key({"key": "emk_forged"})), 401)


def test_keys_work_and_revocation_holds_with_redis_down(client, monkeypatch):
    from local.embedded import free_port

    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    process_state.reset()
    person = new_user()
    created = make_key(client, person, "account:read")
    assert client.get("/api/v1/users/me", headers=with_key(created)).status_code == 200
    assert client.delete(f"{KEYS}/{created['id']}", headers=auth(person)).status_code == 204
    assert_problem(client.get("/api/v1/users/me", headers=with_key(created)), 401)


def test_another_persons_key_cannot_be_revoked(client):
    created = make_key(client, new_user(), "account:read")
    assert_problem(client.delete(f"{KEYS}/{created['id']}", headers=auth(new_user())), 404)
    assert client.get("/api/v1/users/me", headers=with_key(created)).status_code == 200


def test_blocking_the_person_stops_their_keys_and_unblocking_restores_them(client):
    admin = auth(new_user("admin"))
    person = new_user()
    key = with_key(make_key(client, person, "account:read"))
    assert client.get("/api/v1/users/me", headers=key).status_code == 200  # state now cached
    blocked = client.patch(
        f"/api/v1/admin/users/{person.id}", json={"is_active": False}, headers=admin
    )
    assert blocked.status_code == 200
    assert_problem(client.get("/api/v1/users/me", headers=key), 401)
    client.patch(f"/api/v1/admin/users/{person.id}", json={"is_active": True}, headers=admin)
    assert client.get("/api/v1/users/me", headers=key).status_code == 200


def test_a_role_change_applies_to_keys_at_once(client):
    admin = auth(new_user("admin"))
    person = new_user("organizer")
    key = with_key(make_key(client, person, "events:write"))
    create_event(client, key)
    client.patch(f"/api/v1/admin/users/{person.id}", json={"role": "participant"}, headers=admin)
    assert_problem(client.post("/api/v1/events", json=event_body(), headers=key), 403)


def test_keys_are_rate_limited_each_on_its_own(client, monkeypatch):
    monkeypatch.setenv("API_KEY_REQUESTS_PER_MINUTE", "3")
    process_state.reset()
    person = new_user()
    busy = with_key(make_key(client, person, "account:read"))
    for _ in range(3):
        assert client.get("/api/v1/users/me", headers=busy).status_code == 200
    refused = client.get("/api/v1/users/me", headers=busy)
    assert_problem(refused, 429)
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    other = with_key(make_key(client, person, "account:read"))
    assert client.get("/api/v1/users/me", headers=other).status_code == 200
    assert client.get("/api/v1/users/me", headers=auth(person)).status_code == 200


def test_use_is_recorded_at_most_once_a_minute(client):
    person = new_user()
    created = make_key(client, person, "account:read")
    assert created["last_used_at"] is None
    client.get("/api/v1/users/me", headers=with_key(created))
    [first] = client.get(KEYS, headers=auth(person)).json()["items"]
    assert first["last_used_at"] is not None
    client.get("/api/v1/users/me", headers=with_key(created))
    [again] = client.get(KEYS, headers=auth(person)).json()["items"]
    assert again["last_used_at"] == first["last_used_at"]


def test_the_export_lists_keys_without_their_secrets(client):
    person = new_user()
    created = make_key(client, person, "account:read", "events:read")
    revoked = make_key(client, person, "events:read", name="old phone")
    client.delete(f"{KEYS}/{revoked['id']}", headers=auth(person))
    exported = client.get("/api/v1/users/me/export", headers=with_key(created))
    assert exported.status_code == 200
    keys = {k["name"]: k for k in exported.json()["api_keys"]}
    assert keys["my script"]["scopes"] == ["account:read", "events:read"]
    assert keys["old phone"]["revoked_at"] is not None
    assert created["key"] not in exported.text
    assert "key_hash" not in exported.text


def test_deleting_the_account_erases_its_keys(client):
    person = new_user()
    key = with_key(make_key(client, person, "account:read"))
    gone = client.request(
        "DELETE",
        "/api/v1/users/me",
        json={"password": "correct horse battery staple"},
        headers=auth(person),
    )
    assert gone.status_code == 204
    assert_problem(client.get("/api/v1/users/me", headers=key), 401)
    with unit_of_work() as session:
        assert session.scalars(select(ApiKey).where(ApiKey.user_id == person.id)).all() == []


def test_parallel_creates_near_the_cap_never_pass_it(client, live_url):
    person = new_user()
    with unit_of_work() as session:
        for number in range(service.MAX_KEYS - 3):
            service.create(
                session, person.id, ApiKeyCreate(name=f"k{number}", scopes=["events:read"])
            )
    attempts = 10
    start = threading.Barrier(attempts)
    codes: list[int] = []

    def script() -> None:  # each its own client, as separate apps would be
        with httpx.Client(timeout=60) as http:
            start.wait()
            body = {"name": "parallel", "scopes": ["events:read"]}
            codes.append(
                http.post(f"{live_url}{KEYS}", json=body, headers=auth(person)).status_code
            )

    threads = [threading.Thread(target=script) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes) == [201] * 3 + [409] * (attempts - 3)
    assert len(client.get(KEYS, headers=auth(person)).json()["items"]) == service.MAX_KEYS


def test_bad_key_requests_are_refused_and_change_nothing(client):
    person = new_user()
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    for body in (
        {"name": "x", "scopes": ["events:admin"]},
        {"name": "x", "scopes": []},
        {"name": "", "scopes": ["events:read"]},
        {"name": "x", "scopes": ["events:read"], "expires_at": past},
        {"name": "x", "scopes": ["events:read"], "expires_at": "2031-01-01T00:00:00"},
    ):
        assert_problem(client.post(KEYS, json=body, headers=auth(person)), 422)
    assert_problem(client.post(KEYS, json={"name": "x", "scopes": ["events:read"]}), 401)
    assert_problem(client.delete(f"{KEYS}/{uuid.uuid4()}", headers=auth(person)), 404)
    assert client.get(KEYS, headers=auth(person)).json()["items"] == []


def test_every_route_either_names_a_known_scope_or_refuses_keys():
    from local.registry import load_functions

    named = {}
    for deployed in load_functions().values():
        for route in deployed.function.public_routes():
            scope = required_scope(route.method, route.path)
            assert scope is None or scope in SCOPES, route
            named[(route.method, route.path)] = scope
    assert named[("POST", "/api/v1/events")] == "events:write"
    assert named[("POST", "/api/v1/events/{event_id}/check-in")] == "checkin:write"
    for person_only in (("POST", KEYS), ("POST", "/api/v1/users/me/password")):
        assert named[person_only] is None


def test_the_openapi_document_describes_keys_and_their_refusals(client):
    document = client.get("/openapi.json").json()
    create = document["paths"][KEYS]["post"]
    assert {"201", "401", "403", "409", "422", "429"} <= create["responses"].keys()
    assert "Not for API keys" in create["responses"]["403"]["description"]
    revoke = document["paths"][KEYS + "/{key_id}"]["delete"]
    assert {"204", "401", "403", "404"} <= revoke["responses"].keys()
    assert "get" in document["paths"][KEYS]
    new_event = document["paths"]["/api/v1/events"]["post"]["responses"]["403"]
    assert "`events:write`" in new_event["description"]
