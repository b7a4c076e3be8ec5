"""`eventmgr worker`: a Celery worker for the platform's tasks."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from celery import signals

from shared.celery_app import celery_app
from shared.config import get_settings


def run_worker(
    concurrency: int = 4, queues: str | None = None, ready_file: Path | None = None
) -> None:
    settings = get_settings()
    if not (settings.rabbitmq_url or settings.k_sink):
        _deliver_embedded()
    if ready_file is not None:
        _touch_when_consuming(ready_file)
    arguments = [
        # No banner: the worker's output is JSON log lines only (its logs go to our handler).
        "--quiet",
        "worker",
        "--loglevel=INFO",
        "--pool=threads",
        f"--concurrency={concurrency}",
        "--without-gossip",
        "--without-mingle",
        # A node name of its own: two workers on one host (a second beside `eventmgr up`, or
        # replicas sharing a network namespace) would claim the same exclusive control queue
        # (`celery@HOST.celery.pidbox`) and the second would die with RESOURCE_LOCKED.
        f"--hostname=eventmgr-{os.getpid()}@%h",
    ]
    arguments.append(f"--queues={queues or settings.celery_queue}")
    celery_app().worker_main(arguments)


def _touch_when_consuming(path: Path) -> None:
    """A probe for whoever supervises the worker: the file exists once it consumes its queue."""

    def touch(**_: Any) -> None:
        path.touch()

    signals.worker_ready.connect(touch, weak=False)


def _deliver_embedded() -> None:
    """Without a broker (the embedded mode), CloudEvents that tasks emit (`report.ready`) are
    fanned out into `local_deliveries` right after their commit, where the runner's delivery
    loop finds them within a second, instead of waiting for `relay_outbox`."""
    from eventing.local import LocalPublisher
    from eventing.triggers import load_triggers
    from shared.outbox.publishing import install_publisher

    install_publisher(LocalPublisher(load_triggers(), threading.Event()))
