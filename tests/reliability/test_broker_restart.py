"""RabbitMQ stopped and started again under a running platform — a broker node of the suite's
own (its own node name, ports, cookie and data in a temporary directory), never the machine's.

Writes succeed while it is down (the outbox grows); once it is back the relay publishes the
backlog and the dispatcher, which ran through the outage, delivers every CloudEvent exactly once.

Found by this test: the publisher kept the connection the broker had dropped, every later
publish failed without an error, and nothing was published again until the process restarted.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from local.embedded import die_with_parent, free_port
from shared import process_state
from shared.outbox.background import wait_idle
from shared.outbox.relay import pending_count, relay_once
from tests.eventing.conftest import consumers, eventing_env  # noqa: F401 - fixtures
from tests.support.consumers import CONSUMERS, side_effects, wait_until
from tests.support.factories import sign_up

SERVER = Path("/usr/lib/rabbitmq/bin/rabbitmq-server")
CTL = Path("/usr/lib/rabbitmq/bin/rabbitmqctl")
BOOT_SECONDS = 180  # a node boots in 10-45 s on this shared 2-core machine


@dataclass
class BrokerNode:
    base: Path
    port: int
    node: str
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    def environment(self) -> dict[str, str]:
        return {
            **os.environ,
            "HOME": str(self.base),  # its own Erlang cookie
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(free_port()),
            "RABBITMQ_MNESIA_BASE": str(self.base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.base / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.base / "plugins"),
            "RABBITMQ_CONFIG_FILE": str(self.base / "none"),
        }

    def start(self) -> None:
        with (self.base / "server.log").open("ab") as log:
            self.process = subprocess.Popen(
                [str(SERVER)],
                env=self.environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent,
            )
        deadline = time.monotonic() + BOOT_SECONDS
        while time.monotonic() < deadline:
            assert self.process.poll() is None, (self.base / "server.log").read_text()[-2000:]
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.25)
        raise AssertionError("the test's RabbitMQ node did not start in time")

    def stop(self) -> None:
        """A clean shutdown, as an operator's restart does (`rabbitmqctl -n NODE stop`)."""
        if self.process is None or self.process.poll() is not None:
            return
        subprocess.run(
            [str(CTL), "-n", self.node, "stop"],
            env=self.environment(),
            capture_output=True,
            timeout=120,
            check=False,
        )
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(scope="module")
def own_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerNode]:
    if not (SERVER.exists() and CTL.exists()) or shutil.which("erl") is None:
        pytest.fail("RabbitMQ server is not installed here (apt-get install rabbitmq-server)")
    base = tmp_path_factory.mktemp("broker")
    (base / "plugins").write_text("[].\n")
    node = BrokerNode(base, free_port(), f"eventmgr-faults-{os.getpid()}@localhost")
    node.start()
    yield node
    node.stop()


@pytest.mark.usefixtures("consumers")
def test_broker_restarted_writes_go_on_and_everything_is_delivered_once(
    own_broker: BrokerNode, monkeypatch, client
):
    from eventing.dispatcher import start_in_thread
    from eventing.triggers import Trigger

    monkeypatch.setenv("RABBITMQ_URL", own_broker.url)
    process_state.reset()
    triggers = [Trigger(name, t) for name, f in CONSUMERS.items() for t in f.consumes]
    running, stop = start_in_thread(triggers, url=own_broker.url)
    try:
        wait_until(running.ready.is_set, 30)
        sign_up(client, 2)
        wait_until(lambda: Counter(e[0] for e in side_effects()) == {"recorder": 2, "flaky": 2})

        own_broker.stop()
        for number in range(2, 7):  # five sign-ups while the broker is away
            response = client.post(
                "/api/v1/auth/register",
                json={
                    "email": f"u{number}@example.org",
                    "password": "0123456789",
                    "full_name": "U",
                },
            )
            assert response.status_code == 201
        assert wait_idle()  # the background publisher gave them up: the relay's now
        assert pending_count() == 5

        own_broker.start()
        # The scheduled relay sweeps until the broker takes the backlog (a node that has
        # just opened its port may still refuse the first publish).
        published = 0
        deadline = time.monotonic() + 60
        while pending_count() and time.monotonic() < deadline:
            published += relay_once().published
            time.sleep(0.5)
        assert (published, pending_count()) == (5, 0)
        # The dispatcher reconnects by itself and delivers the backlog.
        wait_until(
            lambda: Counter(e[0] for e in side_effects()) == {"recorder": 7, "flaky": 7}, 120
        )
        assert relay_once().claimed == 0
        applied = Counter((e[0], e[1]) for e in side_effects())
        assert set(applied.values()) == {1}
    finally:
        stop()
