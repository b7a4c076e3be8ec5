"""Reminders before an event: each exactly once per registration, kind and start time, even
when runs overlap; a moved event gets fresh ones; nobody who left gets any."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, select

from shared.db import unit_of_work
from shared.notifications import reminders
from shared.notifications.models import Notification, ReminderSent
from shared.registrations.models import Registration, RegistrationStatus
from tests.support.factories import bearer, create_event, many_users, new_user, token_for
from tests.support.mailbox import mailed, send_pending_mail

START = datetime.fromisoformat("2031-05-01T18:00:00+02:00")


def _crowd(event_id: str, count: int) -> None:
    """`count` people with confirmed seats, written in bulk (the API path is tested elsewhere)."""
    people = many_users(count)
    with unit_of_work() as session:
        session.execute(
            insert(Registration),
            [
                {
                    "id": uuid.uuid4(),
                    "event_id": uuid.UUID(event_id),
                    "user_id": person,
                    "status": RegistrationStatus.confirmed,
                }
                for person in people
            ],
        )


def _reminders() -> list[tuple[uuid.UUID | None, str]]:
    with unit_of_work() as session:
        rows = session.scalars(select(Notification).where(Notification.kind == "event_reminder"))
        return [(row.user_id, row.payload["reminder"]) for row in rows]


def test_two_overlapping_runs_remind_5000_people_exactly_once(client):
    event = create_event(client, bearer(client, "organizer"), title="Big conference")
    _crowd(event["id"], 5000)
    day_before = START - timedelta(hours=23)
    results: list[int] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        barrier.wait()
        results.append(reminders.run(day_before))

    runs = [threading.Thread(target=run) for _ in range(2)]
    for thread in runs:
        thread.start()
    for thread in runs:
        thread.join(300)
    assert sum(results) == 5000
    sent = _reminders()
    assert len(sent) == 5000
    assert len({user_id for user_id, _ in sent}) == 5000
    assert {kind for _, kind in sent} == {"24h"}
    assert reminders.run(day_before) == 0  # a retried run: nothing again

    hour_before = START - timedelta(minutes=50)
    assert reminders.run(hour_before) == 5000
    assert sorted(kind for _, kind in _reminders()).count("1h") == 5000
    with unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(ReminderSent)) == 10_000
        unlinked = select(func.count()).where(ReminderSent.notification_id.is_(None))
        assert session.scalar(unlinked) == 0


def test_settings_cancellations_moves_and_late_registrations(client, outbox_dir):
    owner = bearer(client, "organizer")
    event = create_event(
        client, owner, title="Workshop", venue={"name": "Hall 2", "address": "Main St 1"}
    )
    path = f"/api/v1/events/{event['id']}"
    keen, leaving, hour_only, quiet = (new_user() for _ in range(4))
    for person in (keen, leaving, hour_only, quiet):
        headers = {"Authorization": f"Bearer {token_for(person)}"}
        assert client.post(f"{path}/registrations", headers=headers).status_code == 201
    settings = "/api/v1/me/notification-settings"
    client.put(
        settings,
        headers={"Authorization": f"Bearer {token_for(hour_only)}"},
        json={"email": True, "push": False, "reminders": ["1h"]},
    )
    client.put(
        settings,
        headers={"Authorization": f"Bearer {token_for(quiet)}"},
        json={"email": False, "push": False, "reminders": ["24h", "1h"]},
    )
    client.delete(
        f"{path}/registrations/me", headers={"Authorization": f"Bearer {token_for(leaving)}"}
    )
    assert reminders.run(START - timedelta(hours=25)) == 0  # not yet
    assert reminders.run(START - timedelta(hours=20)) == 2
    assert sorted(_reminders()) == sorted([(keen.id, "24h"), (quiet.id, "24h")])
    send_pending_mail()
    [(to, subject, text)] = [m for m in mailed(outbox_dir) if m[1].startswith("Reminder")]
    assert (to, subject) == (keen.email, "Reminder: Workshop")
    assert "2031-05-01 16:00 UTC" in text
    assert "Where: Hall 2, Main St 1" in text

    # Moved by two days: the reminders are due again, for the new time.
    moved = client.patch(
        path,
        headers=owner,
        json={"starts_at": "2031-05-03T18:00:00+02:00", "ends_at": "2031-05-03T21:00:00+02:00"},
    )
    assert moved.status_code == 200
    new_start = START + timedelta(days=2)
    assert reminders.run(START - timedelta(minutes=30)) == 0  # the old time means nothing
    assert reminders.run(new_start - timedelta(hours=20)) == 2

    # A latecomer 30 minutes before the start: both reminders are due, only the nearest goes.
    late = new_user()
    client.post(f"{path}/registrations", headers={"Authorization": f"Bearer {token_for(late)}"})
    assert reminders.run(new_start - timedelta(minutes=30)) == 4  # keen, quiet, hour_only, late
    assert [kind for user_id, kind in _reminders() if user_id == late.id] == ["1h"]
    with unit_of_work() as session:
        kinds = session.execute(
            select(ReminderSent.kind, ReminderSent.notification_id.is_not(None))
            .join(Registration, Registration.id == ReminderSent.registration_id)
            .where(Registration.user_id == late.id)
            .order_by(ReminderSent.kind)
        ).all()
    assert kinds == [("1h", True), ("24h", False)]  # 24h recorded as covered by the 1h one
    assert reminders.run(new_start + timedelta(minutes=1)) == 0  # started: nothing more

    # Once cancelled, nothing more is sent for the event.
    with unit_of_work() as session:
        session.execute(delete(ReminderSent))  # forget what was sent
    client.post(f"{path}/cancel", headers=owner)
    assert reminders.run(new_start - timedelta(minutes=30)) == 0


def test_a_page_never_splits_the_reminders_of_one_registration(client, monkeypatch):
    """Both reminders due at once: only the nearer is sent, whatever the page size."""
    from shared import process_state

    monkeypatch.setenv("MAIL_BATCH_SIZE", "3")
    process_state.reset()
    event = create_event(client, bearer(client, "organizer"), title="Late crowd")
    _crowd(event["id"], 7)
    assert reminders.run(START - timedelta(minutes=30)) == 7
    assert sorted(kind for _, kind in _reminders()) == ["1h"] * 7
    with unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(ReminderSent)) == 14
