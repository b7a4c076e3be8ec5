"""The door working offline: a snapshot of hashes to check tickets against, then the scans it
queued, synced in batches; a replay changes nothing, and devices racing over the same tickets
check each person in once (real parallel clients against PostgreSQL)."""

from __future__ import annotations

import hashlib
import random
import threading
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import select, update

from shared.db import unit_of_work
from shared.registrations import door, tickets
from shared.registrations.models import Registration
from tests.support.api import assert_problem
from tests.support.factories import bearer, create_event, new_user, token_for
from tests.support.outbox import emitted


def _seats(client, event: dict, count: int) -> list[tuple[str, str]]:
    """(registration id, ticket code) of `count` new participants."""
    found = []
    for _ in range(count):
        person = {"Authorization": f"Bearer {token_for(new_user())}"}
        joined = client.post(f"/api/v1/events/{event['id']}/registrations", headers=person)
        assert joined.status_code == 201, joined.text
        rid = joined.json()["id"]
        ticket = client.get(f"/api/v1/me/registrations/{rid}/ticket", headers=person)
        found.append((rid, ticket.json()["code"] if ticket.status_code == 200 else ""))
    return found


def _state(event_id: str) -> list[tuple]:
    with unit_of_work() as session:
        rows = session.scalars(
            select(Registration)
            .where(Registration.event_id == uuid.UUID(event_id))
            .order_by(Registration.id)
        )
        return [(r.id, r.status, r.checked_in_at) for r in rows]


def test_the_snapshot_lists_hashes_names_and_statuses_never_codes(client):
    owner = bearer(client, "organizer")
    event = create_event(client, owner, capacity=2)
    (first, code), (second, _), (waiting, _) = _seats(client, event, 3)
    door_path = f"/api/v1/events/{event['id']}/check-in"
    client.post(door_path, headers=owner, json={"code": code})
    before = datetime.now(UTC)
    answer = client.get(f"{door_path}/snapshot", headers=owner)
    assert answer.status_code == 200, answer.text
    snapshot = answer.json()
    assert datetime.fromisoformat(snapshot["taken_at"]) <= datetime.now(UTC)
    assert datetime.fromisoformat(snapshot["taken_at"]) >= before - timedelta(seconds=1)
    entries = snapshot["entries"]
    assert [e["status"] for e in entries] == ["checked_in", "confirmed", "waitlisted"]
    assert entries[0]["checked_in_at"]
    assert entries[1]["checked_in_at"] is None
    assert {e["name"] for e in entries} == {"Test participant"}
    # What the device does with a scan: SHA-256 of the code's text, looked up.
    assert entries[0]["code_hash"] == hashlib.sha256(code.encode()).hexdigest()
    assert code not in answer.text
    for rid in (second, waiting):
        assert tickets.code_for(uuid.UUID(event["id"]), uuid.UUID(rid)) not in answer.text
    assert_problem(client.get(f"{door_path}/snapshot", headers=bearer(client, "organizer")), 403)
    assert_problem(client.get(f"{door_path}/snapshot", headers=bearer(client)), 403)
    assert client.get(f"{door_path}/snapshot", headers=bearer(client, "admin")).status_code == 200
    assert first


def test_a_batch_checks_in_in_order_and_a_replay_changes_nothing(client):
    owner = bearer(client, "organizer")
    event = create_event(client, owner, capacity=3)
    (a, code_a), (b, code_b), (c, code_c), (w, _) = _seats(client, event, 4)
    with unit_of_work() as session:  # registered yesterday
        session.execute(
            update(Registration)
            .where(Registration.event_id == uuid.UUID(event["id"]))
            .values(created_at=Registration.created_at - timedelta(days=1))
        )
    waitlisted = tickets.code_for(uuid.UUID(event["id"]), uuid.UUID(w))
    elsewhere = tickets.code_for(uuid.uuid4(), uuid.UUID(a))
    now = datetime.now(UTC)
    scans = [
        {"code": code_a, "scanned_at": (now - timedelta(minutes=10)).isoformat()},
        {"code": code_b, "scanned_at": (now + timedelta(days=2)).isoformat()},  # clock ahead
        {"code": code_a, "scanned_at": (now - timedelta(minutes=9)).isoformat()},  # twice
        {"code": "NOT-A-TICKET", "scanned_at": now.isoformat()},
        {"code": elsewhere, "scanned_at": now.isoformat()},
        {"code": waitlisted, "scanned_at": now.isoformat()},
        {"code": code_c, "scanned_at": "1999-01-01T00:00:00+00:00"},  # a clock reset
    ]
    path = f"/api/v1/events/{event['id']}/check-in/batch"
    answer = client.post(path, headers=owner, json={"scans": scans})
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [(r["code"], r["outcome"]) for r in results] == [
        (code_a, "checked_in"),
        (code_b, "checked_in"),
        (code_a, "already"),
        ("NOT-A-TICKET", "invalid"),
        (elsewhere, "invalid"),
        (waitlisted, "invalid"),
        (code_c, "checked_in"),
    ]
    when = {r["code"]: datetime.fromisoformat(r["checked_in_at"]) for r in results[:3]}
    assert when[code_a] == now - timedelta(minutes=10)  # the scan's time, the first scan's
    assert now <= when[code_b] <= datetime.now(UTC)  # never in the future
    with unit_of_work() as session:
        created = session.get(Registration, uuid.UUID(c)).created_at  # type: ignore[union-attr]
    assert datetime.fromisoformat(results[6]["checked_in_at"]) == created  # never before it
    state = _state(event["id"])
    assert len(emitted("registration.checked_in")) == 3

    replay = client.post(path, headers=owner, json={"scans": scans})
    assert [r["outcome"] for r in replay.json()["results"]] == [
        "already",
        "already",
        "already",
        "invalid",
        "invalid",
        "invalid",
        "already",
    ]
    assert _state(event["id"]) == state
    assert len(emitted("registration.checked_in")) == 3
    assert b


def test_a_batch_is_bounded_and_its_times_need_a_zone(client):
    owner = bearer(client, "organizer")
    event = create_event(client, owner)
    path = f"/api/v1/events/{event['id']}/check-in/batch"
    at = datetime.now(UTC).isoformat()
    too_many = [{"code": "X", "scanned_at": at}] * (door.MAX_BATCH + 1)
    assert_problem(client.post(path, headers=owner, json={"scans": too_many}), 422)
    assert_problem(client.post(path, headers=owner, json={"scans": []}), 422)
    naive = [{"code": "X", "scanned_at": "2031-05-01T18:00:00"}]
    assert_problem(client.post(path, headers=owner, json={"scans": naive}), 422)
    long_code = [{"code": "X" * (door.MAX_CODE_LENGTH + 1), "scanned_at": at}]
    assert_problem(client.post(path, headers=owner, json={"scans": long_code}), 422)
    full = [{"code": "X", "scanned_at": at}] * door.MAX_BATCH
    answer = client.post(path, headers=owner, json={"scans": full})
    assert answer.status_code == 200
    assert {r["outcome"] for r in answer.json()["results"]} == {"invalid"}
    assert_problem(
        client.post(path, headers=bearer(client, "organizer"), json={"scans": full}), 403
    )


def _post_all(url: str, headers: dict, bodies: list[dict]) -> list[httpx.Response]:
    """Every body at once, each from its own client (a door device) on its own thread."""
    start = threading.Barrier(len(bodies))
    answers: list[httpx.Response | None] = [None] * len(bodies)

    def device(index: int) -> None:
        with httpx.Client(timeout=60) as http:
            start.wait()
            answers[index] = http.post(url, headers=headers, json=bodies[index])

    threads = [threading.Thread(target=device, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(answer is not None for answer in answers)
    return [answer for answer in answers if answer is not None]


def test_devices_syncing_the_same_tickets_check_each_in_once(client, live_url):
    owner_user = new_user("organizer")
    owner = {"Authorization": f"Bearer {token_for(owner_user)}"}
    event = create_event(client, owner, capacity=40)
    seats = _seats(client, event, 30)
    codes = [code for _, code in seats]
    at = datetime.now(UTC).isoformat()
    # Two devices, the same 30 tickets each, in opposite orders (the worst for row locks),
    # and a third with half of them shuffled.
    half = random.Random(7).sample(codes, 15)
    bodies = [
        {"scans": [{"code": c, "scanned_at": at} for c in order]}
        for order in (codes, codes[::-1], half)
    ]
    answers = _post_all(f"{live_url}/api/v1/events/{event['id']}/check-in/batch", owner, bodies)
    assert [a.status_code for a in answers] == [200, 200, 200], [a.text for a in answers]
    outcomes: dict[str, list[str]] = {code: [] for code in codes}
    for answer in answers:
        for result in answer.json()["results"]:
            outcomes[result["code"]].append(result["outcome"])
    for code, seen in outcomes.items():
        assert seen.count("checked_in") == 1, (code, seen)
        assert set(seen) == {"checked_in", "already"}
    assert len(emitted("registration.checked_in")) == 30
    assert {status.value for _, status, _ in _state(event["id"])} == {"checked_in"}


def test_scanners_racing_on_one_ticket_give_one_check_in(client, live_url):
    owner = {"Authorization": f"Bearer {token_for(new_user('organizer'))}"}
    event = create_event(client, owner)
    [(_, code)] = _seats(client, event, 1)
    answers = _post_all(
        f"{live_url}/api/v1/events/{event['id']}/check-in", owner, [{"code": code}] * 8
    )
    assert sorted(a.status_code for a in answers) == [200] + [409] * 7
    first = next(a for a in answers if a.status_code == 200).json()["checked_in_at"]
    for answer in answers:
        if answer.status_code == 409:
            assert answer.json()["checked_in_at"] == first.replace("Z", "+00:00")
    assert len(emitted("registration.checked_in")) == 1


def test_leaving_while_being_checked_in_waits_and_cancels_the_check_in(client, live_url):
    """Check-in locks the registration, not the event: a person leaving meanwhile (who
    holds the event's lock) waits for the row, then cancels what the check-in left."""
    owner_user = new_user("organizer")
    owner = {"Authorization": f"Bearer {token_for(owner_user)}"}
    event = create_event(client, owner, capacity=5)
    person = new_user()
    joined = client.post(
        f"/api/v1/events/{event['id']}/registrations",
        headers={"Authorization": f"Bearer {token_for(person)}"},
    ).json()
    answers: list[int] = []

    def leave() -> None:
        with httpx.Client(timeout=60) as http:
            url = f"{live_url}/api/v1/events/{event['id']}/registrations/me"
            headers = {"Authorization": f"Bearer {token_for(person)}"}
            answers.append(http.delete(url, headers=headers).status_code)

    leaving = threading.Thread(target=leave)
    with unit_of_work() as session:  # the door's transaction, not committed yet
        door.check_in(
            session, uuid.UUID(event["id"]), uuid.UUID(joined["id"]), owner_user.id, False
        )
        leaving.start()
        leaving.join(1.0)
        assert leaving.is_alive()
    leaving.join(30)
    assert answers == [204]
    [cancelled] = emitted("registration.cancelled")
    assert cancelled["previous_status"] == "checked_in"
    assert len(emitted("registration.checked_in")) == 1
    page = client.get(f"/api/v1/events/{event['id']}").json()
    assert page["seats_taken"] == 0
