"""The public catalog: lists, filters, search, pages, visibility, categories."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlalchemy import update

from shared.db import unit_of_work
from shared.events.models import Event
from shared.events.statuses import EventStatus, Moderation
from tests.support.api import assert_problem
from tests.support.factories import bearer, create_event


def titles(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["title"] for item in response.json()["items"]]


def test_default_categories(client):
    slugs = {item["slug"] for item in client.get("/api/v1/categories").json()["items"]}
    assert slugs == {"conference", "meetup", "workshop", "concert", "sports", "exhibition", "other"}


def test_list_shows_published_visible_upcoming_events_soonest_first(client):
    organizer = bearer(client, "organizer")
    create_event(
        client,
        organizer,
        title="Later",
        starts_at="2031-06-01T10:00:00Z",
        ends_at="2031-06-01T12:00:00Z",
    )
    create_event(
        client,
        organizer,
        title="Sooner",
        starts_at="2031-03-01T10:00:00Z",
        ends_at="2031-03-01T12:00:00Z",
    )
    create_event(client, organizer, title="Draft", status="draft")
    past = create_event(client, organizer, title="Past", status="draft")
    with unit_of_work() as session:  # published back then (no event is created already over)
        session.execute(
            update(Event)
            .where(Event.id == past["id"])
            .values(
                status=EventStatus.published,
                starts_at=datetime(2020, 1, 1, 10, tzinfo=UTC),
                ends_at=datetime(2020, 1, 1, 12, tzinfo=UTC),
            )
        )
    hidden = create_event(client, organizer, title="Hidden")
    with unit_of_work() as session:
        session.execute(
            update(Event).where(Event.id == hidden["id"]).values(moderation=Moderation.hidden)
        )
    assert titles(client.get("/api/v1/events")) == ["Sooner", "Later"]
    create_event(
        client,
        organizer,
        title="Ongoing",
        starts_at="2020-02-01T10:00:00Z",
        ends_at="2099-01-01T12:00:00Z",
    )
    assert titles(client.get("/api/v1/events")) == ["Ongoing", "Sooner", "Later"]
    first = client.get("/api/v1/events?limit=1").json()
    rest = client.get(f"/api/v1/events?limit=1&cursor={first['next_cursor']}").json()
    following = client.get(f"/api/v1/events?limit=5&cursor={rest['next_cursor']}").json()
    paged = [e["title"] for e in first["items"] + rest["items"] + following["items"]]
    assert paged == ["Ongoing", "Sooner", "Later"]
    # The past is there for who asks for it.
    assert "Past" in titles(client.get("/api/v1/events?from=2019-01-01T00:00:00Z"))


def test_drafts_and_hidden_events_are_404_for_others_but_not_for_owner_and_admin(client):
    owner = bearer(client, "organizer")
    draft = create_event(client, owner, status="draft")
    path = f"/api/v1/events/{draft['id']}"
    assert_problem(client.get(path), 404)
    assert_problem(client.get(path, headers=bearer(client)), 404)
    assert_problem(client.get(path, headers=bearer(client, "organizer")), 404)
    assert client.get(path, headers=owner).status_code == 200
    assert client.get(path, headers=bearer(client, "admin")).status_code == 200


def test_unknown_or_malformed_ids(client):
    assert_problem(client.get("/api/v1/events/00000000-0000-0000-0000-000000000000"), 404)
    assert_problem(client.get("/api/v1/events/not-a-uuid"), 422)


def test_a_bad_token_on_a_public_route_is_401_not_ignored(client):
    response = client.get(
        "/api/v1/events/00000000-0000-0000-0000-000000000000",
        headers={"Authorization": "Bearer forged"},
    )
    assert_problem(response, 401)


def test_filters_combine(client):
    alice, bob = bearer(client, "organizer"), bearer(client, "organizer")
    create_event(client, alice, title="Rust workshop", category="workshop", tags=["Rust"])
    create_event(client, alice, title="Jazz night", category="concert", tags=["music"])
    create_event(
        client,
        bob,
        title="Python workshop",
        category="workshop",
        tags=["python"],
        starts_at="2032-01-10T10:00:00Z",
        ends_at="2032-01-10T12:00:00Z",
    )
    bob_id = client.get("/api/v1/events?q=python").json()["items"][0]["organizer_id"]
    assert titles(client.get("/api/v1/events?category=workshop")) == [
        "Rust workshop",
        "Python workshop",
    ]
    assert titles(client.get("/api/v1/events?tag=RUST")) == ["Rust workshop"]
    assert titles(client.get(f"/api/v1/events?organizer_id={bob_id}")) == ["Python workshop"]
    assert titles(client.get("/api/v1/events?category=workshop&to=2032-01-01T00:00:00Z")) == [
        "Rust workshop"
    ]
    assert titles(client.get("/api/v1/events?from=2032-01-01T00:00:00%2B00:00")) == [
        "Python workshop"
    ]
    assert titles(client.get("/api/v1/events?category=concert&tag=rust")) == []


def test_search_finds_other_word_forms_in_english_and_russian(client):
    organizer = bearer(client, "organizer")
    create_event(client, organizer, title="Intro workshop", description="Hands-on coding")
    create_event(
        client, organizer, title="Лекция по машинному обучению", description="Нейронные сети"
    )
    create_event(client, organizer, title="Choir", description="Singing together")
    assert titles(client.get("/api/v1/events?q=workshops")) == ["Intro workshop"]
    assert titles(client.get("/api/v1/events?q=машинное обучение")) == [
        "Лекция по машинному обучению"
    ]
    assert titles(client.get('/api/v1/events?q="singing" -opera')) == ["Choir"]
    assert titles(client.get("/api/v1/events?q=zzzz")) == []


def test_pages_visit_every_event_once_while_events_are_added(client, db_url):
    organizer = bearer(client, "organizer")
    for day in range(1, 26):
        create_event(
            client,
            organizer,
            title=f"E{day:02d}",
            starts_at=f"2031-01-{day:02d}T10:00:00Z",
            ends_at=f"2031-01-{day:02d}T12:00:00Z",
        )
    seen: list[str] = []
    cursor = None
    added = 0
    while True:
        query = "/api/v1/events?limit=7" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(query).json()
        seen += [item["title"] for item in page["items"]]
        # Meanwhile someone adds an event far ahead of the reader's position.
        if added < 2:
            added += 1
            create_event(
                client,
                organizer,
                title=f"New{added}",
                starts_at=f"2031-02-0{added}T10:00:00Z",
                ends_at=f"2031-02-0{added}T12:00:00Z",
            )
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"E{day:02d}" for day in range(1, 26)] + ["New1", "New2"]
    assert len(seen) == len(set(seen))


def test_cursor_and_limit_are_validated(client):
    organizer = bearer(client, "organizer")
    for day in (1, 2):
        create_event(
            client,
            organizer,
            starts_at=f"2031-01-0{day}T10:00:00Z",
            ends_at=f"2031-01-0{day}T12:00:00Z",
        )
    cursor = client.get("/api/v1/events?limit=1").json()["next_cursor"]
    assert cursor
    forged = cursor[:-2] + ("AA" if cursor[-2:] != "AA" else "BB")
    for bad in (forged, "garbage", "%00"):
        assert_problem(client.get(f"/api/v1/events?cursor={bad}"), 422)
    for limit in (0, 101, "ten"):
        assert_problem(client.get(f"/api/v1/events?limit={limit}"), 422)
    assert_problem(client.get("/api/v1/events?from=yesterday"), 422)
    assert_problem(client.get("/api/v1/events?organizer_id=42"), 422)


def test_many_readers_at_once(live_url):
    import httpx

    errors: list[int] = []

    def read() -> None:
        for _ in range(10):
            response = httpx.get(f"{live_url}/api/v1/events", timeout=30)
            if response.status_code != 200:
                errors.append(response.status_code)

    threads = [threading.Thread(target=read) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
