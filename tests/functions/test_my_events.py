"""My events: an organizer finds every event they run or help with, drafts (imported ones too)
and hidden ones included, page by page; nobody else's."""

from __future__ import annotations

from sqlalchemy import update

from shared.db import unit_of_work
from shared.events.models import Event
from shared.events.statuses import Moderation
from shared.users.models import User
from tests.support.api import assert_problem
from tests.support.factories import create_event, new_user, token_for

CALENDAR = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//mine//EN\r\nBEGIN:VEVENT\r\n"
    b"UID:mine-1@example.org\r\nDTSTAMP:20300101T000000Z\r\nDTSTART:20310601T180000Z\r\n"
    b"DTEND:20310601T200000Z\r\nSUMMARY:Imported one\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


def _headers(user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(user)}"}


def _starting(day: int) -> dict[str, str]:
    return {
        "starts_at": f"2031-05-{day:02d}T18:00:00+00:00",
        "ends_at": f"2031-05-{day:02d}T20:00:00+00:00",
    }


def test_own_and_team_events_every_status_paged(client):
    me, colleague, stranger = (new_user("organizer") for _ in range(3))
    mine = create_event(client, _headers(me), status="draft", **_starting(3))
    published = create_event(client, _headers(me), **_starting(1))
    helped = create_event(client, _headers(colleague), status="draft", **_starting(2))
    client.post(
        f"/api/v1/events/{helped['id']}/team",
        headers=_headers(colleague),
        json={"email": me.email, "role": "steward"},
    )
    cancelled = create_event(client, _headers(me), **_starting(4))
    client.post(f"/api/v1/events/{cancelled['id']}/cancel", headers=_headers(me))
    hidden = create_event(client, _headers(me), **_starting(5))
    with unit_of_work() as session:
        session.execute(
            update(Event).where(Event.id == hidden["id"]).values(moderation=Moderation.hidden)
        )
    create_event(client, _headers(colleague), **_starting(6))  # not mine, not my team's
    imported = client.post(
        "/api/v1/calendar/import",
        headers=_headers(me) | {"Content-Type": "text/calendar"},
        content=CALENDAR,
    )
    assert imported.status_code == 201, imported.text

    everything = client.get("/api/v1/me/events", headers=_headers(me)).json()
    titles = [e["title"] for e in everything["items"]]
    assert [e["id"] for e in everything["items"][:5]] == [
        published["id"],
        helped["id"],
        mine["id"],
        cancelled["id"],
        hidden["id"],
    ]
    assert titles[5:] == ["Imported one"]
    assert everything["items"][5]["status"] == "draft"
    assert everything["next_cursor"] is None

    first = client.get("/api/v1/me/events?limit=2", headers=_headers(me)).json()
    rest = client.get(
        f"/api/v1/me/events?limit=4&cursor={first['next_cursor']}", headers=_headers(me)
    ).json()
    assert [e["id"] for e in first["items"] + rest["items"]] == [
        e["id"] for e in everything["items"]
    ]
    drafts = client.get("/api/v1/me/events?status=draft", headers=_headers(me)).json()["items"]
    assert [e["id"] for e in drafts] == [helped["id"], mine["id"], everything["items"][5]["id"]]
    gone = client.get("/api/v1/me/events?status=cancelled", headers=_headers(me)).json()["items"]
    assert [e["id"] for e in gone] == [cancelled["id"]]
    assert client.get("/api/v1/me/events", headers=_headers(stranger)).json()["items"] == []


def test_who_may_ask_and_bad_input(client):
    assert_problem(client.get("/api/v1/me/events"), 401)
    assert_problem(client.get("/api/v1/me/events", headers=_headers(new_user())), 403)
    admin = _headers(new_user("admin"))
    assert client.get("/api/v1/me/events", headers=admin).json()["items"] == []
    organizer = _headers(new_user("organizer"))
    assert_problem(client.get("/api/v1/me/events?status=maybe", headers=organizer), 422)
    assert_problem(client.get("/api/v1/me/events?cursor=forged", headers=organizer), 422)
    assert_problem(client.get("/api/v1/me/events?limit=0", headers=organizer), 422)
    assert_problem(client.get("/api/v1/me/events?limit=101", headers=organizer), 422)
