"""GET /api/v1/events/{id}/me: what the shared, cached event page cannot say — the caller's own
registration and part in organizing the event — and the event page staying the same for all."""

from __future__ import annotations

import uuid

from tests.support.api import assert_problem
from tests.support.factories import auth, create_event, join, new_user


def place(client, event_id, headers):
    answer = client.get(f"/api/v1/events/{event_id}/me", headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_each_person_learns_their_own_registration_and_part(client):
    organizer = new_user("organizer")
    owner = auth(organizer)
    event = create_event(client, owner, capacity=1)
    helper, steward, first, second = new_user("organizer"), new_user(), new_user(), new_user()
    for person, role in ((helper, "co_organizer"), (steward, "steward")):
        added = client.post(
            f"/api/v1/events/{event['id']}/team",
            headers=owner,
            json={"email": person.email, "role": role},
        )
        assert added.status_code == 201, added.text
    seat = join(client, event["id"], first)
    join(client, event["id"], second)  # waitlisted: one seat

    assert place(client, event["id"], owner) == {"registration": None, "viewer_role": "owner"}
    assert place(client, event["id"], auth(helper))["viewer_role"] == "co_organizer"
    assert place(client, event["id"], auth(steward))["viewer_role"] == "steward"
    admin = auth(new_user("admin"))
    assert place(client, event["id"], admin) == {"registration": None, "viewer_role": None}
    mine = place(client, event["id"], auth(first))
    assert mine["viewer_role"] is None
    assert mine["registration"]["id"] == seat["id"]
    assert mine["registration"]["status"] == "confirmed"
    waiting = place(client, event["id"], auth(second))["registration"]
    assert (waiting["status"], waiting["waitlist_position"]) == ("waitlisted", 1)
    # Left: no active registration any more.
    left = client.delete(f"/api/v1/events/{event['id']}/registrations/me", headers=auth(first))
    assert left.status_code == 204, left.text
    assert place(client, event["id"], auth(first))["registration"] is None

    # The event page is one body for everyone: nobody's part is in it.
    pages = {
        client.get(f"/api/v1/events/{event['id']}", headers=h).text
        for h in ({}, owner, auth(helper), auth(second))
    }
    assert len(pages) == 1
    assert "viewer_role" not in pages.pop()


def test_strangers_and_bad_input(client):
    owner = auth(new_user("organizer"))
    draft = create_event(client, owner, status="draft")
    assert_problem(client.get(f"/api/v1/events/{draft['id']}/me"), 401)
    # A draft does not exist for someone who may not see it; for its owner it does.
    assert_problem(client.get(f"/api/v1/events/{draft['id']}/me", headers=auth(new_user())), 404)
    assert place(client, draft["id"], owner)["viewer_role"] == "owner"
    assert_problem(client.get(f"/api/v1/events/{uuid.uuid4()}/me", headers=owner), 404)
    assert_problem(client.get("/api/v1/events/not-an-id/me", headers=owner), 422)
