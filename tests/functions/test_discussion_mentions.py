"""A discussion message tells the author of the message it answers and the people it names
with `@Full Name` among those in the discussion: never its own author, never someone who
cannot read the discussion, once however often its CloudEvent comes and in whatever order.
A message deleted withdraws its notices not yet read, whatever the order of its CloudEvents."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import httpx
from sqlalchemy import select, update

from shared.db import unit_of_work
from shared.discussions.mentions import mention_candidates
from shared.notifications import kinds
from shared.notifications.community_notices import mention_news
from shared.notifications.models import QUOTING_KINDS, DeliveryStatus, Notification
from shared.outbox.models import OutboxMessage
from shared.users.models import User
from tests.support.delivery import deliver_outbox
from tests.support.factories import auth, create_event, join, new_user
from tests.support.mailbox import deliver, mailed

KINDS = ("discussion_reply", "discussion_mention")


def named(name: str, role: str = "participant") -> User:
    person = new_user(role)
    with unit_of_work() as session:
        session.execute(update(User).where(User.id == person.id).values(full_name=name))
    return person


def world(client) -> dict[str, Any]:
    owner = named("Olga Owner", "organizer")
    event = create_event(client, auth(owner))
    people = {
        "owner": owner,
        "co": named("Cyril Co", "organizer"),
        "anna": named("Anna"),
        "anna_smith": named("Anna Smith"),
        "vera": named("Vera Leaving"),
        "boris": named("Boris Stranger"),  # never registered
    }
    added = client.post(
        f"/api/v1/events/{event['id']}/team",
        headers=auth(owner),
        json={"email": people["co"].email, "role": "co_organizer"},
    )
    assert added.status_code == 201, added.text
    for name in ("anna", "anna_smith", "vera"):
        join(client, event["id"], people[name])
    return {**people, "event": event, "messages": f"/api/v1/events/{event['id']}/messages"}


def post(client, w: dict[str, Any], who: str, text: str, **extra: Any) -> dict[str, Any]:
    answer = client.post(w["messages"], headers=auth(w[who]), json={"text": text, **extra})
    assert answer.status_code == 201, answer.text
    return answer.json()


def told() -> list[tuple[uuid.UUID, str, str]]:
    with unit_of_work() as session:
        rows = session.execute(
            select(Notification.user_id, Notification.kind, Notification.payload).where(
                Notification.kind.in_(KINDS)
            )
        ).all()
    return sorted((user_id, kind, payload["text"]) for user_id, kind, payload in rows)


def test_a_reply_and_an_at_name_tell_those_in_the_discussion_once(client, outbox_dir):
    w = world(client)
    first = post(client, w, "anna", "Who brings the projector?")
    text = (
        "Me! Ask @Cyril Co, or @Boris Stranger, @Vera Leaving and @Anna Smith (me), "
        "not mail@Anna.org"
    )
    post(client, w, "anna_smith", text, reply_to=first["id"])
    # The longest name after an `@` wins: Anna Smith is told, Anna (a prefix) is not.
    post(client, w, "owner", "@anna smith, thank you")
    # Vera leaves before the CloudEvent is handled: she can no longer read it.
    leave = f"/api/v1/events/{w['event']['id']}/registrations/me"
    gone = client.delete(leave, headers=auth(w["vera"]))
    assert gone.status_code in (200, 204), gone.text

    with unit_of_work() as session:
        posted = session.scalars(
            select(OutboxMessage.data).where(
                OutboxMessage.type == "org.eventmanager.message.posted"
            )
        ).all()
    assert len(posted) == 3
    assert {d["reply_to"] for d in posted} == {None, first["id"]}

    deliver(client)
    deliver(client)  # the CloudEvents again: nobody is told twice
    assert told() == sorted(
        [
            (w["anna"].id, "discussion_reply", text),  # her message was answered
            (w["co"].id, "discussion_mention", text),  # named, on the team
            (w["anna_smith"].id, "discussion_mention", "@anna smith, thank you"),
        ]
    )
    about_talk = [(to, subject, body) for to, subject, body in mailed(outbox_dir) if text in body]
    assert sorted((to, subject.split(":")[0]) for to, subject, _ in about_talk) == sorted(
        [
            (w["anna"].email, "Anna Smith replied to you"),
            (w["co"].email, "Anna Smith mentioned you"),
        ]
    )


def test_a_message_deleted_before_its_cloudevent_arrives_tells_nobody(client):
    w = world(client)
    message = post(client, w, "anna", "@Cyril Co look at this")
    deleted = client.delete(f"{w['messages']}/{message['id']}", headers=auth(w["anna"]))
    assert deleted.status_code == 204
    with unit_of_work() as session:
        [gone] = session.scalars(
            select(OutboxMessage.data).where(
                OutboxMessage.type == "org.eventmanager.message.deleted"
            )
        ).all()
    assert gone == {
        "event_id": w["event"]["id"],
        "message_id": message["id"],
        "author_id": str(w["anna"].id),
        "by_user_id": str(w["anna"].id),
        "kind": "message",
    }
    # The message's CloudEvent arrives after its deletion (late, and again): the tombstone
    # decides.
    for _ in range(2):
        assert set(deliver_outbox(client, "notify", ("message.posted",))) == {204}
    assert told() == []


def test_a_deleted_message_withdraws_its_unread_notices_and_keeps_the_read_ones(client):
    w = world(client)
    first = post(client, w, "anna", "Who brings the projector?")
    kept = post(client, w, "owner", "@Cyril Co and @Anna Smith, see the plan")
    message = post(client, w, "anna_smith", "Me, ask @Cyril Co", reply_to=first["id"])
    assert set(deliver_outbox(client, "notify", ("message.posted",))) == {204}
    assert len(told()) == 4
    # Anna reads the reply to her before the message is deleted; Cyril has not read his.
    [reply] = client.get("/api/v1/me/notifications", headers=auth(w["anna"])).json()["items"]
    read = client.post(f"/api/v1/me/notifications/{reply['id']}/read", headers=auth(w["anna"]))
    assert read.status_code == 204
    deleted = client.delete(f"{w['messages']}/{message['id']}", headers=auth(w["owner"]))
    assert deleted.status_code == 204
    for _ in range(2):  # and again: a redelivery finds nothing more to withdraw
        assert set(deliver_outbox(client, "notify", ("message.",))) == {204}
    assert told() == sorted(
        [
            (w["anna"].id, "discussion_reply", message["text"]),  # read: she saw it
            (w["co"].id, "discussion_mention", kept["text"]),
            (w["anna_smith"].id, "discussion_mention", kept["text"]),
        ]
    )
    cyril = client.get("/api/v1/me/notifications", headers=auth(w["co"])).json()["items"]
    assert [item["kind"] for item in cyril if item["kind"] in KINDS] == ["discussion_mention"]


def test_a_deletion_delivered_before_its_message_leaves_no_notice(client):
    w = world(client)
    message = post(client, w, "anna", "@Cyril Co look at this")
    assert (
        client.delete(f"{w['messages']}/{message['id']}", headers=auth(w["anna"])).status_code
        == 204
    )
    for _ in range(2):
        assert set(deliver_outbox(client, "notify", ("message.deleted",))) == {204}
        assert set(deliver_outbox(client, "notify", ("message.posted",))) == {204}
    assert told() == []


def test_a_deletion_while_the_notices_are_written_waits_and_then_withdraws_them(client, live_url):
    w = world(client)
    message = post(client, w, "anna", "@Cyril Co look at this")
    answers: list[int] = []

    def delete_it() -> None:
        with httpx.Client(timeout=60) as http:
            url = f"{live_url}{w['messages']}/{message['id']}"
            answers.append(http.delete(url, headers=auth(w["anna"])).status_code)

    deleting = threading.Thread(target=delete_it)
    with unit_of_work() as session:  # notify handling `message.posted`, not committed yet
        assert mention_news(session, uuid.UUID(message["id"])) == 1
        deleting.start()
        deleting.join(1.0)
        assert deleting.is_alive()  # the deletion waits for the notices to be committed
    deleting.join(30)
    assert answers == [204]
    assert len(told()) == 1
    assert set(deliver_outbox(client, "notify", ("message.deleted",))) == {204}
    assert told() == []


def test_the_withdrawn_kinds_are_the_reply_and_mention_kinds():
    names = ", ".join(
        f"'{kind.name}'" for kind in (kinds.DISCUSSION_REPLY, kinds.DISCUSSION_MENTION)
    )
    assert f"kind IN ({names})" == QUOTING_KINDS
    assert (kinds.DISCUSSION_REPLY.name, kinds.DISCUSSION_MENTION.name) == KINDS


def test_settings_decide_the_channels_and_own_messages_tell_nobody(client):
    w = world(client)
    quiet = client.put(
        "/api/v1/me/notification-settings",
        headers=auth(w["co"]),
        json={"email": False, "push": False, "reminders": []},
    )
    assert quiet.status_code == 200, quiet.text
    mine = post(client, w, "co", "I am @Cyril Co")
    post(client, w, "co", "Replying to myself", reply_to=mine["id"])
    post(client, w, "anna", "@Cyril Co ok")
    assert set(deliver_outbox(client, "notify", ("message.posted",))) == {204}
    with unit_of_work() as session:
        rows = session.execute(
            select(Notification.user_id, Notification.email_status, Notification.push_status).where(
                Notification.kind.in_(KINDS)
            )
        ).all()
    assert rows == [(w["co"].id, DeliveryStatus.skipped, None)]
    inbox = client.get("/api/v1/me/notifications", headers=auth(w["co"])).json()["items"]
    assert [item["kind"] for item in inbox if item["kind"] in KINDS] == ["discussion_mention"]


def test_mention_candidates_end_where_words_end():
    assert mention_candidates("hi @Anna Smith, and me@x.org") == [
        [
            "anna",
            "anna smith",
            "anna smith, and",
            "anna smith, and me",
            "anna smith, and me@x",
            "anna smith, and me@x.org",
        ]
    ]
    assert mention_candidates("@ nobody") == []
    assert mention_candidates("@Олег!") == [["олег"]]
