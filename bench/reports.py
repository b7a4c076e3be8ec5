"""Building a CSV attendance report of 100,000 rows: time and peak memory, against baselines
measured in the same run.

`python -m bench.reports`. One event with 100,000 registrations in a scratch database. The
platform's path is the report task's whole work, in-process: claim the row, stream the rows
through a server-side cursor into a CSV file, store it (local backend), mark it ready and
write `report.ready`. Baselines, same rows and columns:

- COPY: `COPY (SELECT ...) TO STDOUT (FORMAT csv)` streamed into a file by psycopg, the least
  any CSV export can do (PostgreSQL formats every value itself);
- fetchall: one `fetchall()` and the csv module, the obvious way, which holds every row.

Time is the best of three runs; peak memory is tracemalloc's (Python allocations) in a run of
its own. The XLSX and PDF of the same event are timed once, for scale.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable

import psycopg

DATABASE = "eventmgr_bench_reports"
PEOPLE = 100_000
RUNS = 3
SELECT = """
    SELECT u.full_name, u.email, r.status, r.created_at, r.checked_in_at, r.cancelled_at,
           CASE WHEN r.status = 'waitlisted' THEN row_number() OVER (
               PARTITION BY r.status = 'waitlisted' ORDER BY r.queue_seq) END
    FROM registrations r JOIN users u ON u.id = r.user_id
    WHERE r.event_id = '{event}' ORDER BY r.queue_seq
"""


def platform(event_id: uuid.UUID, report_format: str = "csv") -> int:
    """The report task's work for one new report; answers the bytes written."""
    from bench.report_data import attendance_report
    from shared.db import unit_of_work
    from shared.reports.building import Outcome, build_report
    from shared.reports.models import Report

    report_id = attendance_report(event_id, report_format)
    outcome, _ = build_report(report_id)
    assert outcome is Outcome.ready, outcome
    with unit_of_work() as session:
        report = session.get(Report, report_id)
        assert report is not None
        assert report.row_count == PEOPLE
        return report.size or 0


def copy_baseline(url: str, event_id: uuid.UUID) -> int:
    with tempfile.TemporaryFile() as file, psycopg.connect(url) as connection:
        query = SELECT.format(event=event_id)
        with connection.cursor().copy(f"COPY ({query}) TO STDOUT (FORMAT csv, HEADER)") as copy:
            for chunk in copy:
                file.write(chunk)
        return file.tell()


def fetchall_baseline(url: str, event_id: uuid.UUID) -> int:
    with tempfile.TemporaryFile() as file, psycopg.connect(url) as connection:
        rows = connection.execute(SELECT.format(event=event_id)).fetchall()
        text = io.TextIOWrapper(file, encoding="utf-8-sig", newline="")
        writer = csv.writer(text)
        writer.writerow(["name", "email", "status", "registered", "checked in", "cancelled", "w"])
        writer.writerows(rows)
        text.flush()
        return file.tell()


def best_time(work: Callable[[], int]) -> tuple[float, int]:
    times, size = [], 0
    for _ in range(RUNS):
        started = time.perf_counter()
        size = work()
        times.append(time.perf_counter() - started)
    return min(times), size


def peak_memory(work: Callable[[], int]) -> int:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def mib(size: int) -> str:
    return f"{size / 2**20:.1f} MiB"


def main() -> None:
    from bench.report_data import drop, prepare, seed

    url = prepare(DATABASE)
    try:
        event_id = seed(url, PEOPLE, title="Bench conference", days=60, capacity=80_000)
        # Warm up: PostgreSQL's cache, the imports, the first connection.
        platform(event_id)
        copy_baseline(url, event_id)
        ours, size = best_time(lambda: platform(event_id))
        copied, copy_size = best_time(lambda: copy_baseline(url, event_id))
        fetched, _ = best_time(lambda: fetchall_baseline(url, event_id))
        ours_peak = peak_memory(lambda: platform(event_id))
        fetch_peak = peak_memory(lambda: fetchall_baseline(url, event_id))
        started = time.perf_counter()
        xlsx = platform(event_id, "xlsx")
        xlsx_time = time.perf_counter() - started
        started = time.perf_counter()
        pdf = platform(event_id, "pdf")
        pdf_time = time.perf_counter() - started
    finally:
        drop(DATABASE)
    print(f"CSV of {PEOPLE:,} rows ({mib(size)}; COPY's {mib(copy_size)}), best of {RUNS}:")
    print(f"  platform (report task, stored):  {ours:6.2f} s  {PEOPLE / ours:9,.0f} rows/s")
    print(
        f"  COPY ... TO STDOUT (baseline):   {copied:6.2f} s  platform takes {ours / copied:.1f}x"
    )
    print(
        f"  fetchall + csv (baseline):       {fetched:6.2f} s  platform takes {ours / fetched:.1f}x"
    )
    print(
        f"peak Python memory: platform {mib(ours_peak)}, fetchall {mib(fetch_peak)} "
        f"({fetch_peak / ours_peak:.0f}x more)"
    )
    print(
        f"XLSX of the same rows: {xlsx_time:.1f} s ({mib(xlsx)}); PDF: {pdf_time:.2f} s "
        f"({pdf / 1024:.0f} KiB)"
    )
    print(f"({os.cpu_count()} cores, shared with whatever else runs)")


if __name__ == "__main__":
    main()
