"""The organizer's tools: list participants with filters, check in, remove (which promotes)."""

from __future__ import annotations

from tests.support.api import assert_problem
from tests.support.factories import bearer, create_event, new_user, token_for
from tests.support.outbox import emitted


def test_list_filter_and_page_participants(client):
    owner = bearer(client, "organizer")
    event = create_event(client, owner, capacity=2)
    path = f"/api/v1/events/{event['id']}/registrations"
    people = [new_user() for _ in range(4)]
    for person in people:
        client.post(path, headers={"Authorization": f"Bearer {token_for(person)}"})
    everyone = client.get(path, headers=owner).json()
    assert [p["email"] for p in everyone["items"]] == [p.email for p in people]
    assert [p["status"] for p in everyone["items"]] == [
        "confirmed",
        "confirmed",
        "waitlisted",
        "waitlisted",
    ]
    assert [p["waitlist_position"] for p in everyone["items"]] == [None, None, 1, 2]
    assert everyone["items"][0]["full_name"] == "Test participant"
    waiting = client.get(f"{path}?status=waitlisted", headers=owner).json()["items"]
    assert [p["user_id"] for p in waiting] == [str(p.id) for p in people[2:]]
    found = client.get(f"{path}?q={people[3].email.upper()}", headers=owner).json()["items"]
    assert [p["user_id"] for p in found] == [str(people[3].id)]
    assert client.get(f"{path}?q=%25", headers=owner).json()["items"] == []  # literal, no wildcard
    first = client.get(f"{path}?limit=3", headers=owner).json()
    rest = client.get(f"{path}?limit=3&cursor={first['next_cursor']}", headers=owner).json()
    assert [p["id"] for p in first["items"] + rest["items"]] == [p["id"] for p in everyone["items"]]
    assert rest["next_cursor"] is None
    assert_problem(client.get(f"{path}?status=maybe", headers=owner), 422)
    assert_problem(client.get(f"{path}?cursor=forged", headers=owner), 422)


def test_only_owner_and_admin(client):
    owner = bearer(client, "organizer")
    event = create_event(client, owner)
    path = f"/api/v1/events/{event['id']}/registrations"
    joined = client.post(path, headers=bearer(client)).json()
    assert_problem(client.get(path), 401)
    assert_problem(client.get(path, headers=bearer(client)), 403)
    assert_problem(client.get(path, headers=bearer(client, "organizer")), 403)
    assert client.get(path, headers=bearer(client, "admin")).status_code == 200
    other = bearer(client)
    assert_problem(client.post(f"{path}/{joined['id']}/check-in", headers=other), 403)
    assert_problem(client.delete(f"{path}/{joined['id']}", headers=other), 403)
    draft = create_event(client, owner, status="draft")
    hidden_path = f"/api/v1/events/{draft['id']}/registrations"
    assert_problem(client.get(hidden_path, headers=other), 404)  # invisible: not 403


def test_check_in(client):
    owner = bearer(client, "organizer")
    event = create_event(client, owner, capacity=1)
    path = f"/api/v1/events/{event['id']}/registrations"
    seated = client.post(path, headers=bearer(client)).json()
    waiting = client.post(path, headers=bearer(client)).json()
    checked = client.post(f"{path}/{seated['id']}/check-in", headers=owner)
    assert checked.status_code == 200
    assert checked.json()["status"] == "checked_in"
    assert checked.json()["checked_in_at"]
    again = client.post(f"{path}/{seated['id']}/check-in", headers=owner)
    assert again.json() == checked.json()  # twice: the same answer, announced once
    assert len(emitted("registration.checked_in")) == 1
    assert_problem(client.post(f"{path}/{waiting['id']}/check-in", headers=owner), 409)
    other_event = create_event(client, owner)
    assert_problem(
        client.post(
            f"/api/v1/events/{other_event['id']}/registrations/{seated['id']}/check-in",
            headers=owner,
        ),
        404,
    )
    assert_problem(
        client.post(f"{path}/00000000-0000-0000-0000-000000000000/check-in", headers=owner), 404
    )
    page = client.get(f"/api/v1/events/{event['id']}").json()
    assert page["seats_taken"] == 1  # a checked-in person still holds the seat


def test_removal_frees_the_seat_for_the_first_waiting(client):
    owner = bearer(client, "organizer")
    event = create_event(client, owner, capacity=1)
    path = f"/api/v1/events/{event['id']}/registrations"
    seated = client.post(path, headers=bearer(client)).json()
    first = client.post(path, headers=bearer(client)).json()
    client.post(path, headers=bearer(client))
    assert client.delete(f"{path}/{seated['id']}", headers=owner).status_code == 204
    assert client.delete(f"{path}/{seated['id']}", headers=owner).status_code == 204  # no-op
    rows = {p["id"]: p for p in client.get(path, headers=owner).json()["items"]}
    assert rows[seated["id"]]["status"] == "cancelled"
    assert rows[first["id"]]["status"] == "confirmed"
    assert [e["registration_id"] for e in emitted("registration.promoted")] == [first["id"]]
    cancelled = emitted("registration.cancelled")
    assert [(c["registration_id"], c["by_user_id"]) for c in cancelled] == [
        (seated["id"], client.get("/api/v1/users/me", headers=owner).json()["id"])
    ]


def test_leaving_still_reaches_leave_event_not_removal(client):
    event = create_event(client, bearer(client, "organizer"))
    path = f"/api/v1/events/{event['id']}/registrations"
    me = bearer(client)
    client.post(path, headers=me)
    assert client.delete(f"{path}/me", headers=me).status_code == 204
    assert_problem(client.delete(f"{path}/not-an-id", headers=me), 404)
