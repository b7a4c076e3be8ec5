"""An event's discussion: who takes part, flood limits, deletion, the live stream and its
resume, and announcements that reach every registrant exactly once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from sqlalchemy import select

from local.deploy.gateway import routes_conf, upstreams_conf
from local.registry import load_functions
from shared import process_state
from shared.db import unit_of_work
from shared.notifications.models import DeliveryStatus, Notification
from shared.users.models import User
from tests.deploy.edge import running_gateway
from tests.support.api import assert_problem
from tests.support.factories import auth, create_event, join, new_user
from tests.support.mailbox import deliver, mailed


def _discussion(client) -> dict[str, Any]:
    """A published event with its owner, a steward, a co-organizer and a confirmed
    participant; its paths."""
    owner = new_user("organizer")
    event = create_event(client, auth(owner))
    people = {"owner": owner, "steward": new_user(), "co": new_user("organizer")}
    for name, role in (("steward", "steward"), ("co", "co_organizer")):
        added = client.post(
            f"/api/v1/events/{event['id']}/team",
            headers=auth(owner),
            json={"email": people[name].email, "role": role},
        )
        assert added.status_code == 201, added.text
    people["participant"] = new_user()
    join(client, event["id"], people["participant"])
    base = f"/api/v1/events/{event['id']}"
    return {"event": event, "messages": f"{base}/messages", "base": base, **people}


def _post(client, world: dict[str, Any], who: str, text: str, **extra: Any) -> httpx.Response:
    return client.post(world["messages"], headers=auth(world[who]), json={"text": text, **extra})


def test_confirmed_participants_the_team_and_admins_talk_and_nobody_else(client):
    world = _discussion(client)
    stranger, admin = new_user(), new_user("admin")
    # Shown as given, never as HTML: JSON carries the characters, clients render text.
    text = 'Bring <b>snacks</b> & "drinks"\nsee you'
    posted = _post(client, world, "participant", text)
    assert posted.status_code == 201, posted.text
    body = posted.json()
    assert body | {"id": None, "created_at": None, "seq": None} == {
        "id": None,
        "event_id": world["event"]["id"],
        "author": {"id": str(world["participant"].id), "name": world["participant"].full_name},
        "text": text,
        "reply_to": None,
        "created_at": None,
        "pinned": False,
        "kind": "message",
        "title": None,
        "seq": None,
    }
    reply = _post(client, world, "steward", "Noted", reply_to=body["id"])
    assert reply.status_code == 201
    assert reply.json()["reply_to"] == body["id"]
    assert client.get(world["messages"], headers=auth(admin)).status_code == 200
    listed = client.get(world["messages"], headers=auth(world["owner"])).json()["items"]
    assert [m["text"] for m in listed] == [text, "Noted"]
    after = client.get(
        world["messages"], headers=auth(world["co"]), params={"after": body["id"]}
    ).json()["items"]
    assert [m["text"] for m in after] == ["Noted"]

    # Someone not registered, or only waiting, reads and writes nothing.
    assert_problem(client.get(world["messages"], headers=auth(stranger)), 403)
    assert_problem(_post(client, {**world, "stranger": stranger}, "stranger", "hi"), 403)
    assert_problem(client.get(world["messages"]), 401)
    left = new_user()
    join(client, world["event"]["id"], left)
    gone = client.delete(f"{world['base']}/registrations/me", headers=auth(left))
    assert gone.status_code in (200, 204), gone.text
    assert_problem(client.get(world["messages"], headers=auth(left)), 403)

    # Bad input is refused and stores nothing.
    assert_problem(_post(client, world, "participant", ""), 422)
    assert_problem(_post(client, world, "participant", "x" * 2001), 422)
    assert_problem(_post(client, world, "participant", "hi", reply_to=str(uuid.uuid4())), 404)
    assert_problem(client.get(world["messages"], headers=auth(admin), params={"limit": 0}), 422)
    missing = f"/api/v1/events/{uuid.uuid4()}/messages"
    assert_problem(client.get(missing, headers=auth(admin)), 404)
    assert len(client.get(world["messages"], headers=auth(admin)).json()["items"]) == 2


def test_flooding_a_discussion_is_refused_with_retry_after(client):
    world = _discussion(client)
    for n in range(10):
        assert _post(client, world, "participant", f"message {n}").status_code == 201
    flooded = _post(client, world, "participant", "one more")
    assert_problem(flooded, 429)
    assert 0 < int(flooded.headers["Retry-After"]) <= 60
    # The limit is the flooder's own: others still talk.
    assert _post(client, world, "steward", "calm down").status_code == 201
    items = client.get(world["messages"], headers=auth(world["owner"])).json()["items"]
    assert len(items) == 11


def test_messages_are_deleted_by_their_author_the_team_and_admins_only(client):
    world = _discussion(client)
    other = new_user()
    join(client, world["event"]["id"], other)
    world["other"] = other
    ids = [_post(client, world, "participant", f"m{n}").json()["id"] for n in range(4)]

    def delete(who: User, message_id: str) -> httpx.Response:
        return client.delete(f"{world['messages']}/{message_id}", headers=auth(who))

    assert_problem(delete(other, ids[0]), 403)
    assert delete(world["participant"], ids[0]).status_code == 204
    assert delete(world["steward"], ids[1]).status_code == 204
    assert delete(new_user("admin"), ids[2]).status_code == 204
    assert_problem(delete(world["participant"], ids[0]), 404)
    assert_problem(delete(world["owner"], str(uuid.uuid4())), 404)
    items = client.get(world["messages"], headers=auth(other)).json()["items"]
    assert [m["id"] for m in items] == [ids[3]]


def _frames(lines: Iterator[str], count: int) -> Iterator[dict[str, Any]]:
    """The next `count` events of a stream (comments and the retry hint skipped)."""
    frame: dict[str, Any] = {}
    seen = 0
    for line in lines:
        if line.startswith(":") or line.startswith("retry:"):
            continue
        if line:
            field, _, value = line.partition(": ")
            frame[field] = value
            continue
        if frame:
            yield {**json.loads(frame["data"]), "seq": int(frame["id"]), "event": frame["event"]}
            frame = {}
            seen += 1
            if seen == count:
                return


def _stream(base_url: str, world: dict[str, Any], last: int | None = None):
    headers = auth(world["participant"])
    if last is not None:
        headers["Last-Event-ID"] = str(last)
    return httpx.stream("GET", f"{base_url}{world['messages']}/stream", headers=headers, timeout=10)


def _ready(response: httpx.Response) -> Iterator[str]:
    """The stream's lines, once the retry hint came: it is subscribed and has read where it
    starts."""
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    lines = response.iter_lines()
    for line in lines:
        if line.startswith("retry:"):
            return lines
    raise AssertionError("the stream ended before it began")


def test_a_stream_receives_a_message_posted_by_another_process(client, live_url):
    world = _discussion(client)
    with _stream(live_url, world) as response:
        # Nginx (which reads and drops this header) passes each frame as it comes.
        assert response.headers["x-accel-buffering"] == "no"
        lines = _ready(response)
        # Another process, sharing nothing with this one but PostgreSQL and Redis.
        script = (
            "import uuid,sys\n"
            "from shared.db import unit_of_work\n"
            "from shared.discussions import service\n"
            "from shared.discussions.schemas import MessageIn\n"
            "with unit_of_work() as s:\n"
            "    service.post(s, uuid.UUID(sys.argv[1]), uuid.UUID(sys.argv[2]), False,"
            " MessageIn(text='from afar'))\n"
        )
        subprocess.run(
            [sys.executable, "-c", script, world["event"]["id"], str(world["steward"].id)],
            env=dict(os.environ),
            check=True,
            timeout=60,
        )
        [frame] = list(_frames(lines, 1))
    assert (frame["event"], frame["text"], frame["author"]["id"]) == (
        "message",
        "from afar",
        str(world["steward"].id),
    )


def test_a_dropped_stream_resumed_with_last_event_id_loses_nothing(client, live_url):
    world = _discussion(client)
    with _stream(live_url, world) as response:
        lines = _ready(response)
        first = _post(client, world, "participant", "before the drop").json()
        [seen] = list(_frames(lines, 1))
    assert seen["seq"] == first["seq"]
    # While the client is away: three messages, one of them deleted, and an announcement.
    posted = [_post(client, world, "steward", f"missed {n}").json() for n in range(3)]
    assert (
        client.delete(
            f"{world['messages']}/{posted[1]['id']}", headers=auth(world["owner"])
        ).status_code
        == 204
    )
    announced = client.post(
        f"{world['base']}/announcements",
        headers=auth(world["owner"]),
        json={"title": "Doors", "text": "Doors open at 18:00"},
    )
    assert announced.status_code == 202
    with _stream(live_url, world, last=seen["seq"]) as response:
        frames = list(_frames(_ready(response), 4))
    assert [(f["event"], f.get("text")) for f in frames] == [
        ("message", "missed 0"),
        ("message", "missed 2"),
        ("deletion", None),
        ("announcement", "Doors open at 18:00"),
    ]
    # One number per change, in order, none skipped: 3 posts, the deletion, the announcement.
    assert [f["seq"] - seen["seq"] for f in frames] == [1, 3, 4, 5]
    assert frames[2]["id"] == posted[1]["id"]

    # Anyone else is refused before a stream opens; a bad Last-Event-ID is refused.
    stranger = httpx.get(
        f"{live_url}{world['messages']}/stream", headers=auth(new_user()), timeout=10
    )
    assert_problem(stranger, 403)
    bad = httpx.get(
        f"{live_url}{world['messages']}/stream",
        headers={**auth(world["participant"]), "Last-Event-ID": "yesterday"},
        timeout=10,
    )
    assert_problem(bad, 422)


def test_an_announcement_is_pinned_and_everyone_registered_is_told_once(client, outbox_dir):
    world = _discussion(client)
    quiet, cancelled = new_user(), new_user()
    join(client, world["event"]["id"], quiet)
    settings = client.put(
        "/api/v1/me/notification-settings",
        headers=auth(quiet),
        json={"email": False, "push": False, "reminders": []},
    )
    assert settings.status_code == 200, settings.text
    join(client, world["event"]["id"], cancelled)
    gone = client.delete(f"{world['base']}/registrations/me", headers=auth(cancelled))
    assert gone.status_code in (200, 204), gone.text

    path = f"{world['base']}/announcements"
    assert_problem(
        client.post(path, headers=auth(world["participant"]), json={"title": "t", "text": "x"}),
        403,
    )
    assert_problem(
        client.post(path, headers=auth(world["steward"]), json={"title": "t", "text": "x"}), 403
    )
    assert_problem(client.post(path, headers=auth(world["owner"]), json={"title": "t"}), 422)
    announced = client.post(
        path, headers=auth(world["co"]), json={"title": "Room change", "text": "Room 2 now"}
    )
    assert announced.status_code == 202, announced.text
    assert announced.json()["pinned"]
    assert announced.json()["kind"] == "announcement"
    items = client.get(world["messages"], headers=auth(world["participant"])).json()["items"]
    assert [(m["kind"], m["pinned"], m["title"]) for m in items] == [
        ("announcement", True, "Room change")
    ]

    deliver(client)
    deliver(client)  # the CloudEvent delivered again tells nobody twice
    with unit_of_work() as session:
        told = session.execute(
            select(Notification.user_id, Notification.email_status, Notification.push_status).where(
                Notification.kind == "event_announcement"
            )
        ).all()
    by_person = {user_id: (email, push) for user_id, email, push in told}
    assert len(told) == len(by_person) == 2
    assert by_person[world["participant"].id][0] == DeliveryStatus.sent
    assert by_person[quiet.id] == (DeliveryStatus.skipped, None)
    subjects = [s for to, s, _ in mailed(outbox_dir) if "Room change" in s]
    assert len(subjects) == 1
    [(to, _, text)] = [m for m in mailed(outbox_dir) if "Room change" in m[1]]
    assert to == world["participant"].email
    assert "Room 2 now" in text


def test_the_stream_passes_through_the_rendered_nginx_unbuffered(client, live_url, tmp_path):
    """The deployments' gateway in front of the platform: each frame reaches the client as it
    is written, while the stream stays open."""
    deployed = load_functions()
    port = int(live_url.rsplit(":", 1)[1])
    files = {
        "eventmanager/routes.conf": routes_conf(deployed),
        "eventmanager/upstreams.conf": upstreams_conf(
            deployed, "local", dict.fromkeys(deployed, port)
        ),
    }
    world = _discussion(client)
    with running_gateway(tmp_path, files) as gateway, _stream(gateway.url, world) as response:
        lines = _ready(response)
        for n in range(2):
            posted = _post(client, world, "participant", f"through nginx {n}").json()
            [frame] = list(_frames(lines, 1))
            assert (frame["seq"], frame["text"]) == (posted["seq"], f"through nginx {n}")


def test_without_redis_a_stream_still_gets_every_message(client, live_url, monkeypatch):
    """Redis only wakes streams: when it is gone they read PostgreSQL every second."""
    world = _discussion(client)
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens there
    process_state.reset()
    with _stream(live_url, world) as response:
        lines = _ready(response)
        posted = _post(client, world, "participant", "no redis").json()
        [frame] = list(_frames(lines, 1))
    assert (frame["seq"], frame["text"]) == (posted["seq"], "no redis")


def test_parallel_posts_reach_a_stream_in_number_order_without_gaps(client, live_url):
    """Many people posting at once: every message arrives, numbered one after another, so a
    client resuming from any number it saw misses none."""
    world = _discussion(client)
    people = [new_user() for _ in range(4)]
    for person in people:
        join(client, world["event"]["id"], person)

    def post_five(person: User) -> list[int]:
        with httpx.Client(base_url=live_url, timeout=30) as http:
            return [
                http.post(world["messages"], headers=auth(person), json={"text": f"{n}"}).json()[
                    "seq"
                ]
                for n in range(5)
            ]

    with _stream(live_url, world) as response:
        lines = _ready(response)
        with ThreadPoolExecutor(len(people)) as pool:
            numbers = sorted(seq for posted in pool.map(post_five, people) for seq in posted)
        frames = list(_frames(lines, 20))
    assert [frame["seq"] for frame in frames] == numbers == list(range(1, 21))
