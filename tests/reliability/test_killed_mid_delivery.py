"""A process killed with SIGKILL in the middle of a delivery, as a node's OOM killer or a
`kubectl delete --force` does: what it held is given again by RabbitMQ (late acks), and applied
once, none lost, none twice.

- `eventmgr dispatcher` (a real process, the run's vhost) killed while a consumer is applying a
  CloudEvent: the consumer's work commits without the dispatcher, the next dispatcher gets
  every unacknowledged message again and the consumer's record of handling makes the repeat a
  no-op.
- `eventmgr worker` (Celery) killed while its mail request sits at the provider (the SendGrid
  stand-in holds it): the task comes back to the next worker, which waits for the dead one's
  lease on the rows and sends each mail once.

Found by these tests: a redelivered mail task found its rows still claimed by the dead worker
and ended without sending (the mails waited for the sweep, five minutes at least); and a second
worker on the same host died at start (RESOURCE_LOCKED: both named themselves `celery@HOST`).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import uvicorn
import yaml
from sqlalchemy import select, text

from local.embedded import free_port
from local.gateway import Gateway
from local.registry import Deployed
from shared import process_state
from shared.catalog import UserRegistered
from shared.db import unit_of_work
from shared.kit import Function
from shared.notifications.models import DeliveryStatus, Notification
from tests.eventing.conftest import eventing_env  # noqa: F401 - fixture
from tests.support.consumers import (
    REGISTERED,
    eventually,
    record,
    recorder,
    side_effects,
    wait_until,
)
from tests.support.factories import message_notice, sign_up
from tests.support.sendgrid import SendGridStandIn

LEASE_SECONDS = 9

# A consumer that applies a CloudEvent only when the test lets it: a delivery in flight.
gate = threading.Event()
entered: Counter[str] = Counter()
entered_lock = threading.Lock()
held = Function("held", summary="test")


@held.on(UserRegistered)
def _held(session, cloudevent) -> None:
    with entered_lock:
        entered[cloudevent.id] += 1
    gate.wait(60)
    record("held", session, cloudevent)


@pytest.fixture
def consumers_behind_gateway(eventing_env, monkeypatch) -> Iterator[None]:  # noqa: F811
    gate.clear()
    entered.clear()
    served = {f.name: Deployed(f, f.app()) for f in (recorder, held)}
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(Gateway(served), host="127.0.0.1", port=port, log_config=None)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started, 10)
    monkeypatch.setenv("FUNCTION_URL_TEMPLATE", f"http://127.0.0.1:{port}/function/{{name}}/")
    process_state.reset()
    yield
    gate.set()
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def dispatcher_process(
    consumers_behind_gateway, rabbitmq: str, tmp_path: Path, monkeypatch
) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    """`eventmgr dispatcher` over a trigger file naming the two consumers."""
    triggers = tmp_path / "triggers.yaml"
    table = [{"function": f.name, "type": REGISTERED} for f in (recorder, held)]
    triggers.write_text(yaml.safe_dump({"triggers": table}))
    monkeypatch.setenv("TRIGGERS_FILE", str(triggers))
    monkeypatch.setenv("RABBITMQ_URL", rabbitmq)
    process_state.reset()
    log_path = tmp_path / "dispatcher.log"
    log_path.touch()
    processes: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        consuming = log_path.read_text().count("dispatcher consuming") + 1
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "local", "dispatcher"], stdout=log, stderr=subprocess.STDOUT
            )
        processes.append(process)
        wait_until(lambda: log_path.read_text().count("dispatcher consuming") >= consuming, 60)
        return process

    yield start
    for process in processes:
        process.terminate()
        process.wait(30)


def test_dispatcher_killed_mid_delivery_everything_is_applied_once(dispatcher_process, client):
    doomed = dispatcher_process()
    sign_up(client, 3)
    # `recorder` took all three; `held` is applying each (its transaction open) when the
    # dispatcher dies without having acknowledged any of them.
    eventually(lambda: len(entered) == 3, 30, lambda: f"entered: {dict(entered)}")
    wait_until(lambda: Counter(e[0] for e in side_effects()) == {"recorder": 3})
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(10)

    # The next dispatcher gets the three again from RabbitMQ while the first tries are still
    # open: the repeats wait on their record of handling, then find it and are acknowledged.
    dispatcher_process()
    eventually(lambda: waiting_on_a_lock() == 3, 30, waiting_on_a_lock)
    gate.set()
    wait_until(lambda: Counter(e[0] for e in side_effects()) == {"recorder": 3, "held": 3}, 60)
    time.sleep(2)  # anything still to come would have come
    applied = Counter((e[0], e[1]) for e in side_effects())
    assert len(applied) == 6
    assert set(applied.values()) == {1}
    assert set(entered.values()) == {1}  # a repeat never reached the handler


def waiting_on_a_lock() -> int:
    """Sessions of the test's database waiting for a row lock (a repeat on its first try's)."""
    with unit_of_work() as session:
        return int(
            session.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
            or 0
        )


def sent_to(sendgrid: type[SendGridStandIn]) -> Counter[str]:
    """Every recipient the provider took (answered 202), with how many times."""
    return Counter(
        personal["to"][0]["email"]
        for request in list(sendgrid.received)
        if request.get("status") == 202
        for personal in request["body"]["personalizations"]
    )


def mail_statuses() -> Counter[DeliveryStatus]:
    with unit_of_work() as session:
        return Counter(session.scalars(select(Notification.email_status)).all())


def test_worker_killed_mid_send_the_task_comes_back_and_each_mail_goes_once(
    sendgrid, worker, monkeypatch
):
    # The settings a deployment gets, but for the lease: seconds here instead of five minutes.
    monkeypatch.setenv("NOTIFICATION_LEASE_SECONDS", str(LEASE_SECONDS))
    process_state.reset()
    recipients = [f"person{i}@example.org" for i in range(6)]
    # The first two tasks, both of the first worker's threads, wait at the provider.
    sendgrid.gate, sendgrid.hold = threading.Event(), frozenset(recipients[:2])
    doomed = worker()
    for recipient in recipients:  # one transaction and one task each, as requests make them
        message_notice(recipient)
    # Both of its threads are in the middle of a send; another worker takes the rest.
    eventually(lambda: sendgrid.held == sendgrid.hold, 60, lambda: f"held: {sendgrid.held}")
    worker()
    wanted = {DeliveryStatus.sending: 2, DeliveryStatus.sent: 4}
    eventually(lambda: mail_statuses() == wanted, 60, mail_statuses)

    doomed.send_signal(signal.SIGKILL)
    doomed.wait(10)
    killed = time.monotonic()
    sendgrid.gate.set()  # what the dead worker sent is refused: the provider never took it
    assert set(sent_to(sendgrid)) == set(recipients[2:])
    # Its two tasks come back to the other worker at once, which takes their rows when the
    # dead one's lease (renewed until the kill) runs out — not at the sweep, minutes later.
    eventually(lambda: mail_statuses() == {DeliveryStatus.sent: 6}, 60, mail_statuses)
    assert time.monotonic() - killed < LEASE_SECONDS + 10
    time.sleep(2)
    assert sent_to(sendgrid) == dict.fromkeys(recipients, 1)
