"""`eventmgr worker`: a Celery worker for the platform's tasks."""

from __future__ import annotations

from shared.celery_app import celery_app
from shared.config import get_settings


def run_worker(concurrency: int = 4, queues: str | None = None) -> None:
    arguments = [
        "worker",
        "--loglevel=INFO",
        "--pool=threads",
        f"--concurrency={concurrency}",
        "--without-gossip",
        "--without-mingle",
    ]
    arguments.append(f"--queues={queues or get_settings().celery_queue}")
    celery_app().worker_main(arguments)
