"""A bug answers a plain 500 problem that still carries the request's ids, and the one log line
about it can be found by the same trace id."""

from __future__ import annotations

import logging

from sqlalchemy import text
from starlette.testclient import TestClient

from shared.db import get_engine
from shared.kit import Function

broken = Function("broken_for_test", summary="test")


@broken.get("/boom")
def _boom() -> None:
    raise RuntimeError("a bug, with password=hunter2-hunter2 in its message")


@broken.get("/closed-cursor")
def _closed_cursor() -> None:
    # Misusing the driver (a cursor used after it was closed) is our bug, not PostgreSQL away.
    with get_engine().connect() as connection:
        result = connection.execute(text("SELECT 1"))
        result.cursor.close()
        result.fetchall()  # SQLAlchemy wraps the driver's InterfaceError: the cursor is closed


class Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_a_bug_is_a_500_problem_with_its_trace(db_url):
    trace = "0af7651916cd43dd8448eb211c80319c"
    client = TestClient(broken.app(), raise_server_exceptions=False)
    kept = Kept()
    logging.getLogger("eventmgr.errors").addHandler(kept)
    try:
        answer = client.get("/boom", headers={"traceparent": f"00-{trace}-b7ad6b7169203331-01"})
    finally:
        logging.getLogger("eventmgr.errors").removeHandler(kept)
    assert answer.status_code == 500
    assert answer.headers["content-type"] == "application/problem+json"
    assert "hunter2" not in answer.text
    assert answer.headers["traceparent"].startswith(f"00-{trace}-")
    assert answer.headers["x-request-id"]
    errors = [r for r in kept.records if r.getMessage() == "unhandled error"]
    assert len(errors) == 1
    assert getattr(errors[0], "trace.id") == trace
    assert errors[0].function == "broken_for_test"  # type: ignore[attr-defined]


def test_misusing_the_driver_is_a_500_not_a_database_outage(db_url):
    client = TestClient(broken.app(), raise_server_exceptions=False)
    answer = client.get("/closed-cursor")
    assert answer.status_code == 500, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
