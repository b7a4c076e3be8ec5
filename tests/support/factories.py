"""Helpers that act as an API client would: register, log in, create events; and the few
that write straight through the services, for the scenario tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert

from shared.db import unit_of_work
from shared.events import service as events
from shared.events.schemas import EventCreate
from shared.security.passwords import hash_password
from shared.security.tokens import issue_access_token
from shared.users.models import Role, User

PASSWORD = "correct horse battery staple"
# Hashed once: Argon2id is slow on purpose, and tests create many users.
PASSWORD_HASH = hash_password(PASSWORD)
# When the scenario tests' events start (day 0): far enough ahead to stay in the future.
SCENARIO_START = datetime(2031, 5, 1, 18, tzinfo=UTC)


def new_user(role: str = "participant", *, email: str | None = None) -> User:
    """A user straight in the database, as `eventmgr users create` makes them."""
    user = User(
        email=email or f"{role}-{uuid.uuid4().hex[:8]}@example.org",
        password_hash=PASSWORD_HASH,
        full_name=f"Test {role}",
        role=Role(role),
        email_verified=True,
        is_active=True,
        locale="en",
        timezone="UTC",
    )
    with unit_of_work() as session:
        session.add(user)
    return user


def make_user(role: str = "participant", *, email: str | None = None) -> str:
    return new_user(role, email=email).email


def token_for(user: User) -> str:
    """What POST /auth/login hands out, minted directly (the login tests cover login itself)."""
    return issue_access_token(user.id, user.role.value, uuid.uuid4())[0]


def login(client: Any, email: str, password: str = PASSWORD) -> dict[str, Any]:
    response = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def auth(user: User) -> dict[str, str]:
    """The Authorization header of this person."""
    return {"Authorization": f"Bearer {token_for(user)}"}


def join(client: Any, event_id: str, person: User) -> dict[str, Any]:
    """This person registers for the event (201: a new registration)."""
    response = client.post(f"/api/v1/events/{event_id}/registrations", headers=auth(person))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def checked_in(client: Any, event: dict[str, Any], owner: User) -> User:
    """A new person who joined the event and was checked in at its door by its owner."""
    person = new_user()
    registration = join(client, event["id"], person)
    checked = client.post(
        f"/api/v1/events/{event['id']}/registrations/{registration['id']}/check-in",
        headers=auth(owner),
    )
    assert checked.status_code == 200, checked.text
    return person


def bearer(client: Any, role: str = "participant") -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(new_user(role))}"}


def event_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Python meetup",
        "description": "Talks and pizza",
        "starts_at": "2031-05-01T18:00:00+02:00",
        "ends_at": "2031-05-01T21:00:00+02:00",
        "timezone": "Europe/Berlin",
        "category": "meetup",
        "status": "published",
    }
    body.update(overrides)
    return body


def create_event(client: Any, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    response = client.post("/api/v1/events", json=event_body(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def published_event(
    organizer_id: uuid.UUID, *, day: int = 0, category: str = "meetup", capacity: int | None = None
) -> uuid.UUID:
    """A published three-hour event written through the events service, `day` days after
    SCENARIO_START: the scenario tests act through the services, not over HTTP."""
    starts = SCENARIO_START + timedelta(days=day)
    with unit_of_work() as session:
        return events.create_event(
            session,
            organizer_id,
            EventCreate(
                title="Scenario event",
                description="",
                starts_at=starts,
                ends_at=starts + timedelta(hours=3),
                timezone="UTC",
                category=category,
                capacity=capacity,
                status="published",
            ),
        ).id


def many_users(count: int) -> list[uuid.UUID]:
    """`count` participants written in one statement (for tests of bulk behaviour)."""
    hashed = PASSWORD_HASH
    ids = [uuid.uuid4() for _ in range(count)]
    rows = [
        {
            "id": user_id,
            "email": f"crowd-{uuid.uuid4().hex[:12]}@example.org",
            "password_hash": hashed,
            "full_name": "Crowd",
            "role": Role.participant,
            "email_verified": True,
            "is_active": True,
            "locale": "en",
            "timezone": "UTC",
        }
        for user_id in ids
    ]
    with unit_of_work() as session:
        session.execute(insert(User), rows)
    return ids


def sign_up(client, n: int, **headers) -> None:
    for i in range(n):
        response = client.post(
            "/api/v1/auth/register",
            json={"email": f"u{i}@example.org", "password": "0123456789", "full_name": f"U{i}"},
            headers=headers,
        )
        assert response.status_code == 201


def pending_reminders(count: int) -> list[uuid.UUID]:
    """`count` reminder notices of as many people, written in one transaction, mail pending."""
    from shared.notifications.service import notify

    people = many_users(count)
    with unit_of_work() as session:
        rows = [
            notify(
                session,
                kind="event_reminder",
                recipient=f"{person}@example.org",
                user_id=person,
                payload={
                    "event_id": str(uuid.uuid4()),
                    "title": "Conference",
                    "starts_at": "2031-05-01T16:00:00+00:00",
                    "reminder": "24h",
                    "reader_timezone": "UTC",
                },
            )
            for person in people
        ]
        return [row.id for row in rows]


def message_notice(recipient: str) -> None:
    """A plain message to an address, committed (its mail task enqueued) on its own."""
    from shared.notifications.service import notify

    with unit_of_work() as session:
        notify(
            session,
            kind="message",
            recipient=recipient,
            payload={"subject": "Hello", "text": "Body"},
        )
