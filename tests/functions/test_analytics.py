"""The statistics API: figures from the rollups, for the right people only, never a 500."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from tests.support.api import assert_problem
from tests.support.factories import auth, bearer, create_event, join, new_user
from tests.support.rollups import deliver_all


def test_an_event_s_figures_for_its_organizer_and_admins(client):
    organizer = new_user("organizer")
    event = create_event(client, auth(organizer), capacity=2)
    people = [new_user() for _ in range(4)]
    registrations = [join(client, event["id"], person) for person in people]
    path = f"/api/v1/events/{event['id']}"
    assert client.delete(f"{path}/registrations/me", headers=auth(people[0])).status_code == 204
    checked_in = client.post(
        f"{path}/registrations/{registrations[1]['id']}/check-in", headers=auth(organizer)
    )
    assert checked_in.status_code == 200
    deliver_all(client)
    today = datetime.now(UTC).date().isoformat()
    figures = client.get(f"/api/v1/analytics/events/{event['id']}", headers=auth(organizer))
    assert figures.status_code == 200, figures.text
    # Four joined (two waited), one left and the first in line got the seat, one came.
    assert figures.json() == {
        "event_id": event["id"],
        "registrations": 4,
        "confirmed": 2,  # the promoted person and the one checked in
        "waitlisted": 1,
        "offered": 0,  # auto mode: the freed seat went straight to the first waiting
        "cancelled": 1,
        "checked_in": 1,
        "by_day": [{"date": today, "registrations": 4, "cancellations": 1, "check_ins": 1}],
    }
    as_admin = client.get(
        f"/api/v1/analytics/events/{event['id']}", headers=bearer(client, "admin")
    )
    assert as_admin.json() == figures.json()


def test_other_people_cannot_read_an_event_s_figures(client):
    organizer = new_user("organizer")
    event = create_event(client, auth(organizer))
    draft = create_event(client, auth(organizer), status="draft")
    path = f"/api/v1/analytics/events/{event['id']}"
    assert_problem(client.get(path), 401)
    assert_problem(client.get(path, headers=bearer(client, "organizer")), 403)
    assert_problem(client.get(path, headers=bearer(client)), 403)
    # A draft does not exist for anyone but its organizer: not even its figures.
    hidden = f"/api/v1/analytics/events/{draft['id']}"
    assert_problem(client.get(hidden, headers=bearer(client, "organizer")), 404)
    assert client.get(hidden, headers=auth(organizer)).status_code == 200
    missing = f"/api/v1/analytics/events/{uuid.uuid4()}"
    assert_problem(client.get(missing, headers=bearer(client, "admin")), 404)
    assert_problem(client.get("/api/v1/analytics/events/not-an-id", headers=auth(organizer)), 422)


def test_a_cached_figure_is_forgotten_when_a_registration_is_counted(client):
    organizer = new_user("organizer")
    event = create_event(client, auth(organizer))
    path = f"/api/v1/analytics/events/{event['id']}"
    deliver_all(client)
    assert client.get(path, headers=auth(organizer)).json()["registrations"] == 0
    assert client.get(path, headers=auth(organizer)).json()["registrations"] == 0  # cached
    join(client, event["id"], new_user())
    deliver_all(client)
    assert client.get(path, headers=auth(organizer)).json()["registrations"] == 1


def test_popular_categories_count_listed_events_by_start_date(client):
    organizer = new_user("organizer")
    admin = new_user("admin")
    may = "2031-05-01T18:00:00+00:00", "2031-05-01T21:00:00+00:00"
    june = "2031-06-01T18:00:00+00:00", "2031-06-01T21:00:00+00:00"
    concert = create_event(
        client, auth(organizer), category="concert", starts_at=may[0], ends_at=may[1]
    )
    meetup = create_event(
        client, auth(organizer), category="meetup", starts_at=may[0], ends_at=may[1]
    )
    create_event(client, auth(organizer), category="meetup", starts_at=june[0], ends_at=june[1])
    create_event(client, auth(organizer), category="sports", status="draft")  # not listed
    hidden = create_event(
        client, auth(organizer), category="workshop", starts_at=may[0], ends_at=may[1]
    )
    for _ in range(3):
        join(client, concert["id"], new_user())
    join(client, meetup["id"], new_user())
    join(client, hidden["id"], new_user())
    moderation = client.post(
        f"/api/v1/admin/events/{hidden['id']}/moderation",
        headers=auth(admin),
        json={"action": "hide", "reason": "spam"},
    )
    assert moderation.status_code == 200, moderation.text
    deliver_all(client)
    popular = "/api/v1/analytics/categories/popular"
    assert client.get(popular).json() == {
        "items": [
            {"category": "concert", "events": 1, "registrations": 3},
            {"category": "meetup", "events": 2, "registrations": 1},
        ]
    }
    in_may = client.get(popular, params={"from": "2031-05-01", "to": "2031-05-31"}).json()
    assert [(i["category"], i["events"]) for i in in_may["items"]] == [
        ("concert", 1),
        ("meetup", 1),
    ]
    assert client.get(popular, params={"from": "2031-06-01"}).json()["items"] == [
        {"category": "meetup", "events": 1, "registrations": 0}
    ]
    assert client.get(popular, params={"limit": 1}).json()["items"][0]["category"] == "concert"


@pytest.mark.parametrize(
    "params",
    [
        {"from": "yesterday"},
        {"to": "2031-02-30"},
        {"from": "2031-06-01", "to": "2031-05-01"},
        {"limit": 0},
        {"limit": 51},
        {"limit": "many"},
        {"from": "99999-01-01"},
    ],
)
def test_popular_categories_refuse_bad_queries(client, params):
    body = assert_problem(client.get("/api/v1/analytics/categories/popular", params=params), 422)
    assert body["errors"][0]["loc"][0] == "query"


def test_a_person_s_activity_for_themself_and_admins(client):
    organizer = new_user("organizer")
    first = create_event(client, auth(organizer), title="First")
    second = create_event(client, auth(organizer), title="Second")
    person = new_user()
    came = join(client, first["id"], person)
    checked_in = client.post(
        f"/api/v1/events/{first['id']}/registrations/{came['id']}/check-in", headers=auth(organizer)
    )
    assert checked_in.status_code == 200
    join(client, second["id"], person)
    leave = f"/api/v1/events/{second['id']}/registrations/me"
    assert client.delete(leave, headers=auth(person)).status_code == 204
    join(client, second["id"], person)  # came back
    deliver_all(client)
    path = f"/api/v1/analytics/users/{person.id}/activity"
    mine = client.get(path, headers=auth(person))
    assert mine.status_code == 200, mine.text
    activity = mine.json()
    assert (activity["registered"], activity["attended"], activity["cancelled"]) == (3, 1, 1)
    assert [(e["title"], e["status"]) for e in activity["events"]] == [
        ("Second", "confirmed"),
        ("First", "checked_in"),
    ]
    assert client.get(path, headers=bearer(client, "admin")).json() == activity
    assert client.get(f"{path}?limit=1", headers=auth(person)).json()["events"][0]["title"] == (
        "Second"
    )


def test_nobody_else_reads_a_person_s_activity(client):
    person = new_user()
    path = f"/api/v1/analytics/users/{person.id}/activity"
    assert_problem(client.get(path), 401)
    assert_problem(client.get(path, headers=bearer(client)), 403)
    assert_problem(client.get(path, headers=bearer(client, "organizer")), 403)
    someone = f"/api/v1/analytics/users/{uuid.uuid4()}/activity"
    assert_problem(client.get(someone, headers=bearer(client, "admin")), 404)
    assert_problem(client.get(f"{path}?limit=0", headers=auth(person)), 422)
    assert_problem(client.get(f"{path}?limit=101", headers=auth(person)), 422)
    empty = client.get(path, headers=auth(person)).json()
    assert empty == {
        "user_id": str(person.id),
        "registered": 0,
        "attended": 0,
        "cancelled": 0,
        "events": [],
    }
