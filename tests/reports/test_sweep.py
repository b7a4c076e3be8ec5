"""A report is a row first: a build whose task was lost is handed to a real worker again by
the sweep and built once; one tried too often is failed with a reason; old ones are removed
with their files."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from local.embedded import free_port
from shared import process_state
from shared.db import unit_of_work
from shared.reports.models import MAX_REPORT_ATTEMPTS, Report, ReportStatus
from shared.reports.service import enqueue, sweep
from shared.storage import get_storage
from tests.support.consumers import wait_until
from tests.support.factories import new_user
from tests.support.outbox import emitted
from tests.support.reports import ask, auth, run_build, state
from tests.support.services import rabbitmq_url

RABBITMQ = rabbitmq_url()


@pytest.fixture
def data_dir(tmp_path, monkeypatch, db_url):
    monkeypatch.setenv("EVENTMGR_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TASK_PENDING_TIMEOUT_SECONDS", "1")
    process_state.reset()
    return tmp_path


@pytest.fixture
def owner(data_dir):
    return auth(new_user("organizer"))


@pytest.fixture
def worker(data_dir, worker):
    """The real `eventmgr worker` (tests/support/worker.py), started on the data dir's settings."""
    return worker


def row(report_id: str) -> Report:
    with unit_of_work() as session:
        found = session.get(Report, uuid.UUID(report_id))
        assert found is not None
        return found


def test_a_lost_build_is_swept_and_built_once(client, owner, worker, monkeypatch):
    # No broker when the report is asked for: the answer is still at once, the row waits.
    monkeypatch.setenv("CELERY_BROKER_URL", rabbitmq_url(free_port()))
    process_state.reset()
    started = time.monotonic()
    accepted = ask(client, owner, kind="organizer_summary", format="xlsx")
    assert time.monotonic() - started < 10
    assert row(accepted["id"]).status == ReportStatus.pending
    # The broker is back and a worker runs; after the timeout the sweep hands it over again.
    monkeypatch.setenv("CELERY_BROKER_URL", RABBITMQ)
    process_state.reset()
    worker()
    time.sleep(1.1)
    assert sweep()["requeued"] == 1
    wait_until(lambda: row(accepted["id"]).status == ReportStatus.ready, 60)
    assert client.get(state(client, accepted["id"], owner)["download_url"]).status_code == 200
    # Ready reports are never swept again, and a duplicate task finds nothing to do.
    time.sleep(1.1)
    assert sweep()["requeued"] == 0
    assert enqueue([uuid.UUID(accepted["id"])]) == 1
    time.sleep(3)
    assert row(accepted["id"]).attempts == 1
    assert [e["report_id"] for e in emitted("report.ready")] == [accepted["id"]]


def test_a_build_whose_workers_kept_dying_fails_with_a_reason(client, owner):
    accepted = ask(client, owner, kind="organizer_summary", format="pdf")
    # Its last allowed attempt died holding it: the lease ran out.
    with unit_of_work() as session:
        session.execute(
            update(Report)
            .where(Report.id == uuid.UUID(accepted["id"]))
            .values(
                status=ReportStatus.running,
                attempts=MAX_REPORT_ATTEMPTS,
                claimed_until=datetime.now(UTC) - timedelta(seconds=1),
            )
        )
    assert sweep() == {"requeued": 0, "gave_up": 1, "removed": 0}
    failed = state(client, accepted["id"], owner)
    assert failed["status"] == "failed"
    assert f"{MAX_REPORT_ATTEMPTS} attempts" in failed["error"]
    [told] = emitted("report.failed")
    assert (told["report_id"], told["error"]) == (accepted["id"], failed["error"])
    assert run_build(accepted["id"]) == "nothing"
    assert sweep()["gave_up"] == 0


def test_reports_past_their_retention_are_removed_with_their_files(client, owner):
    old = ask(client, owner, kind="organizer_summary", format="csv")
    recent = ask(client, owner, kind="organizer_summary", format="csv")
    for accepted in (old, recent):
        assert run_build(accepted["id"]) == "ready"
    key = row(old["id"]).object_key
    assert key
    assert get_storage().exists(key)
    with unit_of_work() as session:
        session.execute(
            update(Report)
            .where(Report.id == uuid.UUID(old["id"]))
            .values(created_at=datetime.now(UTC) - timedelta(days=8))
        )
    assert sweep()["removed"] == 1
    assert not get_storage().exists(key)
    assert client.get(f"/api/v1/reports/{old['id']}", headers=owner).status_code == 404
    assert state(client, recent["id"], owner)["status"] == "ready"
