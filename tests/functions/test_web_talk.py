"""The discussion, announcement and achievements pages against the real gateway on a real
port: people registered talk, reply and delete; strangers get a sentence; an organizer
announces; a person opts in to achievements; the leaderboard is public; a reply and an
achievement in the notifications link to what they are about."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from functions.web.words import WORDS
from shared.db import unit_of_work
from shared.notifications import kinds
from shared.notifications.kinds import KINDS
from shared.notifications.schemas import AchievementNotice
from shared.notifications.service import notify_person
from shared.users.models import User
from tests.support.delivery import deliver_outbox
from tests.support.factories import auth, create_event, join, new_user
from tests.support.web import csrf_of, sign_in, site  # noqa: F401 (fixture)


@contextmanager
def _signed_in(site: httpx.Client, person: User) -> Iterator[httpx.Client]:  # noqa: F811
    """Another visitor's browser on the same site, signed in as this person."""
    with httpx.Client(base_url=site.base_url, timeout=30) as browser:
        assert sign_in(browser, person.email).status_code == 303
        yield browser


def test_people_registered_talk_reply_and_delete_and_strangers_are_told_why(site, client):  # noqa: F811
    owner, participant, stranger = new_user("organizer"), new_user(), new_user()
    event = create_event(client, auth(owner))
    join(client, event["id"], participant)
    path = f"/events/{event['id']}/discussion"
    assert (
        site.get(path).headers["location"] == f"/signin?next=%2Fevents%2F{event['id']}%2Fdiscussion"
    )
    with _signed_in(site, participant) as browser:
        assert f'href="{path}"' in browser.get(f"/events/{event['id']}").text
        page = browser.get(path)
        assert page.status_code == 200
        assert "No messages yet" in page.text
        posted = browser.post(path, data={"csrf": csrf_of(page), "text": "Bring <b>snacks</b>"})
        assert posted.status_code == 303
        first_id = posted.headers["location"].split("#m-")[1]
        page = browser.get(path)
        assert "Bring &lt;b&gt;snacks&lt;/b&gt;" in page.text  # text, never markup
        replying = browser.get(path, params={"reply_to": first_id})
        assert "Replying to" in replying.text
        reply = browser.post(
            path, data={"csrf": csrf_of(page), "text": "Me too", "reply_to": first_id}
        )
        assert reply.status_code == 303
        # The script's JSON: what came after a message, as the API answers it.
        newer = browser.get(f"{path}/messages", params={"after": first_id}).json()["items"]
        assert [(m["text"], m["reply_to"]) for m in newer] == [("Me too", first_id)]
        empty = browser.post(path, data={"csrf": csrf_of(page), "text": "  "})
        assert empty.status_code == 422
        assert "at most 2000 characters" in empty.text
        deleted = browser.post(f"{path}/{first_id}/delete", data={"csrf": csrf_of(page)})
        assert deleted.status_code == 303
        page = browser.get(path)
        assert "snacks" not in page.text
        assert "in reply to" in page.text
    api = client.get(f"/api/v1/events/{event['id']}/messages", headers=auth(owner)).json()
    assert [m["text"] for m in api["items"]] == ["Me too"]  # the empty one changed nothing
    with _signed_in(site, stranger) as browser:
        refused = browser.get(path)
        assert refused.status_code == 403
        assert "Only the people registered for this event" in refused.text
        assert browser.get(f"{path}/messages").status_code == 403
        other = client.get(f"/api/v1/events/{event['id']}/messages", headers=auth(owner))
        message_id = other.json()["items"][0]["id"]
        page = browser.get("/account")
        gone = browser.post(f"{path}/{message_id}/delete", data={"csrf": csrf_of(page)})
        assert gone.status_code == 403
    assert site.get(f"{path}/messages").status_code == 401
    assert site.get("/events/not-an-id/discussion").status_code == 404


def test_an_organizer_announces_and_it_is_pinned_on_top(site, client):  # noqa: F811
    owner, participant = new_user("organizer"), new_user()
    event = create_event(client, auth(owner))
    join(client, event["id"], participant)
    path = f"/organize/events/{event['id']}/announce"
    with _signed_in(site, owner) as browser:
        form = browser.get(path)
        assert form.status_code == 200
        assert 'aria-current="page">Announcement<' in form.text
        incomplete = browser.post(path, data={"csrf": csrf_of(form), "title": "", "text": "x"})
        assert incomplete.status_code == 422
        sent = browser.post(
            path, data={"csrf": csrf_of(form), "title": "Room change", "text": "Hall B now."}
        )
        assert sent.status_code == 200
        assert "on its way to everyone registered" in sent.text
    with _signed_in(site, participant) as browser:
        page = browser.get(f"/events/{event['id']}/discussion")
        pinned = page.text.split('id="pinned-title"')[1].split('id="messages-title"')[0]
        assert "Room change" in pinned
        assert "Hall B now." in pinned
        # Someone not on the team: the API refuses, and the page says so.
        refused = browser.post(
            path, data={"csrf": csrf_of(page), "title": "Mine", "text": "Not allowed"}
        )
        assert refused.status_code == 403
    listed = client.get(f"/api/v1/events/{event['id']}/messages", headers=auth(owner)).json()
    assert [m["title"] for m in listed["items"]] == ["Room change"]


def test_a_person_opts_in_to_achievements_and_the_leaderboard_is_public(site, client):  # noqa: F811
    person = new_user()
    assert site.get("/account/achievements").headers["location"].startswith("/signin")
    with _signed_in(site, person) as browser:
        page = browser.get("/account/achievements")
        assert page.status_code == 200
        assert 'href="/account/achievements" aria-current="page"' in page.text
        assert "Attendance record" in page.text
        assert not re.search(r'id="enabled"[^>]*checked', page.text)
        # Public without being switched on means nothing: the page never asks for it.
        half = browser.post("/account/achievements", data={"csrf": csrf_of(page), "public": "yes"})
        assert half.status_code == 303
        choice = client.get("/api/v1/me/gamification", headers=auth(person)).json()
        assert choice == {"enabled": False, "public": False}
        saved = browser.post(
            "/account/achievements",
            data={"csrf": csrf_of(page), "enabled": "yes", "public": "yes"},
        )
        assert saved.headers["location"] == "/account/achievements?done=saved"
        page = browser.get(saved.headers["location"])
        assert "Your choice is saved." in page.text
        assert re.search(r'id="enabled"[^>]*checked', page.text)
        choice = client.get("/api/v1/me/gamification", headers=auth(person)).json()
        assert choice == {"enabled": True, "public": True}
        russian = browser.get("/account/achievements", params={"lang": "ru"})
        assert "Достижения" in russian.text
    board = site.get("/leaderboard", params={"period": "year"})
    assert board.status_code == 200
    assert 'href="/leaderboard?period=year" aria-current="page"' in board.text
    odd = site.get("/leaderboard", params={"period": "<x>"})
    assert odd.status_code == 200
    assert 'href="/leaderboard?period=month" aria-current="page"' in odd.text


def test_every_kind_of_notification_has_web_words_in_both_languages():
    for language, words in WORDS.items():
        missing = {kind for kind in KINDS if f"notice.kind.{kind}" not in words}
        assert not missing, (language, missing)


def test_a_reply_and_an_achievement_are_told_with_links_to_them(site, client):  # noqa: F811
    owner, participant = new_user("organizer"), new_user()
    event = create_event(client, auth(owner))
    join(client, event["id"], participant)
    messages = f"/api/v1/events/{event['id']}/messages"
    asked = client.post(messages, headers=auth(participant), json={"text": "Parking?"})
    assert asked.status_code == 201, asked.text
    answered = client.post(
        messages,
        headers=auth(owner),
        json={"text": "Behind the hall.", "reply_to": asked.json()["id"]},
    )
    assert answered.status_code == 201, answered.text
    assert set(deliver_outbox(client, "notify", ("message.posted",))) == {204}
    with unit_of_work() as session:
        person = session.get(User, participant.id)
        assert person is not None
        notify_person(
            session,
            person,
            kinds.ACHIEVEMENT_AWARDED,
            AchievementNotice(rule="host_10", points=50),
            email=False,
        )

    with _signed_in(site, participant) as browser:
        page = browser.get("/account/notifications")
        assert page.status_code == 200
        reply = f'href="/events/{event["id"]}/discussion#m-{answered.json()["id"]}"'
        assert reply in page.text
        assert "Reply in a discussion" in page.text
        assert 'href="/account/achievements"' in page.text
        assert "See my achievements" in page.text
        russian = browser.get("/account/notifications", params={"lang": "ru"}).text
        assert "Ответ в обсуждении" in russian
        assert "Достижение" in russian
