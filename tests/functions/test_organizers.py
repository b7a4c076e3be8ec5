"""Organizers in public: a profile and an .ics of their published events, following them, and
each follower told once of every new published event, by their settings, in batches."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import func, insert, select, update

from eventing.delivery import request_parts
from shared import process_state
from shared.db import unit_of_work
from shared.follows import service
from shared.follows.models import Follow, FollowerFanout
from shared.notifications.models import DeliveryStatus, Notification
from shared.outbox.models import OutboxMessage
from shared.outbox.wire import to_cloudevent
from shared.users.models import User
from tests.support.api import assert_problem
from tests.support.factories import (
    PASSWORD,
    auth,
    create_event,
    event_body,
    many_users,
    new_user,
)
from tests.support.mailbox import mailed, send_pending_mail
from tests.support.outbox import emitted

KIND = "new_event_from_followed"


def _organizer(name: str = "Ada Organizer") -> User:
    organizer = new_user("organizer")
    with unit_of_work() as session:
        session.execute(update(User).where(User.id == organizer.id).values(full_name=name))
    organizer.full_name = name
    return organizer


def _published_rows(event_id: str) -> list[OutboxMessage]:
    with unit_of_work() as session:
        rows = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.type == "org.eventmanager.event.published",
                OutboxMessage.subject == event_id,
            )
        ).all()
        session.expunge_all()
        return list(rows)


def _deliver_concurrently(live_url: str, row: OutboxMessage, times: int = 2) -> list[int]:
    """The same CloudEvent to follow_organizers `times` at once, as a redelivering broker
    would, over real parallel HTTP connections."""
    headers, body = request_parts(to_cloudevent(row))

    def post(_: int) -> int:
        response = httpx.post(
            f"{live_url}/function/follow_organizers/", content=body, headers=headers, timeout=120
        )
        return response.status_code

    with ThreadPoolExecutor(times) as pool:
        return list(pool.map(post, range(times)))


def _notices() -> list[Notification]:
    with unit_of_work() as session:
        rows = session.scalars(select(Notification).where(Notification.kind == KIND)).all()
        session.expunge_all()
        return list(rows)


def test_profile_lists_upcoming_published_events_and_an_empty_rating(client):
    organizer = _organizer()
    shown = create_event(client, auth(organizer), title="Published talk")
    create_event(client, auth(organizer), title="Draft talk", status="draft")

    response = client.get(f"/api/v1/organizers/{organizer.id}")
    assert response.status_code == 200, response.text
    profile = response.json()
    assert profile["id"] == str(organizer.id)
    assert profile["full_name"] == "Ada Organizer"
    assert [e["id"] for e in profile["upcoming_events"]] == [shown["id"]]
    assert profile["upcoming_events"][0]["title"] == "Published talk"
    assert profile["rating"] == {"average": None, "count": 0}
    assert profile["followers"] == 0


def test_no_profile_for_participants_unknown_or_blocked_organizers(client):
    participant, organizer, admin = new_user(), _organizer(), new_user("admin")
    assert_problem(client.get(f"/api/v1/organizers/{participant.id}"), 404)
    assert_problem(client.get(f"/api/v1/organizers/{uuid.uuid4()}"), 404)
    assert_problem(client.get("/api/v1/organizers/not-a-uuid"), 422)

    blocked = client.patch(
        f"/api/v1/admin/users/{organizer.id}", headers=auth(admin), json={"is_active": False}
    )
    assert blocked.status_code == 200, blocked.text
    assert_problem(client.get(f"/api/v1/organizers/{organizer.id}"), 404)
    assert_problem(client.get(f"/api/v1/organizers/{organizer.id}/calendar.ics"), 404)
    follow = client.post(f"/api/v1/organizers/{organizer.id}/follow", headers=auth(participant))
    assert_problem(follow, 404)


def test_ics_of_published_events_with_etag_and_304(client):
    organizer = _organizer()
    shown = create_event(client, auth(organizer), title="In the feed")
    draft = create_event(client, auth(organizer), title="Not yet", status="draft")
    url = f"/api/v1/organizers/{organizer.id}/calendar.ics"

    first = client.get(url)
    assert first.status_code == 200, first.text
    assert first.headers["content-type"].startswith("text/calendar")
    text = first.text
    assert f"event-{shown['id']}@" in text.replace("\r\n ", "")
    assert f"event-{draft['id']}@" not in text.replace("\r\n ", "")
    assert "Ada Organizer" in text
    etag = first.headers["etag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304

    published = client.post(f"/api/v1/events/{draft['id']}/publish", headers=auth(organizer))
    assert published.status_code == 200, published.text
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert f"event-{draft['id']}@" in changed.text.replace("\r\n ", "")


def test_follow_and_unfollow_are_idempotent_and_listed(client):
    organizer, other, fan = _organizer(), _organizer("Bo Organizer"), new_user()
    follow = f"/api/v1/organizers/{organizer.id}/follow"
    assert client.post(follow, headers=auth(fan)).status_code == 204
    assert client.post(follow, headers=auth(fan)).status_code == 204  # again: the same
    assert (
        client.post(f"/api/v1/organizers/{other.id}/follow", headers=auth(fan)).status_code == 204
    )

    mine = client.get("/api/v1/me/following", headers=auth(fan))
    assert mine.status_code == 200
    assert [item["organizer_id"] for item in mine.json()["items"]] == [
        str(organizer.id),
        str(other.id),
    ]
    assert client.get(f"/api/v1/organizers/{organizer.id}").json()["followers"] == 1
    # Each follow announced once, whatever the repeats.
    followed = [row for row in emitted("organizer.followed") if row["user_id"] == str(fan.id)]
    assert len(followed) == 2

    assert client.delete(follow, headers=auth(fan)).status_code == 204
    assert client.delete(follow, headers=auth(fan)).status_code == 204  # not following: 204
    items = client.get("/api/v1/me/following", headers=auth(fan)).json()["items"]
    assert [item["organizer_id"] for item in items] == [str(other.id)]

    assert_problem(client.post(follow), 401)
    assert_problem(client.post(follow, headers=auth(organizer)), 422)  # themself
    not_organizer = f"/api/v1/organizers/{fan.id}/follow"
    assert_problem(client.post(not_organizer, headers=auth(other)), 404)


def test_export_lists_follows_and_deleting_the_account_removes_them(client):
    organizer, fan = _organizer(), new_user()
    client.post(f"/api/v1/organizers/{organizer.id}/follow", headers=auth(fan))

    export = client.get("/api/v1/users/me/export", headers=auth(fan))
    assert export.status_code == 200
    [entry] = export.json()["following"]
    assert entry["organizer_id"] == str(organizer.id)
    assert entry["full_name"] == "Ada Organizer"

    me = auth(fan)
    gone = client.request("DELETE", "/api/v1/users/me", headers=me, json={"password": PASSWORD})
    assert gone.status_code == 204, gone.text
    with unit_of_work() as session:
        left = select(func.count()).select_from(Follow).where(Follow.follower_id == fan.id)
        assert session.scalar(left) == 0
    assert client.get(f"/api/v1/organizers/{organizer.id}").json()["followers"] == 0


def test_followers_told_once_under_concurrent_redelivery_by_their_settings(
    client, live_url, outbox_dir
):
    organizer = _organizer()
    mail_fan, quiet_fan, stranger, gone_fan = new_user(), new_user(), new_user(), new_user()
    for fan in (mail_fan, quiet_fan, gone_fan):
        follow = client.post(f"/api/v1/organizers/{organizer.id}/follow", headers=auth(fan))
        assert follow.status_code == 204
    client.delete(f"/api/v1/organizers/{organizer.id}/follow", headers=auth(gone_fan))
    quiet = client.put(
        "/api/v1/me/notification-settings",
        headers=auth(quiet_fan),
        json={"email": False, "push": False, "reminders": ["24h"]},
    )
    assert quiet.status_code == 200, quiet.text

    body = event_body(
        title="Rust night", status="draft", venue={"name": "Hall", "address": "1 Road"}
    )
    draft = client.post("/api/v1/events", json=body, headers=auth(organizer)).json()
    publish = client.post(f"/api/v1/events/{draft['id']}/publish", headers=auth(organizer))
    assert publish.status_code == 200
    assert _notices() == []  # nothing on the publish request's path but its outbox row

    [row] = _published_rows(draft["id"])
    assert _deliver_concurrently(live_url, row) == [204, 204]
    assert _deliver_concurrently(live_url, row, times=1) == [204]  # and once more, later

    notices = {n.user_id: n for n in _notices()}
    assert set(notices) == {mail_fan.id, quiet_fan.id}
    assert notices[mail_fan.id].email_status == DeliveryStatus.pending
    assert notices[quiet_fan.id].email_status == DeliveryStatus.skipped  # in the app only
    in_app = client.get("/api/v1/me/notifications", headers=auth(quiet_fan)).json()["items"]
    assert [item["kind"] for item in in_app] == [KIND]
    assert client.get("/api/v1/me/notifications", headers=auth(stranger)).json()["items"] == []

    send_pending_mail()
    [(to, subject, text)] = [m for m in mailed(outbox_dir) if "Rust night" in m[1]]
    assert to == mail_fan.email
    assert subject == "New from Ada Organizer: Rust night"
    assert "Where: Hall, 1 Road" in text
    assert "you follow Ada Organizer" in text
    assert "https://events.example.org/unsubscribe/" in text


def test_2000_followers_are_told_in_batches_and_a_crash_is_resumed(client, live_url):
    organizer = _organizer()
    crowd = many_users(2000)
    with unit_of_work() as session:
        session.execute(
            insert(Follow), [{"follower_id": fan, "organizer_id": organizer.id} for fan in crowd]
        )
    event = create_event(client, auth(organizer), title="Big launch")
    [row] = _published_rows(event["id"])
    assert _deliver_concurrently(live_url, row) == [204, 204]

    notices = _notices()
    assert len(notices) == 2000
    assert {n.user_id for n in notices} == set(crowd)
    # One INSERT (and one batch of mail tasks) per page of MAIL_BATCH_SIZE (1,000) followers.
    assert len({n.enqueued_at for n in notices}) == 2
    with unit_of_work() as session:
        fanout = session.get(FollowerFanout, uuid.UUID(event["id"]))
        assert fanout is not None
        assert fanout.done_at is not None
        assert fanout.notified == 2000

    # A run that died after its first page: the scheduled run goes on from there, once.
    second = create_event(client, auth(organizer), title="Second launch")
    # Follower-id order, as PostgreSQL sorts uuids (byte order, as Python's UUID does).
    first_page, rest = sorted(crowd)[:1000], sorted(crowd)[1000:]
    with unit_of_work() as session:
        session.add(FollowerFanout(event_id=uuid.UUID(second["id"]), after_follower=first_page[-1]))
    assert service.resume_unfinished() == 1000
    assert service.resume_unfinished() == 0
    told = [n for n in _notices() if n.payload["event_id"] == second["id"]]
    assert sorted(str(n.user_id) for n in told) == sorted(str(fan) for fan in rest)


def _cloudevent_rows(kind: str, event_id: str) -> list[OutboxMessage]:
    with unit_of_work() as session:
        rows = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.type == f"org.eventmanager.{kind}",
                OutboxMessage.subject == event_id,
            )
        ).all()
        session.expunge_all()
        return list(rows)


def test_held_or_cancelled_events_tell_followers_only_once_they_are_visible(
    client, live_url, monkeypatch
):
    """Current state decides: an event awaiting pre-moderation tells nobody until approved
    (then once, however many of its CloudEvents arrive); one cancelled before its CloudEvent
    arrives tells nobody."""
    monkeypatch.setenv("MODERATION_MODE", "pre")
    process_state.reset()
    organizer, fan, admin = _organizer(), new_user(), new_user("admin")
    client.post(f"/api/v1/organizers/{organizer.id}/follow", headers=auth(fan))

    held = create_event(client, auth(organizer), title="Held talk")
    assert held["moderation"] == "pending"
    [published] = _published_rows(held["id"])
    assert _deliver_concurrently(live_url, published, times=1) == [204]
    assert _notices() == []

    approve = client.post(
        f"/api/v1/admin/events/{held['id']}/moderation",
        headers=auth(admin),
        json={"action": "approve"},
    )
    assert approve.status_code == 200, approve.text
    [approved] = _cloudevent_rows("event.approved", held["id"])
    assert _deliver_concurrently(live_url, approved) == [204, 204]
    assert [n.payload["event_id"] for n in _notices()] == [held["id"]]

    monkeypatch.setenv("MODERATION_MODE", "post")
    process_state.reset()
    gone = create_event(client, auth(organizer), title="Called off")
    cancel = client.post(f"/api/v1/events/{gone['id']}/cancel", headers=auth(organizer), json={})
    assert cancel.status_code == 200, cancel.text
    [published] = _published_rows(gone["id"])
    assert _deliver_concurrently(live_url, published, times=1) == [204]
    assert [n.payload["event_id"] for n in _notices()] == [held["id"]]
