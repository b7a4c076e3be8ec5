"""Waitlist in offer mode: a freed seat is offered to the first person waiting and held; the
holder claims it, or the sweep expires the offer and it passes on; close to the start,
promotion is automatic."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from shared.db import unit_of_work
from shared.registrations.models import Registration
from shared.registrations.offers import expire_due
from shared.users.models import User
from tests.support.api import assert_problem
from tests.support.factories import auth, bearer, create_event, new_user
from tests.support.mailbox import deliver, mailed

OFFER = {"mode": "offer", "offer_hours": 6, "auto_before_start_hours": 24}


def _event(client: Any, owner: dict[str, str], **overrides: Any) -> dict[str, Any]:
    return create_event(client, owner, capacity=1, waitlist=OFFER, **overrides)


def _mine(client: Any, event_id: str, person: User) -> dict[str, Any]:
    items = client.get("/api/v1/me/registrations", headers=auth(person)).json()["items"]
    return next(item for item in items if item["event"]["id"] == event_id)


def _run_out(person: User, event_id: str) -> None:
    """As if `offer_hours` had passed for this person's offer."""
    with unit_of_work() as session:
        session.execute(
            update(Registration)
            .where(Registration.user_id == person.id, Registration.event_id == uuid.UUID(event_id))
            .values(offer_expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )


def test_the_waitlist_field_is_validated_and_defaults_to_auto(client):
    owner = bearer(client, "organizer")
    plain = create_event(client, owner)
    assert plain["waitlist"] == {"mode": "auto", "offer_hours": 24, "auto_before_start_hours": 24}
    for bad in (
        {"mode": "sometimes"},
        {"mode": "offer", "offer_hours": 0},
        {"mode": "offer", "offer_hours": 73},
        {"mode": "offer", "offer_hours": "6"},
        {"mode": "offer", "auto_before_start_hours": -1},
        {"mode": "offer", "auto_before_start_hours": 169},
        {"mode": "offer", "unknown": 1},
    ):
        response = client.post(
            "/api/v1/events",
            headers=owner,
            json={
                "title": "T",
                "description": "",
                "starts_at": "2031-05-01T18:00:00+02:00",
                "ends_at": "2031-05-01T21:00:00+02:00",
                "timezone": "Europe/Berlin",
                "category": "meetup",
                "waitlist": bad,
            },
        )
        assert_problem(response, 422)
    path = f"/api/v1/events/{plain['id']}"
    assert_problem(client.patch(path, headers=owner, json={"waitlist": None}), 422)
    assert_problem(client.patch(path, headers=owner, json={"waitlist": {"offer_hours": 99}}), 422)
    changed = client.patch(path, headers=owner, json={"waitlist": {"mode": "offer"}})
    assert changed.status_code == 200
    assert changed.json()["waitlist"] == {
        "mode": "offer",
        "offer_hours": 24,
        "auto_before_start_hours": 24,
    }
    assert client.get(path).json()["waitlist"]["mode"] == "offer"


def test_a_freed_seat_is_offered_held_and_claimed_once(client):
    owner = bearer(client, "organizer")
    event = _event(client, owner)
    path = f"/api/v1/events/{event['id']}"
    seated, first, second = new_user(), new_user(), new_user()
    for person in (seated, first, second):
        assert client.post(f"{path}/registrations", headers=auth(person)).status_code == 201
    before = datetime.now(UTC)
    assert client.delete(f"{path}/registrations/me", headers=auth(seated)).status_code == 204
    offered = _mine(client, event["id"], first)
    assert offered["status"] == "offered"
    until = datetime.fromisoformat(offered["offer_expires_at"])
    assert before + timedelta(hours=6) <= until <= datetime.now(UTC) + timedelta(hours=6)
    page = client.get(path).json()
    assert (page["seats_taken"], page["seats_left"], page["waitlist_count"]) == (1, 0, 1)
    # The held seat is not free: a newcomer waits behind the second person.
    newcomer = new_user()
    joined = client.post(f"{path}/registrations", headers=auth(newcomer)).json()
    assert (joined["status"], joined["waitlist_position"]) == ("waitlisted", 2)
    listed = client.get(f"{path}/registrations?status=offered", headers=owner).json()["items"]
    assert [(p["user_id"], p["offer_expires_at"] is not None) for p in listed] == [
        (str(first.id), True)
    ]
    # An offered seat is no ticket yet, and not admissible at the door.
    assert_problem(
        client.get(f"/api/v1/me/registrations/{offered['id']}/ticket", headers=auth(first)), 409
    )
    snapshot = client.get(f"{path}/check-in/snapshot", headers=owner).json()
    assert "offered" in {entry["status"] for entry in snapshot["entries"]}
    assert_problem(
        client.post(f"{path}/registrations/{offered['id']}/check-in", headers=owner), 409
    )

    assert_problem(client.post(f"{path}/registrations/me/claim", headers=auth(second)), 409)
    claimed = client.post(f"{path}/registrations/me/claim", headers=auth(first))
    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["status"] == "confirmed"
    again = assert_problem(client.post(f"{path}/registrations/me/claim", headers=auth(first)), 409)
    assert again["type"].endswith("no-offer")
    ticket = client.get(f"/api/v1/me/registrations/{offered['id']}/ticket", headers=auth(first))
    assert ticket.status_code == 200
    page = client.get(path).json()
    assert (page["seats_taken"], page["waitlist_count"]) == (1, 2)
    assert_problem(client.post(f"{path}/registrations/me/claim"), 401)
    assert_problem(
        client.post(f"/api/v1/events/{uuid.uuid4()}/registrations/me/claim", headers=auth(second)),
        404,
    )


def test_leaving_while_offered_passes_the_seat_on(client):
    owner = bearer(client, "organizer")
    event = _event(client, owner)
    path = f"/api/v1/events/{event['id']}"
    seated, first, second = new_user(), new_user(), new_user()
    for person in (seated, first, second):
        client.post(f"{path}/registrations", headers=auth(person))
    client.delete(f"{path}/registrations/me", headers=auth(seated))
    assert client.delete(f"{path}/registrations/me", headers=auth(first)).status_code == 204
    assert _mine(client, event["id"], second)["status"] == "offered"
    page = client.get(path).json()
    assert (page["seats_taken"], page["waitlist_count"]) == (1, 0)


def test_an_expired_offer_passes_to_the_next_and_is_automatic_close_to_the_start(client):
    owner = bearer(client, "organizer")
    event = _event(client, owner)
    path = f"/api/v1/events/{event['id']}"
    people = [new_user() for _ in range(4)]
    for person in people:
        client.post(f"{path}/registrations", headers=auth(person))
    seated, first, second, third = people
    client.delete(f"{path}/registrations/me", headers=auth(seated))
    _run_out(first, event["id"])
    # Past its time, an offer is not claimable even before the sweep ran.
    late = assert_problem(client.post(f"{path}/registrations/me/claim", headers=auth(first)), 409)
    assert late["type"].endswith("offer-expired")
    assert expire_due() >= 1
    assert _mine(client, event["id"], first)["status"] == "cancelled"
    assert _mine(client, event["id"], second)["status"] == "offered"
    # Now the start is within `auto_before_start_hours`: the next seat is given, not offered.
    soon = datetime.now(UTC) + timedelta(hours=3)
    moved = client.patch(
        path,
        headers=owner,
        json={"starts_at": soon.isoformat(), "ends_at": (soon + timedelta(hours=2)).isoformat()},
    )
    assert moved.status_code == 200
    _run_out(second, event["id"])
    internal = {"Authorization": "Bearer internal-test-token"}
    assert client.post("/function/sweep_tasks/", headers=internal).status_code < 300
    assert _mine(client, event["id"], second)["status"] == "cancelled"
    assert _mine(client, event["id"], third)["status"] == "confirmed"
    page = client.get(path).json()
    assert (page["seats_taken"], page["waitlist_count"]) == (1, 0)


def test_a_raised_capacity_offers_seats_in_waitlist_order(client):
    owner = bearer(client, "organizer")
    event = _event(client, owner)
    path = f"/api/v1/events/{event['id']}"
    people = [new_user() for _ in range(4)]
    for person in people:
        client.post(f"{path}/registrations", headers=auth(person))
    assert client.patch(path, headers=owner, json={"capacity": 3}).status_code == 200
    statuses = [_mine(client, event["id"], p)["status"] for p in people]
    assert statuses == ["confirmed", "offered", "offered", "waitlisted"]
    # Held offers count: capacity cannot go below confirmed plus held.
    assert_problem(client.patch(path, headers=owner, json={"capacity": 2}), 409)
    with unit_of_work() as session:
        rows = session.scalars(
            select(Registration.status).where(Registration.event_id == uuid.UUID(event["id"]))
        ).all()
    assert sorted(rows) == ["confirmed", "offered", "offered", "waitlisted"]


def test_the_offer_is_mailed_in_the_readers_language_and_a_claim_brings_the_ticket(
    client, outbox_dir
):
    owner = bearer(client, "organizer")
    event = _event(client, owner, title="Opera")
    path = f"/api/v1/events/{event['id']}"
    seated, first, second = new_user(), new_user(), new_user()
    with unit_of_work() as session:
        session.execute(
            update(User).where(User.id == second.id).values(locale="ru", timezone="Europe/Moscow")
        )
    for person in (seated, first, second):
        client.post(f"{path}/registrations", headers=auth(person))
    client.delete(f"{path}/registrations/me", headers=auth(seated))
    deliver(client)
    [(subject, text)] = [(s, t) for to, s, t in mailed(outbox_dir) if to == first.email][-1:]
    assert subject.startswith("A seat is held for you until ")
    assert subject.endswith(": Opera")
    assert f"/api/v1/events/{event['id']}/registrations/me/claim" in text
    _run_out(first, event["id"])
    expire_due()
    deliver(client)
    assert [s for to, s, _ in mailed(outbox_dir) if to == first.email][-1] == (
        "Your offer ran out: Opera"
    )
    [(subject, text)] = [(s, t) for to, s, t in mailed(outbox_dir) if to == second.email][-1:]
    assert subject.startswith("Место за вами до ")
    assert "MSK" in subject
    assert client.post(f"{path}/registrations/me/claim", headers=auth(second)).status_code == 200
    deliver(client)
    [(subject, text)] = [(s, t) for to, s, t in mailed(outbox_dir) if to == second.email][-1:]
    assert subject == "Вы зарегистрированы: Opera"
    assert "Ваш билет:" in text
    inbox = client.get("/api/v1/me/notifications", headers=auth(first)).json()["items"]
    assert [item["title"] for item in inbox][:2] == [
        "Your offer ran out: Opera",
        next(i["title"] for i in inbox if i["title"].startswith("A seat is held")),
    ]


def test_an_offer_at_a_cancelled_event_cannot_be_claimed_and_runs_out_quietly(client, outbox_dir):
    owner = bearer(client, "organizer")
    event = _event(client, owner, title="Rained off")
    path = f"/api/v1/events/{event['id']}"
    seated, first, second = new_user(), new_user(), new_user()
    for person in (seated, first, second):
        client.post(f"{path}/registrations", headers=auth(person))
    client.delete(f"{path}/registrations/me", headers=auth(seated))
    assert client.post(f"{path}/cancel", headers=owner).status_code == 200
    deliver(client)
    closed = assert_problem(client.post(f"{path}/registrations/me/claim", headers=auth(first)), 409)
    assert closed["type"].endswith("event-not-open")
    _run_out(first, event["id"])
    assert expire_due() >= 1
    assert _mine(client, event["id"], first)["status"] == "cancelled"
    assert _mine(client, event["id"], second)["status"] == "waitlisted"  # nobody is offered
    deliver(client)
    subjects = [s for to, s, _ in mailed(outbox_dir) if to == first.email]
    assert "Cancelled: Rained off" in subjects
    assert "Your offer ran out: Rained off" not in subjects
