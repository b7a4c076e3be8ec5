"""The database helpers of the catalog's cache misses: bounded reads on threads, and reads that
are one statement without a transaction."""

from __future__ import annotations

import asyncio
import threading
import time

from sqlalchemy import text

from shared import process_state
from shared.db import read_on_thread, single_statement


def test_reads_on_threads_run_at_most_the_pools_size_at_once(db_url, monkeypatch):
    monkeypatch.setenv("DB_POOL_SIZE", "2")
    process_state.reset()
    running = 0
    most = 0
    lock = threading.Lock()

    def read(number: int) -> int:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        with single_statement() as connection:
            connection.execute(text("SELECT pg_sleep(0.05)"))
        with lock:
            running -= 1
        return number

    async def burst() -> list[int]:
        return list(await asyncio.gather(*(read_on_thread(read, n) for n in range(8))))

    assert asyncio.run(burst()) == list(range(8))
    assert most == 2


def test_a_single_statement_read_holds_no_transaction_between_statements(db_url):
    """Each statement is its own snapshot: a second one sees the clock move (in a transaction,
    `now()` would stay at its start)."""
    with single_statement() as connection:
        first = connection.execute(text("SELECT now()")).scalar_one()
        time.sleep(0.01)
        second = connection.execute(text("SELECT now()")).scalar_one()
    assert second > first
