"""Tickets: each seat has a signed code, shown to its holder only and mailed as a QR picture
with the confirmation and with a promotion; a ticket checks its holder in once, at its own
event only."""

from __future__ import annotations

import uuid

import pytest

from shared import process_state
from shared.registrations import tickets
from tests.support.api import assert_problem
from tests.support.factories import auth, bearer, create_event, join, new_user
from tests.support.mailbox import deliver, mails
from tests.support.outbox import emitted
from tests.support.sendgrid import SendGridStandIn


def _ticket(client, person, registration: dict):
    return client.get(f"/api/v1/me/registrations/{registration['id']}/ticket", headers=auth(person))


def test_a_seat_has_a_ticket_its_holder_alone_sees(client):
    owner = bearer(client, "organizer")
    event = create_event(client, owner, capacity=1)
    seated, waiting = new_user(), new_user()
    seat, queued = join(client, event["id"], seated), join(client, event["id"], waiting)

    answer = _ticket(client, seated, seat)
    assert answer.status_code == 200, answer.text
    ticket = answer.json()
    assert ticket["registration_id"] == seat["id"]
    assert ticket["event_id"] == event["id"]
    assert len(ticket["code"]) == tickets.CODE_LENGTH
    assert ticket["code"].isupper()
    assert ticket["qr_svg"].startswith("<svg")
    assert ticket["qr_svg"].rstrip().endswith("</svg>")
    assert _ticket(client, seated, seat).json() == ticket  # derived: the same code each time

    # Someone else's registration does not exist for the caller, the organizer's neither.
    assert_problem(_ticket(client, waiting, seat), 404)
    path = f"/api/v1/me/registrations/{seat['id']}/ticket"
    assert_problem(client.get(path, headers=owner), 404)
    assert_problem(client.get(path), 401)
    assert_problem(_ticket(client, seated, {"id": str(uuid.uuid4())}), 404)
    assert_problem(client.get("/api/v1/me/registrations/nope/ticket", headers=auth(seated)), 422)
    # No seat, no ticket.
    assert assert_problem(_ticket(client, waiting, queued), 409)["type"].endswith("no-ticket")
    client.delete(f"/api/v1/events/{event['id']}/registrations/me", headers=auth(seated))
    assert_problem(_ticket(client, seated, seat), 409)
    assert _ticket(client, waiting, queued).status_code == 200  # promoted: a seat now


def test_check_in_by_code(client):
    owner = bearer(client, "organizer")
    event = create_event(client, owner, capacity=1)
    seated, waiting = new_user(), new_user()
    seat, queued = join(client, event["id"], seated), join(client, event["id"], waiting)
    code = _ticket(client, seated, seat).json()["code"]
    door = f"/api/v1/events/{event['id']}/check-in"

    checked = client.post(door, headers=owner, json={"code": code})
    assert checked.status_code == 200, checked.text
    assert checked.json()["id"] == seat["id"]
    assert checked.json()["status"] == "checked_in"
    again = assert_problem(client.post(door, headers=owner, json={"code": code}), 409)
    assert again["type"].endswith("already-checked-in")
    assert again["checked_in_at"] == checked.json()["checked_in_at"].replace("Z", "+00:00")
    # Scanned from a phone's keyboard: case and spaces around do not matter.
    assert_problem(client.post(door, headers=owner, json={"code": f" {code.lower()} "}), 409)
    # The participant list's check-in is the same check-in: still 200, still announced once.
    by_id = client.post(
        f"/api/v1/events/{event['id']}/registrations/{seat['id']}/check-in", headers=owner
    )
    assert by_id.status_code == 200
    assert by_id.json()["checked_in_at"] == checked.json()["checked_in_at"]
    assert [e["registration_id"] for e in emitted("registration.checked_in")] == [seat["id"]]

    other = create_event(client, owner)
    elsewhere = assert_problem(
        client.post(f"/api/v1/events/{other['id']}/check-in", headers=owner, json={"code": code}),
        422,
    )
    assert elsewhere["type"].endswith("invalid-ticket")
    forged = code[:-3] + ("AAA" if code[-3:] != "AAA" else "BBB")
    assert_problem(client.post(door, headers=owner, json={"code": forged}), 422)
    for junk in ("x", "é" * 46, "0" * tickets.CODE_LENGTH, code + "A"):
        assert_problem(client.post(door, headers=owner, json={"code": junk}), 422)
    assert_problem(client.post(door, headers=owner, json={"code": ""}), 422)
    assert_problem(client.post(door, headers=owner, json={}), 422)

    # A code only the server could sign, for a waitlisted seat: signed, but not admitted.
    with_queue = tickets.code_for(uuid.UUID(event["id"]), uuid.UUID(queued["id"]))
    refused = assert_problem(client.post(door, headers=owner, json={"code": with_queue}), 409)
    assert refused["type"].endswith("cannot-check-in")
    # Strangers are stopped before the code is looked at.
    assert_problem(client.post(door, headers=bearer(client, "organizer"), json={"code": code}), 403)
    assert_problem(client.post(door, json={"code": code}), 401)
    assert len(emitted("registration.checked_in")) == 1


def test_a_cancelled_registration_or_event_checks_no_one_in(client):
    owner = bearer(client, "organizer")
    event = create_event(client, owner)
    leaving, staying = new_user(), new_user()
    gone, seat = join(client, event["id"], leaving), join(client, event["id"], staying)
    gone_code = _ticket(client, leaving, gone).json()["code"]
    code = _ticket(client, staying, seat).json()["code"]
    client.delete(f"/api/v1/events/{event['id']}/registrations/me", headers=auth(leaving))
    door = f"/api/v1/events/{event['id']}/check-in"
    assert_problem(client.post(door, headers=owner, json={"code": gone_code}), 409)
    assert client.post(f"/api/v1/events/{event['id']}/cancel", headers=owner).status_code == 200
    assert_problem(client.post(door, headers=owner, json={"code": code}), 409)
    assert_problem(_ticket(client, staying, seat), 409)
    assert emitted("registration.checked_in") == []


def test_a_rotated_key_still_checks_the_codes_it_signed(client, monkeypatch):
    owner = bearer(client, "organizer")
    event = create_event(client, owner)
    people = [new_user(), new_user()]
    seats = [join(client, event["id"], person) for person in people]
    old_codes = [_ticket(client, p, s).json()["code"] for p, s in zip(people, seats, strict=True)]
    old_key = "ticket-test-key-of-at-least-32-characters"
    monkeypatch.setenv("TICKET_KEY", "the-next-ticket-key-also-32-characters-long")
    monkeypatch.setenv("TICKET_KEYS_PREVIOUS", old_key)
    process_state.reset()
    new_code = _ticket(client, people[1], seats[1]).json()["code"]
    assert new_code != old_codes[1]
    assert new_code[:4] != old_codes[1][:4]
    door = f"/api/v1/events/{event['id']}/check-in"
    assert client.post(door, headers=owner, json={"code": old_codes[0]}).status_code == 200
    snapshot = client.get(f"{door}/snapshot", headers=owner).json()
    assert len(snapshot["entries"]) == 4  # each registration under both keys
    hashes = {entry["code_hash"] for entry in snapshot["entries"]}
    assert {tickets.code_hash(c) for c in [*old_codes, new_code]} <= hashes

    monkeypatch.delenv("TICKET_KEYS_PREVIOUS")
    process_state.reset()
    assert_problem(client.post(door, headers=owner, json={"code": old_codes[1]}), 422)
    assert client.post(door, headers=owner, json={"code": new_code}).status_code == 200


def test_a_ticket_key_is_required_and_long_enough(db_url, monkeypatch):
    monkeypatch.delenv("TICKET_KEY")
    process_state.reset()
    with pytest.raises(tickets.MissingTicketKey, match="TICKET_KEY is unset"):
        tickets.code_for(uuid.uuid4(), uuid.uuid4())
    monkeypatch.setenv("TICKET_KEY", "short")
    process_state.reset()
    with pytest.raises(tickets.MissingTicketKey, match="32 characters") as refused:
        tickets.code_for(uuid.uuid4(), uuid.uuid4())
    assert "short" not in str(refused.value)  # the message never shows a key


def _inline_ticket(message) -> tuple[str, bytes, str]:
    """The HTML of a mail, its inline picture and that picture's Content-ID."""
    html = message.get_body(("html",))
    assert html is not None
    [picture] = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert picture["Content-Disposition"].startswith("inline")
    return html.get_content(), picture.get_content(), picture["Content-ID"].strip("<>")


def test_the_confirmation_and_the_promotion_mail_the_ticket(client, outbox_dir):
    owner = bearer(client, "organizer")
    event = create_event(client, owner, capacity=1, title="Jazz night")
    seated, waiting = new_user(), new_user()
    seat, queued = join(client, event["id"], seated), join(client, event["id"], waiting)
    deliver(client)
    [confirmation] = [m for m in mails(outbox_dir) if m["To"] == seated.email]
    code = _ticket(client, seated, seat).json()["code"]
    html, png, cid = _inline_ticket(confirmation)
    assert f'src="cid:{cid}"' in html
    assert code in html
    assert png.startswith(b"\x89PNG")
    text = confirmation.get_body(("plain",))
    assert text is not None
    assert code in text.get_content()
    # The calendar invitation is still attached beside it.
    assert [p.get_filename() for p in confirmation.iter_attachments()] == ["event.ics"]
    [waitlisted] = [m for m in mails(outbox_dir) if m["To"] == waiting.email]
    assert not [p for p in waitlisted.walk() if p.get_content_type() == "image/png"]
    # The app shows the notice, never the code.
    inbox = client.get("/api/v1/me/notifications", headers=auth(seated)).json()["items"]
    assert inbox
    assert all(code not in item["text"] for item in inbox)

    client.delete(f"/api/v1/events/{event['id']}/registrations/me", headers=auth(seated))
    deliver(client)
    [promotion] = [m for m in mails(outbox_dir) if m["To"] == waiting.email][1:]
    assert promotion["Subject"] == "A seat is yours: Jazz night"
    promoted_code = _ticket(client, waiting, queued).json()["code"]
    html, _, cid = _inline_ticket(promotion)
    assert f'src="cid:{cid}"' in html
    assert promoted_code in html


def test_sendgrid_gets_the_picture_inline(client, sendgrid: type[SendGridStandIn]):
    owner = bearer(client, "organizer")
    event = create_event(client, owner)
    person = new_user()
    seat = join(client, event["id"], person)
    deliver(client)
    [request] = [r for r in sendgrid.received if r["body"]["subject"].startswith("You are")]
    body = request["body"]
    [picture] = [a for a in body["attachments"] if a["type"] == "image/png"]
    assert picture["disposition"] == "inline"
    assert f'src="cid:{picture["content_id"]}"' in body["content"][1]["value"]
    [calendar] = [a for a in body["attachments"] if a["type"] == "text/calendar"]
    assert calendar["disposition"] == "attachment"
    assert "content_id" not in calendar
    code = _ticket(client, person, seat).json()["code"]
    assert code in body["content"][0]["value"]
