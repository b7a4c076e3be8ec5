"""Faults injected into real services — the suite's own instances, never the machine's shared
ones: an embedded PostgreSQL and an embedded Redis (local/embedded.py, as `eventmgr up` runs
them), started once for this module, stopped and started again by the tests; and a mail
provider (the SendGrid stand-in on loopback) answering 500, to the task run in-process and to a
real `eventmgr worker` for a stretch of wall time.
"""

from __future__ import annotations

import os
import secrets
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from local.embedded import EmbeddedPostgres, EmbeddedRedis
from shared import process_state
from shared.cache import get_redis, versioned
from shared.db import unit_of_work
from shared.mail.sendgrid import ATTEMPTS as SENDGRID_ATTEMPTS
from shared.migrations import upgrade
from shared.notifications.delivery.tasks import deliver_mails
from shared.notifications.models import DeliveryStatus, Notification
from tests.support.factories import bearer, create_event, make_user, pending_reminders
from tests.support.services import empty_tables

INTERNAL = {"Authorization": "Bearer internal-test-token"}


@pytest.fixture(scope="module")
def own_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPostgres]:
    server = EmbeddedPostgres(tmp_path_factory.mktemp("faults") / "pg")
    upgrade(server.start())
    yield server
    server.stop()


@pytest.fixture(scope="module")
def own_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[EmbeddedRedis, str]]:
    directory: Path = tmp_path_factory.mktemp("faults-redis")
    server = EmbeddedRedis(directory)
    password = secrets.token_urlsafe(16)
    server.start(password)
    yield server, password
    server.stop()


def start_again(server: EmbeddedPostgres) -> None:
    """pgserver hands back the server it started in this process without looking again."""
    from pgserver import get_server  # type: ignore[attr-defined]

    get_server(server.pgdata, cleanup_mode=None).ensure_postgres_running()


def test_postgresql_restarted_readiness_fails_meanwhile_and_requests_recover(
    client, own_postgres: EmbeddedPostgres, monkeypatch: pytest.MonkeyPatch
):
    empty_tables(own_postgres.uri)
    monkeypatch.setenv("DATABASE_URL", own_postgres.uri)
    process_state.reset()
    owner = bearer(client, "organizer")
    event = create_event(client, owner)
    path = f"/api/v1/events/{event['id']}"
    assert client.get("/readyz").status_code == 200

    own_postgres.stop()
    try:
        assert client.get("/readyz").status_code == 503
        during = client.patch(path, headers=owner, json={"title": "While down"})
        assert during.status_code == 503, during.text
        assert during.headers["content-type"].startswith("application/problem+json")
        assert during.headers["retry-after"]
    finally:
        start_again(own_postgres)

    # The same process, no restart: the pool's dead connections are replaced.
    assert client.get("/readyz").status_code == 200
    changed = client.patch(path, headers=owner, json={"title": "After the restart"})
    assert changed.status_code == 200, changed.text
    assert client.get(path).json()["title"] == "After the restart"


def test_redis_down_reads_and_writes_bypass_the_cache_and_it_comes_back_without_a_restart(
    client, own_redis: tuple[EmbeddedRedis, str], monkeypatch: pytest.MonkeyPatch
):
    server, password = own_redis
    port = server.port
    monkeypatch.setenv("REDIS_URL", f"redis://:{password}@127.0.0.1:{port}/0")
    process_state.reset()
    redis_client = get_redis()
    assert redis_client is not None
    redis_client.flushdb()
    owner = bearer(client, "organizer")
    event = create_event(client, owner)
    path = f"/api/v1/events/{event['id']}"
    assert client.get(path).json()["title"] == "Python meetup"
    assert redis_client.keys(f"cache:event:{event['id']}*")  # served from the cache

    server.stop()
    try:
        assert client.get(path).json()["title"] == "Python meetup"
        renamed = client.patch(path, headers=owner, json={"title": "While Redis was down"})
        assert renamed.status_code == 200
        assert client.get(path).json()["title"] == "While Redis was down"
        assert client.get("/api/v1/events").status_code == 200
        assert client.get("/readyz").status_code == 200  # Redis never takes us out of service
        # Guessing stays bounded: counted in this process while Redis is away.
        email = make_user()
        codes = [
            client.post(
                "/api/v1/auth/login", json={"email": email, "password": "wrong password"}
            ).status_code
            for _ in range(6)
        ]
        assert codes == [401] * 5 + [429]
    finally:
        server.start(password)  # on the same port

    # Back without restarting anything: after the short pause the cache is used again, and the
    # change made meanwhile is not hidden by the page Redis kept (the sweep makes the bump).
    time.sleep(versioned._PAUSE_SECONDS + 0.5)
    assert client.post("/function/sweep_tasks/", headers=INTERNAL).status_code < 300
    assert client.get(path).json()["title"] == "While Redis was down"
    deadline = time.monotonic() + 10
    while not redis_client.keys(f"cache:event:{event['id']}*") and time.monotonic() < deadline:
        client.get(path)
        time.sleep(0.2)
    assert redis_client.keys(f"cache:event:{event['id']}*")


def test_mail_provider_answering_500_mails_are_retried_none_lost_none_doubled(sendgrid):
    ids = pending_reminders(40)
    with unit_of_work() as session:
        addresses = set(session.scalars(select(Notification.recipient)).all())
    # Every quick retry of two task runs answered 500: the rows wait, none is given up.
    for _ in range(2):
        sendgrid.answers = [500] * SENDGRID_ATTEMPTS
        tally, retry = deliver_mails(ids)
        assert (tally["sent"], tally["failed"], len(retry)) == (0, 0, 40)
        ids = [row.id for row in retry]
    with unit_of_work() as session:
        rows = session.scalars(select(Notification)).all()
        assert {row.email_status for row in rows} == {DeliveryStatus.pending}
        assert {row.attempts for row in rows} == {2}
    # The provider is back: the task's next retry sends each mail, and only once.
    tally, retry = deliver_mails(ids)
    assert (tally["sent"], retry) == (40, [])
    assert deliver_mails(ids) == ({"sent": 0, "failed": 0, "skipped": 0}, [])
    recipients = [
        personal["to"][0]["email"]
        for request in sendgrid.received
        if request["status"] == 202
        for personal in request["body"]["personalizations"]
    ]
    assert len(addresses) == 40
    assert sorted(recipients) == sorted(addresses)  # each once


# `make test` proves it with a short outage (one task retry, half a minute); `make soak` runs it
# with the full minute (MAIL_OUTAGE_SECONDS=60: two task retries, about two minutes).
MAIL_OUTAGE_SECONDS = float(os.environ.get("MAIL_OUTAGE_SECONDS", "10"))


def test_mail_provider_down_for_a_while_a_real_worker_retries_and_sends_each_mail_once(
    sendgrid, worker
):
    worker()
    sendgrid.down_for = MAIL_OUTAGE_SECONDS  # from the first request on
    ids = pending_reminders(20)  # enqueued at commit, on the settings a deployment gets

    def statuses() -> Counter[DeliveryStatus]:
        with unit_of_work() as session:
            return Counter(session.scalars(select(Notification.email_status)).all())

    # The task's own backoff (30 s, then 60 s) decides when; this waits for all of it.
    deadline = MAIL_OUTAGE_SECONDS + 150
    started = time.monotonic()
    while statuses() != {DeliveryStatus.sent: 20}:
        assert time.monotonic() - started < deadline, statuses()
        assert DeliveryStatus.failed not in statuses()
        time.sleep(0.5)
    time.sleep(2)  # a duplicate would have come by now
    refused = [r for r in sendgrid.received if r["status"] == 500]
    taken = [r for r in sendgrid.received if r["status"] == 202]
    assert refused  # the worker did meet the outage
    assert sendgrid.down_until is not None
    outage_ends = datetime.now(UTC) - timedelta(seconds=time.monotonic() - sendgrid.down_until)
    recipients = Counter(p["to"][0]["email"] for r in taken for p in r["body"]["personalizations"])
    with unit_of_work() as session:
        rows = session.scalars(select(Notification).where(Notification.id.in_(ids))).all()
    assert recipients == Counter(row.recipient for row in rows)  # each once
    assert all(row.sent_at is not None and row.sent_at >= outage_ends for row in rows)
    assert min(row.attempts for row in rows) >= 2  # a task retry, not only the mailer's own
