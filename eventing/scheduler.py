"""Runs every declared schedule: at each cron tick, an empty internal `POST /` to the function.

`eventmgr scheduler` in compose, a thread of `eventmgr up` locally; Knative uses PingSources
and OpenFaaS its cron-connector for the same schedules. A slow run does not delay other
schedules; overlapping runs are safe because scheduled jobs claim their rows (SKIP LOCKED).
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx
from croniter import croniter

from eventing.delivery import function_url
from eventing.triggers import Schedule
from shared.kit.internal_token import internal_authorization

logger = logging.getLogger("eventmgr.scheduler")


def invoke_over_http(function: str, timeout: float = 300) -> int:
    """One scheduled run now; the function's answer status."""
    headers = internal_authorization()
    response = httpx.post(function_url(function), content=b"", headers=headers, timeout=timeout)
    return response.status_code


class Scheduler:
    def __init__(self, schedules: list[Schedule]) -> None:
        self.schedules = schedules
        self.stopping = threading.Event()
        self.pool = ThreadPoolExecutor(max(1, len(schedules)), thread_name_prefix="scheduled")
        self.thread = threading.Thread(target=self.run, name="scheduler", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(5)
        self.pool.shutdown(wait=False, cancel_futures=True)

    def run(self) -> None:
        now = datetime.now(UTC)
        upcoming = {s: croniter(s.cron, now).get_next(datetime) for s in self.schedules}
        while upcoming and not self.stopping.is_set():
            schedule, due = min(upcoming.items(), key=lambda item: item[1])
            wait = (due - datetime.now(UTC)).total_seconds()
            if wait > 0 and self.stopping.wait(min(wait, 1.0)):
                return
            if wait > 1.0:
                continue
            self.pool.submit(self._run_one, schedule.function)
            # From now, not from `due`: after a sleep, missed ticks are not replayed in a burst.
            after = max(due, datetime.now(UTC))
            upcoming[schedule] = croniter(schedule.cron, after).get_next(datetime)

    @staticmethod
    def _run_one(function: str) -> None:
        try:
            status = invoke_over_http(function)
        except httpx.HTTPError as error:
            logger.warning(
                "scheduled run failed", extra={"function": function, "error.message": str(error)}
            )
            return
        level = logging.INFO if status < 300 else logging.WARNING
        logger.log(level, "scheduled run", extra={"function": function, "status": status})
