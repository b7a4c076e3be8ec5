"""POST /api/v1/events: who may create, and what is refused."""

from __future__ import annotations

import pytest

from tests.support.api import assert_problem
from tests.support.factories import bearer, event_body


def test_organizer_creates_an_event(client):
    headers = bearer(client, "organizer")
    body = event_body(
        tags=["Python", "  python ", "Data  Science"],
        capacity=50,
        venue={"name": "Hall A", "address": "1 Main St", "lat": 52.5, "lon": 13.4},
        online_url="https://stream.example.org/meetup",
    )
    response = client.post("/api/v1/events", json=body, headers=headers)
    assert response.status_code == 201, response.text
    event = response.json()
    assert event["tags"] == ["data science", "python"]
    assert event["starts_at"] == "2031-05-01T16:00:00Z"
    assert event["timezone"] == "Europe/Berlin"
    assert (event["seats_taken"], event["seats_left"], event["waitlist_count"]) == (0, 50, 0)
    assert event["venue"]["lat"] == 52.5
    assert event["status"] == "published"
    fetched = client.get(f"/api/v1/events/{event['id']}").json()
    assert fetched == event


def test_admin_may_create_and_participant_may_not(client):
    assert (
        client.post(
            "/api/v1/events", json=event_body(), headers=bearer(client, "admin")
        ).status_code
        == 201
    )
    assert_problem(client.post("/api/v1/events", json=event_body(), headers=bearer(client)), 403)
    assert_problem(client.post("/api/v1/events", json=event_body()), 401)


def test_default_status_is_draft(client):
    body = event_body()
    del body["status"]
    response = client.post("/api/v1/events", json=body, headers=bearer(client, "organizer"))
    assert response.json()["status"] == "draft"


@pytest.mark.parametrize(
    "change",
    [
        {"ends_at": "2031-05-01T17:00:00+02:00"},
        {"ends_at": "2031-05-01T18:00:00+02:00"},
        {"timezone": "Mars/Olympus"},
        {"category": "knitting"},
        {"starts_at": "2031-05-01T18:00:00"},
        {"starts_at": "tomorrow"},
        {"starts_at": "9999-12-31T20:00:00-12:00", "ends_at": "9999-12-31T23:00:00-12:00"},
        {"starts_at": "0001-01-01T00:00:00+05:00"},
        {"capacity": 0},
        {"capacity": "many"},
        {"status": "cancelled"},
        {"title": ""},
        {"title": "x" * 201},
        {"tags": ["x"] * 21},
        {"venue": {"name": "Hall"}},
        {"venue": {"name": "Hall", "address": "Street", "lat": 91}},
        {"online_url": "javascript:alert(1)"},
        {"organizer_id": "00000000-0000-0000-0000-000000000000"},
    ],
)
def test_invalid_events_are_422_and_nothing_is_created(client, change):
    headers = bearer(client, "organizer")
    assert_problem(client.post("/api/v1/events", json=event_body(**change), headers=headers), 422)
    assert client.get("/api/v1/events").json()["items"] == []
