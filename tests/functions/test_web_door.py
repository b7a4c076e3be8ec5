"""The door on a phone and the ticket page, against the real gateway: the team finds a person
and checks them in with a button (no JavaScript needed), a scanned code is checked in once
and a second scan says when, the queue made offline syncs through the batch endpoint, and
only the owner and the team get in."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Any

import httpx

from shared.users.models import User
from tests.support.factories import auth, create_event, join, new_user
from tests.support.web import csrf_of, sign_in, site  # noqa: F401 (the `site` fixture)

HEADER = "X-CSRF-Token"


def _person(client, event: dict[str, Any], name: str) -> tuple[User, str, str]:
    """A participant with their own name, registered: (user, registration id, ticket code)."""
    person = new_user()
    renamed = client.patch("/api/v1/users/me", headers=auth(person), json={"full_name": name})
    assert renamed.status_code == 200, renamed.text
    rid = join(client, event["id"], person)["id"]
    ticket = client.get(f"/api/v1/me/registrations/{rid}/ticket", headers=auth(person))
    assert ticket.status_code == 200, ticket.text
    return person, rid, ticket.json()["code"]


def _moment(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _door(client, capacity: int = 5) -> tuple[User, dict[str, Any], str]:
    owner = new_user("organizer")
    event = create_event(client, auth(owner), capacity=capacity, title="Door night")
    return owner, event, f"/organize/events/{event['id']}/door"


def _status(client, event: dict[str, Any], owner: User) -> list[tuple[str, str]]:
    listing = client.get(f"/api/v1/events/{event['id']}/registrations", headers=auth(owner))
    return sorted((item["full_name"], item["status"]) for item in listing.json()["items"])


def test_the_team_finds_a_person_and_checks_them_in_without_javascript(site, client):  # noqa: F811
    owner, event, door = _door(client)
    _person(client, event, "Ada Lovelace")
    _person(client, event, "Grace Hopper")
    sign_in(site, owner.email)
    page = site.get(door, params={"q": "ada"})
    assert page.status_code == 200, page.text
    assert "Door night" in page.text
    assert "Ada Lovelace" in page.text
    assert "Grace Hopper" not in page.text
    # The scanner's script and the worker may run here, nowhere else on the site.
    assert "script-src 'self'" in page.headers["content-security-policy"]
    rid = re.search(r'name="registration_id" value="([^"]+)"', page.text)
    assert rid
    done = site.post(
        f"{door}/check-in",
        data={"csrf": csrf_of(page), "registration_id": rid.group(1), "q": "ada"},
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"{door}?q=ada"
    again = site.get(done.headers["location"])
    assert re.search(r"Checked in at \d\d:\d\d", again.text)
    assert 'name="registration_id"' not in again.text  # no button for someone already in
    assert _status(client, event, owner) == [
        ("Ada Lovelace", "checked_in"),
        ("Grace Hopper", "confirmed"),
    ]
    nobody = site.get(door, params={"q": "nobody-by-this-name"})
    assert "Nobody matches." in nobody.text
    russian = site.get(door, params={"q": "ada", "lang": "ru"})
    assert "Регистрация на входе" in russian.text
    assert "Пришёл в" in russian.text


def test_a_scan_checks_in_once_and_the_second_says_when(site, client):  # noqa: F811
    owner, event, door = _door(client)
    _, _, code = _person(client, event, "Ada Lovelace")
    _, other_event, _ = _door(client)
    _, _, foreign = _person(client, other_event, "Alan Turing")
    sign_in(site, owner.email)
    csrf = csrf_of(site.get(door))
    first = site.post(f"{door}/scan", json={"code": code.lower()}, headers={HEADER: csrf})
    assert first.status_code == 200, first.text
    assert first.json()["outcome"] == "checked_in"
    assert first.json()["name"] == "Ada Lovelace"
    second = site.post(f"{door}/scan", json={"code": code}, headers={HEADER: csrf})
    assert second.json()["outcome"] == "already"
    # When the first scan let them in, whichever way the API writes the time.
    assert _moment(second.json()["checked_in_at"]) == _moment(first.json()["checked_in_at"])
    # Another event's ticket, or anything else, is not a ticket here.
    for wrong in (foreign, "HELLO"):
        answer = site.post(f"{door}/scan", json={"code": wrong}, headers={HEADER: csrf})
        assert answer.json()["outcome"] == "invalid"
    assert _status(client, event, owner) == [("Ada Lovelace", "checked_in")]
    assert _status(client, other_event, new_user("admin")) == [("Alan Turing", "confirmed")]


def test_a_typed_code_answers_on_the_page(site, client):  # noqa: F811
    owner, event, door = _door(client)
    _, _, code = _person(client, event, "Ada Lovelace")
    sign_in(site, owner.email)
    csrf = csrf_of(site.get(door))
    first = site.post(f"{door}/code", data={"csrf": csrf, "code": code})
    assert first.status_code == 200
    assert "Ada Lovelace" in first.text
    assert "checked in" in first.text
    second = site.post(f"{door}/code", data={"csrf": csrf, "code": code})
    assert re.search(r"already checked in at \d\d:\d\d", second.text)
    forged = site.post(f"{door}/code", data={"csrf": csrf, "code": "A" * 46})
    assert "not a valid ticket for this event" in forged.text


def test_the_snapshot_and_the_offline_queue_go_through_the_web_endpoints(site, client):  # noqa: F811
    owner, event, door = _door(client)
    _, _, ada = _person(client, event, "Ada Lovelace")
    _, _, grace = _person(client, event, "Grace Hopper")
    sign_in(site, owner.email)
    csrf = csrf_of(site.get(door))
    snapshot = site.get(f"{door}/snapshot")
    assert snapshot.status_code == 200
    assert snapshot.headers["cache-control"] == "no-store"
    hashes = {entry["code_hash"]: entry["name"] for entry in snapshot.json()["entries"]}
    # What door.js computes with SubtleCrypto from a scanned code.
    assert hashes[hashlib.sha256(ada.encode()).hexdigest()] == "Ada Lovelace"
    assert ada not in snapshot.text
    queued = {
        "scans": [
            {"code": ada, "scanned_at": "2031-05-01T18:05:00+02:00"},
            {"code": ada, "scanned_at": "2031-05-01T18:06:00+02:00"},
            {"code": grace, "scanned_at": "2031-05-01T18:07:00+02:00"},
            {"code": "NOT-A-TICKET", "scanned_at": "2031-05-01T18:08:00+02:00"},
        ]
    }
    synced = site.post(f"{door}/sync", json=queued, headers={HEADER: csrf})
    assert synced.status_code == 200, synced.text
    outcomes = [result["outcome"] for result in synced.json()["results"]]
    assert outcomes == ["checked_in", "already", "checked_in", "invalid"]
    replayed = site.post(f"{door}/sync", json=queued, headers={HEADER: csrf})
    assert [r["outcome"] for r in replayed.json()["results"]] == [
        "already",
        "already",
        "already",
        "invalid",
    ]
    assert _status(client, event, owner) == [
        ("Ada Lovelace", "checked_in"),
        ("Grace Hopper", "checked_in"),
    ]


def test_json_calls_need_the_session_and_its_csrf_token(site, client):  # noqa: F811
    owner, event, door = _door(client)
    _, _, code = _person(client, event, "Ada Lovelace")
    anonymous = site.post(f"{door}/scan", json={"code": code}, headers={HEADER: "x"})
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"
    sign_in(site, owner.email)
    for headers in ({}, {HEADER: "forged"}):
        refused = site.post(f"{door}/scan", json={"code": code}, headers=headers)
        assert refused.status_code == 403
        refused = site.post(
            f"{door}/sync",
            json={"scans": [{"code": code, "scanned_at": "2031-05-01T18:05:00+02:00"}]},
            headers=headers,
        )
        assert refused.status_code == 403
    csrf = csrf_of(site.get(door))
    bad_bodies: list[dict[str, Any]] = [{}, {"code": ""}, {"code": "x" * 101}, {"scans": []}]
    for bad in bad_bodies:
        path = f"{door}/sync" if "scans" in bad else f"{door}/scan"
        answer = site.post(path, json=bad, headers={HEADER: csrf})
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
    assert site.post(f"{door}/scan", content=b"{", headers={HEADER: csrf}).status_code == 422
    assert site.get("/organize/events/not-an-id/door").status_code == 404
    assert site.get("/organize/events/not-an-id/door/snapshot").status_code == 404
    assert _status(client, event, owner) == [("Ada Lovelace", "confirmed")]


def test_a_steward_may_check_in_and_a_participant_may_not(site, client):  # noqa: F811
    owner, event, door = _door(client)
    _, _, code = _person(client, event, "Ada Lovelace")
    steward = new_user()
    added = client.post(
        f"/api/v1/events/{event['id']}/team",
        headers=auth(owner),
        json={"email": steward.email, "role": "steward"},
    )
    assert added.status_code == 201, added.text
    sign_in(site, steward.email)
    page = site.get(door)
    assert page.status_code == 200
    scanned = site.post(f"{door}/scan", json={"code": code}, headers={HEADER: csrf_of(page)})
    assert scanned.json()["outcome"] == "checked_in"

    with httpx.Client(base_url=str(site.base_url), timeout=30) as other:
        participant = new_user()
        join(client, event["id"], participant)
        sign_in(other, participant.email)
        refused = other.get(door)
        assert refused.status_code == 403
        assert "You may not do this" in refused.text
        csrf = csrf_of(other.get("/signin"))
        scan = other.post(f"{door}/scan", json={"code": code}, headers={HEADER: csrf})
        assert scan.status_code == 403
        assert other.get(f"{door}/snapshot").status_code == 403
    signed_out = httpx.get(f"{site.base_url}{door}")
    assert signed_out.status_code == 303
    assert signed_out.headers["location"] == f"/signin?next={door}"


def test_the_worker_controls_only_the_door_page_and_keeps_its_assets(site, client):  # noqa: F811
    _, event, door = _door(client)
    worker = site.get(f"{door}/worker.js")
    assert worker.status_code == 200
    assert worker.headers["content-type"].startswith("text/javascript")
    assert worker.headers["service-worker-allowed"] == door
    assert f'"page": "{door}"' in worker.text
    assert re.search(r'"/static/door\.[0-9a-f]{12}\.js"', worker.text)
    assert re.search(r'"/static/jsQR\.min\.[0-9a-f]{12}\.js"', worker.text)
    assert event


def test_the_ticket_page_shows_the_big_qr_the_event_and_the_name(site, client):  # noqa: F811
    _, event, _ = _door(client, capacity=1)
    person, rid, code = _person(client, event, "Ada Lovelace")
    waiting, waiting_rid, _ = new_user(), "", ""
    waiting_rid = join(client, event["id"], waiting)["id"]
    assert site.get(f"/account/registrations/{rid}/ticket").status_code == 303
    sign_in(site, person.email)
    listing = site.get("/account/registrations")
    assert f'href="/account/registrations/{rid}/ticket"' in listing.text
    page = site.get(f"/account/registrations/{rid}/ticket")
    assert page.status_code == 200
    assert 'class="qr-large" src="data:image/svg+xml;base64,' in page.text
    assert "Door night" in page.text
    assert "Ada Lovelace" in page.text
    assert "2031-05-01 18:00" in page.text  # in the event's zone
    assert code in page.text
    # Someone else's registration is not theirs to show; a made-up one does not exist.
    assert site.get(f"/account/registrations/{waiting_rid}/ticket").status_code == 404
    assert site.get("/account/registrations/nonsense/ticket").status_code == 404
    with httpx.Client(base_url=str(site.base_url), timeout=30) as other:
        sign_in(other, waiting.email)
        none = other.get(f"/account/registrations/{waiting_rid}/ticket")
        assert none.status_code == 409
        assert "This registration has no ticket." in none.text
