"""Which PostgreSQL and Redis a local command uses: the configured ones, or embedded ones.

A setting that points at a real service (`DATABASE_URL`, `REDIS_URL`) wins; otherwise the
embedded server in the data dir is used — the running runner's (found through run.json) or,
for a CLI command with no runner, one started for the command and stopped after it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from local.datadir import DataDir
from local.misconfigured import require_embedded
from shared.config import get_settings


@dataclass
class Services:
    database_url: str
    redis_url: str | None
    # What this process started and must stop.
    owned: list[Any] = field(default_factory=list)
    pids: dict[str, int] = field(default_factory=dict)

    def stop(self) -> None:
        for service in reversed(self.owned):
            service.stop()
        self.owned.clear()


def start_for_runner(data_dir: DataDir) -> Services:
    """For `eventmgr up`, which holds the data dir's lock: start whatever is not configured."""
    if not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")):
        require_embedded("up")
    from local.embedded import EmbeddedPostgres, EmbeddedRedis

    stale = data_dir.stale_run_file() or {}
    services = Services(database_url=os.environ.get("DATABASE_URL", ""), redis_url=None)
    try:
        if not services.database_url:
            postgres = EmbeddedPostgres(data_dir.path("pg"))
            services.database_url = postgres.start()
            services.owned.append(postgres)
            data_dir.make_private()
            if postgres.pid:
                services.pids["postgres"] = postgres.pid
        services.redis_url = os.environ.get("REDIS_URL") or None
        if not services.redis_url:
            redis = EmbeddedRedis(data_dir.path("redis"))
            services.redis_url = redis.start(
                data_dir.redis_password(), stale_pid=stale.get("pids", {}).get("redis")
            )
            services.owned.append(redis)
            if redis.pid:
                services.pids["redis"] = redis.pid
    except BaseException:
        services.stop()
        raise
    return services


@contextlib.contextmanager
def database_for_command(data_dir: DataDir, command: str) -> Iterator[str]:
    """The database URL a CLI command should use, starting the embedded one if need be."""
    # The environment, or a mounted secret file (compose and OpenFaaS give it as a file).
    configured = os.environ.get("DATABASE_URL") or get_settings().database_url
    if configured:
        yield configured
        return
    running = data_dir.running()
    if running:
        yield str(running["database_url"])
        return
    require_embedded(command)
    from local.embedded import EmbeddedPostgres

    with data_dir.runner_lock():
        postgres = EmbeddedPostgres(data_dir.path("pg"))
        url = postgres.start()
        data_dir.make_private()
        try:
            yield url
        finally:
            if postgres.started_here:
                postgres.stop()
