"""Reminders handed to the mail backend per second, for 10,000 due registrations.

`python -m bench.reminders [REPEATS]`. One published event starts in 23 hours with 10,000 confirmed
people, so every one of them is due the 24 h reminder. The platform's path is timed whole:
`send_reminder`'s run (the exactly-once records and the notification rows, in batches of
1,000) and then the mail tasks' work (claim, render, compose, hand to SendGrid in requests of
1,000 personalizations, mark sent), done in-process batch by batch as the worker would.

The backend is a SendGrid stand-in on loopback answering 202. The baseline, in the same run,
does the least any reminder sender must: one query for the addresses, the same mails composed
and handed to the same SendGrid client. The ratio is what the platform's guarantees cost
(exactly-once records, a notification row per mail, claims and statuses, rendering in the
reader's language and time zone with a personal unsubscribe link).
"""

from __future__ import annotations

import os
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg

from bench.results import Figure
from shared.security.tokens import generate_private_key_pem

ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE = "eventmgr_bench_reminders"
PEOPLE = 10_000


class SendGrid(BaseHTTPRequestHandler):
    requests = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        type(self).requests += 1
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def start_sendgrid() -> str:
    server = ThreadingHTTPServer(("127.0.0.1", 0), SendGrid)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


def prepare(sendgrid: str) -> None:
    os.environ.update(
        DATABASE_URL=f"postgresql://postgres@127.0.0.1:5432/{DATABASE}",
        SENDGRID_API_KEY="SG.bench-key",
        SENDGRID_API_URL=sendgrid,
        # Mail tasks are run in-process below; what is enqueued waits in a queue of its own.
        CELERY_BROKER_URL="amqp://guest:guest@127.0.0.1:5672//",
        CELERY_QUEUE="eventmgr-bench-reminders",
        JWT_PRIVATE_KEY=generate_private_key_pem(),
        UNSUBSCRIBE_SECRET="bench-unsubscribe-secret",  # noqa: S106 - a throwaway
    )
    with psycopg.connect(ADMIN, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{DATABASE}"')
    from shared.migrations import upgrade

    upgrade(os.environ["DATABASE_URL"])


def seed() -> None:
    from sqlalchemy import insert

    from bench.people import person_row
    from shared.db import unit_of_work
    from shared.events.models import Event
    from shared.events.statuses import EventStatus, Moderation
    from shared.registrations.models import Registration, RegistrationStatus
    from shared.users.models import Role, User

    organizer = person_row(Role.organizer, "Europe/Berlin")
    people = [person_row(Role.participant, "Europe/Berlin") for _ in range(PEOPLE)]
    starts = datetime.now(UTC) + timedelta(hours=23)
    event_id = uuid.uuid4()
    with unit_of_work() as session:
        session.execute(insert(User), [organizer, *people])
        session.execute(
            insert(Event).values(
                id=event_id,
                organizer_id=organizer["id"],
                title="Bench conference",
                description="Reminders for everyone",
                starts_at=starts,
                ends_at=starts + timedelta(hours=8),
                timezone="Europe/Berlin",
                category_slug="conference",
                venue_name="Hall A",
                status=EventStatus.published,
                moderation=Moderation.approved,
                seats_taken=PEOPLE,
            )
        )
        session.execute(
            insert(Registration),
            [
                {
                    "id": uuid.uuid4(),
                    "event_id": event_id,
                    "user_id": p["id"],
                    "status": RegistrationStatus.confirmed,
                }
                for p in people
            ],
        )


def forget() -> None:
    """Back to 10,000 registrations due their reminder: the records and notifications of the
    last run gone."""
    from sqlalchemy import delete

    from shared.db import unit_of_work
    from shared.notifications.models import Notification, ReminderSent

    with unit_of_work() as session:
        session.execute(delete(ReminderSent))
        session.execute(delete(Notification))


def platform() -> tuple[float, float, int]:
    """Seconds for the reminder run, seconds for the mail tasks, mails sent."""
    from sqlalchemy import select

    from shared.db import unit_of_work
    from shared.notifications import reminders
    from shared.notifications.delivery.tasks import deliver_mails
    from shared.notifications.models import Notification

    started = time.perf_counter()
    recorded = reminders.run()
    run_seconds = time.perf_counter() - started
    assert recorded == PEOPLE, recorded
    with unit_of_work() as session:
        ids = list(session.scalars(select(Notification.id).order_by(Notification.created_at)))
    started = time.perf_counter()
    sent = 0
    for start in range(0, len(ids), 1000):
        tally, retry = deliver_mails(ids[start : start + 1000])
        assert not retry
        sent += tally["sent"]
    return run_seconds, time.perf_counter() - started, sent


def baseline() -> float:
    """The least any reminder sender must do, with none of the platform's bookkeeping: read
    the 10,000 addresses in one query, compose the same mails, hand them to the same client."""
    from sqlalchemy import select

    from shared.db import unit_of_work
    from shared.events.models import Event
    from shared.mail import compose, get_mailer
    from shared.registrations.models import Registration
    from shared.users.models import User

    started = time.perf_counter()
    with unit_of_work() as session:
        rows = session.execute(
            select(User.email, Event.title)
            .join(Registration, Registration.user_id == User.id)
            .join(Event, Event.id == Registration.event_id)
        ).all()
    mails = [
        compose(
            sender="Event Manager <no-reply@bench.example>",
            to=email,
            subject=f"Reminder: {title}",
            text=f"A reminder: “{title}” starts tomorrow.\n",
            html=f"<p>A reminder: “{title}” starts tomorrow.</p>",
        )
        for email, title in rows
    ]
    mailer = get_mailer()
    for start in range(0, len(mails), 1000):
        assert not any(mailer.send_many(mails[start : start + 1000]))
    return time.perf_counter() - started


def purge_queue() -> None:
    from shared.celery_app import celery_app

    celery_app().control.purge()


def figures(repeats: int) -> list[Figure]:
    prepare(start_sendgrid())
    seed()
    ours: list[float] = []
    bare: list[float] = []
    try:
        for _ in range(repeats):
            forget()
            run_seconds, mail_seconds, sent = platform()
            assert sent == PEOPLE, sent
            ours.append(sent / (run_seconds + mail_seconds))
            bare.append(PEOPLE / baseline())
    finally:
        purge_queue()
    return [
        Figure(
            name=f"reminders for {PEOPLE:,} due registrations, handed to the mail backend",
            unit="mails/s",
            ours=ours,
            baseline=bare,
            baseline_name="one query, compose, the same SendGrid client",
            goal=">= 0.25x",
            notes="exactly-once records, notification rows, language, time zone, unsubscribe",
        )
    ]


if __name__ == "__main__":
    from bench.results import table

    print(table(figures(int(sys.argv[1]) if len(sys.argv) > 1 else 3)))
