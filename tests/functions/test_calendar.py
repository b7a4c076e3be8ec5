"""Events in people's calendars: the .ics of an event updates the same entry (same UID, a
higher SEQUENCE) instead of adding a second, Google links open prefilled, and the personal
feed follows registrations, cancellations and deletions, cheaply when nothing changed."""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlsplit

import icalendar
import pytest
import vobject
from sqlalchemy import update

from local.deploy.gateway import nginx_conf
from shared.db import unit_of_work
from shared.logs import scrub
from shared.users.models import User
from tests.support.api import assert_problem
from tests.support.delivery import deliver_outbox
from tests.support.factories import bearer, create_event, new_user, token_for

VENUE = {"name": "Tech Hub", "address": "Main St 1, Berlin", "lat": 52.52, "lon": 13.405}


def ics_of(client, event, headers=None):
    response = client.get(f"/api/v1/events/{event['id']}/calendar.ics", headers=headers or {})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    return response


def parsed(body: bytes) -> tuple[icalendar.cal.Component, vobject.base.Component]:
    """The one VEVENT, read by two parsers that share no code."""
    [first] = icalendar.Calendar.from_ical(body).walk("VEVENT")
    second = vobject.readOne(body.decode())
    return first, second.vevent


def test_the_entry_keeps_its_uid_and_its_sequence_grows(client):
    owner = bearer(client, "organizer")
    event = create_event(client, owner, venue=VENUE, title="Python meetup")
    path = f"/api/v1/events/{event['id']}"
    body = ics_of(client, event).content
    one, other = parsed(body)
    uid = f"event-{event['id']}@testserver"
    assert str(one["UID"]) == other.uid.value == uid
    assert one["SEQUENCE"] == int(other.sequence.value) == 0
    assert str(one["SUMMARY"]) == other.summary.value == "Python meetup"
    # The event's own zone, with its VTIMEZONE: 18:00 in Berlin.
    assert one["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert one.decoded("DTSTART").hour == other.dtstart.value.hour == 18
    assert other.dtstart.value.utcoffset().total_seconds() == 7200
    assert [str(tz["TZID"]) for tz in icalendar.Calendar.from_ical(body).walk("VTIMEZONE")] == [
        "Europe/Berlin"
    ]
    assert str(one["LOCATION"]) == "Tech Hub, Main St 1, Berlin"
    assert one.decoded("GEO") == (52.52, 13.405)
    assert str(one["URL"]) == f"http://testserver{path}"
    assert str(one["STATUS"]) == other.status.value == "CONFIRMED"
    assert "DTSTAMP" in one
    assert "LAST-MODIFIED" in one

    sequences = []
    for change in (
        {"title": "Python meetup #2"},
        {"description": "New talks"},
        {"capacity": 50},  # not shown in a calendar: same version
        {"starts_at": "2031-05-01T19:00:00+02:00"},
    ):
        assert client.patch(path, headers=owner, json=change).status_code == 200
        entry, again = parsed(ics_of(client, event).content)
        assert str(entry["UID"]) == again.uid.value == uid
        sequences.append(int(again.sequence.value))
    assert sequences == [1, 2, 2, 3]
    assert again.summary.value == "Python meetup #2"
    assert again.dtstart.value.hour == 19

    assert client.post(f"{path}/cancel", headers=owner).status_code == 200
    entry, again = parsed(ics_of(client, event).content)
    assert str(entry["STATUS"]) == again.status.value == "CANCELLED"
    assert int(again.sequence.value) == 4
    assert again.uid.value == uid


def test_unchanged_ics_is_304(client):
    owner = bearer(client, "organizer")
    event = create_event(client, owner)
    first = ics_of(client, event)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    url = f"/api/v1/events/{event['id']}/calendar.ics"
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    client.patch(f"/api/v1/events/{event['id']}", headers=owner, json={"title": "Renamed"})
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 200


def test_drafts_are_the_owners_alone(client):
    owner = bearer(client, "organizer")
    draft = create_event(client, owner, status="draft")
    for suffix in ("calendar.ics", "calendar/google"):
        url = f"/api/v1/events/{draft['id']}/{suffix}"
        assert_problem(client.get(url), 404)
        assert_problem(client.get(url, headers=bearer(client, "organizer")), 404)
        assert client.get(url, headers=owner).status_code == 200
    draft_entry, _ = parsed(ics_of(client, draft, owner).content)
    assert str(draft_entry["STATUS"]) == "TENTATIVE"
    assert_problem(
        client.get("/api/v1/events/00000000-0000-0000-0000-000000000000/calendar.ics"), 404
    )


def test_google_calendar_link(client):
    owner = bearer(client, "organizer")
    event = create_event(client, owner, venue=VENUE, title="Jazz & wine")
    answer = client.get(f"/api/v1/events/{event['id']}/calendar/google")
    assert answer.status_code == 200
    link = urlsplit(answer.json()["url"])
    assert (link.scheme, link.netloc, link.path) == (
        "https",
        "calendar.google.com",
        "/calendar/render",
    )
    query = {key: values[0] for key, values in parse_qs(link.query).items()}
    assert query["action"] == "TEMPLATE"
    assert query["text"] == "Jazz & wine"
    assert query["dates"] == "20310501T160000Z/20310501T190000Z"
    assert query["ctz"] == "Europe/Berlin"
    assert query["location"] == "Tech Hub, Main St 1, Berlin"
    assert query["details"].startswith("Talks and pizza")
    assert query["details"].endswith(f"/api/v1/events/{event['id']}")


def feed_path(url: str) -> str:
    return urlsplit(url).path


def feed_uids(client, path: str, **headers) -> dict[str, str]:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    calendar = vobject.readOne(response.content.decode())
    uids = {entry.uid.value: entry.status.value for entry in calendar.contents.get("vevent", [])}
    checked = {
        str(entry["UID"]): str(entry["STATUS"])
        for entry in icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    }
    assert uids == checked
    return uids


@pytest.fixture
def person():
    return new_user()


def test_personal_feed_follows_registrations(client, person):
    me = {"Authorization": f"Bearer {token_for(person)}"}
    assert_problem(client.get("/api/v1/me/calendar-feed"), 401)
    link = client.get("/api/v1/me/calendar-feed", headers=me).json()
    assert client.get("/api/v1/me/calendar-feed", headers=me).json() == link  # shown again
    assert link["url"].startswith("http://testserver/api/v1/calendar/feeds/")
    assert link["url"].endswith(".ics")
    assert link["webcal_url"] == "webcal://" + link["url"].removeprefix("http://")
    path = feed_path(link["url"])
    assert feed_uids(client, path) == {}

    owner = bearer(client, "organizer")
    concert, talk, other = (create_event(client, owner, title=t) for t in "abc")
    for event in (concert, talk):
        joined = client.post(f"/api/v1/events/{event['id']}/registrations", headers=me)
        assert joined.status_code == 201
    create_event(client, owner)  # not registered: not in the feed
    uid = {e["id"]: f"event-{e['id']}@testserver" for e in (concert, talk, other)}
    assert feed_uids(client, path) == {
        uid[concert["id"]]: "CONFIRMED",
        uid[talk["id"]]: "CONFIRMED",
    }

    client.delete(f"/api/v1/events/{talk['id']}/registrations/me", headers=me)
    client.post(f"/api/v1/events/{concert['id']}/cancel", headers=owner)
    assert feed_uids(client, path) == {uid[concert["id"]]: "CANCELLED"}


def test_unchanged_feed_is_304_and_changes_show(client, person):
    me = {"Authorization": f"Bearer {token_for(person)}"}
    owner = bearer(client, "organizer")
    event = create_event(client, owner)
    client.post(f"/api/v1/events/{event['id']}/registrations", headers=me)
    path = feed_path(client.get("/api/v1/me/calendar-feed", headers=me).json()["url"])
    first = client.get(path)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert first.headers["cache-control"] == "private, no-cache"
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(path, headers={"If-Modified-Since": modified}).status_code == 304
    unchanged = client.get(path, headers={"If-None-Match": etag})
    assert unchanged.content == b""
    assert unchanged.headers["etag"] == etag

    later = create_event(client, owner, title="Later")
    client.post(f"/api/v1/events/{later['id']}/registrations", headers=me)
    changed = client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag


def test_a_deleted_event_leaves_the_feed_with_a_newer_last_modified(client, person):
    me = {"Authorization": f"Bearer {token_for(person)}"}
    owner = bearer(client, "organizer")
    event = create_event(client, owner)
    client.post(f"/api/v1/events/{event['id']}/registrations", headers=me)
    path = feed_path(client.get("/api/v1/me/calendar-feed", headers=me).json()["url"])
    modified = client.get(path).headers["last-modified"]
    time.sleep(1.05)  # HTTP dates have whole seconds
    assert client.delete(f"/api/v1/events/{event['id']}", headers=owner).status_code == 204
    assert deliver_outbox(client, "calendar", ("event.deleted",)) == [204]
    answer = client.get(path, headers={"If-Modified-Since": modified})
    assert answer.status_code == 200
    assert answer.headers["last-modified"] != modified
    assert feed_uids(client, path) == {}


def test_rotating_kills_the_old_link(client, person):
    me = {"Authorization": f"Bearer {token_for(person)}"}
    old = client.get("/api/v1/me/calendar-feed", headers=me).json()["url"]
    new = client.post("/api/v1/me/calendar-feed/rotate", headers=me).json()["url"]
    assert new != old
    assert_problem(client.get(feed_path(old)), 404)
    assert client.get(feed_path(new)).status_code == 200
    assert client.get("/api/v1/me/calendar-feed", headers=me).json()["url"] == new
    assert_problem(client.get("/api/v1/calendar/feeds/not-a-token.ics"), 404)
    assert_problem(client.get("/api/v1/calendar/feeds/" + "x" * 300 + ".ics"), 422)


def test_a_blocked_persons_feed_is_gone(client, person):
    me = {"Authorization": f"Bearer {token_for(person)}"}
    path = feed_path(client.get("/api/v1/me/calendar-feed", headers=me).json()["url"])
    with unit_of_work() as session:
        session.execute(update(User).where(User.id == person.id).values(is_active=False))
    assert_problem(client.get(path), 404)


def test_feed_tokens_never_reach_a_log(client, person):
    me = {"Authorization": f"Bearer {token_for(person)}"}
    url = client.get("/api/v1/me/calendar-feed", headers=me).json()["url"]
    path = feed_path(url)
    token = path.rsplit("/", 1)[1].removesuffix(".ics")
    assert token not in scrub(f"GET {path} 200")
    assert token not in scrub(f"fetching {url} failed")
    # The Nginx gateway's access line (gateway/nginx.conf) masks it the same way.
    found = re.search(r'"~\^\(\?<head>(.+?)\)\[\^/\]\+\$" "\$head\[redacted\]"', nginx_conf())
    assert found, "the gateway masks tokens in paths"
    masked = re.sub(rf"^({found.group(1)})[^/]+$", r"\1[redacted]", path)
    assert masked == "/api/v1/calendar/feeds/[redacted]"
