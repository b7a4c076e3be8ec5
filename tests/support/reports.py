"""Asking for reports as a client would, building them as the worker would (the real task,
run in-process), and reading back what the database says they must hold."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import psycopg
from sqlalchemy import select, update

from shared.db import unit_of_work
from shared.registrations.models import Registration
from shared.reports.tasks import build
from shared.users.models import User
from tests.support.api import assert_problem
from tests.support.factories import create_event, new_user, token_for

REPORTS = "/api/v1/reports"


def auth(user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(user)}"}


def ask(client: Any, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    answer = client.post(REPORTS, json=body, headers=headers)
    assert answer.status_code == 202, answer.text
    accepted: dict[str, Any] = answer.json()
    assert accepted["status"] == "pending"
    return accepted


def run_build(report_id: str) -> str:
    """What the worker does with the task: the real task, eagerly."""
    outcome: str = build.apply(args=[report_id]).get()
    return outcome


def state(client: Any, report_id: str, headers: dict[str, str]) -> dict[str, Any]:
    answer = client.get(f"{REPORTS}/{report_id}", headers=headers)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def built_file(client: Any, report_id: str, headers: dict[str, str]) -> bytes:
    """Build, then download through the link GET gives (the local backend's gateway route)."""
    assert run_build(report_id) == "ready"
    ready = state(client, report_id, headers)
    assert ready["status"] == "ready", ready
    download = client.get(ready["download_url"])
    assert download.status_code == 200, download.text
    content: bytes = download.content
    return content


def rename(user: User, full_name: str) -> None:
    with unit_of_work() as session:
        session.execute(update(User).where(User.id == user.id).values(full_name=full_name))


def busy_event(client: Any, owner: dict[str, str]) -> dict[str, Any]:
    """Two seats, four people: one checked in, one left (its seat went to the first waiting),
    one promoted, one still waiting. Two have names a spreadsheet could misread or a font
    could miss."""
    event = create_event(client, owner, capacity=2, timezone="Europe/Berlin")
    people = [new_user() for _ in range(4)]
    rename(people[2], "Анна Иванова")
    rename(people[3], '=HYPERLINK("http://evil.example","x")')
    path = f"/api/v1/events/{event['id']}/registrations"
    joined = []
    for person in people:
        answer = client.post(path, headers=auth(person))
        assert answer.status_code == 201, answer.text
        joined.append(answer.json())
    check_in = client.post(f"{path}/{joined[0]['id']}/check-in", headers=owner)
    assert check_in.status_code == 200, check_in.text
    assert client.delete(f"{path}/me", headers=auth(people[1])).status_code == 204
    return event


def attendance_in_database(event_id: str) -> list[dict[str, Any]]:
    """What an attendance report must list, read straight from the tables."""
    with unit_of_work() as session:
        rows = session.execute(
            select(Registration, User)
            .join(User, User.id == Registration.user_id)
            .where(Registration.event_id == uuid.UUID(event_id))
            .order_by(Registration.queue_seq)
        ).all()
    waiting = [r.id for r, _ in rows if r.status.value == "waitlisted"]
    return [
        {
            "name": person.full_name,
            "email": person.email,
            "status": registration.status.value,
            "registered_at": registration.created_at,
            "checked_in_at": registration.checked_in_at,
            "cancelled_at": registration.cancelled_at,
            "waitlist_position": waiting.index(registration.id) + 1
            if registration.id in waiting
            else None,
        }
        for registration, person in rows
    ]


def same_moment(text: str, moment: datetime | None) -> bool:
    if moment is None:
        return text == ""
    return datetime.fromisoformat(text) == moment.replace(microsecond=0)


def crowd(database_url: str, event_id: str, count: int) -> None:
    """`count` people registered (confirmed) for an event, written by PostgreSQL itself:
    the fastest way to a report of 100,000 rows."""
    with psycopg.connect(database_url) as connection:
        connection.execute(
            """
            WITH people AS (
                INSERT INTO users (id, email, password_hash, full_name, role, email_verified,
                                   is_active, locale, timezone)
                SELECT gen_random_uuid(), 'crowd-' || n || '-' || md5(random()::text)
                       || '@example.org', 'x', 'Person number ' || n, 'participant', true,
                       true, 'en', 'UTC'
                FROM generate_series(1, %(count)s) AS n
                RETURNING id
            )
            INSERT INTO registrations (id, event_id, user_id, status, created_at, updated_at)
            SELECT gen_random_uuid(), %(event)s, id, 'confirmed',
                   now() - random() * interval '20 days', now()
            FROM people
            """,
            {"count": count, "event": event_id},
        )


def refused(client: Any, headers: dict[str, str] | None, status: int, **body: Any) -> dict:
    return assert_problem(client.post(REPORTS, json=body, headers=headers or {}), status)
