"""The event's `rating` equals a recount of its visible reviews, whatever order the review
CloudEvents arrive in, however often, and however many consumers deliver them at once."""

from __future__ import annotations

import random
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from eventing.delivery import request_parts
from shared.db import unit_of_work
from shared.errors import DomainError
from shared.events.models import Event
from shared.outbox.models import OutboxMessage
from shared.outbox.wire import to_cloudevent
from shared.registrations import door
from shared.registrations.service import join
from shared.reviews import repository as reviews
from shared.reviews import service
from shared.reviews.models import Review
from tests.support.delivery import delivery_round
from tests.support.factories import many_users, new_user, published_event
from tests.support.outbox import recorded
from tests.support.services import empty_tables

PEOPLE = 5
EVENTS = 2
REVIEW_TYPES = (
    "org.eventmanager.review.created",
    "org.eventmanager.review.updated",
    "org.eventmanager.review.hidden",
    "org.eventmanager.review.restored",
)


def checked_in(event_id: uuid.UUID, organizer_id: uuid.UUID, people: list[uuid.UUID]) -> None:
    for person in people:
        with unit_of_work() as session:
            joined = join(session, event_id, person, is_admin=False)
            door.check_in(session, event_id, joined.registration.id, organizer_id, False)


def actual() -> dict[uuid.UUID, tuple[int, int]]:
    with unit_of_work() as session:
        rows = session.execute(select(Event.id, Event.rating_count, Event.rating_sum))
        return {event_id: (count, total) for event_id, count, total in rows}


def expected() -> dict[uuid.UUID, tuple[int, int]]:
    """Recounted in Python from the review rows, independently of the SQL that keeps it."""
    with unit_of_work() as session:
        found = dict.fromkeys(session.scalars(select(Event.id)), (0, 0))
        for review in session.scalars(select(Review).where(Review.hidden_at.is_(None))):
            count, total = found[review.event_id]
            found[review.event_id] = (count + 1, total + review.rating)
        return found


def deliver(api, row: OutboxMessage) -> int:
    """What the dispatcher does: POST the recorded CloudEvent to track_activity."""
    headers, body = request_parts(to_cloudevent(row))
    return api.post("/function/track_activity/", content=body, headers=headers).status_code


person = st.integers(0, PEOPLE - 1)
event = st.integers(0, EVENTS - 1)
stars = st.integers(1, 5)
step = st.one_of(
    st.tuples(st.just("write"), person, event, stars),
    st.tuples(st.just("write"), person, event, stars),
    st.tuples(st.just("edit"), person, event, stars),
    st.tuples(st.just("edit"), person, event, stars),
    st.tuples(st.just("hide"), person, event),
    st.tuples(st.just("restore"), person, event),
    st.tuples(st.just("deliver"), st.floats(0, 1)),
)


class Scenario:
    """Acts through the real services; delivers review CloudEvents late, shuffled, twice, and
    several at once from parallel consumers."""

    def __init__(self, live_url: str, database: str, rng: random.Random) -> None:
        empty_tables(database)  # each example starts from a fresh installation
        self.api = httpx.Client(base_url=live_url, timeout=30)
        self.rng = rng
        self.delivered: list[OutboxMessage] = []
        self.organizer = new_user("organizer")
        self.admin = new_user("admin")
        self.people = many_users(PEOPLE)
        self.events = [published_event(self.organizer.id) for _ in range(EVENTS)]
        for event_id in self.events:
            checked_in(event_id, self.organizer.id, self.people)

    def act(self, name: str, *args: int) -> None:
        who, event_id = self.people[args[0]], self.events[args[1]]
        try:
            with unit_of_work() as session:
                review_id = reviews.id_of(session, event_id, who)
                if name == "write":
                    service.write(session, event_id, who, False, args[2], "text")
                elif review_id is None:
                    return
                elif name == "edit":
                    service.edit(session, event_id, review_id, who, {"rating": args[2]})
                elif name == "hide":
                    service.moderate(session, review_id, self.admin.id, "hide", None)
                elif name == "restore":
                    service.moderate(session, review_id, self.admin.id, "restore", None)
        except DomainError:
            pass  # refused as a person would be (a second review, restoring a visible one)

    def deliver(self, share: float) -> None:
        delivered = {row.id for row in self.delivered}
        waiting = [row for row in recorded(REVIEW_TYPES) if row.id not in delivered]
        batch = delivery_round(self.rng, waiting, self.delivered, share)
        with ThreadPoolExecutor(4) as pool:
            statuses = list(pool.map(lambda row: deliver(self.api, row), batch))
        assert set(statuses) <= {204}, statuses
        self.delivered += batch


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step, min_size=1, max_size=25), rng=st.randoms(use_true_random=False))
def test_rating_equals_a_recount_whatever_the_delivery_order(live_url, db_url, steps, rng):
    scenario = Scenario(live_url, db_url, rng)
    try:
        for name, *args in steps:
            if name == "deliver":
                scenario.deliver(args[0])
            else:
                scenario.act(name, *args)
        scenario.deliver(1.0)
    finally:
        scenario.api.close()
    assert actual() == expected()


class RefreshInThread(threading.Thread):
    def __init__(self, event_id: uuid.UUID) -> None:
        super().__init__(daemon=True)
        self.event_id = event_id
        self.error: BaseException | None = None
        self.start()

    def run(self) -> None:
        try:
            with unit_of_work() as session:
                service.refresh_rating(session, self.event_id)
        except BaseException as error:
            self.error = error

    def finished(self) -> bool:
        self.join(10)
        return not self.is_alive() and self.error is None


def _waiting_for_a_lock() -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with unit_of_work() as session:
            if session.scalar(
                text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
            ):
                return
        time.sleep(0.02)
    raise AssertionError("the second refresh never waited for the first")


def test_a_refresh_waits_for_the_one_before_and_counts_what_it_committed(client):
    """Consumer X recounts before a second review commits; consumer Y, delivering that review,
    waits for X's lock and then counts both: the older count never wins."""
    organizer = new_user("organizer")
    event_id = published_event(organizer.id)
    first, second = many_users(2)
    checked_in(event_id, organizer.id, [first, second])
    with unit_of_work() as session:
        service.write(session, event_id, first, False, 5, None)
    with unit_of_work() as x:
        service.refresh_rating(x, event_id)  # sees one review
        with unit_of_work() as session:
            service.write(session, event_id, second, False, 2, None)
        y = RefreshInThread(event_id)
        _waiting_for_a_lock()
    assert y.finished(), y.error
    assert actual()[event_id] == (2, 7)


def test_parallel_reviewers_and_consumers_leave_an_exact_rating(live_url):
    """Real parallel clients write, edit and are delivered at once, as the dispatcher would."""
    organizer = new_user("organizer")
    event_id = published_event(organizer.id)
    people = [new_user() for _ in range(16)]
    checked_in(event_id, organizer.id, [p.id for p in people])

    def review(n: int) -> None:
        from tests.support.factories import auth

        path = f"/api/v1/events/{event_id}/reviews"
        with httpx.Client(base_url=live_url, timeout=30) as api:
            made = api.post(path, headers=auth(people[n]), json={"rating": n % 5 + 1})
            assert made.status_code == 201, made.text
            if n % 3 == 0:
                edited = api.patch(
                    f"{path}/{made.json()['id']}", headers=auth(people[n]), json={"rating": 1}
                )
                assert edited.status_code == 200, edited.text
            for row in recorded(REVIEW_TYPES):
                if row.data.get("user_id") == str(people[n].id):
                    assert deliver(api, row) == 204

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(review, range(len(people))))
    assert actual() == expected()
    assert actual()[event_id][0] == 16
