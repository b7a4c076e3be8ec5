"""Verified reviews: only people checked in at an event review it, once; the organizer replies
once; admins hide and restore; the event's rating counts the visible reviews; the organizer
hears of a review and its author of the reply."""

from __future__ import annotations

from sqlalchemy import select, update

from shared.audit.models import AuditEntry
from shared.db import unit_of_work
from shared.users.models import User
from tests.support.api import assert_problem
from tests.support.delivery import recount_ratings
from tests.support.factories import auth, checked_in, create_event, join, new_user
from tests.support.mailbox import deliver, mailed
from tests.support.outbox import emitted


def test_only_people_checked_in_review_and_only_once(client):
    owner = new_user("organizer")
    event = create_event(client, auth(owner))
    reviews = f"/api/v1/events/{event['id']}/reviews"
    # Registered but never at the door, and someone who never registered: refused, nothing kept.
    registered = new_user()
    join(client, event["id"], registered)
    for person in (registered, new_user(), owner):
        problem = assert_problem(
            client.post(reviews, headers=auth(person), json={"rating": 5}), 403
        )
        assert problem["type"].endswith("not-checked-in")
    assert_problem(client.post(reviews, json={"rating": 5}), 401)

    person = checked_in(client, event, owner)
    created = client.post(reviews, headers=auth(person), json={"rating": 4, "text": "Good talks"})
    assert created.status_code == 201, created.text
    review = created.json()
    assert review | {"id": None, "created_at": None, "updated_at": None} == {
        "id": None,
        "event_id": event["id"],
        "user_id": str(person.id),
        "author_name": person.full_name,
        "rating": 4,
        "text": "Good talks",
        "created_at": None,
        "updated_at": None,
        "reply": None,
    }
    second = client.post(reviews, headers=auth(person), json={"rating": 1})
    assert assert_problem(second, 409)["review_id"] == review["id"]
    assert [e["rating"] for e in emitted("review.created")] == [4]

    # Out of range, not a whole number, unknown fields: 422, nothing changes.
    other = checked_in(client, event, owner)
    for body in ({"rating": 0}, {"rating": 6}, {"rating": "5"}, {"rating": 4.5}, {}, {"x": 1}):
        assert_problem(client.post(reviews, headers=auth(other), json=body), 422)
    assert len(emitted("review.created")) == 1


def test_the_author_edits_their_review_and_no_one_else(client):
    owner = new_user("organizer")
    event = create_event(client, auth(owner))
    person = checked_in(client, event, owner)
    reviews = f"/api/v1/events/{event['id']}/reviews"
    review = client.post(reviews, headers=auth(person), json={"rating": 2, "text": "Meh"}).json()
    path = f"{reviews}/{review['id']}"

    assert_problem(client.patch(path, headers=auth(owner), json={"rating": 5}), 403)
    assert_problem(client.patch(path, headers=auth(new_user()), json={"rating": 5}), 403)
    assert_problem(client.patch(path, headers=auth(person), json={"rating": 9}), 422)
    edited = client.patch(path, headers=auth(person), json={"rating": 5})
    assert edited.status_code == 200, edited.text
    assert (edited.json()["rating"], edited.json()["text"]) == (5, "Meh")
    cleared = client.patch(path, headers=auth(person), json={"text": None}).json()
    assert (cleared["rating"], cleared["text"]) == (5, None)
    assert [e["rating"] for e in emitted("review.updated")] == [5, 5]
    # The same values again change nothing and announce nothing.
    client.patch(path, headers=auth(person), json={"rating": 5})
    assert len(emitted("review.updated")) == 2
    other = create_event(client, auth(owner))
    assert_problem(
        client.patch(
            f"/api/v1/events/{other['id']}/reviews/{review['id']}",
            headers=auth(person),
            json={"rating": 1},
        ),
        404,
    )


def test_the_organizer_replies_once_then_edits(client):
    owner = new_user("organizer")
    event = create_event(client, auth(owner))
    helper, door = new_user("organizer"), new_user()
    team = f"/api/v1/events/{event['id']}/team"
    client.post(team, headers=auth(owner), json={"email": helper.email, "role": "co_organizer"})
    client.post(team, headers=auth(owner), json={"email": door.email, "role": "steward"})
    person = checked_in(client, event, owner)
    reviews = f"/api/v1/events/{event['id']}/reviews"
    review = client.post(reviews, headers=auth(person), json={"rating": 3}).json()
    reply = f"{reviews}/{review['id']}/reply"

    for outsider in (person, door, new_user("organizer")):
        assert_problem(client.post(reply, headers=auth(outsider), json={"text": "Hi"}), 403)
    assert_problem(client.patch(reply, headers=auth(owner), json={"text": "Hi"}), 404)
    assert_problem(client.post(reply, headers=auth(owner), json={"text": "  "}), 422)
    first = client.post(reply, headers=auth(helper), json={"text": "Thanks for coming"})
    assert first.status_code == 201, first.text
    assert first.json()["reply"]["text"] == "Thanks for coming"
    assert first.json()["reply"]["by_user_id"] == str(helper.id)
    assert_problem(client.post(reply, headers=auth(owner), json={"text": "Again"}), 409)
    edited = client.patch(reply, headers=auth(owner), json={"text": "Thank you!"})
    assert edited.status_code == 200, edited.text
    assert edited.json()["reply"]["text"] == "Thank you!"
    assert len(emitted("review.replied")) == 1
    listed = client.get(reviews).json()["items"]
    assert [r["reply"]["text"] for r in listed] == ["Thank you!"]


def test_admins_hide_and_restore_and_hidden_reviews_are_neither_listed_nor_counted(client):
    owner, admin = new_user("organizer"), new_user("admin")
    event = create_event(client, auth(owner))
    reviews = f"/api/v1/events/{event['id']}/reviews"
    people = [checked_in(client, event, owner) for _ in range(3)]
    written = [
        client.post(reviews, headers=auth(p), json={"rating": r}).json()
        for p, r in zip(people, (5, 4, 1), strict=True)
    ]
    recount_ratings(client)
    page = client.get(f"/api/v1/events/{event['id']}").json()
    assert page["rating"] == {"average": 3.33, "count": 3}

    moderation = f"/api/v1/admin/reviews/{written[2]['id']}/moderation"
    for someone in (owner, people[2]):
        assert_problem(client.post(moderation, headers=auth(someone), json={"action": "hide"}), 403)
    assert_problem(client.post(moderation, json={"action": "hide"}), 401)
    assert_problem(client.post(moderation, headers=auth(admin), json={"action": "restore"}), 409)
    assert_problem(client.post(moderation, headers=auth(admin), json={"action": "delete"}), 422)
    hidden = client.post(
        moderation, headers=auth(admin), json={"action": "hide", "reason": "insults"}
    )
    assert hidden.status_code == 200, hidden.text
    recount_ratings(client)

    # Newest first, the hidden one left out; pages follow the cursor.
    first = client.get(f"{reviews}?limit=1").json()
    rest = client.get(f"{reviews}?limit=1&cursor={first['next_cursor']}").json()
    assert [r["id"] for r in first["items"] + rest["items"]] == [written[1]["id"], written[0]["id"]]
    assert rest["next_cursor"] is None
    assert client.get(f"/api/v1/events/{event['id']}").json()["rating"] == {
        "average": 4.5,
        "count": 2,
    }
    listed = client.get("/api/v1/events", params={"from": "2031-01-01"}).json()["items"]
    assert [e["rating"] for e in listed if e["id"] == event["id"]] == [{"average": 4.5, "count": 2}]
    # A hidden review takes no reply, and its author cannot review again.
    reply = f"{reviews}/{written[2]['id']}/reply"
    assert_problem(client.post(reply, headers=auth(owner), json={"text": "Sorry"}), 404)
    assert_problem(client.post(reviews, headers=auth(people[2]), json={"rating": 5}), 409)

    restored = client.post(moderation, headers=auth(admin), json={"action": "restore"})
    assert restored.status_code == 200, restored.text
    recount_ratings(client)
    assert client.get(f"/api/v1/events/{event['id']}").json()["rating"]["count"] == 3
    with unit_of_work() as session:
        actions = session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.target_id == written[2]["id"])
            .order_by(AuditEntry.created_at)
        ).all()
    assert actions == ["review.hide", "review.restore"]


def test_an_event_without_reviews_has_no_average(client):
    owner = new_user("organizer")
    event = create_event(client, auth(owner))
    assert event["rating"] == {"average": None, "count": 0}
    assert client.get(f"/api/v1/events/{event['id']}/reviews").json() == {
        "items": [],
        "next_cursor": None,
    }


def test_reviews_of_a_draft_are_for_its_team_only(client):
    owner = new_user("organizer")
    draft = create_event(client, auth(owner), status="draft")
    path = f"/api/v1/events/{draft['id']}/reviews"
    assert_problem(client.get(path), 404)
    assert_problem(client.get(path, headers=auth(new_user())), 404)
    assert client.get(path, headers=auth(owner)).status_code == 200


def test_the_organizer_hears_of_a_review_and_the_author_of_the_reply(client, outbox_dir):
    owner = new_user("organizer")
    with unit_of_work() as session:
        session.execute(update(User).where(User.id == owner.id).values(locale="ru"))
    event = create_event(client, auth(owner), title="Jazz night")
    person = checked_in(client, event, owner)
    reviews = f"/api/v1/events/{event['id']}/reviews"
    review = client.post(reviews, headers=auth(person), json={"rating": 5}).json()
    client.post(f"{reviews}/{review['id']}/reply", headers=auth(owner), json={"text": "Merci"})
    deliver(client)
    deliver(client)  # a redelivery tells no one twice
    told = [(to, subject) for to, subject, _ in mailed(outbox_dir)]
    assert told.count((owner.email, "Новый отзыв о «Jazz night»: 5 из 5")) == 1
    assert told.count((person.email, "The organizer replied to your review: Jazz night")) == 1
    inbox = client.get("/api/v1/me/notifications", headers=auth(owner)).json()["items"]
    assert [item["kind"] for item in inbox] == ["review_received"]
    inbox = client.get("/api/v1/me/notifications", headers=auth(person)).json()["items"]
    assert "review_replied" in [item["kind"] for item in inbox]


def test_the_organizer_rating_weighs_every_review_of_their_events(client):
    from shared.reviews.service import organizer_rating

    owner = new_user("organizer")
    events = [create_event(client, auth(owner)) for _ in range(2)]
    for event, stars in ((events[0], (5, 5)), (events[1], (2,))):
        for rating in stars:
            person = checked_in(client, event, owner)
            made = client.post(
                f"/api/v1/events/{event['id']}/reviews",
                headers=auth(person),
                json={"rating": rating},
            )
            assert made.status_code == 201, made.text
    recount_ratings(client)
    with unit_of_work() as session:
        assert organizer_rating(session, owner.id).model_dump() == {"average": 4.0, "count": 3}
        assert organizer_rating(session, new_user("organizer").id).model_dump() == {
            "average": None,
            "count": 0,
        }


def test_admins_list_every_events_reviews_shown_or_hidden(client):
    owner, admin = new_user("organizer"), new_user("admin")
    first, second = (create_event(client, auth(owner), title=t) for t in ("Talks", "Walks"))
    written = []
    for event, rating in ((first, 4), (second, 2), (second, 5)):
        person = checked_in(client, event, owner)
        posted = client.post(
            f"/api/v1/events/{event['id']}/reviews", headers=auth(person), json={"rating": rating}
        )
        written.append(posted.json())
    hide = f"/api/v1/admin/reviews/{written[1]['id']}/moderation"
    assert client.post(hide, headers=auth(admin), json={"action": "hide"}).status_code == 200

    listing = "/api/v1/admin/reviews"
    shown = client.get(listing, headers=auth(admin), params={"limit": 1})
    assert shown.status_code == 200, shown.text
    rest = client.get(
        listing, headers=auth(admin), params={"cursor": shown.json()["next_cursor"]}
    ).json()
    items = shown.json()["items"] + rest["items"]
    mine = [r for r in items if r["id"] in {w["id"] for w in written}]
    # Newest first, the hidden one left out; each carries its event's title.
    assert [(r["id"], r["event_title"], r["hidden_at"]) for r in mine] == [
        (written[2]["id"], "Walks", None),
        (written[0]["id"], "Talks", None),
    ]
    hidden = client.get(listing, headers=auth(admin), params={"state": "hidden"}).json()
    [found] = [r for r in hidden["items"] if r["id"] == written[1]["id"]]
    assert found["event_title"] == "Walks"
    assert found["hidden_at"] is not None
    assert found["rating"] == 2
    assert found["author_name"]

    for someone in (owner, new_user()):
        assert_problem(client.get(listing, headers=auth(someone)), 403)
    assert_problem(client.get(listing), 401)
    for bad in ({"state": "gone"}, {"limit": 0}, {"cursor": "garbage"}):
        assert_problem(client.get(listing, headers=auth(admin), params=bad), 422)
