"""Changing events: who may, what is refused, what is announced, and seats freed by capacity."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update

from shared.db import unit_of_work
from shared.outbox.models import OutboxMessage
from shared.users.models import User
from tests.support.api import assert_problem
from tests.support.factories import bearer, create_event, login, make_user


def updates() -> list[dict]:
    with unit_of_work() as session:
        rows = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.type == "org.eventmanager.event.updated")
            .order_by(OutboxMessage.created_at)
        ).all()
        return [row.data for row in rows]


def test_owner_edits_and_time_changes_are_notice_worthy(client):
    owner = bearer(client, "organizer")
    event = create_event(client, owner)
    path = f"/api/v1/events/{event['id']}"
    renamed = client.patch(path, headers=owner, json={"title": "Renamed", "tags": ["A", "b"]})
    assert renamed.status_code == 200
    assert (renamed.json()["title"], renamed.json()["tags"]) == ("Renamed", ["a", "b"])
    moved = client.patch(
        path,
        headers=owner,
        json={
            "starts_at": "2031-05-02T18:00:00+02:00",
            "ends_at": "2031-05-02T21:00:00+02:00",
            "venue": {"name": "Hall B", "address": "2 Side St"},
        },
    )
    assert moved.json()["starts_at"] == "2031-05-02T16:00:00Z"
    first, second = updates()
    assert first["notice_worthy"] is False
    assert set(first["changes"]) == {"title", "tags"}
    assert second["notice_worthy"] is True
    new_start = datetime.fromisoformat(second["changes"]["starts_at"][1])
    assert new_start == datetime(2031, 5, 2, 16, tzinfo=UTC)
    assert client.patch(path, headers=owner, json={}).status_code == 200
    assert len(updates()) == 2  # nothing changed: nothing announced


def test_who_may_edit(client):
    owner = bearer(client, "organizer")
    event = create_event(client, owner)
    draft = create_event(client, owner, status="draft")
    body = {"title": "Mine now"}
    assert_problem(client.patch(f"/api/v1/events/{event['id']}", json=body), 401)
    assert_problem(
        client.patch(f"/api/v1/events/{event['id']}", json=body, headers=bearer(client)), 403
    )
    assert_problem(
        client.patch(
            f"/api/v1/events/{event['id']}", json=body, headers=bearer(client, "organizer")
        ),
        403,
    )
    assert_problem(
        client.patch(
            f"/api/v1/events/{draft['id']}", json=body, headers=bearer(client, "organizer")
        ),
        404,
    )
    assert (
        client.patch(
            f"/api/v1/events/{event['id']}", json=body, headers=bearer(client, "admin")
        ).status_code
        == 200
    )


def test_bad_edits_are_refused_and_change_nothing(client):
    owner = bearer(client, "organizer")
    event = create_event(client, owner)
    path = f"/api/v1/events/{event['id']}"
    for bad in (
        {"ends_at": "2031-05-01T17:00:00+02:00"},
        {"timezone": "Nowhere/City"},
        {"category": "knitting"},
        {"title": None},
        {"capacity": 0},
        {"status": "x"},
        {"organizer_id": "00000000-0000-0000-0000-000000000000"},
    ):
        assert_problem(client.patch(path, headers=owner, json=bad), 422)
    assert client.get(path).json() == event


def test_capacity_raise_promotes_and_lowering_below_confirmed_is_409(client):
    owner = bearer(client, "organizer")
    event = create_event(client, owner, capacity=1)
    join = f"/api/v1/events/{event['id']}/registrations"
    client.post(join, headers=bearer(client))
    waiting = [bearer(client) for _ in range(3)]
    for person in waiting:
        assert client.post(join, headers=person).json()["status"] == "waitlisted"
    raised = client.patch(f"/api/v1/events/{event['id']}", headers=owner, json={"capacity": 3})
    assert (raised.json()["seats_taken"], raised.json()["waitlist_count"]) == (3, 1)
    assert client.post(join, headers=waiting[0]).json()["status"] == "confirmed"
    assert client.post(join, headers=waiting[2]).json()["waitlist_position"] == 1
    assert_problem(
        client.patch(f"/api/v1/events/{event['id']}", headers=owner, json={"capacity": 2}), 409
    )
    unlimited = client.patch(
        f"/api/v1/events/{event['id']}", headers=owner, json={"capacity": None}
    )
    assert (unlimited.json()["seats_taken"], unlimited.json()["seats_left"]) == (4, None)


def test_publish_and_cancel(client):
    email = make_user("organizer")
    owner = {"Authorization": f"Bearer {login(client, email)['access_token']}"}
    draft = create_event(client, owner, status="draft")
    base = f"/api/v1/events/{draft['id']}"
    with unit_of_work() as session:
        session.execute(update(User).where(User.email == email).values(email_verified=False))
    assert_problem(client.post(f"{base}/publish", headers=owner), 403)
    with unit_of_work() as session:
        session.execute(update(User).where(User.email == email).values(email_verified=True))
    published = client.post(f"{base}/publish", headers=owner)
    assert published.json()["status"] == "published"
    assert client.get("/api/v1/events").json()["items"][0]["id"] == draft["id"]
    cancelled = client.post(f"{base}/cancel", headers=owner, json={"reason": "Rain"})
    assert cancelled.json()["status"] == "cancelled"
    assert_problem(client.post(f"{base}/registrations", headers=bearer(client)), 409)
    assert_problem(client.patch(base, headers=owner, json={"title": "Back?"}), 409)
    assert_problem(client.post(f"{base}/publish", headers=owner), 409)
    assert client.get("/api/v1/events").json()["items"] == []
    with unit_of_work() as session:
        types = session.scalars(select(OutboxMessage.type)).all()
    assert "org.eventmanager.event.cancelled" in types
    notices = [u for u in updates() if u["notice_worthy"]]
    assert [u["changes"]["status"] for u in notices] == [
        ["draft", "published"],
        ["published", "cancelled"],
    ]
