"""The organizer's pages against the real gateway on a real port: an organizer creates, edits,
publishes and cancels events, manages the team, sees participants with their answers, uploads
pictures, reads statistics and downloads a report, all through the public API."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import httpx
from PIL import Image

from tests.support.factories import PASSWORD, auth, create_event, new_user
from tests.support.reports import run_build
from tests.support.rollups import deliver_all
from tests.support.web import csrf_of, form_data, organizer_site, sign_in, site  # noqa: F401 (fixture)

QUESTIONS: list[dict[str, Any]] = [
    {
        "id": "diet",
        "label": "Diet",
        "kind": "choice",
        "required": True,
        "options": ["vegan", "any"],
    },
    {
        "id": "allergy",
        "label": "Allergies",
        "kind": "text",
        "required": False,
        "show_if": {"question_id": "diet", "equals": "vegan"},
    },
]


def test_an_organizer_creates_edits_and_publishes_an_event_with_questions(site, client):  # noqa: F811
    site, organizer = organizer_site(site)
    home = site.get("/organize")
    assert home.status_code == 200
    assert 'href="/organize"' in home.text
    assert "My events" in home.text
    form = site.get("/organize/events/new")
    assert form.status_code == 200
    assert 'list="zones"' in form.text
    assert 'value="Europe/Berlin"' in form.text
    created = site.post("/organize/events/new", data=form_data(csrf_of(form)))
    assert created.status_code == 303, created.text
    event_id = created.headers["location"].rsplit("/", 1)[1]

    event = client.get(f"/api/v1/events/{event_id}", headers=auth(organizer)).json()
    assert event["status"] == "draft"
    # 10:00 on Berlin's clocks (summer time), whatever the server's zone.
    assert event["starts_at"].startswith("2031-06-01T08:00:00")
    assert event["venue"] == {"name": "Lab", "address": "Str. 1, Berlin", "lat": 52.5, "lon": 13.4}
    assert event["waitlist"] == {"mode": "offer", "offer_hours": 12, "auto_before_start_hours": 6}
    assert event["tags"] == ["rust", "systems"]
    assert [{k: v for k, v in q.items() if v is not None} for q in event["questions"]] == QUESTIONS

    edit = site.get(f"/organize/events/{event_id}")
    assert 'value="2031-06-01T10:00"' in edit.text  # shown back on the event's clocks
    assert 'name="q_required" value="0" checked' in edit.text
    assert f'href="/organize/events/{event_id}/door"' in edit.text
    saved = site.post(
        f"/organize/events/{event_id}",
        data=form_data(
            csrf_of(edit),
            capacity="",
            q_id=["diet"],
            q_label=["Diet"],
            q_kind=["choice"],
            q_options=["vegan\nany"],
            q_show_if=[""],
            q_equals=[""],
        ),
    )
    assert saved.status_code == 303
    event = client.get(f"/api/v1/events/{event_id}", headers=auth(organizer)).json()
    assert event["capacity"] is None
    assert [q["id"] for q in event["questions"]] == ["diet"]

    drafts = site.get("/organize", params={"status": "draft"})
    assert "Rust workshop" in drafts.text
    assert "Rust workshop" not in site.get("/organize", params={"status": "published"}).text
    confirm = site.get(f"/organize/events/{event_id}/publish")
    assert "Publish this event?" in confirm.text
    assert client.get(f"/api/v1/events/{event_id}").status_code == 404  # not yet public
    published = site.post(f"/organize/events/{event_id}/publish", data={"csrf": csrf_of(confirm)})
    assert published.status_code == 303
    assert "The event is published." in site.get(published.headers["location"]).text
    assert client.get(f"/api/v1/events/{event_id}").json()["status"] == "published"

    confirm = site.get(f"/organize/events/{event_id}/cancel")
    assert "Cancel this event?" in confirm.text
    site.post(f"/organize/events/{event_id}/cancel", data={"csrf": csrf_of(confirm)})
    assert client.get(f"/api/v1/events/{event_id}").json()["status"] == "cancelled"
    assert "Rust workshop" in site.get("/organize", params={"status": "cancelled"}).text


def test_my_events_come_twenty_a_page(site, client):  # noqa: F811
    site, organizer = organizer_site(site)
    for n in range(21):
        create_event(client, auth(organizer), title=f"Meetup {n}", status="draft")
    first = site.get("/organize", params={"status": "draft"})
    assert first.text.count('class="card"') == 20
    more = re.search(r'href="/organize\?([^"]*cursor=[^"]+)"', first.text)
    assert more, "a second page is linked"
    assert "status=draft" in more.group(1)  # the tab is kept
    second = site.get("/organize?" + more.group(1).replace("&amp;", "&"))
    assert second.text.count('class="card"') == 1


def test_a_wrong_form_comes_back_with_a_sentence_and_creates_nothing(site, client):  # noqa: F811
    site, organizer = organizer_site(site)
    form = site.get("/organize/events/new")
    unreadable = site.post("/organize/events/new", data=form_data(csrf_of(form), capacity="ten"))
    assert unreadable.status_code == 422
    assert "Some fields are not valid (capacity)" in unreadable.text
    assert 'value="Rust workshop"' in unreadable.text  # nothing typed is lost
    backwards = site.post(
        "/organize/events/new", data=form_data(csrf_of(form), ends_at="2031-06-01T09:00")
    )
    assert backwards.status_code == 422
    assert "Some fields are not valid" in backwards.text
    assert "problem+json" not in backwards.text
    forged = site.post("/organize/events/new", data=form_data("forged"))
    assert forged.status_code == 403
    mine = client.get("/api/v1/me/events", headers=auth(organizer)).json()
    assert mine["items"] == []


def test_no_value_typed_into_the_form_reaches_a_500(site):  # noqa: F811
    site, _ = organizer_site(site)
    csrf = csrf_of(site.get("/organize/events/new"))
    odd = ["", "x" * 5000, "\u0000", "-1", "1e309", "2031-13-45T99:99", "../../etc/passwd"]
    for field in ("starts_at", "timezone", "capacity", "venue_lat", "offer_hours", "q_kind"):
        for value in odd:
            answer = site.post("/organize/events/new", data=form_data(csrf, **{field: value}))
            assert answer.status_code in (303, 422), (field, value, answer.status_code)
            if answer.status_code == 422:  # the form again, with a sentence
                assert answer.headers["content-type"].startswith("text/html")


def test_pages_ask_for_sign_in_and_refuse_other_peoples_events(site, client):  # noqa: F811
    anonymous = site.get("/organize")
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/signin?next=/organize"
    someone_elses = create_event(client, auth(new_user("organizer")))
    participant = new_user("participant")
    sign_in(site, participant.email)
    refused = site.get("/organize")
    assert refused.status_code == 403
    assert "You may not do this" in refused.text
    assert 'href="/organize"' not in refused.text  # no organizer link for a participant
    stats = site.get(f"/organize/events/{someone_elses['id']}/statistics")
    assert stats.status_code == 403
    assert site.get("/organize/events/not-an-id").status_code == 404


def test_team_and_participants_with_their_answers(site, client):  # noqa: F811
    site, organizer = organizer_site(site)
    event = create_event(client, auth(organizer), questions=QUESTIONS, capacity=10)
    person = new_user("participant")
    joined = client.post(
        f"/api/v1/events/{event['id']}/registrations",
        json={"answers": {"diet": "vegan", "allergy": "Peanuts <b>"}},
        headers=auth(person),
    )
    assert joined.status_code == 201, joined.text
    people = site.get(f"/organize/events/{event['id']}/participants")
    assert people.status_code == 200
    assert person.email in people.text
    assert "<dt>Diet</dt><dd>vegan</dd>" in people.text
    assert "Peanuts &lt;b&gt;" in people.text
    waiting = site.get(
        f"/organize/events/{event['id']}/participants", params={"status": "waitlisted"}
    )
    assert person.email not in waiting.text

    steward = new_user("participant")
    team = site.get(f"/organize/events/{event['id']}/team")
    assert "Nobody else is on the team yet." in team.text
    added = site.post(
        f"/organize/events/{event['id']}/team",
        data={"csrf": csrf_of(team), "email": steward.email, "role": "steward"},
    )
    assert added.status_code == 303
    team = site.get(f"/organize/events/{event['id']}/team")
    assert steward.email in team.text
    assert "Steward" in team.text
    unknown = site.post(
        f"/organize/events/{event['id']}/team",
        data={"csrf": csrf_of(team), "email": "nobody@example.org", "role": "co_organizer"},
    )
    assert unknown.status_code == 404
    assert "This was not found" in unknown.text
    removed = site.post(
        f"/organize/events/{event['id']}/team/{steward.id}/remove", data={"csrf": csrf_of(team)}
    )
    assert removed.status_code == 303
    assert steward.email not in site.get(f"/organize/events/{event['id']}/team").text


def test_pictures_are_uploaded_shown_and_removed(site, client):  # noqa: F811
    site, organizer = organizer_site(site)
    event = create_event(client, auth(organizer))
    gallery = site.get(f"/organize/events/{event['id']}/media")
    assert "No pictures or files yet." in gallery.text
    picture = io.BytesIO()
    Image.new("RGB", (40, 30), "navy").save(picture, "PNG")
    uploaded = site.post(
        f"/organize/events/{event['id']}/media",
        data={"csrf": csrf_of(gallery)},
        files={"file": ("stage.png", picture.getvalue(), "image/png")},
    )
    assert uploaded.status_code == 303, uploaded.text
    gallery = site.get(f"/organize/events/{event['id']}/media")
    assert 'alt="stage.png"' in gallery.text
    not_a_picture = site.post(
        f"/organize/events/{event['id']}/media",
        data={"csrf": csrf_of(gallery)},
        files={"file": ("notes.png", b"just text, not an image", "image/png")},
    )
    assert not_a_picture.status_code == 415
    assert "This file is not a picture" in not_a_picture.text
    [media_id] = re.findall(r"/media/([0-9a-f-]{36})/remove", gallery.text)
    site.post(
        f"/organize/events/{event['id']}/media/{media_id}/remove", data={"csrf": csrf_of(gallery)}
    )
    assert client.get(f"/api/v1/events/{event['id']}/media").json()["items"] == []


def test_statistics_chart_the_registrations_and_a_report_downloads(site, client):  # noqa: F811
    site, organizer = organizer_site(site)
    event = create_event(client, auth(organizer), questions=QUESTIONS[:1])
    person = new_user("participant")
    client.post(
        f"/api/v1/events/{event['id']}/registrations",
        json={"answers": {"diet": "any"}},
        headers=auth(person),
    )
    deliver_all(client)  # the figures are counted from the CloudEvents, as in a deployment
    stats = site.get(f"/organize/events/{event['id']}/statistics")
    assert stats.status_code == 200
    assert stats.text.count('role="img"') == 3
    assert "<title>People by status</title>" in stats.text
    assert re.search(r"<dt>Confirmed</dt><dd>1</dd>", stats.text)
    assert re.search(r"<dt>Seat offered</dt><dd>0</dd>", stats.text)
    assert "<caption>The figures by day</caption>" in stats.text

    reports = site.get(f"/organize/events/{event['id']}/reports")
    asked = site.post(
        f"/organize/events/{event['id']}/reports",
        data={"csrf": csrf_of(reports), "kind": "event_attendance", "format": "csv"},
    )
    assert asked.status_code == 303
    waiting = site.get(asked.headers["location"])
    assert 'data-report-status="pending"' in waiting.text
    assert "organize-report." in waiting.text  # the script that checks again by itself
    report_id = asked.headers["location"].rsplit("/", 1)[1]
    early = site.get(f"{asked.headers['location']}/download")
    assert early.status_code == 303  # not ready: back to the page that waits
    assert run_build(report_id) == "ready"
    ready = site.get(asked.headers["location"])
    assert 'data-report-status="ready"' in ready.text
    download = site.get(f"{asked.headers['location']}/download")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    assert "attachment" in download.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert any(person.email in row for row in rows)
    assert any("any" in row for row in rows)
    # Someone else's session gets no file.
    other = httpx.Client(base_url=str(site.base_url))
    sign_in(other, new_user("organizer").email, PASSWORD)
    assert other.get(f"{asked.headers['location']}/download").status_code in (403, 404)
