"""Interleavings the rush cannot reach on demand, played step by step with two real
PostgreSQL transactions."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from shared.catalog import RegistrationCreated
from shared.db import unit_of_work
from shared.errors import Unauthenticated
from shared.events.models import Event
from shared.events.service import visible_event
from shared.organizing.changes import delete_event
from shared.registrations import repository
from shared.registrations.models import Registration, RegistrationStatus
from shared.registrations.service import cancel, join
from tests.support.api import assert_problem
from tests.support.factories import bearer, create_event, new_user, token_for


def test_a_stale_event_in_the_session_is_read_again_under_the_lock(client):
    event = create_event(client, bearer(client, "organizer"), capacity=3)
    event_id = uuid.UUID(event["id"])
    leaver, second, third, late = new_user(), new_user(), new_user(), new_user()
    for person in (leaver, second, third):
        with unit_of_work() as session:
            join(session, event_id, person.id, is_admin=False)
    with unit_of_work() as leaving:
        seen = visible_event(leaving, event_id, leaver.id, False)  # loaded, kept, not locked
        assert seen.seats_taken == 3
        registration = repository.active_for(leaving, event_id, leaver.id)
        assert registration is not None
        with unit_of_work() as other:  # meanwhile someone joins the waitlist
            join(other, event_id, late.id, is_admin=False)
        cancel(leaving, registration, by_user_id=leaver.id)
    with unit_of_work() as session:
        row = session.get(Event, event_id)
        assert row is not None
        confirmed = session.scalar(
            select(func.count()).where(
                Registration.event_id == event_id,
                Registration.status == RegistrationStatus.confirmed,
            )
        )
        assert (row.seats_taken, row.waitlist_count, confirmed) == (3, 0, 3)


def test_leaving_an_event_deleted_meanwhile_is_not_an_error(client):
    owner = new_user("organizer")
    event = create_event(client, {"Authorization": f"Bearer {token_for(owner)}"})
    event_id = uuid.UUID(event["id"])
    person = new_user()
    with unit_of_work() as session:
        join(session, event_id, person.id, is_admin=False)
    with unit_of_work() as leaving:
        registration = repository.active_for(leaving, event_id, person.id)
        assert registration is not None
        with unit_of_work() as other:
            delete_event(other, event_id, owner.id, False)
        cancel(leaving, registration, by_user_id=person.id)  # nothing left to cancel


def test_a_registered_person_may_leave_a_hidden_event(client):
    admin = bearer(client, "admin")
    event = create_event(client, bearer(client, "organizer"), capacity=1)
    path = f"/api/v1/events/{event['id']}"
    person, waiting = bearer(client), bearer(client)
    client.post(f"{path}/registrations", headers=person)
    client.post(f"{path}/registrations", headers=waiting)
    hidden = client.post(
        f"/api/v1/admin/events/{event['id']}/moderation", headers=admin, json={"action": "hide"}
    )
    assert hidden.status_code == 200
    assert client.delete(f"{path}/registrations/me", headers=person).status_code == 204
    assert_problem(client.delete(f"{path}/registrations/me", headers=bearer(client)), 404)


def test_no_one_is_promoted_into_a_cancelled_event(client):
    owner = bearer(client, "organizer")
    event = create_event(client, owner, capacity=1)
    path = f"/api/v1/events/{event['id']}/registrations"
    seated = client.post(path, headers=bearer(client)).json()
    waiting = client.post(path, headers=bearer(client)).json()
    client.post(f"/api/v1/events/{event['id']}/cancel", headers=owner)
    assert client.delete(f"{path}/{seated['id']}", headers=owner).status_code == 204
    statuses = {p["id"]: p["status"] for p in client.get(path, headers=owner).json()["items"]}
    assert statuses[waiting["id"]] == "waitlisted"


def test_a_join_in_one_statement_waits_for_an_account_closing_and_takes_nothing(client):
    """The common join commits by itself in one statement (`join_at_once`), after reading the
    person without holding a lock: an account deleted or blocked between that read and the
    statement must finish first, and then the statement takes no seat. A closed account
    holding a seat would keep it from everyone on the waitlist."""
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import update

    from shared.outbox.writer import new_row
    from shared.registrations.service import join_at_once
    from shared.users.models import User

    event = create_event(client, bearer(client, "organizer"), capacity=3)
    event_id = uuid.UUID(event["id"])
    person = new_user()

    def take_now() -> object:
        cloudevent = new_row(
            RegistrationCreated(
                registration_id=uuid.uuid4(), event_id=event_id, user_id=person.id, status="?"
            )
        )
        with unit_of_work(autocommit=True) as session:
            return repository.take_place(
                session,
                uuid.uuid4(),
                event_id,
                person.id,
                public_only=True,
                cloudevent=cloudevent,
            )

    with ThreadPoolExecutor(1) as pool, unit_of_work() as closing:
        # What deleting or blocking an account does first: lock the person, deactivate.
        closing.get(User, person.id, with_for_update=True)
        closing.execute(update(User).where(User.id == person.id).values(is_active=False))
        taking = pool.submit(take_now)
        with pytest.raises(TimeoutError):
            taking.result(timeout=1)  # waiting for the account's lock
    assert taking.result(timeout=10) is None
    with unit_of_work() as session:
        assert repository.active_for(session, event_id, person.id) is None
        row = session.get(Event, event_id)
        assert row is not None
        assert row.seats_taken == 0
    with unit_of_work(autocommit=True) as session:
        assert join_at_once(session, event_id, person.id, is_admin=False) is None
    # In a transaction of its own the join then says why.
    with pytest.raises(Unauthenticated), unit_of_work() as session:
        join(session, event_id, person.id, is_admin=False)
