"""The mail task's promises under trouble: one bad mail stops no other, a worker that outlived
its lease cannot overwrite the next one's work, and a retry waits out its backoff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from shared.db import unit_of_work
from shared.notifications.delivery.channels import EMAIL
from shared.notifications.delivery.tasks import deliver_mails
from shared.notifications.models import DeliveryStatus, Notification
from shared.notifications.service import notify, sweep_pending
from tests.support.mailbox import mails


def _messages(recipients: list[str]) -> list[Notification]:
    with unit_of_work() as session:
        return [
            notify(
                session,
                kind="message",
                recipient=recipient,
                payload={"subject": "Line one\nLine two", "text": "Body"},
            )
            for recipient in recipients
        ]


def _status(row: Notification) -> tuple[DeliveryStatus, str | None]:
    with unit_of_work() as session:
        found = session.get(Notification, row.id)
        assert found is not None
        return found.email_status, found.last_error


def test_one_mail_that_cannot_be_made_stops_no_other_and_nothing_goes_twice(outbox_dir):
    # A header injection attempt in the address: that mail can never be made.
    rows = _messages(
        ["ann@example.org", "eve@example.org\nBcc: all@example.org", "bob@example.org"]
    )
    tally, retry = deliver_mails([row.id for row in rows])
    assert (tally["sent"], tally["failed"], retry) == (2, 1, [])
    assert sorted(str(m["To"]) for m in mails(outbox_dir)) == ["ann@example.org", "bob@example.org"]
    assert {str(m["Subject"]) for m in mails(outbox_dir)} == {"Line one Line two"}  # one line
    assert _status(rows[1])[0] == DeliveryStatus.failed
    deliver_mails([row.id for row in rows])  # a retried task
    assert len(mails(outbox_dir)) == 2


def test_a_worker_that_outlived_its_lease_cannot_overwrite_the_next(outbox_dir):
    [row] = _messages(["ann@example.org"])
    [first] = EMAIL.claim([row.id])
    with unit_of_work() as session:  # its lease ran out (the worker hung)
        session.execute(
            update(Notification)
            .where(Notification.id == row.id)
            .values(claimed_until=datetime.now(UTC) - timedelta(seconds=1))
        )
    [second] = EMAIL.claim([row.id])
    assert second.attempts == first.attempts + 1
    EMAIL.finish([second], DeliveryStatus.sent)
    EMAIL.finish([first], DeliveryStatus.failed, "the late worker's view")
    assert _status(row) == (DeliveryStatus.sent, None)


def test_a_lease_is_kept_alive_while_the_worker_sends(outbox_dir, monkeypatch):
    from shared import process_state

    monkeypatch.setenv("NOTIFICATION_LEASE_SECONDS", "0.6")
    process_state.reset()
    [row] = _messages(["ann@example.org"])
    [claimed] = EMAIL.claim([row.id])
    with EMAIL.held([claimed]):
        import time

        time.sleep(1.5)  # longer than the lease: the heartbeat renews it
        with unit_of_work() as session:
            until = session.scalar(select(Notification.claimed_until))
        assert until is not None
        assert until > datetime.now(UTC)
        assert EMAIL.claim([row.id]) == []  # nobody else can take it meanwhile


def test_a_retry_waits_for_its_backoff_before_the_sweep_hands_it_over(outbox_dir, monkeypatch):
    monkeypatch.setenv("TASK_PENDING_TIMEOUT_SECONDS", "1")
    from shared import process_state

    process_state.reset()
    [row] = _messages(["ann@example.org"])
    [claimed] = EMAIL.claim([row.id])
    from shared.notifications.delivery.tasks import _retry_later

    _retry_later(EMAIL, [claimed], "backend busy, retrying")
    with unit_of_work() as session:
        due = session.scalar(select(Notification.enqueued_at))
    assert due is not None
    assert due > datetime.now(UTC) + timedelta(seconds=20)  # 30 s after the first attempt
    import time

    time.sleep(1.2)
    assert sweep_pending() == 0  # not before it is due (plus the timeout)
    assert _status(row) == (DeliveryStatus.pending, "backend busy, retrying")
