"""Cached reads: served from Redis, never stale after a change, PostgreSQL when Redis is down."""

from __future__ import annotations

import asyncio
import json
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

import redis
from sqlalchemy import select, update

from shared import process_state
from shared.cache import get_redis, versioned
from shared.cache.models import PendingInvalidation
from shared.db import unit_of_work
from shared.events import cache
from shared.events.cache_entries import PAGES, PUBLIC_PAGE
from shared.events.errors import EventNotFound
from shared.events.models import Event
from shared.kit.conditional import Tagged
from tests.support.api import assert_problem
from tests.support.factories import bearer, create_event

T = TypeVar("T")


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
    process_state.reset()
    path = f"/api/v1/events/{event['id']}"
    assert client.get(path).status_code == 200
    assert client.get("/api/v1/events").status_code == 200
    assert client.get("/api/v1/categories").status_code == 200
    assert (
        client.patch(path, headers=owner, json={"title": "While Redis was down"}).status_code == 200
    )
    assert client.get(path).json()["title"] == "While Redis was down"


def test_a_redis_gone_quiet_is_paused_after_a_few_timeouts_not_waited_on_every_read(
    client, monkeypatch
):
    """A Redis that takes connections and never answers (a host dropping packets): one timeout
    may be the event loop's backlog and pauses nothing, but a few in a row do, so later reads go
    straight to PostgreSQL instead of each waiting out the timeout."""
    event = create_event(client, bearer(client, "organizer"))
    path = f"/api/v1/events/{event['id']}"
    with socket.create_server(("127.0.0.1", 0), backlog=64) as silent:
        monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{silent.getsockname()[1]}/0")
        process_state.reset()
        for _ in range(versioned._TIMEOUTS_BEFORE_PAUSE):
            assert client.get(path).status_code == 200
        started = time.monotonic()
        for _ in range(5):
            assert client.get(path).status_code == 200
        assert time.monotonic() - started < 0.5  # not one 0.5 s timeout among them
        assert versioned._timeouts_in_row == versioned._TIMEOUTS_BEFORE_PAUSE
    process_state.reset()
    assert versioned._timeouts_in_row == 0


def test_an_invalidation_redis_refused_is_retried_by_the_sweep(client, monkeypatch):
    """Redis fails exactly when a change is committed: the bump is written to PostgreSQL and
    `sweep_tasks` makes it, so the old page does not live out its TTL."""
    owner = bearer(client, "organizer")
    event = create_event(client, owner)
    path = f"/api/v1/events/{event['id']}"
    assert client.get(path).json()["title"] == "Python meetup"

    def refused(redis_client, keys):
        raise redis.ConnectionError("Redis went away")

    monkeypatch.setattr(versioned, "_bump", refused)
    assert client.patch(path, headers=owner, json={"title": "Renamed"}).status_code == 200
    with unit_of_work() as session:
        deferred = session.scalars(select(PendingInvalidation.version_key)).all()
    assert f"cache:event:v:{event['id']}" in deferred
    monkeypatch.undo()
    versioned.forget_failures()  # the pause after the failure has passed
    assert client.get(path).json()["title"] == "Python meetup"  # stale until the sweep runs
    internal = {"Authorization": "Bearer internal-test-token"}
    assert client.post("/function/sweep_tasks/", headers=internal).status_code < 300
    assert client.get(path).json()["title"] == "Renamed"
    with unit_of_work() as session:
        assert session.scalars(select(PendingInvalidation)).all() == []


def test_only_popular_first_pages_are_cached(client):
    create_event(client, bearer(client, "organizer"), category="concert", tags=["Jazz"])
    for query in ("", "?category=concert", "?tag=jazz"):
        assert client.get(f"/api/v1/events{query}").status_code == 200
    for query in ("?q=meetup", "?from=2030-01-01T00:00:00Z", "?limit=5"):
        assert client.get(f"/api/v1/events{query}").status_code == 200
    assert len([key for key in cached_keys() if key.startswith("cache:events:")]) == 3


def burst(reads: int, read: Callable[[], Awaitable[T]]) -> list[T]:
    """`reads` concurrent reads on one event loop, as a loaded server makes them."""

    async def all_at_once() -> list[T]:
        return list(await asyncio.gather(*(read() for _ in range(reads))))

    return asyncio.run(all_at_once())


def test_concurrent_reads_share_redis_and_each_sees_the_changes_made_before_it(client):
    owner = bearer(client, "organizer")
    event = create_event(client, owner)
    path = f"/api/v1/events/{event['id']}"
    event_id = uuid.UUID(event["id"])
    assert client.get(path).status_code == 200  # cached now

    def titles() -> set[str]:
        pages = burst(20, lambda: cache.event_page(event_id, None, False))
        return {json.loads(page.body)["title"] for page in pages}

    assert titles() == {"Python meetup"}
    client.patch(path, headers=owner, json={"title": "Renamed"})
    assert titles() == {"Renamed"}  # no read answered from one sent before the change


def test_a_burst_of_reads_redis_never_answers_is_one_timeout_not_one_per_request(
    client, monkeypatch
):
    """The reads of one moment wait on one batch: when Redis does not answer it, that is one
    timeout towards the pause, not twenty (which would pause Redis for a single slow moment)."""
    with socket.create_server(("127.0.0.1", 0), backlog=64) as silent:
        monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{silent.getsockname()[1]}/0")
        process_state.reset()
        lookups = burst(20, lambda: PAGES.get_async(str(uuid.uuid4()), PUBLIC_PAGE))
        assert [lookup.value for lookup in lookups] == [None] * 20
        assert versioned._timeouts_in_row == 1
    process_state.reset()


def test_concurrent_misses_share_a_load_yet_each_caller_gets_its_own_answer(client):
    """An entry missing when a burst asks for it is loaded once, but a draft stays its
    organizer's: the anonymous callers of the same moment get a 404, not the organizer's page."""
    owner = bearer(client, "organizer")
    draft = create_event(client, owner, status="draft")
    organizer_id = uuid.UUID(draft["organizer_id"])
    event_id = uuid.UUID(draft["id"])

    async def mixed() -> list[object]:
        reads = [
            cache.event_page(event_id, organizer_id if number % 2 else None, False)
            for number in range(20)
        ]
        return list(await asyncio.gather(*reads, return_exceptions=True))

    answers = asyncio.run(mixed())
    for number, answer in enumerate(answers):
        if number % 2:
            assert isinstance(answer, Tagged)
            assert json.loads(answer.body)["status"] == "draft"
        else:
            assert isinstance(answer, EventNotFound)
    published = create_event(client, owner)
    path = f"/api/v1/events/{published['id']}"
    pages = burst(20, lambda: cache.event_page(uuid.UUID(published["id"]), None, False))
    assert {json.loads(page.body)["title"] for page in pages} == {"Python meetup"}
    client.patch(path, headers=owner, json={"title": "Renamed"})
    pages = burst(20, lambda: cache.event_page(uuid.UUID(published["id"]), None, False))
    assert {json.loads(page.body)["title"] for page in pages} == {"Renamed"}


def test_a_hot_entry_near_its_expiry_is_served_while_one_load_refreshes_it(client):
    """A read in the last part of an entry's TTL does not wait on a reload: the burst of that
    moment is answered from the entry and one load in the background files a fresh one. A
    change still shows at once, refresh or not."""
    owner = bearer(client, "organizer")
    event = create_event(client, owner)
    event_id = uuid.UUID(event["id"])
    path = f"/api/v1/events/{event['id']}"
    assert client.get(path).json()["title"] == "Python meetup"
    redis_client = get_redis()
    assert redis_client is not None
    (entry,) = [key for key in cached_keys() if key.startswith(f"cache:event:{event_id}:")]
    # A row changed behind the cache's back shows which answers came from the entry.
    with unit_of_work() as session:
        session.execute(update(Event).where(Event.id == event_id).values(description="Reloaded"))
        session.info.pop("cache_changes", None)  # not invalidated: only a reload can show it
    redis_client.pexpire(entry, 1000)  # the last second of a 60 s entry

    async def burst_then_settle() -> tuple[list[Tagged], int]:
        pages = await asyncio.gather(*(cache.event_page(event_id, None, False) for _ in range(20)))
        refreshes = cache._LOADS.under_way()
        await asyncio.gather(*refreshes)
        return list(pages), len(refreshes)

    pages, refreshes = asyncio.run(burst_then_settle())
    assert {json.loads(page.body)["description"] for page in pages} != {"Reloaded"}
    assert refreshes == 1
    assert redis_client.pttl(entry) > 50_000  # filed again with a whole TTL
    assert client.get(path).json()["description"] == "Reloaded"

    redis_client.pexpire(entry, 1000)
    client.patch(path, headers=owner, json={"title": "Renamed"})
    assert client.get(path).json()["title"] == "Renamed"


def test_a_list_near_its_expiry_is_refreshed_ahead_too(client):
    create_event(client, bearer(client, "organizer"))
    assert client.get("/api/v1/events").status_code == 200
    redis_client = get_redis()
    assert redis_client is not None
    (entry,) = [key for key in cached_keys() if key.startswith("cache:events:all:")]
    redis_client.pexpire(entry, 3000)  # the last 3 s of a 15 s entry
    assert client.get("/api/v1/events").status_code == 200
    # Refreshed in the background before it expired, not filed again by a later miss.
    while 0 <= (left := redis_client.pttl(entry)) < 10_000:
        time.sleep(0.05)
    assert left > 10_000
