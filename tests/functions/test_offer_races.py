"""Offer mode under real parallel clients: claims (each offer claimed twice at once),
cancellations, capacity changes and expiry sweeps race on one event, round after round. After
each round: confirmed seats plus held offers never exceed the capacity and match the counters,
nobody holds two registrations, offers went to the waitlist's head in order, and every claim
either succeeded once or was refused with 409."""

from __future__ import annotations

import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select, update

from shared.db import unit_of_work
from shared.events.models import Event
from shared.registrations.models import Registration, RegistrationStatus
from shared.registrations.offers import expire_due
from tests.support.factories import bearer, create_event, new_user, token_for

HOLDING = {RegistrationStatus.confirmed, RegistrationStatus.checked_in, RegistrationStatus.offered}
ROUNDS = 6


def _state(event_id: uuid.UUID) -> tuple[Event, list[Registration]]:
    with unit_of_work() as session:
        event = session.get(Event, event_id)
        assert event is not None
        rows = list(
            session.scalars(
                select(Registration)
                .where(Registration.event_id == event_id)
                .order_by(Registration.queue_seq)
            )
        )
        session.expunge_all()
    return event, rows


def _check(event: Event, rows: list[Registration]) -> None:
    active = [r for r in rows if r.status != RegistrationStatus.cancelled]
    holding = [r for r in active if r.status in HOLDING]
    waiting = [r for r in active if r.status == RegistrationStatus.waitlisted]
    offered = [r for r in active if r.status == RegistrationStatus.offered]
    assert event.capacity is not None
    assert len(holding) == event.seats_taken <= event.capacity
    assert len(waiting) == event.waitlist_count
    # Nobody is both seated (or offered) and waiting, nor twice anything.
    assert max(Counter(r.user_id for r in active).values()) == 1
    # Offers go to the head of the line: everyone still waiting came after every offer.
    if offered and waiting:
        assert max(r.queue_seq for r in offered) < min(r.queue_seq for r in waiting)
    # No seat stays free while someone waits.
    assert not waiting or event.seats_taken == event.capacity


def test_claims_cancellations_capacity_and_expiry_race_without_overbooking(live_url, client):
    owner = bearer(client, "organizer")
    event = create_event(
        client,
        owner,
        capacity=10,
        waitlist={"mode": "offer", "offer_hours": 6, "auto_before_start_hours": 24},
    )
    event_id = uuid.UUID(event["id"])
    base = f"{live_url}/api/v1/events/{event['id']}"
    people = [new_user() for _ in range(60)]
    headers = {p.id: {"Authorization": f"Bearer {token_for(p)}"} for p in people}

    def join(user_id: uuid.UUID) -> None:
        response = httpx.post(f"{base}/registrations", headers=headers[user_id], timeout=120)
        assert response.status_code == 201, response.text

    with ThreadPoolExecutor(60) as pool:
        list(pool.map(join, headers))
    _check(*_state(event_id))

    claimed_once: Counter[uuid.UUID] = Counter()
    for round_number in range(ROUNDS):
        event_row, rows = _state(event_id)
        assert event_row.capacity is not None
        waiting_before = [r.user_id for r in rows if r.status == RegistrationStatus.waitlisted]
        offered = [r.user_id for r in rows if r.status == RegistrationStatus.offered]
        confirmed = [r.user_id for r in rows if r.status == RegistrationStatus.confirmed]
        # Half the offers run out before the round: the sweeps and their claims race.
        ran_out = set(offered[::2])
        with unit_of_work() as session:
            session.execute(
                update(Registration)
                .where(Registration.event_id == event_id, Registration.user_id.in_(ran_out))
                .values(offer_expires_at=datetime.now(UTC) - timedelta(seconds=1))
            )
        leavers = confirmed[round_number % 2 :: 4][:3]
        capacities = [event_row.capacity + 2, max(1, event_row.capacity - 1)]

        def claim(user_id: uuid.UUID) -> tuple[uuid.UUID, int]:
            answer = httpx.post(
                f"{base}/registrations/me/claim", headers=headers[user_id], timeout=120
            )
            return user_id, answer.status_code

        def leave(user_id: uuid.UUID) -> int:
            answer = httpx.delete(f"{base}/registrations/me", headers=headers[user_id], timeout=120)
            return answer.status_code

        def resize(capacity: int) -> int:
            answer = httpx.patch(base, headers=owner, json={"capacity": capacity}, timeout=120)
            return answer.status_code

        with ThreadPoolExecutor(40) as pool:
            claims = [pool.submit(claim, user_id) for user_id in offered for _ in range(2)]
            leaves = [pool.submit(leave, user_id) for user_id in leavers]
            resizes = [pool.submit(resize, capacity) for capacity in capacities]
            sweeps = [pool.submit(expire_due) for _ in range(3)]
            claim_results: list[tuple[uuid.UUID, int]] = [f.result() for f in claims]
            assert all(f.result() == 204 for f in leaves)
            assert all(f.result() in (200, 409) for f in resizes), [f.result() for f in resizes]
            assert sum(f.result() for f in sweeps) == len(ran_out)

        event_row, rows = _state(event_id)
        _check(event_row, rows)
        wins = Counter(user_id for user_id, status in claim_results if status == 200)
        assert all(status in (200, 409) for _, status in claim_results), claim_results
        for user_id in offered:
            # A live offer is claimed exactly once; a run-out one never.
            assert wins[user_id] == (0 if user_id in ran_out else 1), (round_number, user_id)
        claimed_once.update(wins)
        status_of = {r.user_id: r.status for r in rows if r.status != RegistrationStatus.cancelled}
        for user_id in ran_out:
            assert user_id not in status_of  # an expired offer leaves the waitlist
        for user_id in offered:
            if user_id not in ran_out:
                assert status_of[user_id] == RegistrationStatus.confirmed
        # Whoever left the line this round is its head, in order.
        moved = [u for u in waiting_before if status_of.get(u) != RegistrationStatus.waitlisted]
        assert moved == waiting_before[: len(moved)]
        assert all(status_of[u] == RegistrationStatus.offered for u in moved)
    assert max(claimed_once.values()) == 1
    assert sum(claimed_once.values()) >= ROUNDS
