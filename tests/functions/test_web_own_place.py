"""The web pages using what the API now says per person and per event: the reply form for the
whole organizing side (GET /events/{id}/me), an event's reports listed from the API
(GET /events/{id}/reports), and a series page read in one call (its `dates`)."""

from __future__ import annotations

import httpx

from tests.support.factories import auth, create_event, join, new_user
from tests.support.reports import run_build
from tests.support.web import csrf_of, sign_in, site  # noqa: F401 (the fixture)


def _team(client, event: dict, owner, person, role: str) -> None:
    added = client.post(
        f"/api/v1/events/{event['id']}/team",
        headers=auth(owner),
        json={"email": person.email, "role": role},
    )
    assert added.status_code == 201, added.text


def test_a_co_organizer_gets_the_reply_form_and_a_steward_does_not(site, client):  # noqa: F811
    owner = new_user("organizer")
    event = create_event(client, auth(owner), title="Team evening")
    helper, steward = new_user("organizer"), new_user()
    _team(client, event, owner, helper, "co_organizer")
    _team(client, event, owner, steward, "steward")
    person = new_user()
    registration = join(client, event["id"], person)
    checked = client.post(
        f"/api/v1/events/{event['id']}/registrations/{registration['id']}/check-in",
        headers=auth(owner),
    )
    assert checked.status_code == 200, checked.text
    written = client.post(
        f"/api/v1/events/{event['id']}/reviews", headers=auth(person), json={"rating": 4}
    )
    assert written.status_code in (200, 201), written.text
    reply_to = f"/events/{event['id']}/reviews/{written.json()['id']}/reply"

    sign_in(site, steward.email)
    page = site.get(f"/events/{event['id']}")
    assert page.status_code == 200
    assert f'action="{reply_to}"' not in page.text
    site.post("/signout", data={"csrf": csrf_of(page)})

    sign_in(site, helper.email)
    page = site.get(f"/events/{event['id']}")
    assert f'action="{reply_to}"' in page.text
    replied = site.post(reply_to, data={"csrf": csrf_of(page), "text": "Thanks from the team"})
    assert replied.status_code == 303, replied.text
    assert "Thanks from the team" in site.get(f"/events/{event['id']}").text

    # The participant's page still knows their registration (now from the same call).
    other = httpx.Client(base_url=str(site.base_url))
    sign_in(other, person.email)
    assert 'name="rating"' in other.get(f"/events/{event['id']}").text


def test_the_reports_page_lists_what_the_team_asked_for(site, client):  # noqa: F811
    owner = new_user("organizer")
    event = create_event(client, auth(owner))
    helper = new_user("organizer")
    _team(client, event, owner, helper, "co_organizer")
    asked = client.post(
        "/api/v1/reports",
        headers=auth(owner),
        json={"kind": "event_attendance", "event_id": event["id"], "format": "xlsx"},
    )
    assert asked.status_code == 202, asked.text
    report_id = asked.json()["id"]
    assert run_build(report_id) == "ready"

    sign_in(site, helper.email)
    page = site.get(f"/organize/events/{event['id']}/reports")
    assert page.status_code == 200
    download = f"/organize/events/{event['id']}/reports/{report_id}/download"
    assert f'href="{download}"' in page.text  # the owner's report, listed for the team
    assert "(XLSX)" in page.text
    fetched = site.get(download)
    assert fetched.status_code == 200
    assert fetched.content.startswith(b"PK")  # an xlsx is a zip

    fresh = create_event(client, auth(owner))
    _team(client, fresh, owner, helper, "co_organizer")
    empty = site.get(f"/organize/events/{fresh['id']}/reports")
    assert "No report of this event has been asked for yet." in empty.text


def test_the_series_page_shows_each_dates_seats(site, client):  # noqa: F811
    owner = new_user("organizer")
    made = client.post(
        "/api/v1/series",
        headers=auth(owner),
        json={
            "title": "Weekly run",
            "description": "Five kilometres",
            "starts_at": "2031-06-03T18:00:00+02:00",
            "ends_at": "2031-06-03T19:00:00+02:00",
            "timezone": "Europe/Berlin",
            "category": "sports",
            "capacity": 3,
            "status": "published",
            "rrule": "FREQ=WEEKLY;COUNT=3",
        },
    )
    assert made.status_code == 201, made.text
    series = made.json()
    join(client, series["occurrences"][1], new_user())
    sign_in(site, owner.email)
    page = site.get(f"/organize/series/{series['id']}")
    assert page.status_code == 200
    assert page.text.count("Seats left: 3") == 2
    assert page.text.count("Seats left: 2") == 1
    assert "Five kilometres" in page.text  # the form, filled from the series itself
    for event_id in series["occurrences"]:
        assert f'href="/organize/events/{event_id}"' in page.text
    # Each date's own organizer pages lead back to its series (the event's `series_id`).
    date_page = site.get(f"/organize/events/{series['occurrences'][0]}")
    assert f'href="/organize/series/{series["id"]}"' in date_page.text
    alone = create_event(client, auth(owner))
    assert "/organize/series/" not in site.get(f"/organize/events/{alone['id']}").text


def test_the_team_gets_a_link_to_its_page_instead_of_register(site, client):  # noqa: F811
    owner = new_user("organizer")
    event = create_event(client, auth(owner), title="Our own evening")
    steward = new_user()
    _team(client, event, owner, steward, "steward")
    register = f'action="/events/{event["id"]}/register"'

    sign_in(site, owner.email)
    page = site.get(f"/events/{event['id']}")
    assert page.status_code == 200
    assert register not in page.text
    assert f'href="/organize/events/{event["id"]}"' in page.text
    site.post("/signout", data={"csrf": csrf_of(page)})

    sign_in(site, steward.email)
    page = site.get(f"/events/{event['id']}")
    assert register not in page.text
    assert f'href="/organize/events/{event["id"]}/participants"' in page.text
    site.post("/signout", data={"csrf": csrf_of(page)})

    sign_in(site, new_user().email)
    assert register in site.get(f"/events/{event['id']}").text
