"""`track_activity` keeps the rollups equal to a GROUP BY over the source tables, whatever order
its CloudEvents arrive in, however often, and however many consumers run at once."""

from __future__ import annotations

import random
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text, update

from shared.analytics.service import refresh
from shared.db import unit_of_work
from shared.errors import DomainError
from shared.events.schemas import EventUpdate
from shared.moderation.service import moderate
from shared.organizing.changes import cancel_event, delete_event, update_event
from shared.outbox.models import OutboxMessage
from shared.registrations import door, participants
from shared.registrations import repository as registrations
from shared.registrations.models import Registration
from shared.registrations.service import join, leave
from tests.support.delivery import delivery_round
from tests.support.factories import (
    SCENARIO_START,
    many_users,
    new_user,
    published_event,
    token_for,
)
from tests.support.rollups import actual, deliver, deliver_all, expected, recorded
from tests.support.services import empty_tables

PEOPLE = 6
EVENTS = 3
CATEGORIES = ["meetup", "concert", "workshop"]


person = st.integers(0, PEOPLE - 1)
event = st.integers(0, EVENTS - 1)
step = st.one_of(
    st.tuples(st.just("join"), person, event),
    st.tuples(st.just("join"), person, event),
    st.tuples(st.just("join"), person, event),
    st.tuples(st.just("leave"), person, event),
    st.tuples(st.just("check_in"), person, event),
    st.tuples(st.just("remove"), person, event),
    st.tuples(st.just("capacity"), event, st.integers(1, 4)),
    st.tuples(st.just("move"), event, st.sampled_from(CATEGORIES), st.integers(0, 2)),
    st.tuples(st.just("hide"), event),
    st.tuples(st.just("restore"), event),
    st.tuples(st.just("cancel"), event),
    st.tuples(st.just("delete"), event),
    st.tuples(st.just("deliver"), st.floats(0, 1)),
)


class Scenario:
    """Acts through the real services; delivers CloudEvents late, shuffled and twice."""

    def __init__(self, client, database: str, rng: random.Random) -> None:
        empty_tables(database)  # each example starts from a fresh installation
        self.client = client
        self.rng = rng
        self.delivered: list[OutboxMessage] = []
        self.organizer = new_user("organizer")
        self.admin = new_user("admin")
        self.people = many_users(PEOPLE)
        self.events = [
            published_event(self.organizer.id, category=CATEGORIES[n], day=n, capacity=2)
            for n in range(EVENTS)
        ]

    def act(self, name: str, *args) -> None:
        owner, admin = self.organizer.id, self.admin.id
        try:
            with unit_of_work() as session:
                if name == "join":
                    join(session, self.events[args[1]], self.people[args[0]], is_admin=False)
                elif name == "leave":
                    leave(session, self.events[args[1]], self.people[args[0]], is_admin=False)
                elif name in ("check_in", "remove"):
                    event_id = self.events[args[1]]
                    mine = registrations.active_for(session, event_id, self.people[args[0]])
                    if mine is not None:
                        action = door.check_in if name == "check_in" else participants.remove
                        action(session, event_id, mine.id, owner, False)
                elif name == "capacity":
                    change = EventUpdate(capacity=args[1])
                    update_event(session, self.events[args[0]], owner, False, change)
                elif name == "move":
                    starts = SCENARIO_START + timedelta(days=args[2])
                    change = EventUpdate(
                        category=args[1], starts_at=starts, ends_at=starts + timedelta(hours=3)
                    )
                    update_event(session, self.events[args[0]], owner, False, change)
                elif name == "hide":
                    moderate(session, self.events[args[0]], admin, "hide", "test")
                elif name == "restore":
                    moderate(session, self.events[args[0]], admin, "restore", None)
                elif name == "cancel":
                    cancel_event(session, self.events[args[0]], owner, False, None)
                elif name == "delete":
                    delete_event(session, self.events[args[0]], owner, False)
        except DomainError:
            pass  # refused as a person would be (full, not registered, gone...)

    def pending(self) -> list[OutboxMessage]:
        delivered = {row.id for row in self.delivered}
        return [row for row in recorded() if row.id not in delivered]

    def deliver(self, share: float) -> None:
        waiting = self.pending()
        batch = delivery_round(self.rng, waiting, self.delivered, share)
        for row in batch:
            response = deliver(self.client, row)
            assert response.status_code == 204, response.text
            self.delivered.append(row)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step, min_size=1, max_size=25), rng=st.randoms(use_true_random=False))
def test_rollups_equal_the_raw_aggregate_whatever_the_delivery_order(client, db_url, steps, rng):
    scenario = Scenario(client, db_url, rng)
    for name, *args in steps:
        if name == "deliver":
            scenario.deliver(args[0])
        else:
            scenario.act(name, *args)
    scenario.deliver(1.0)
    assert actual() == expected()


def test_days_are_utc_dates_of_each_moment(client):
    """23:30 UTC is already tomorrow in Berlin; the day rule is UTC, for every reader."""
    organizer = new_user("organizer")
    event_id = published_event(organizer.id, category="meetup", day=0, capacity=5)
    people = many_users(2)
    with unit_of_work() as session:
        for person_id in people:
            join(session, event_id, person_id, is_admin=False)
    with unit_of_work() as session:
        leave(session, event_id, people[1], is_admin=False)
    late_evening = datetime(2030, 3, 9, 23, 30, tzinfo=UTC)
    with unit_of_work() as session:
        session.execute(
            update(Registration)
            .where(Registration.event_id == event_id)
            .values(created_at=late_evening, cancelled_at=None)
        )
        session.execute(
            update(Registration)
            .where(Registration.user_id == people[1])
            .values(cancelled_at=late_evening + timedelta(hours=1))
        )
    deliver_all(client)
    assert actual().days == {
        (event_id, late_evening.date()): (2, 0, 0),
        (event_id, late_evening.date() + timedelta(days=1)): (0, 1, 0),
    }


def test_a_deleted_event_leaves_no_rows_and_its_category_day_is_recounted(client):
    organizer = new_user("organizer")
    kept = published_event(organizer.id, category="meetup", day=0, capacity=5)
    gone = published_event(organizer.id, category="meetup", day=0, capacity=5)
    person = new_user()
    for event_id in (kept, gone):
        with unit_of_work() as session:
            join(session, event_id, person.id, is_admin=False)
    deliver_all(client)
    assert actual().categories == {(SCENARIO_START.date(), "meetup"): (2, 2)}
    with unit_of_work() as session:
        delete_event(session, gone, organizer.id, False)
    deliver_all(client)
    rollups = actual()
    assert gone not in rollups.totals
    assert {event_id for event_id, _ in rollups.days} == {kept}
    assert set(rollups.people) == {(person.id, kept)}
    assert rollups.categories == {(SCENARIO_START.date(), "meetup"): (1, 1)}
    assert rollups == expected()


# --- concurrency ---------------------------------------------------------------------------


def _waiting_for_a_lock(timeout: float = 10) -> None:
    """Until some other session of this database waits on a lock."""
    deadline = time.monotonic() + timeout
    query = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock'"
    )
    while time.monotonic() < deadline:
        with unit_of_work() as session:
            if session.scalar(query):
                return
        time.sleep(0.02)
    raise AssertionError("nobody waited for the lock")


class RefreshInThread(threading.Thread):
    """Consumer Y: its own transaction, in parallel with the test's."""

    def __init__(self, event_id: uuid.UUID, person_id: uuid.UUID) -> None:
        super().__init__()
        self.event_id, self.person_id = event_id, person_id
        self.error: BaseException | None = None
        self.start()

    def run(self) -> None:
        try:
            with unit_of_work() as session:
                refresh(session, self.event_id, self.person_id)
        except BaseException as error:
            self.error = error

    def finished(self) -> bool:
        self.join(10)
        return not self.is_alive() and self.error is None


def test_a_refresh_waits_for_the_one_before_and_counts_what_it_committed(client):
    """Consumer X recounts the event before a second join commits; consumer Y, delivering
    that join, waits for X and then counts both: an owner never sees the older count win."""
    organizer = new_user("organizer")
    event_id = published_event(organizer.id, category="meetup", day=0, capacity=5)
    first, second = many_users(2)
    with unit_of_work() as session:
        join(session, event_id, first, is_admin=False)
    with unit_of_work() as x:
        refresh(x, event_id, first)  # sees one registration
        with unit_of_work() as session:
            join(session, event_id, second, is_admin=False)
        y = RefreshInThread(event_id, second)
        _waiting_for_a_lock()
    assert y.finished(), y.error
    rollups = actual()
    assert rollups.totals[event_id][3:5] == (2, 2)
    assert rollups.categories == {(SCENARIO_START.date(), "meetup"): (1, 2)}


def test_refreshes_of_two_events_on_one_category_day_lose_nothing(client):
    """Each consumer recounts the category day from the event totals it can see: without
    the key's lock, Y would not see X's uncommitted count (and fail on X's row)."""
    organizer = new_user("organizer")
    one = published_event(organizer.id, category="meetup", day=0, capacity=5)
    other = published_event(organizer.id, category="meetup", day=0, capacity=5)
    first, second = many_users(2)
    with unit_of_work() as session:
        join(session, one, first, is_admin=False)
    with unit_of_work() as session:
        join(session, other, second, is_admin=False)
    with unit_of_work() as x:
        refresh(x, one, first)  # counts `other` with no registration yet
        y = RefreshInThread(other, second)
        _waiting_for_a_lock()
    assert y.finished(), y.error
    assert actual().categories == {(SCENARIO_START.date(), "meetup"): (2, 2)}
    assert actual() == expected()


def test_a_rush_of_joins_delivered_by_parallel_consumers(live_url):
    """Real parallel clients: each person joins one of two events of the same category day
    and the dispatcher's part (delivering that CloudEvent) follows at once, while others
    join and are delivered."""
    organizer = new_user("organizer")
    # Room for everyone: each CloudEvent is about the person who caused it (no promotions).
    events = [
        published_event(organizer.id, category="concert", day=1, capacity=20) for _ in range(2)
    ]
    people = [new_user() for _ in range(24)]

    def arrive(n: int) -> None:
        headers = {"Authorization": f"Bearer {token_for(people[n])}"}
        with httpx.Client(base_url=live_url, timeout=30) as api:
            event_id = events[n % 2]
            joined = api.post(f"/api/v1/events/{event_id}/registrations", headers=headers)
            assert joined.status_code == 201, joined.text
            if n % 3 == 0:
                left = api.delete(f"/api/v1/events/{event_id}/registrations/me", headers=headers)
                assert left.status_code == 204, left.text
            for row in recorded():
                if row.data.get("user_id") == str(people[n].id):
                    assert deliver(api, row).status_code == 204

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(arrive, range(len(people))))
    assert actual() == expected()
