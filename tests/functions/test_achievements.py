"""Opt-in achievements: nothing without opting in, each rule awarded exactly once whatever the
delivery does, the attendance record, and leaderboards that show only who chose to be shown."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select, update

from eventing.delivery import request_parts
from functions.achievements.handler import fn as achievements
from shared.achievements.models import Award
from shared.db import unit_of_work
from shared.events.models import Event
from shared.notifications.models import DeliveryStatus, Notification
from shared.outbox.models import OutboxMessage
from shared.outbox.wire import to_cloudevent
from tests.support.api import assert_problem
from tests.support.delivery import deliver_outbox, signed_cloudevent
from tests.support.factories import auth, create_event, join, new_user
from tests.support.outbox import recorded

CONSUMER = "/function/achievements/"


def opt_in(client, person, public: bool = True) -> None:
    body = {"enabled": True, "public": public}
    answer = client.put("/api/v1/me/gamification", headers=auth(person), json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json() == body


def check_in(client, organizer, event_id: str, registration_id: str) -> None:
    path = f"/api/v1/events/{event_id}/registrations/{registration_id}/check-in"
    assert client.post(path, headers=auth(organizer)).status_code == 200


def deliver(api, row: OutboxMessage) -> None:
    headers, body = request_parts(to_cloudevent(row))
    answer = api.post(CONSUMER, content=body, headers=headers)
    assert answer.status_code == 204, answer.text


def deliver_all(api) -> None:
    for row in recorded(achievements.consumes):
        deliver(api, row)


def redeliver_as_new(api, row: OutboxMessage) -> None:
    """The same action reported again under a new CloudEvent id (a re-emitting producer):
    the consumer's idempotency record does not catch it, the award's unique key must."""
    copy = signed_cloudevent(
        type=row.type, id=str(uuid.uuid4()), data=row.data, subject=row.subject
    )
    headers, body = request_parts(copy)
    assert api.post(CONSUMER, content=body, headers=headers).status_code == 204


def review(api, event_id: str, person) -> None:
    data = {
        "review_id": str(uuid.uuid4()),
        "event_id": event_id,
        "user_id": str(person.id),
        "rating": 5,
    }
    cloudevent = signed_cloudevent(
        type="org.eventmanager.review.created", id=str(uuid.uuid4()), data=data
    )
    headers, body = request_parts(cloudevent)
    assert api.post(CONSUMER, content=body, headers=headers).status_code == 204


def mine(client, person) -> dict:
    answer = client.get("/api/v1/me/achievements", headers=auth(person))
    assert answer.status_code == 200, answer.text
    return answer.json()


def board(client, period: str = "all") -> list[tuple[str, int]]:
    answer = client.get("/api/v1/leaderboard", params={"period": period})
    assert answer.status_code == 200, answer.text
    return [(row["user_id"], row["points"]) for row in answer.json()["items"]]


def test_nothing_is_earned_without_opting_in_nor_retroactively(client):
    organizer, person = new_user("organizer"), new_user()
    assert client.get("/api/v1/me/gamification", headers=auth(person)).json() == {
        "enabled": False,
        "public": False,
    }
    before = create_event(client, auth(organizer))
    seat = join(client, before["id"], person)
    check_in(client, organizer, before["id"], seat["id"])
    deliver_all(client)
    assert mine(client, person)["points"] == 0
    opt_in(client, person)
    # The check-in before opting in, reported again later: still nothing.
    redeliver_as_new(client, recorded(achievements.consumes)[-1])
    assert mine(client, person)["points"] == 0
    after = create_event(client, auth(organizer))
    check_in(client, organizer, after["id"], join(client, after["id"], person)["id"])
    deliver_all(client)
    earned = mine(client, person)
    assert earned["points"] == 10 + 5  # attended, and the first-event badge
    assert [a["code"] for a in earned["achievements"]] == ["first_event"]
    assert earned["achievements"][0]["name"] == "First event"


def add_to_team(client, organizer, event_id: str, person, role: str) -> None:
    added = client.post(
        f"/api/v1/events/{event_id}/team",
        headers=auth(organizer),
        json={"email": person.email, "role": role},
    )
    assert added.status_code == 201, added.text


def test_each_rule_is_awarded_once_under_duplicate_and_concurrent_deliveries(client, live_url):
    organizer, person = new_user("organizer"), new_user()
    co, steward, co_out = new_user("organizer"), new_user(), new_user("organizer")
    for someone in (organizer, person, co, steward):
        opt_in(client, someone)
    event = create_event(client, auth(organizer))
    add_to_team(client, organizer, event["id"], co, "co_organizer")
    add_to_team(client, organizer, event["id"], steward, "steward")
    add_to_team(client, organizer, event["id"], co_out, "co_organizer")  # never opted in
    crowd = [new_user() for _ in range(9)]
    for someone in [person, *crowd]:
        check_in(client, organizer, event["id"], join(client, event["id"], someone)["id"])
    rows = recorded(achievements.consumes)

    def twice_at_once(row: OutboxMessage) -> None:
        with httpx.Client(base_url=live_url, timeout=30) as api:
            deliver(api, row)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(twice_at_once, [row for row in rows for _ in range(2)]))
    with httpx.Client(base_url=live_url, timeout=30) as api:
        for row in rows:  # again later, and as new CloudEvents
            deliver(api, row)
            redeliver_as_new(api, row)
        review(api, event["id"], person)
        review(api, event["id"], person)  # a second review of the same event earns nothing
    assert mine(client, person)["points"] == 10 + 5 + 5  # attended, first event, reviewed
    # Ten people checked in at the event they host: its owner and its co-organizer, once
    # each; a steward does not host, a co-organizer who did not opt in earns nothing.
    for host in (organizer, co):
        hosted = mine(client, host)
        assert hosted["points"] == 50
        assert [a["code"] for a in hosted["achievements"]] == ["host_10"]
    assert mine(client, steward)["points"] == 0
    assert mine(client, co_out)["points"] == 0
    with unit_of_work() as session:
        awards = session.scalars(select(Award.rule).where(Award.user_id == person.id)).all()
        every_award = session.execute(select(Award.user_id, Award.rule, Award.scope)).all()
        announced = session.scalars(
            select(OutboxMessage.data).where(
                OutboxMessage.type == "org.eventmanager.achievement.awarded"
            )
        ).all()
    assert sorted(awards) == ["attended", "first_event", "reviewed"]
    # Each award inserted wrote exactly one achievement.awarded; the repeats wrote none.
    assert sorted((uuid.UUID(d["user_id"]), d["rule"], d["scope"]) for d in announced) == sorted(
        (row[0], row[1], row[2]) for row in every_award
    )

    # notify tells each badge once in the app (points alone tell nothing), however often
    # the CloudEvent comes.
    for _ in range(2):
        assert set(deliver_outbox(client, "notify", ("achievement.",))) == {204}
    with unit_of_work() as session:
        told = session.execute(
            select(Notification.user_id, Notification.payload, Notification.email_status).where(
                Notification.kind == "achievement_awarded"
            )
        ).all()
    assert sorted((user_id, payload["rule"]) for user_id, payload, _ in told) == sorted(
        [(person.id, "first_event"), (organizer.id, "host_10"), (co.id, "host_10")]
    )
    assert {status for *_, status in told} == {DeliveryStatus.skipped}
    inbox = client.get("/api/v1/me/notifications", headers=auth(co)).json()["items"]
    assert [item["title"] for item in inbox if item["kind"] == "achievement_awarded"] == [
        "New achievement: Host of 10 attendees"
    ]


def test_a_co_organizer_added_after_the_check_ins_earns_the_hosting_badge_once(client):
    organizer, co = new_user("organizer"), new_user("organizer")
    opt_in(client, co)
    event = create_event(client, auth(organizer))
    for someone in [new_user() for _ in range(10)]:
        check_in(client, organizer, event["id"], join(client, event["id"], someone)["id"])
    deliver_all(client)
    assert mine(client, co)["points"] == 0
    add_to_team(client, organizer, event["id"], co, "co_organizer")
    deliver_all(client)
    deliver_all(client)
    assert [a["code"] for a in mine(client, co)["achievements"]] == ["host_10"]
    assert mine(client, co)["points"] == 50


def test_reordered_deliveries_award_from_the_current_state(client):
    organizer, person, stranger = new_user("organizer"), new_user(), new_user()
    opt_in(client, person)
    opt_in(client, stranger)
    event = create_event(client, auth(organizer))
    seat = join(client, event["id"], person)
    join(client, event["id"], stranger)
    # The review arrives before the check-in CloudEvent: the check-in itself is what counts.
    check_in(client, organizer, event["id"], seat["id"])
    review(client, event["id"], person)
    review(client, event["id"], stranger)  # was never checked in
    assert mine(client, person)["points"] == 5
    for row in reversed(recorded(achievements.consumes)):
        deliver(client, row)
    assert mine(client, person)["points"] == 5 + 10 + 5
    assert mine(client, stranger)["points"] == 0


def test_a_seat_given_back_early_earns_once_a_late_one_counts_against(client):
    organizer, person = new_user("organizer"), new_user()
    opt_in(client, person)
    early = create_event(client, auth(organizer), capacity=5)
    soon_start = datetime.now(UTC) + timedelta(hours=3)
    soon = create_event(
        client,
        auth(organizer),
        capacity=5,
        starts_at=soon_start.isoformat(),
        ends_at=(soon_start + timedelta(hours=2)).isoformat(),
    )
    for _ in range(2):  # leaving, coming back and leaving again earns nothing more
        join(client, early["id"], person)
        left = f"/api/v1/events/{early['id']}/registrations/me"
        assert client.delete(left, headers=auth(person)).status_code == 204
    full = create_event(client, auth(organizer), capacity=1)
    join(client, full["id"], new_user())
    for event in (soon, full):  # late; and only a waitlist place given back
        join(client, event["id"], person)
        left = f"/api/v1/events/{event['id']}/registrations/me"
        assert client.delete(left, headers=auth(person)).status_code == 204
    deliver_all(client)
    deliver_all(client)
    record = mine(client, person)
    assert record["points"] == 3
    assert record["reliability"] == {"attended": 0, "no_shows": 0, "late_cancellations": 1}


def test_the_attendance_record_is_the_person_s_own_even_with_gamification_off(client):
    organizer, person = new_user("organizer"), new_user()
    came, missed = create_event(client, auth(organizer)), create_event(client, auth(organizer))
    check_in(client, organizer, came["id"], join(client, came["id"], person)["id"])
    join(client, missed["id"], person)
    cancelled = create_event(client, auth(organizer))
    join(client, cancelled["id"], person)
    past = datetime.now(UTC) - timedelta(days=2)
    with unit_of_work() as session:  # both events are over; the organizer called one off
        session.execute(
            update(Event)
            .where(Event.id.in_([missed["id"], cancelled["id"]]))
            .values(starts_at=past, ends_at=past + timedelta(hours=2))
        )
        session.execute(update(Event).where(Event.id == cancelled["id"]).values(status="cancelled"))
    record = mine(client, person)
    assert record == {
        "points": 0,
        "achievements": [],
        "reliability": {"attended": 1, "no_shows": 1, "late_cancellations": 0},
    }
    assert_problem(client.get("/api/v1/me/achievements"), 401)


def test_opting_out_hides_a_person_from_the_leaderboards_at_once(client):
    organizer = new_user("organizer")
    shown, private, leaving = new_user(), new_user(), new_user()
    opt_in(client, shown)
    opt_in(client, private, public=False)
    opt_in(client, leaving)
    event = create_event(client, auth(organizer))
    for person in (shown, private, leaving):
        check_in(client, organizer, event["id"], join(client, event["id"], person)["id"])
    deliver_all(client)
    review(client, event["id"], leaving)
    assert board(client) == [(str(leaving.id), 20), (str(shown.id), 15)]
    assert board(client)[0][0] == str(leaving.id)  # served from the cache now
    gone = client.put(
        "/api/v1/me/gamification", headers=auth(leaving), json={"enabled": False, "public": True}
    )
    assert gone.json() == {"enabled": False, "public": True}
    assert board(client) == [(str(shown.id), 15)]
    assert board(client, "month") == [(str(shown.id), 15)]
    names = client.get("/api/v1/leaderboard").json()["items"]
    assert names == [{"user_id": str(shown.id), "display_name": "Test participant", "points": 15}]


def test_leaderboard_periods_count_points_by_when_they_were_earned(client):
    organizer, veteran, newcomer = new_user("organizer"), new_user(), new_user()
    opt_in(client, veteran)
    opt_in(client, newcomer)
    event = create_event(client, auth(organizer))
    for person in (veteran, newcomer):
        check_in(client, organizer, event["id"], join(client, event["id"], person)["id"])
    deliver_all(client)
    with unit_of_work() as session:  # the veteran earned theirs long ago
        session.execute(
            update(Award)
            .where(Award.user_id == veteran.id)
            .values(awarded_at=datetime.now(UTC) - timedelta(days=400))
        )
    assert board(client, "all") == sorted(
        [(str(veteran.id), 15), (str(newcomer.id), 15)], key=lambda row: row[0]
    )
    assert board(client, "year") == [(str(newcomer.id), 15)]
    assert board(client, "month") == [(str(newcomer.id), 15)]


@pytest.mark.parametrize(
    "body",
    [{"enabled": "maybe"}, {"enabled": True, "points": 1000}, [], {"public": None}],
)
def test_bad_choices_are_refused_and_change_nothing(client, body):
    person = new_user()
    answer = client.put("/api/v1/me/gamification", headers=auth(person), json=body)
    assert_problem(answer, 422)
    assert client.get("/api/v1/me/gamification", headers=auth(person)).json() == {
        "enabled": False,
        "public": False,
    }
    assert_problem(client.put("/api/v1/me/gamification", json={"enabled": True}), 401)
    assert_problem(client.get("/api/v1/leaderboard", params={"period": "week"}), 422)
