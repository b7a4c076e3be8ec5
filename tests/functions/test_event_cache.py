"""Cached reads: served from Redis, never stale after a change, PostgreSQL when Redis is down."""

from __future__ import annotations

import redis

from shared.cache import get_redis
from tests.conftest import reset_process_state
from tests.factories import bearer, create_event
from tests.kit.test_app import assert_problem


def cached_keys() -> set[str]:
    client = get_redis()
    assert client is not None
    keys: list[bytes] = client.keys("cache:*")  # type: ignore[assignment]
    return {key.decode() for key in keys if b":v:" not in key}


def test_pages_and_first_list_pages_are_cached_and_invalidated_on_every_change(client):
    owner = bearer(client, "organizer")
    event = create_event(client, owner, capacity=1)
    path = f"/api/v1/events/{event['id']}"
    assert client.get(path).json()["title"] == "Python meetup"
    assert client.get("/api/v1/events").json()["items"][0]["title"] == "Python meetup"
    assert any(key.startswith(f"cache:event:{event['id']}") for key in cached_keys())
    assert any(key.startswith("cache:events:all") for key in cached_keys())

    client.patch(path, headers=owner, json={"title": "Renamed"})
    assert client.get(path).json()["title"] == "Renamed"
    assert client.get("/api/v1/events").json()["items"][0]["title"] == "Renamed"

    client.post(f"{path}/registrations", headers=bearer(client))
    assert client.get(path).json()["seats_left"] == 0  # a seat taken shows on the page at once
    client.post(f"{path}/cancel", headers=owner)
    assert client.get(path).json()["status"] == "cancelled"
    assert client.get("/api/v1/events").json()["items"] == []


def test_drafts_are_never_cached_and_publishing_shows_at_once(client):
    owner = bearer(client, "organizer")
    draft = create_event(client, owner, status="draft")
    path = f"/api/v1/events/{draft['id']}"
    assert client.get(path, headers=owner).status_code == 200
    assert_problem(client.get(path), 404)
    assert not any(draft["id"] in key for key in cached_keys())
    assert client.get("/api/v1/events").json()["items"] == []
    client.post(f"{path}/publish", headers=owner)
    assert client.get(path).json()["status"] == "published"
    assert [e["id"] for e in client.get("/api/v1/events").json()["items"]] == [draft["id"]]


def test_redis_down_is_served_from_postgresql(client, monkeypatch):
    owner = bearer(client, "organizer")
    event = create_event(client, owner)
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens there
    reset_process_state()
    path = f"/api/v1/events/{event['id']}"
    assert client.get(path).status_code == 200
    assert client.get("/api/v1/events").status_code == 200
    assert client.get("/api/v1/categories").status_code == 200
    assert (
        client.patch(path, headers=owner, json={"title": "While Redis was down"}).status_code == 200
    )
    assert client.get(path).json()["title"] == "While Redis was down"


def test_a_lost_invalidation_is_retried_before_the_next_cached_read(client, monkeypatch):
    """Redis fails exactly when a change is committed; the next read in this process first
    catches up with the version bump it missed, so it cannot serve the old page."""
    owner = bearer(client, "organizer")
    event = create_event(client, owner)
    path = f"/api/v1/events/{event['id']}"
    assert client.get(path).json()["title"] == "Python meetup"
    import shared.cache as cache

    real = cache._bump
    calls = {"n": 0}

    def failing_once(redis_client, keys):
        calls["n"] += 1
        if calls["n"] == 1:
            raise redis.ConnectionError("Redis went away")
        return real(redis_client, keys)

    monkeypatch.setattr(cache, "_bump", failing_once)
    client.patch(path, headers=owner, json={"title": "Renamed"})
    monkeypatch.setattr(cache, "_paused_until", 0.0)  # the pause after a failure has passed
    assert client.get(path).json()["title"] == "Renamed"
