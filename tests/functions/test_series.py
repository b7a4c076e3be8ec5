"""Series: one rule makes one event per date, at the same wall-clock time across summer-time
changes; a change reaches the coming dates only and their registered people; the series'
calendar entry says which dates were cancelled or changed alone, and calendar apps expanding
it find exactly the events. A bad rule is refused whole, with nothing stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
from sqlalchemy import func, select, update

from shared.db import unit_of_work
from shared.events.models import Event
from shared.events.series_models import Series
from shared.events.statuses import Moderation
from tests.support.api import assert_problem
from tests.support.factories import auth, bearer, event_body, join, new_user
from tests.support.mailbox import deliver, mailed
from tests.support.outbox import emitted

SERIES = "/api/v1/series"


def make_series(client, headers, **overrides):
    answer = client.post(SERIES, headers=headers, json=event_body(**overrides))
    assert answer.status_code == 201, answer.text
    return answer.json()


def event_of(client, event_id, headers):
    answer = client.get(f"/api/v1/events/{event_id}", headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def counts() -> tuple[int, int]:
    with unit_of_work() as session:
        events = session.scalar(select(func.count()).select_from(Event)) or 0
        series = session.scalar(select(func.count()).select_from(Series)) or 0
    return events, series


def expanded(ics: bytes) -> list[tuple[datetime, datetime, str]]:
    """What a calendar app shows of the file: parsed back and expanded independently."""
    calendar = icalendar.Calendar.from_ical(ics)
    return sorted(
        (o.decoded("DTSTART"), o.decoded("DTEND"), str(o["SUMMARY"]))
        for o in recurring_ical_events.of(calendar).all()
    )


@pytest.mark.parametrize(
    ("zone", "start", "rule", "local_times", "utc_starts"),
    [
        # Summer time begins in Berlin on Sunday 30 March 2031: 19:00 is 18:00Z, then 17:00Z.
        (
            "Europe/Berlin",
            "2031-03-18T19:00:00+01:00",
            "FREQ=WEEKLY;BYDAY=TU;COUNT=4",
            ["2031-03-18", "2031-03-25", "2031-04-01", "2031-04-08"],
            ["18:00", "18:00", "17:00", "17:00"],
        ),
        # It ends in New York on Sunday 2 November 2031: 18:30 is 22:30Z, then 23:30Z. UNTIL
        # as a date takes in that whole day.
        (
            "America/New_York",
            "2031-10-31T18:30:00-04:00",
            "RRULE:FREQ=DAILY;UNTIL=20311103",
            ["2031-10-31", "2031-11-01", "2031-11-02", "2031-11-03"],
            ["22:30", "22:30", "23:30", "23:30"],
        ),
    ],
)
def test_every_date_keeps_its_wall_clock_time_across_a_summer_time_change(
    client, zone, start, rule, local_times, utc_starts
):
    owner = bearer(client, "organizer")
    begins = datetime.fromisoformat(start)
    series = make_series(
        client,
        owner,
        starts_at=start,
        ends_at=(begins + timedelta(hours=2)).isoformat(),
        timezone=zone,
        rrule=rule,
        capacity=1,
    )
    events = [event_of(client, i, owner) for i in series["occurrences"]]
    assert len(events) == len(local_times)
    here = ZoneInfo(zone)
    for event, day, utc_start in zip(events, local_times, utc_starts, strict=True):
        starts = datetime.fromisoformat(event["starts_at"])
        ends = datetime.fromisoformat(event["ends_at"])
        assert starts.astimezone(here).isoformat()[:16] == f"{day}T{start[11:16]}"
        assert starts.astimezone(UTC).strftime("%H:%M") == utc_start
        assert ends - starts == timedelta(hours=2)
        assert (event["timezone"], event["capacity"], event["seats_taken"]) == (zone, 1, 0)

    # Each date is an event of its own: its seats are its own.
    join(client, events[0]["id"], new_user())
    assert [event_of(client, e["id"], owner)["seats_taken"] for e in events] == [1, 0, 0, 0]
    shown = client.get(f"{SERIES}/{series['id']}").json()
    assert shown["occurrences"] == series["occurrences"]
    assert shown["rrule"].startswith("FREQ=")
    assert shown["timezone"] == zone
    # A calendar app expanding the series' file finds the same dates.
    ics = client.get(f"{SERIES}/{series['id']}/calendar.ics")
    assert ics.status_code == 200
    assert ics.headers["content-type"].startswith("text/calendar")
    assert [(s, e) for s, e, _ in expanded(ics.content)] == [
        (datetime.fromisoformat(e["starts_at"]), datetime.fromisoformat(e["ends_at"]))
        for e in events
    ]
    assert f"DTSTART;TZID={zone}:".encode() in ics.content
    assert b"BEGIN:VTIMEZONE" in ics.content
    assert emitted("series.created")[0]["event_ids"] == series["occurrences"]


@pytest.mark.parametrize(
    ("rule", "detail"),
    [
        ("FREQ=WEEKLY", "COUNT or UNTIL"),
        ("FREQ=DAILY;COUNT=201", "between 1 and 200"),
        ("FREQ=DAILY;UNTIL=20320101", "more than 200"),
        ("FREQ=SOMETIMES;COUNT=3", "not an RFC 5545 RRULE"),
        ("BYDAY=MO;COUNT=3", "needs a FREQ"),
        ("FREQ=HOURLY;COUNT=3", "more often than daily"),
        ("FREQ=DAILY;BYHOUR=9,18;COUNT=4", "several times of day"),
        ("FREQ=DAILY;COUNT=3;UNTIL=20310601", "not both"),
        ("DTSTART:20310501T180000Z\nRRULE:FREQ=DAILY;COUNT=3", "one RRULE value"),
        # Never matches: walking it would take seconds; refused within the bounded walk.
        ("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;UNTIL=20900101", "too rarely"),
    ],
)
def test_a_bad_rule_is_a_422_and_stores_nothing(client, rule, detail):
    owner = bearer(client, "organizer")
    started = datetime.now()
    answer = client.post(SERIES, headers=owner, json=event_body(rrule=rule))
    problem = assert_problem(answer, 422)
    assert (datetime.now() - started).total_seconds() < 5
    assert detail in problem["detail"], problem
    assert problem["errors"][0]["loc"] == ["body", "rrule"]
    assert counts() == (0, 0)
    assert emitted("event.created") == []


def test_two_hundred_dates_are_the_most(client):
    owner = bearer(client, "organizer")
    series = make_series(client, owner, rrule="FREQ=DAILY;COUNT=200")
    assert len(set(series["occurrences"])) == 200
    assert counts() == (200, 1)
    # DTSTART counts as a date even off the rule: 1 + 200 matches is one too many.
    refused = client.post(
        SERIES, headers=owner, json=event_body(rrule="FREQ=MONTHLY;BYMONTHDAY=31;COUNT=200")
    )
    assert "more than 200" in assert_problem(refused, 422)["detail"]
    assert counts() == (200, 1)


def test_who_may_make_and_see_a_series(client):
    body = event_body(rrule="FREQ=DAILY;COUNT=2")
    assert_problem(client.post(SERIES, json=body), 401)
    assert_problem(client.post(SERIES, headers=bearer(client), json=body), 403)
    assert_problem(client.post(SERIES, headers=bearer(client, "organizer"), json={}), 422)
    admin = bearer(client, "admin")
    draft = make_series(client, admin, status="draft", rrule="FREQ=DAILY;COUNT=2")
    # A draft series is seen by its organizer and admins only; others get 404 as for none.
    assert client.get(f"{SERIES}/{draft['id']}", headers=admin).status_code == 200
    for headers in ({}, bearer(client), bearer(client, "organizer")):
        assert_problem(client.get(f"{SERIES}/{draft['id']}", headers=headers), 404)
        assert_problem(client.get(f"{SERIES}/{draft['id']}/calendar.ics", headers=headers), 404)
    missing = "00000000-0000-4000-8000-000000000000"
    assert_problem(client.get(f"{SERIES}/{missing}"), 404)
    assert_problem(client.get(f"{SERIES}/not-an-id"), 422)


def test_only_the_organizer_its_team_or_an_admin_change_a_series(client):
    owner = bearer(client, "organizer")
    series = make_series(client, owner, rrule="FREQ=WEEKLY;COUNT=2")
    path = f"{SERIES}/{series['id']}"
    assert_problem(client.patch(path, json={"title": "x"}), 401)
    assert_problem(client.patch(path, headers=bearer(client), json={"title": "x"}), 403)
    stranger = bearer(client, "organizer")
    problem = assert_problem(client.patch(path, headers=stranger, json={"title": "x"}), 403)
    assert problem["title"] == "Not the series' organizer"
    # A co-organizer of every coming date may.
    helper = new_user("organizer")
    for event_id in series["occurrences"]:
        added = client.post(
            f"/api/v1/events/{event_id}/team",
            headers=owner,
            json={"email": helper.email, "role": "co_organizer"},
        )
        assert added.status_code == 201, added.text
    assert client.patch(path, headers=auth(helper), json={"title": "Team"}).status_code == 200
    admin = bearer(client, "admin")
    assert client.patch(path, headers=admin, json={"title": "Admin"}).status_code == 200
    assert_problem(client.patch(path, headers=owner, json={"title": None}), 422)
    assert_problem(client.patch(path, headers=owner, json={"starts_at": "2031-01-01"}), 422)
    assert [event_of(client, i, owner)["title"] for i in series["occurrences"]] == ["Admin"] * 2


def test_publishing_a_draft_series_publishes_its_coming_dates(client):
    owner = bearer(client, "organizer")
    first = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=23)
    series = make_series(
        client,
        owner,
        status="draft",
        starts_at=first.isoformat(),
        ends_at=(first + timedelta(hours=1)).isoformat(),
        rrule="FREQ=DAILY;COUNT=3",
    )
    path = f"{SERIES}/{series['id']}"
    assert_problem(client.patch(path, headers=owner, json={"status": "draft"}), 422)
    assert client.get(path).status_code == 404  # nothing public yet
    answer = client.patch(path, headers=owner, json={"status": "published"})
    assert answer.status_code == 200, answer.text
    statuses = [event_of(client, i, owner)["status"] for i in series["occurrences"]]
    assert statuses == ["draft", "published", "published"]  # the begun one stays a draft
    published = sorted(e["event_id"] for e in emitted("event.published"))
    assert published == sorted(series["occurrences"][1:])
    assert client.get(path).json()["occurrences"] == series["occurrences"]
    ics = icalendar.Calendar.from_ical(client.get(f"{path}/calendar.ics").content)
    [master] = [c for c in ics.events if "RECURRENCE-ID" not in c]
    assert str(master["STATUS"]) == "CONFIRMED"


def started_series(client, owner):
    """Five daily dates in Berlin, three of them begun already (drafts may be in the past),
    the two to come published with someone registered to each."""
    first = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2, hours=1)
    series = make_series(
        client,
        owner,
        status="draft",
        starts_at=first.isoformat(),
        ends_at=(first + timedelta(minutes=30)).isoformat(),
        rrule="FREQ=DAILY;COUNT=5",
    )
    past, future = series["occurrences"][:3], series["occurrences"][3:]
    people = []
    for event_id in future:
        assert client.post(f"/api/v1/events/{event_id}/publish", headers=owner).status_code == 200
        person = new_user()
        join(client, event_id, person)
        people.append(person)
    return series, past, future, people


def test_a_change_reaches_the_coming_dates_and_their_people_only(client, outbox_dir):
    owner = bearer(client, "organizer")
    series, past, future, people = started_series(client, owner)
    deliver(client)
    before = len(emitted("event.updated"))
    venue = {"name": "Hall B", "address": "Alexanderplatz 1, Berlin"}
    answer = client.patch(
        f"{SERIES}/{series['id']}", headers=owner, json={"title": "Renamed", "venue": venue}
    )
    assert answer.status_code == 200, answer.text
    assert [event_of(client, i, owner)["title"] for i in past] == ["Python meetup"] * 3
    assert [event_of(client, i, owner)["venue"] for i in past] == [None] * 3
    for event_id in future:
        event = event_of(client, event_id, owner)
        assert (event["title"], event["venue"]["name"]) == ("Renamed", "Hall B")
    # Each coming date has the `event.updated` an edit of it would have: that tells people.
    updates = emitted("event.updated")[before:]
    assert sorted(u["event_id"] for u in updates) == sorted(future)
    assert all(u["notice_worthy"] and "venue" in u["changes"] for u in updates)
    [changed] = emitted("series.updated")
    assert (changed["changes"], sorted(changed["event_ids"])) == (
        ["title", "venue"],
        sorted(future),
    )
    deliver(client)
    told = sorted(to for to, subject, _ in mailed(outbox_dir) if subject.startswith("Changed"))
    assert told == sorted(person.email for person in people)


def test_the_series_calendar_shows_cancelled_and_moved_dates_with_stable_uids(client):
    owner = bearer(client, "organizer")
    series, past, future, _ = started_series(client, owner)
    ics_path = f"{SERIES}/{series['id']}/calendar.ics"
    first = icalendar.Calendar.from_ical(client.get(ics_path, headers=owner).content)
    [master] = [c for c in first.events if "RECURRENCE-ID" not in c]
    uid = str(master["UID"])
    assert "RRULE" in master
    assert "EXDATE" not in master
    # The series is a draft; the two dates published alone differ from it by their status.
    assert [str(c["STATUS"]) for c in first.events] == ["TENTATIVE", *["CONFIRMED"] * 2]

    # Cancelling a date is an EXDATE; deleting one too.
    cancelled = future[0]
    assert client.post(f"/api/v1/events/{cancelled}/cancel", headers=owner).status_code == 200
    assert client.delete(f"/api/v1/events/{past[0]}", headers=owner).status_code == 204
    # Moving one alone is an override with the RECURRENCE-ID of the date the rule made.
    moved = past[1]
    original = event_of(client, moved, owner)
    starts = datetime.fromisoformat(original["starts_at"]) + timedelta(hours=3)
    answer = client.patch(
        f"/api/v1/events/{moved}",
        headers=owner,
        json={
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=1)).isoformat(),
        },
    )
    assert answer.status_code == 200, answer.text
    # And a change to the series after that leaves the begun dates behind as overrides.
    client.patch(f"{SERIES}/{series['id']}", headers=owner, json={"title": "Renamed"})

    ics = client.get(ics_path, headers=owner).content
    components = icalendar.Calendar.from_ical(ics).events
    assert {str(c["UID"]) for c in components} == {uid}
    [master] = [c for c in components if "RECURRENCE-ID" not in c]
    assert str(master["SUMMARY"]) == "Renamed"
    assert master["SEQUENCE"] == 1
    excluded = set(master.exdates)
    cancelled_start = datetime.fromisoformat(event_of(client, cancelled, owner)["starts_at"])
    assert cancelled_start in excluded
    assert len(excluded) == 2
    overrides = {c.decoded("RECURRENCE-ID"): c for c in components if "RECURRENCE-ID" in c}
    moved_override = overrides[datetime.fromisoformat(original["starts_at"])]
    assert moved_override.decoded("DTSTART") == starts
    assert str(moved_override["SUMMARY"]) == "Python meetup"
    assert b"RECURRENCE-ID;TZID=Europe/Berlin:" in ics

    # Expanded as a calendar app does, it is exactly the events left, as they are now.
    remaining = [
        event_of(client, i, owner)
        for i in client.get(f"{SERIES}/{series['id']}", headers=owner).json()["occurrences"]
    ]
    assert past[0] not in [e["id"] for e in remaining]
    assert expanded(ics) == sorted(
        (datetime.fromisoformat(e["starts_at"]), datetime.fromisoformat(e["ends_at"]), e["title"])
        for e in remaining
        if e["status"] != "cancelled"
    )


def test_events_name_their_series_and_the_series_lists_its_dates_in_one_call(client):
    organizer = new_user("organizer")
    owner = auth(organizer)
    series = make_series(client, owner, capacity=5, rrule="FREQ=WEEKLY;COUNT=3")
    alone = client.post("/api/v1/events", headers=owner, json=event_body())
    assert alone.status_code == 201, alone.text
    assert alone.json()["series_id"] is None
    first, second, third = series["occurrences"]
    # The event page (cached and not) and the list items say which series they belong to.
    for _ in range(2):
        assert client.get(f"/api/v1/events/{first}").json()["series_id"] == series["id"]
    found = client.get("/api/v1/events", params={"organizer_id": str(organizer.id)}).json()
    found = found["items"]
    listed = {e["id"]: e for e in found}
    assert {listed[i]["series_id"] for i in series["occurrences"]} == {series["id"]}
    assert listed[alone.json()["id"]]["series_id"] is None
    # The series gives what its page shows of each date, seats included.
    join(client, second, new_user())
    cancelled = client.post(f"/api/v1/events/{third}/cancel", headers=owner)
    assert cancelled.status_code == 200, cancelled.text
    read = client.get(f"{SERIES}/{series['id']}")
    assert read.status_code == 200, read.text
    body = read.json()
    assert body["occurrences"] == series["occurrences"]  # the old field stays
    dates = body["dates"]
    assert [d["id"] for d in dates] == series["occurrences"]
    assert [d["status"] for d in dates] == ["published", "published", "cancelled"]
    assert [(d["capacity"], d["seats_taken"], d["seats_left"]) for d in dates][:2] == [
        (5, 0, 5),
        (5, 1, 4),
    ]
    page = event_of(client, second, owner)
    assert {k: dates[1][k] for k in ("title", "starts_at", "ends_at", "timezone")} == {
        k: page[k] for k in ("title", "starts_at", "ends_at", "timezone")
    }
    assert (body["description"], body["capacity"]) == ("Talks and pizza", 5)
    # A change answers with what it made of the coming dates (the cancelled one keeps its own).
    changed = client.patch(f"{SERIES}/{series['id']}", headers=owner, json={"title": "Renamed"})
    assert changed.status_code == 200, changed.text
    assert [d["title"] for d in changed.json()["dates"]] == ["Renamed", "Renamed", "Python meetup"]
    # A date someone else may not see is left out of `dates` for them (its id stays).
    with unit_of_work() as session:  # hidden, as the moderators hide one
        session.execute(update(Event).where(Event.id == first).values(moderation=Moderation.hidden))
    seen = client.get(f"{SERIES}/{series['id']}", headers=bearer(client)).json()
    assert first not in [d["id"] for d in seen["dates"]]
    assert first in seen["occurrences"]
    by_owner = client.get(f"{SERIES}/{series['id']}", headers=owner).json()
    assert first in [d["id"] for d in by_owner["dates"]]


def test_my_series_are_listed_newest_first_in_pages(client):
    organizer = new_user("organizer")
    owner = auth(organizer)
    made = [
        make_series(client, owner, title=f"Series {n}", rrule="FREQ=DAILY;COUNT=2")
        for n in range(3)
    ]
    make_series(client, bearer(client, "organizer"), rrule="FREQ=DAILY;COUNT=2")  # not theirs
    mine = client.get("/api/v1/me/series", headers=owner)
    assert mine.status_code == 200, mine.text
    assert [s["id"] for s in mine.json()["items"]] == [s["id"] for s in reversed(made)]
    assert mine.json()["items"][0]["title"] == "Series 2"
    page = client.get("/api/v1/me/series", headers=owner, params={"limit": 2}).json()
    rest = client.get(
        "/api/v1/me/series", headers=owner, params={"limit": 2, "cursor": page["next_cursor"]}
    ).json()
    assert [s["id"] for s in page["items"] + rest["items"]] == [s["id"] for s in reversed(made)]
    assert rest["next_cursor"] is None
    assert client.get("/api/v1/me/series", headers=bearer(client, "organizer")).json() == {
        "items": [],
        "next_cursor": None,
    }
    assert_problem(client.get("/api/v1/me/series"), 401)
    assert_problem(client.get("/api/v1/me/series", headers=bearer(client)), 403)
    assert_problem(client.get("/api/v1/me/series", headers=owner, params={"cursor": "x"}), 422)
    assert_problem(client.get("/api/v1/me/series", headers=owner, params={"limit": 101}), 422)
