"""Whatever order CloudEvents arrive in and however often, the awards equal what the source
rows say was earned: each rule once per person (and event), none for an unverified action."""

from __future__ import annotations

import random
import uuid

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from eventing.delivery import request_parts
from functions.achievements.handler import fn as achievements
from shared.achievements import service as gamification
from shared.achievements.models import Award
from shared.achievements.rules import HOSTING_MILESTONES
from shared.achievements.schemas import Gamification
from shared.db import unit_of_work
from shared.errors import DomainError
from shared.organizing.team import add_member
from shared.outbox.models import OutboxMessage
from shared.outbox.wire import to_cloudevent
from shared.registrations import door
from shared.registrations import repository as registrations
from shared.registrations.models import Registration, RegistrationStatus
from shared.registrations.service import join, leave
from shared.teams.models import TeamRole
from shared.teams.schemas import TeamMemberIn
from tests.support.delivery import delivery_round, signed_cloudevent
from tests.support.factories import many_users, new_user, published_event
from tests.support.services import empty_tables

HOSTING_AT = min(HOSTING_MILESTONES)
PEOPLE = 3
EVENTS = 2
# The last event has no capacity limit and a crowd checked in already: one more check-in
# earns its hosts (the organizer and a co-organizer) the first hosting badge.
CROWD = HOSTING_AT - 1
SEAT_HOLDING = ("confirmed", "offered")

person = st.integers(0, PEOPLE - 1)
event = st.integers(0, EVENTS)
step = st.one_of(
    st.tuples(st.just("join"), person, event),
    st.tuples(st.just("join"), person, event),
    st.tuples(st.just("leave"), person, event),
    st.tuples(st.just("check_in"), person, event),
    st.tuples(st.just("review"), person, event),
    st.tuples(st.just("deliver"), st.floats(0, 1)),
)


class Scenario:
    """Acts through the domain services; delivers CloudEvents late, shuffled and twice."""

    def __init__(self, client, database: str, rng: random.Random) -> None:
        empty_tables(database)
        self.client = client
        self.rng = rng
        self.delivered: list[tuple[dict[str, str], bytes]] = []
        self.reviews: list[tuple[dict[str, str], bytes]] = []
        self.reviewed: set[tuple[uuid.UUID, str, str]] = set()
        self.organizer = new_user("organizer")
        self.co_organizer = new_user("organizer")
        self.people = many_users(PEOPLE)
        with unit_of_work() as session:
            for someone in [*self.people, self.organizer.id, self.co_organizer.id]:
                gamification.choose(session, someone, Gamification(enabled=True, public=True))
        self.events = [
            published_event(self.organizer.id, day=day, capacity=1) for day in range(EVENTS)
        ]
        self.events.append(published_event(self.organizer.id, day=EVENTS))
        self.hosted = self.events[-1]
        with unit_of_work() as session:
            add_member(
                session,
                self.hosted,
                self.organizer.id,
                False,
                TeamMemberIn(email=self.co_organizer.email, role=TeamRole.co_organizer),
            )
        crowd = many_users(CROWD)
        for someone in crowd:
            with unit_of_work() as session:
                seat = join(session, self.hosted, someone, is_admin=False)
                door.check_in(session, self.hosted, seat.registration.id, self.organizer.id, False)
        # The crowd did not opt in: their CloudEvents would award nothing, only slow each
        # example down. The people's check-ins are what reach the hosts' milestone.
        with unit_of_work() as session:
            session.execute(
                delete(OutboxMessage).where(
                    OutboxMessage.type.like("org.eventmanager.registration.%"),
                    OutboxMessage.data["user_id"].astext.in_([str(c) for c in crowd]),
                )
            )

    def act(self, name: str, who: int, which: int) -> None:
        someone, event_id = self.people[who], self.events[which]
        try:
            with unit_of_work() as session:
                mine = registrations.active_for(session, event_id, someone)
                if name == "join":
                    join(session, event_id, someone, is_admin=False)
                elif name == "leave":
                    leave(session, event_id, someone, is_admin=False)
                elif name == "check_in" and mine is not None:
                    door.check_in(session, event_id, mine.id, self.organizer.id, False)
                # Reviews come only from people checked in (the reviews feature refuses
                # others); the consumer checks again.
                elif name == "review" and mine and mine.status == RegistrationStatus.checked_in:
                    self.review(someone, event_id)
        except DomainError:
            pass  # refused as a person would be (full, not registered, not confirmed...)

    def review(self, someone: uuid.UUID, event_id: uuid.UUID) -> None:
        data = {
            "review_id": str(uuid.uuid4()),
            "event_id": str(event_id),
            "user_id": str(someone),
            "rating": 5,
        }
        cloudevent = signed_cloudevent(
            type="org.eventmanager.review.created", id=str(uuid.uuid4()), data=data
        )
        self.reviews.append(request_parts(cloudevent))
        self.reviewed.add((someone, "reviewed", str(event_id)))

    def pending(self) -> list[tuple[dict[str, str], bytes]]:
        with unit_of_work() as session:
            rows = session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.type.in_(achievements.consumes))
                .order_by(OutboxMessage.created_at)
            ).all()
            waiting = [request_parts(to_cloudevent(row)) for row in rows] + self.reviews
        return [parts for parts in waiting if parts not in self.delivered]

    def deliver(self, share: float) -> None:
        waiting = self.pending()
        batch = delivery_round(self.rng, waiting, self.delivered, share)
        for headers, body in batch:
            answer = self.client.post("/function/achievements/", content=body, headers=headers)
            assert answer.status_code == 204, answer.text
            self.delivered.append((headers, body))

    def expected(self) -> set[tuple[uuid.UUID, str, str]]:
        """From the source rows and the CloudEvents' own data, in Python."""
        awards = set(self.reviewed)
        with unit_of_work() as session:
            checked_in = session.execute(
                select(Registration.user_id, Registration.event_id).where(
                    Registration.status == RegistrationStatus.checked_in
                )
            ).all()
            cancellations = session.scalars(
                select(OutboxMessage.data).where(
                    OutboxMessage.type == "org.eventmanager.registration.cancelled"
                )
            ).all()
        for someone, event_id in checked_in:
            if someone in self.people:  # the crowd did not opt in
                awards |= {(someone, "attended", str(event_id)), (someone, "first_event", "")}
        if sum(event_id == self.hosted for _, event_id in checked_in) >= HOSTING_AT:
            for host in (self.organizer.id, self.co_organizer.id):
                awards.add((host, "host_10", str(self.hosted)))
        for data in cancellations:
            limited = data["event_id"] != str(self.hosted)  # only a limited seat counts
            if (
                limited
                and data["by_user_id"] == data["user_id"]
                and data["previous_status"] in SEAT_HOLDING
            ):
                awards.add((uuid.UUID(data["user_id"]), "seat_released", data["event_id"]))
        return awards

    def actual(self) -> list[tuple[uuid.UUID, str, str]]:
        with unit_of_work() as session:
            rows = session.execute(select(Award.user_id, Award.rule, Award.scope)).all()
        return sorted((row[0], row[1], row[2]) for row in rows)

    def announced(self) -> list[tuple[uuid.UUID, str, str]]:
        """What the achievement.awarded CloudEvents written say was awarded."""
        with unit_of_work() as session:
            rows = session.scalars(
                select(OutboxMessage.data).where(
                    OutboxMessage.type == "org.eventmanager.achievement.awarded"
                )
            ).all()
        return sorted((uuid.UUID(d["user_id"]), d["rule"], d["scope"]) for d in rows)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step, min_size=1, max_size=25), rng=st.randoms(use_true_random=False))
# Someone waiting leaves (no seat given back) while the seat holder comes and reviews.
@example(
    steps=[
        ("join", 0, 0),
        ("join", 1, 0),
        ("leave", 1, 0),
        ("check_in", 0, 0),
        ("review", 0, 0),
        ("deliver", 0.5),
        ("review", 0, 0),
    ],
    rng=random.Random(0),
)
# The tenth check-in at the hosted event, delivered in halves and again: both hosts earn once.
@example(
    steps=[
        ("join", 0, EVENTS),
        ("deliver", 0.5),
        ("check_in", 0, EVENTS),
        ("deliver", 0.5),
        ("join", 1, EVENTS),
        ("check_in", 1, EVENTS),
    ],
    rng=random.Random(1),
)
def test_awards_equal_what_was_earned_whatever_the_delivery_order(client, db_url, steps, rng):
    scenario = Scenario(client, db_url, rng)
    for name, *args in steps:
        if name == "deliver":
            scenario.deliver(args[0])
        else:
            scenario.act(name, *args)
    scenario.deliver(1.0)
    assert scenario.actual() == sorted(scenario.expected())
    # Each award announced exactly once, whatever the deliveries repeated.
    assert scenario.announced() == scenario.actual()
