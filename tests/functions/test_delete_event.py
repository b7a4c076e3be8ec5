"""Deleting an event: who may, what goes with it, what the CloudEvent carries."""

from __future__ import annotations

from sqlalchemy import func, select

from shared.db import unit_of_work
from shared.registrations.models import Registration
from tests.support.api import assert_problem
from tests.support.factories import bearer, create_event, new_user, token_for
from tests.support.outbox import emitted


def test_owner_deletes_and_registered_people_travel_in_the_cloudevent(client):
    owner = bearer(client, "organizer")
    event = create_event(client, owner, capacity=1, tags=["python"])
    path = f"/api/v1/events/{event['id']}"
    seated, waiting = new_user(), new_user()
    for person in (seated, waiting):
        client.post(
            f"{path}/registrations", headers={"Authorization": f"Bearer {token_for(person)}"}
        )
    client.post(f"{path}/reports-abuse", headers=bearer(client), json={"reason": "spam"})
    assert client.get(path).status_code == 200  # cached now
    assert client.delete(path, headers=owner).status_code == 204
    assert_problem(client.get(path), 404)  # not served from the cache
    assert client.get("/api/v1/events").json()["items"] == []
    assert_problem(client.delete(path, headers=owner), 404)
    (deleted,) = emitted("event.deleted")
    assert deleted["title"] == event["title"]
    assert deleted["status"] == "published"
    assert [(r["user_id"], r["status"]) for r in deleted["registrations"]] == [
        (str(seated.id), "confirmed"),
        (str(waiting.id), "waitlisted"),
    ]
    with unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Registration)) == 0


def test_who_may_delete(client):
    owner = bearer(client, "organizer")
    event = create_event(client, owner)
    draft = create_event(client, owner, status="draft")
    assert_problem(client.delete(f"/api/v1/events/{event['id']}"), 401)
    assert_problem(client.delete(f"/api/v1/events/{event['id']}", headers=bearer(client)), 403)
    other = bearer(client, "organizer")
    assert_problem(client.delete(f"/api/v1/events/{event['id']}", headers=other), 403)
    assert_problem(client.delete(f"/api/v1/events/{draft['id']}", headers=other), 404)
    admin = bearer(client, "admin")
    assert client.delete(f"/api/v1/events/{draft['id']}", headers=admin).status_code == 204
    (deleted,) = emitted("event.deleted")
    assert deleted["registrations"] == []
