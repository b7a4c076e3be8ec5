"""Work handed to Celery is a row first: a lost enqueue is swept up, and runs exactly once."""

from __future__ import annotations

import email
import json
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from email import policy
from pathlib import Path

import pytest
from sqlalchemy import select

from local.embedded import free_port
from shared import process_state
from shared.db import unit_of_work
from shared.notifications.models import DeliveryStatus, Notification
from shared.notifications.service import enqueue, sweep_pending
from tests.support.consumers import wait_until
from tests.support.factories import message_notice
from tests.support.services import rabbitmq_url

RABBITMQ = rabbitmq_url()


@pytest.fixture
def mail_dir(tmp_path, monkeypatch, db_url) -> Path:
    monkeypatch.setenv("EVENTMGR_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TASK_PENDING_TIMEOUT_SECONDS", "1")
    process_state.reset()
    return tmp_path / "outbox"


def sent_mails(mail_dir: Path) -> list[str]:
    return sorted(
        email.message_from_bytes(path.read_bytes(), policy=policy.default)["To"]
        for path in mail_dir.glob("*.eml")
    )


def test_lost_enqueue_is_swept_and_sent_once(mail_dir, worker, monkeypatch):
    # No broker at commit time: the write succeeds, the row waits.
    monkeypatch.setenv("CELERY_BROKER_URL", rabbitmq_url(free_port()))
    process_state.reset()
    started = time.monotonic()
    message_notice("lost@example.org")
    assert time.monotonic() - started < 10
    with unit_of_work() as session:
        [row] = session.scalars(select(Notification)).all()
    assert row.email_status == DeliveryStatus.pending
    # The broker is back, a worker runs; after the timeout the sweep hands the row over again.
    monkeypatch.setenv("CELERY_BROKER_URL", RABBITMQ)
    process_state.reset()
    worker()
    time.sleep(1.1)
    assert sweep_pending() == 1
    wait_until(lambda: sent_mails(mail_dir) == ["lost@example.org"], 30)

    def status() -> DeliveryStatus:
        with unit_of_work() as session:
            return session.scalars(select(Notification)).one().email_status

    # The file is written first, the row marked sent just after: wait for both.
    wait_until(lambda: status() == DeliveryStatus.sent, 10)
    with unit_of_work() as session:
        row = session.scalars(select(Notification)).one()
    # Sent rows are never swept again, and a duplicate task finds nothing to do.
    time.sleep(1.1)
    assert sweep_pending() == 0
    assert enqueue([row.id]) == 1
    time.sleep(2)
    assert sent_mails(mail_dir) == ["lost@example.org"]


def test_mail_is_sent_once_when_enqueued_at_commit_and_keeps_the_trace(
    mail_dir, worker, monkeypatch
):
    from shared import logs

    monkeypatch.setenv("CELERY_BROKER_URL", RABBITMQ)
    process_state.reset()
    worker()
    trace = "5b8aa5a2d2c872e8321cf37308d69df2"
    tokens = (logs.trace_id.set(trace), logs.span_id.set("051581bf3cb55c13"))
    try:
        for i in range(5):
            message_notice(f"p{i}@example.org")
    finally:
        logs.trace_id.reset(tokens[0])
        logs.span_id.reset(tokens[1])
    wait_until(lambda: len(sent_mails(mail_dir)) == 5, 30)
    assert sent_mails(mail_dir) == [f"p{i}@example.org" for i in range(5)]

    # The request's trace went with each task (Celery headers) into the worker's logs.
    def sent_lines() -> list[dict]:
        text = (mail_dir.parent / "worker.log").read_text()
        lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
        return [line for line in lines if line.get("message") == "mail sent"]

    wait_until(lambda: len(sent_lines()) == 5, 10)
    assert {line.get("trace.id") for line in sent_lines()} == {trace}


def test_a_mail_that_cannot_be_prepared_fails_for_good_instead_of_looping(mail_dir):
    from shared.notifications.delivery.tasks import send_email

    # notify() refuses a kind outside the table; a row of a kind since removed (or written by
    # hand) still fails in the worker, once.
    with unit_of_work() as session:
        row = Notification(
            id=uuid.uuid4(),
            kind="no-such-template",
            recipient="x@example.org",
            payload={},
            email_status=DeliveryStatus.pending,
            attempts=0,
            push_attempts=0,
            enqueued_at=datetime.now(UTC),
        )
        session.add(row)
        notification_id = row.id
    assert send_email.apply(args=[str(notification_id)]).get() == "failed"
    with unit_of_work() as session:
        failed = session.get(Notification, notification_id)
        assert failed is not None
        assert failed.email_status == DeliveryStatus.failed
        assert "UnknownKind" in (failed.last_error or "")
    # Neither the task nor the sweep picks it up again.
    assert send_email.apply(args=[str(notification_id)]).get() == "skipped"
    time.sleep(1.1)
    assert sweep_pending() == 0
    assert sent_mails(mail_dir) == []


@pytest.mark.parametrize(
    ("queue", "exchange"),
    [
        ("eventmanager", None),  # the exchange's default: the broker deployment whose mail died
        ("eventmanager.notify", None),  # one of the CloudEvents queues
        ("platform", "platform"),
    ],
)
def test_celery_is_never_named_like_the_cloudevents_exchange(queue, exchange, monkeypatch):
    from pydantic import ValidationError

    from shared.config import get_settings

    monkeypatch.setenv("CELERY_QUEUE", queue)
    if exchange:
        monkeypatch.setenv("RABBITMQ_EXCHANGE", exchange)
    process_state.reset()
    try:
        with pytest.raises(ValidationError, match="collides with the CloudEvents topic exchange"):
            get_settings()
        # A process refuses to start, saying why in one line, before it touches the broker.
        refused = subprocess.run(
            [sys.executable, "-m", "local", "worker"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert refused.returncode == 2
        assert (
            f"invalid setting CELERY_QUEUE: Value error, CELERY_QUEUE={queue!r}" in refused.stderr
        )
        assert "Traceback" not in refused.stderr
    finally:
        process_state.reset()


def test_the_default_names_are_apart():
    from shared.config import Settings

    settings = Settings()
    assert settings.celery_queue == "eventmanager-tasks"
    assert not settings.celery_queue.startswith(settings.rabbitmq_exchange + ".")
    assert settings.celery_queue != settings.rabbitmq_exchange
