"""`eventmgr up` on a real RabbitMQ with every name at its default, as a deployment runs it:
sign-up over HTTP → outbox → CloudEvent over RabbitMQ → dispatcher → `notify` → Celery over
RabbitMQ → a real worker → the mail. Only the vhost is the run's own (isolation, not a name).

The runner watches its worker: one that dies is restarted and `/readyz` says so meanwhile; one
that keeps dying stops the runner with the reason.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator

import aio_pika
import httpx
import psutil
import pytest

from shared.config import Settings
from tests.support.runner import (
    Runner,
    processes_using,
    start_runner,
    wait_for_link,
)


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory, rabbitmq: str) -> Iterator[Runner]:
    base = tmp_path_factory.mktemp("runner-rabbitmq")
    running = start_runner(base / "data", base / "runner.log", env={"RABBITMQ_URL": rabbitmq})
    yield running
    if running.process.poll() is None:
        running.stop()


def sign_up(runner: Runner, address: str) -> None:
    answer = httpx.post(
        f"{runner.url}/api/v1/auth/register",
        json={"email": address, "password": "participant-1", "full_name": "Pat"},
        timeout=30,
    )
    assert answer.status_code == 201, answer.text


def readiness(runner: Runner) -> httpx.Response:
    return httpx.get(f"{runner.url}/readyz", timeout=10)


def wait_for(condition: Callable[[], bool], timeout: float, runner: Runner) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"not in {timeout} s:\n{runner.log.read_text()[-3000:]}")


def worker_of(runner: Runner) -> psutil.Process | None:
    for child in psutil.Process(runner.process.pid).children():
        try:
            if "worker" in child.cmdline() and child.status() != psutil.STATUS_ZOMBIE:
                return child
        except psutil.NoSuchProcess:
            continue
    return None


def test_a_sign_up_is_mailed_over_rabbitmq_on_the_default_names(runner: Runner, rabbitmq: str):
    sign_up(runner, "pat@example.org")
    link = wait_for_link(runner, "pat@example.org", timeout=90)
    assert httpx.get(link, timeout=30).status_code == 200
    # Both sides kept their default names, and their types: a topic exchange for CloudEvents,
    # a direct one of Celery's own (declaring either with another type would be refused).
    defaults = Settings.model_fields
    exchange = str(defaults["rabbitmq_exchange"].default)
    tasks = str(defaults["celery_queue"].default)
    assert tasks != exchange

    async def declared() -> None:
        async with await aio_pika.connect(rabbitmq) as connection:
            channel = await connection.channel()
            await channel.declare_exchange(exchange, aio_pika.ExchangeType.TOPIC, durable=True)
            await channel.declare_exchange(tasks, aio_pika.ExchangeType.DIRECT, durable=True)
            await channel.declare_queue(tasks, passive=True)
            await channel.declare_queue(f"{exchange}.notify", passive=True)

    asyncio.run(declared())


def test_readyz_names_the_worker_dispatcher_and_scheduler(runner: Runner):
    wait_for(lambda: readiness(runner).status_code == 200, 60, runner)
    assert readiness(runner).json() == {
        "status": "ready",
        "components": {"worker": "up", "dispatcher": "up", "scheduler": "up"},
    }


def test_a_killed_worker_is_restarted_and_readyz_says_so_meanwhile(runner: Runner):
    wait_for(lambda: readiness(runner).status_code == 200, 60, runner)
    worker = worker_of(runner)
    assert worker is not None
    worker.kill()
    wait_for(lambda: readiness(runner).status_code == 503, 10, runner)
    down = readiness(runner)
    assert down.headers["content-type"] == "application/problem+json"
    assert "worker" in down.json()["detail"]
    assert down.json()["components"]["worker"] != "up"
    assert down.json()["components"]["dispatcher"] == "up"
    # Back within the backoff and a worker's start, with a log line that says why.
    wait_for(lambda: readiness(runner).status_code == 200, 60, runner)
    restarted = worker_of(runner)
    assert restarted is not None
    assert restarted.pid != worker.pid
    assert "worker killed by SIGKILL; restarting it in 1 s" in runner.log.read_text()
    # ...and it sends mail again.
    sign_up(runner, "later@example.org")
    wait_for_link(runner, "later@example.org", timeout=90)


def test_a_worker_that_keeps_dying_stops_the_runner_with_the_reason(runner: Runner):
    killed: set[int] = set()
    deadline = time.monotonic() + 120
    while runner.process.poll() is None and time.monotonic() < deadline:
        worker = worker_of(runner)
        if worker is not None and worker.pid not in killed:
            killed.add(worker.pid)
            worker.kill()
        time.sleep(0.05)
    assert runner.process.wait(30) == 1
    log = runner.log.read_text()
    assert (
        "eventmgr up: the worker keeps dying (5 times within 120 s; last: killed by SIGKILL)" in log
    )
    time.sleep(0.5)
    assert processes_using(runner.data_dir) == []
