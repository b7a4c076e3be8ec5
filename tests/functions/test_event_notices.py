"""People hear about their seats and about changes to their events, in their language and
their time zone, once each."""

from __future__ import annotations

from sqlalchemy import update

from shared.db import unit_of_work
from shared.users.models import User
from tests.support.factories import bearer, create_event, new_user, token_for
from tests.support.mailbox import (
    deliver,
    mailed,
    mails,
)


def test_seats_changes_and_cancellation_are_told(client, outbox_dir):
    owner = bearer(client, "organizer")
    event = create_event(client, owner, capacity=1, title="Jazz night")
    path = f"/api/v1/events/{event['id']}"
    seated, waiting = new_user(), new_user()
    with unit_of_work() as session:
        session.execute(
            update(User).where(User.id == waiting.id).values(locale="ru", timezone="Europe/Moscow")
        )
    for person in (seated, waiting):
        client.post(
            f"{path}/registrations", headers={"Authorization": f"Bearer {token_for(person)}"}
        )
    deliver(client)
    first = mailed(outbox_dir)
    assert (seated.email, "You are registered: Jazz night") in [(to, s) for to, s, _ in first]
    [(_, subject, text)] = [m for m in first if m[0] == waiting.email]
    assert subject == "Вы в листе ожидания: Jazz night"
    assert "номер 1" in text
    assert "2031-05-01 19:00 MSK" in text  # 18:00 in Berlin, read in Moscow

    moved = client.patch(
        path,
        headers=owner,
        json={"starts_at": "2031-05-02T18:00:00+02:00", "ends_at": "2031-05-02T21:00:00+02:00"},
    )
    assert moved.status_code == 200
    client.patch(path, headers=owner, json={"title": "Jazz night!"})  # not notice-worthy
    deliver(client)
    changed = [m for m in mailed(outbox_dir) if m[1].startswith(("Changed", "Изменения"))]
    assert sorted(to for to, _, _ in changed) == sorted([seated.email, waiting.email])
    english = next(text for to, _, text in changed if to == seated.email)
    assert "Starts: 2031-05-02 16:00 UTC (was: 2031-05-01 16:00 UTC)" in english
    # When it starts comes first, then when it ends (they were listed the other way round).
    assert english.index("Starts:") < english.index("Ends:")
    russian = next(text for to, _, text in changed if to == waiting.email)
    assert russian.index("Начало:") < russian.index("Окончание:")

    client.delete(
        f"{path}/registrations/me", headers={"Authorization": f"Bearer {token_for(seated)}"}
    )
    deliver(client)
    assert [s for to, s, _ in mailed(outbox_dir) if to == waiting.email][-1] == (
        "Место ваше: Jazz night!"
    )

    client.post(f"{path}/cancel", headers=owner, json={"reason": "The band is ill"})
    deliver(client)
    deliver(client)  # a redelivery tells no one twice
    cancelled = [m for m in mailed(outbox_dir) if m[1].startswith(("Cancelled", "Отменено"))]
    assert [(to, "Причина: The band is ill" in text) for to, _, text in cancelled] == [
        (waiting.email, True)
    ]
    assert not [m for m in mailed(outbox_dir)[len(first) :] if "Статус" in m[2]]


def test_people_registered_to_a_deleted_event_are_told(client, outbox_dir):
    owner = bearer(client, "organizer")
    event = create_event(client, owner, title="Gone soon")
    person = new_user()
    client.post(
        f"/api/v1/events/{event['id']}/registrations",
        headers={"Authorization": f"Bearer {token_for(person)}"},
    )
    draft = create_event(client, owner, status="draft", title="Never published")
    assert client.delete(f"/api/v1/events/{event['id']}", headers=owner).status_code == 204
    assert client.delete(f"/api/v1/events/{draft['id']}", headers=owner).status_code == 204
    deliver(client)
    subjects = [s for to, s, _ in mailed(outbox_dir) if to == person.email]
    # The confirmation arrived after the event was gone: current state decides, no mail.
    assert subjects == ["No longer taking place: Gone soon"]


def test_the_in_app_list_shows_what_was_mailed_and_marks_read(client, outbox_dir):
    owner = bearer(client, "organizer")
    event = create_event(client, owner, title="Quiz night")
    person = new_user()
    me = {"Authorization": f"Bearer {token_for(person)}"}
    client.post(f"/api/v1/events/{event['id']}/registrations", headers=me)
    client.post(f"/api/v1/events/{event['id']}/cancel", headers=owner)
    deliver(client)
    page = client.get("/api/v1/me/notifications", headers=me).json()
    assert [item["title"] for item in page["items"]] == [
        "Cancelled: Quiz night",
        "You are registered: Quiz night",
    ]
    assert page["items"][0]["event_id"] == event["id"]
    assert page["items"][0]["read_at"] is None
    first = client.get("/api/v1/me/notifications?limit=1", headers=me).json()
    rest = client.get(
        f"/api/v1/me/notifications?limit=1&cursor={first['next_cursor']}", headers=me
    ).json()
    assert [i["id"] for i in first["items"] + rest["items"]] == [i["id"] for i in page["items"]]
    newest = page["items"][0]["id"]
    path = f"/api/v1/me/notifications/{newest}/read"
    assert client.post(path, headers=me).status_code == 204
    assert client.post(path, headers=me).status_code == 204  # twice: the same
    assert client.get("/api/v1/me/notifications", headers=me).json()["items"][0]["read_at"]
    stranger = bearer(client)
    assert client.post(path, headers=stranger).status_code == 404
    assert client.get("/api/v1/me/notifications", headers=stranger).json()["items"] == []
    assert client.get("/api/v1/me/notifications").status_code == 401


def test_mails_with_secrets_never_show_in_the_app(client, outbox_dir):
    signup = client.post(
        "/api/v1/auth/register",
        json={"email": "new@example.org", "password": "long enough pw", "full_name": "New"},
    )
    assert signup.status_code == 201
    deliver(client)
    login = client.post(
        "/api/v1/auth/login", json={"email": "new@example.org", "password": "long enough pw"}
    ).json()
    me = {"Authorization": f"Bearer {login['access_token']}"}
    assert client.get("/api/v1/me/notifications", headers=me).json()["items"] == []


def test_notices_carry_the_calendar_entry_that_calendars_update(client, outbox_dir):
    import icalendar

    owner = bearer(client, "organizer")
    event = create_event(client, owner, title="Film club")
    path = f"/api/v1/events/{event['id']}"
    person = new_user()
    client.post(f"{path}/registrations", headers={"Authorization": f"Bearer {token_for(person)}"})
    deliver(client)
    client.patch(
        path,
        headers=owner,
        json={"starts_at": "2031-05-01T19:00:00+02:00", "ends_at": "2031-05-01T22:00:00+02:00"},
    )
    deliver(client)
    client.post(f"{path}/cancel", headers=owner, json={"reason": "Projector broke"})
    deliver(client)
    entries = []
    for message in mails(outbox_dir):
        [attachment] = [a for a in message.iter_attachments() if a.get_filename() == "event.ics"]
        assert attachment.get_content_type() == "text/calendar"
        content = attachment.get_payload(decode=True)
        assert isinstance(content, bytes)
        calendar = icalendar.Calendar.from_ical(content)
        [entry] = calendar.walk("VEVENT")
        entries.append((str(message["Subject"]), str(calendar["METHOD"]), entry))
    assert [(subject, method) for subject, method, _ in entries] == [
        ("You are registered: Film club", "REQUEST"),
        ("Changed: Film club", "REQUEST"),
        ("Cancelled: Film club", "CANCEL"),
    ]
    assert len({str(entry["UID"]) for _, _, entry in entries}) == 1  # one entry, updated
    sequences = [int(str(entry["SEQUENCE"])) for _, _, entry in entries]
    assert sequences == sorted(sequences)
    assert sequences[0] < sequences[1]
    assert str(entries[0][2]["ATTENDEE"]) == f"mailto:{person.email}"
    assert str(entries[2][2]["STATUS"]) == "CANCELLED"


def test_a_participant_removed_by_the_organizer_is_told(client, outbox_dir):
    owner = bearer(client, "organizer")
    event = create_event(client, owner, title="Pottery class")
    path = f"/api/v1/events/{event['id']}/registrations"
    removed, russian, leaving = new_user(), new_user(), new_user()
    with unit_of_work() as session:
        session.execute(
            update(User).where(User.id == russian.id).values(locale="ru", timezone="Europe/Moscow")
        )
    joined = {}
    for person in (removed, russian, leaving):
        me = {"Authorization": f"Bearer {token_for(person)}"}
        joined[person.id] = client.post(path, headers=me).json()["id"]
    deliver(client)
    for person in (removed, russian):
        answer = client.delete(f"{path}/{joined[person.id]}", headers=owner)
        assert answer.status_code == 204
    # Leaving oneself is no news to oneself.
    own = {"Authorization": f"Bearer {token_for(leaving)}"}
    assert client.delete(f"{path}/me", headers=own).status_code == 204
    deliver(client)
    deliver(client)  # a redelivery tells no one twice

    def subjects(person: User) -> list[str]:
        return [s for to, s, _ in mailed(outbox_dir) if to == person.email]

    assert subjects(removed) == [
        "You are registered: Pottery class",
        "Your registration was cancelled: Pottery class",
    ]
    assert subjects(russian)[-1] == "Ваша регистрация отменена: Pottery class"
    [text] = [t for to, s, t in mailed(outbox_dir) if to == russian.email and "отменена" in s]
    assert "2031-05-01 19:00 MSK" in text
    assert subjects(leaving) == ["You are registered: Pottery class"]
    # Its calendar entry is withdrawn from the reader's calendar.
    [notice] = [
        m for m in mails(outbox_dir) if str(m["Subject"]).startswith("Your registration was")
    ]
    [entry] = [part for part in notice.iter_attachments() if part.get_filename() == "event.ics"]
    assert "METHOD:CANCEL" in entry.get_content()
    # In the app too.
    me = {"Authorization": f"Bearer {token_for(removed)}"}
    [newest, *_] = client.get("/api/v1/me/notifications", headers=me).json()["items"]
    assert newest["title"] == "Your registration was cancelled: Pottery class"
    assert newest["event_id"] == event["id"]
