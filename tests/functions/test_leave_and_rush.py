"""Leaving frees a seat for the first person waiting; a rush of 200 never overbooks."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.support.api import assert_problem
from tests.support.factories import bearer, create_event, new_user, token_for


def test_leaving_promotes_the_first_waiting_and_may_come_back(client):
    event = create_event(client, bearer(client, "organizer"), capacity=1)
    path = f"/api/v1/events/{event['id']}/registrations"
    first, second, third = bearer(client), bearer(client), bearer(client)
    assert client.post(path, headers=first).json()["status"] == "confirmed"
    assert client.post(path, headers=second).json()["waitlist_position"] == 1
    assert client.post(path, headers=third).json()["waitlist_position"] == 2
    assert client.delete(f"{path}/me", headers=first).status_code == 204
    promoted = client.post(path, headers=second).json()  # already active: 200, as it is now
    assert promoted["status"] == "confirmed"
    assert client.post(path, headers=third).json()["waitlist_position"] == 1
    assert_problem(client.delete(f"{path}/me", headers=first), 404)  # nothing active to leave
    back = client.post(path, headers=first)
    assert back.status_code == 201  # a new registration, at the end of the queue
    assert back.json()["waitlist_position"] == 2
    mine = client.get("/api/v1/me/registrations", headers=first).json()
    assert [r["status"] for r in mine["items"]] == ["waitlisted", "cancelled"]
    assert mine["items"][0]["event"]["id"] == event["id"]
    assert mine["next_cursor"] is None
    page = client.get("/api/v1/me/registrations?limit=1", headers=first).json()
    rest = client.get(
        f"/api/v1/me/registrations?cursor={page['next_cursor']}", headers=first
    ).json()
    assert [r["status"] for r in page["items"] + rest["items"]] == ["waitlisted", "cancelled"]
    assert_problem(client.delete(f"{path}/me"), 401)
    assert_problem(
        client.delete(
            "/api/v1/events/00000000-0000-0000-0000-000000000000/registrations/me", headers=first
        ),
        404,
    )


def test_rush_of_200_on_20_seats_then_5_cancellations_promote_in_order(live_url, client):
    event = create_event(client, bearer(client, "organizer"), capacity=20)
    path = f"{live_url}/api/v1/events/{event['id']}/registrations"
    tokens = [token_for(new_user()) for _ in range(200)]

    def join(token: str) -> dict:
        response = httpx.post(path, headers={"Authorization": f"Bearer {token}"}, timeout=120)
        assert response.status_code == 201, response.text
        return {**response.json(), "token": token}

    with ThreadPoolExecutor(200) as pool:
        results = list(pool.map(join, tokens))
    confirmed = [r for r in results if r["status"] == "confirmed"]
    waiting = sorted(
        (r for r in results if r["status"] == "waitlisted"), key=lambda r: r["waitlist_position"]
    )
    assert len(confirmed) == 20
    assert [r["waitlist_position"] for r in waiting] == list(range(1, 181))
    for leaver in confirmed[:5]:
        gone = httpx.delete(f"{path}/me", headers={"Authorization": f"Bearer {leaver['token']}"})
        assert gone.status_code == 204
    for now_in in waiting[:5]:
        me = httpx.post(path, headers={"Authorization": f"Bearer {now_in['token']}"}).json()
        assert me["status"] == "confirmed"
    sixth = httpx.post(path, headers={"Authorization": f"Bearer {waiting[5]['token']}"}).json()
    assert sixth["waitlist_position"] == 1
    page = httpx.get(f"{live_url}/api/v1/events/{event['id']}").json()
    assert (page["seats_taken"], page["waitlist_count"]) == (20, 175)
