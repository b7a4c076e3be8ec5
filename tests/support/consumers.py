"""Three consumer functions declared with the kit, and the side effects they leave in PostgreSQL.

`recorder` always succeeds, `flaky` fails its first three tries of each CloudEvent, `broken`
always answers 500. Each records what it applied in a table of the test database, in the
consumer's own transaction; `ticker` counts its scheduled ticks.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable

from sqlalchemy import text

from shared.catalog import RegistrationCreated, UserRegistered
from shared.db import unit_of_work
from shared.kit import Function

REGISTERED = "org.eventmanager.user.registered"
JOINED = "org.eventmanager.registration.created"

tries: Counter[str] = Counter()
tries_lock = threading.Lock()


def record(consumer: str, session, cloudevent) -> None:
    session.execute(
        text(
            "INSERT INTO side_effects (consumer, cloudevent_id, type, traceparent)"
            " VALUES (:c, :i, :t, :p)"
        ),
        {"c": consumer, "i": cloudevent.id, "t": cloudevent.type, "p": cloudevent.traceparent},
    )


recorder = Function("recorder", summary="test")
flaky = Function("flaky", summary="test")
broken = Function("broken", summary="test")


@recorder.on(UserRegistered, RegistrationCreated)
def _record(session, cloudevent) -> None:
    record("recorder", session, cloudevent)


@flaky.on(UserRegistered)
def _flaky(session, cloudevent) -> None:
    with tries_lock:
        tries[cloudevent.id] += 1
        attempt = tries[cloudevent.id]
    if attempt <= 3:
        raise RuntimeError(f"flaky failure {attempt}")
    record("flaky", session, cloudevent)


@broken.on(UserRegistered)
def _broken(session, cloudevent) -> None:
    raise RuntimeError("always broken")


ticks: list[float] = []
ticker = Function("ticker", summary="test", schedule="* * * * * *")


@ticker.on_schedule
def _tick() -> None:
    ticks.append(time.monotonic())


CONSUMERS = {f.name: f for f in (recorder, flaky, broken)}


def side_effects() -> list[tuple[str, str, str]]:
    with unit_of_work() as session:
        rows = session.execute(text("SELECT consumer, cloudevent_id, type FROM side_effects"))
        return [tuple(row) for row in rows]


def wait_until(condition: Callable[[], bool], timeout: float = 20) -> None:
    eventually(
        condition,
        timeout,
        lambda: f"side effects: {side_effects()}, tries: {dict(tries)}",
    )


def eventually(
    condition: Callable[[], bool], timeout: float, state: Callable[[], object] = lambda: ""
) -> None:
    """Wait for the condition; on a timeout, fail saying what `state` answers then."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"condition not met in time; {state()}")
