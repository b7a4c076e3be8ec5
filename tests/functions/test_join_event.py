"""POST /api/v1/events/{id}/registrations: seats, the waitlist, and no overbooking."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import func, select, update

from shared.db import unit_of_work
from shared.events.models import Event
from shared.events.statuses import EventStatus, Moderation
from shared.registrations.models import Registration, RegistrationStatus
from tests.support.api import assert_problem
from tests.support.factories import bearer, create_event, new_user, token_for


def join(client, event_id: str, headers: dict[str, str]):
    return client.post(f"/api/v1/events/{event_id}/registrations", headers=headers)


def test_join_confirms_then_returns_the_same_registration(client):
    event = create_event(client, bearer(client, "organizer"), capacity=10)
    me = bearer(client)
    first = join(client, event["id"], me)
    assert first.status_code == 201
    body = first.json()
    assert body["status"] == "confirmed"
    assert body["event_id"] == event["id"]
    again = join(client, event["id"], me)
    assert again.status_code == 200
    assert again.json() == body
    page = client.get(f"/api/v1/events/{event['id']}").json()
    assert (page["seats_taken"], page["seats_left"]) == (1, 9)


def test_full_event_waitlists_in_arrival_order(client):
    event = create_event(client, bearer(client, "organizer"), capacity=1)
    assert join(client, event["id"], bearer(client)).json()["status"] == "confirmed"
    second = join(client, event["id"], bearer(client)).json()
    third = join(client, event["id"], bearer(client)).json()
    assert (second["status"], second["waitlist_position"]) == ("waitlisted", 1)
    assert (third["status"], third["waitlist_position"]) == ("waitlisted", 2)
    page = client.get(f"/api/v1/events/{event['id']}").json()
    assert (page["seats_taken"], page["seats_left"], page["waitlist_count"]) == (1, 0, 2)


def test_unlimited_capacity(client):
    event = create_event(client, bearer(client, "organizer"), capacity=None)
    for _ in range(3):
        assert join(client, event["id"], bearer(client)).json()["status"] == "confirmed"


def test_invisible_unknown_closed_and_anonymous(client):
    owner = bearer(client, "organizer")
    draft = create_event(client, owner, status="draft")
    assert_problem(join(client, draft["id"], bearer(client)), 404)
    # The owner sees the draft, but it is not open yet.
    assert_problem(join(client, draft["id"], owner), 409)
    assert_problem(join(client, "00000000-0000-0000-0000-000000000000", bearer(client)), 404)
    assert_problem(join(client, "nope", bearer(client)), 422)
    cancelled = create_event(client, owner)
    over = create_event(client, owner)
    with unit_of_work() as session:
        session.execute(
            update(Event).where(Event.id == cancelled["id"]).values(status=EventStatus.cancelled)
        )
        session.execute(
            update(Event)
            .where(Event.id == over["id"])
            .values(
                starts_at=func.now() - func.make_interval(0, 0, 0, 2),
                ends_at=func.now() - func.make_interval(0, 0, 0, 1),
            )
        )
    assert_problem(join(client, cancelled["id"], bearer(client)), 409)
    assert_problem(join(client, over["id"], bearer(client)), 409)
    assert_problem(client.post(f"/api/v1/events/{over['id']}/registrations"), 401)


def test_an_event_only_its_organizer_sees_still_takes_their_join(client):
    """Held for moderation: not public, so the join takes the path that reads the event under
    its lock first; the organizer gets their seat, counted, and anyone else a 404."""
    owner = bearer(client, "organizer")
    event = create_event(client, owner, capacity=1)
    with unit_of_work() as session:
        session.execute(
            update(Event).where(Event.id == event["id"]).values(moderation=Moderation.pending)
        )
    assert_problem(join(client, event["id"], bearer(client)), 404)
    mine = join(client, event["id"], owner)
    assert mine.status_code == 201, mine.text
    assert mine.json()["status"] == "confirmed"
    assert join(client, event["id"], owner).status_code == 200
    with unit_of_work() as session:
        seats = session.scalar(select(Event.seats_taken).where(Event.id == event["id"]))
    assert seats == 1


def test_rush_never_overbooks(live_url, client):
    """60 people press the button at once for 5 seats, through a bounded pool."""
    event = create_event(client, bearer(client, "organizer"), capacity=5)
    tokens = [token_for(new_user()) for _ in range(60)]

    def attempt(token: str) -> dict:
        response = httpx.post(
            f"{live_url}/api/v1/events/{event['id']}/registrations",
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
        assert response.status_code == 201, response.text
        return response.json()

    with ThreadPoolExecutor(30) as pool:
        results = list(pool.map(attempt, tokens))
    confirmed = [r for r in results if r["status"] == "confirmed"]
    waitlisted = sorted(r["waitlist_position"] for r in results if r["status"] == "waitlisted")
    assert len(confirmed) == 5
    assert waitlisted == list(range(1, 56))
    with unit_of_work() as session:
        counts = dict(
            session.execute(
                select(Registration.status, func.count())
                .where(Registration.event_id == event["id"])
                .group_by(Registration.status)
            ).all()
        )
        seats = session.scalar(select(Event.seats_taken).where(Event.id == event["id"]))
    assert counts == {RegistrationStatus.confirmed: 5, RegistrationStatus.waitlisted: 55}
    assert seats == 5


def test_the_same_person_twice_at_once_gets_one_registration(live_url, client):
    event = create_event(client, bearer(client, "organizer"), capacity=3)
    headers = bearer(client)

    def attempt(_: int) -> tuple[int, str]:
        response = httpx.post(
            f"{live_url}/api/v1/events/{event['id']}/registrations", headers=headers, timeout=30
        )
        return response.status_code, response.json()["id"]

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(attempt, range(6)))
    assert sorted(code for code, _ in results) == [200] * 5 + [201]
    assert len({rid for _, rid in results}) == 1


def test_idempotency_key_replays_the_first_answer(client):
    event = create_event(client, bearer(client, "organizer"), capacity=5)
    me = bearer(client)
    path = f"/api/v1/events/{event['id']}/registrations"
    first = client.post(path, headers={**me, "Idempotency-Key": "abc-123"})
    retry = client.post(path, headers={**me, "Idempotency-Key": "abc-123"})
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json() == first.json()
    other_key = client.post(path, headers={**me, "Idempotency-Key": "another"})
    assert other_key.status_code == 200  # already registered, as without a key
    assert other_key.json()["id"] == first.json()["id"]
    assert_problem(client.post(path, headers={**me, "Idempotency-Key": "bad key"}), 422)
    assert_problem(client.post(path, headers={**me, "Idempotency-Key": "x" * 201}), 422)
    # A failed first attempt does not pin its error: the retry runs again.
    missing = "/api/v1/events/00000000-0000-0000-0000-000000000000/registrations"
    for _ in range(2):
        assert_problem(client.post(missing, headers={**me, "Idempotency-Key": "k"}), 404)


def test_each_join_writes_one_cloudevent_with_the_place_it_took(client):
    """Consumers (the confirmation mail, analytics) read the status and place from the
    CloudEvent the statement taking the seat writes: a wrong one would mail a waitlisted
    person "you have a seat"; a repeated join must announce nothing."""
    from shared.outbox.models import OutboxMessage

    event = create_event(client, bearer(client, "organizer"), capacity=1)
    seated, waiting = bearer(client), bearer(client)
    first = join(client, event["id"], seated).json()
    second = join(client, event["id"], waiting).json()
    assert join(client, event["id"], seated).status_code == 200
    with unit_of_work() as session:
        rows = session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.type == "org.eventmanager.registration.created",
                OutboxMessage.data["event_id"].astext == event["id"],
            )
            .order_by(OutboxMessage.created_at)
        ).all()
    assert [row.data for row in rows] == [
        {
            "registration_id": body["id"],
            "event_id": event["id"],
            "user_id": body["user_id"],
            "status": status,
            "waitlist_position": position,
        }
        for body, status, position in ((first, "confirmed", None), (second, "waitlisted", 1))
    ]
