"""`eventmgr worker` as the deployment runs it: a real process on the run's RabbitMQ vhost."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from shared import process_state
from tests.support.services import purge_celery_queue, rabbitmq_url

WORKER = [sys.executable, "-m", "local", "worker", "--concurrency", "2"]


@pytest.fixture
def worker(
    rabbitmq: str, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    """Starts a worker (with the test's environment at that moment) each time it is called,
    and answers once it consumes; its log is `worker.log` in the test's temporary directory.
    Tasks enqueued by the test go to the same broker."""
    monkeypatch.setenv("CELERY_BROKER_URL", rabbitmq_url())
    process_state.reset()
    log = (tmp_path / "worker.log").open("ab")

    def start() -> subprocess.Popen[bytes]:
        env = {**os.environ, "CELERY_BROKER_URL": rabbitmq_url(), "LOG_LEVEL": "INFO"}
        ready = tmp_path / f"worker-{len(processes)}.ready"
        process = subprocess.Popen(
            [*WORKER, "--ready-file", str(ready)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        processes.append(process)
        deadline = time.monotonic() + 120
        while not ready.exists():  # consuming its queue, as a readiness probe sees it
            assert process.poll() is None, (tmp_path / "worker.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "the worker did not start consuming in 120 s"
            time.sleep(0.1)
        return process

    processes: list[subprocess.Popen[bytes]] = []
    yield start
    for process in processes:
        process.terminate()
        process.wait(30)
    log.close()
    purge_celery_queue()
