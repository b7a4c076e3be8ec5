"""A part of `eventmgr up` that dies is started again, and one that keeps dying is given up on
with its reason (the runner then stops). The worker's case runs under a real runner in
`test_runner_rabbitmq.py`; here a real scheduler whose thread dies on a bad schedule."""

from __future__ import annotations

import itertools
import time

import pytest

from eventing.scheduler import Scheduler
from eventing.triggers import Schedule
from local.supervision import MAX_DEATHS, Supervisor, ThreadService


# Each death is the thread's exception, which pytest reports as unhandled: here it is the point.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_thread_that_keeps_dying_is_restarted_with_backoff_then_given_up_on():
    given_up: list[str] = []
    starts: list[float] = []

    def scheduler() -> Scheduler:
        starts.append(time.monotonic())
        return Scheduler([Schedule("relay_outbox", "not a cron")])

    supervisor = Supervisor(on_give_up=given_up.append, interval=0.05)
    supervisor.add(ThreadService("scheduler", scheduler))
    supervisor.start()
    try:
        seen: set[str] = set()
        deadline = time.monotonic() + 60
        while not given_up and time.monotonic() < deadline:
            seen.add(supervisor.states()["scheduler"])
            time.sleep(0.02)
    finally:
        supervisor.stop()
    why = "CroniterBadCronError: Exactly 5, 6 or 7 columns"
    assert any(state.startswith(f"down: {why}") and "restarting in 1 s" in state for state in seen)
    assert len(given_up) == 1
    assert given_up[0].startswith(f"the scheduler keeps dying ({MAX_DEATHS} times within 120 s")
    assert why in given_up[0]
    # Started once and again after each death but the last, waiting 1, 2, 4, 8 s between.
    assert len(starts) == MAX_DEATHS
    waits = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert [round(wait) for wait in waits] == [1, 2, 4, 8]
    assert supervisor.states()["scheduler"].startswith("down: ")
