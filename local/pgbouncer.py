"""A PgBouncer in transaction mode in front of a PostgreSQL, for tests and benchmarks.

Started on a free loopback port with its own config, user list and log in a temporary
directory, so several runs on one machine never share one. Deployments run the same
settings from the rendered manifests (`local/deploy/pgbouncer.py`).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from local.embedded import free_port

# What every PgBouncer of ours runs with, here and in the deployments (local/deploy/pgbouncer.py):
# transaction pooling, and the startup parameters our driver sends that PgBouncer would
# otherwise refuse (`options` carries the statement timeout; see docs/SCALING.md).
POOL_MODE = "transaction"
IGNORED_STARTUP_PARAMETERS = "extra_float_digits,options"


class PgBouncerMissing(RuntimeError):
    """The `pgbouncer` program is not installed (Debian: `apt-get install pgbouncer`)."""


def config(
    *, server_host: str, server_port: int, listen_port: int, directory: Path, pool_size: int
) -> str:
    """The settings every deployment uses too (POOL_MODE, IGNORED_STARTUP_PARAMETERS)."""
    return "\n".join(
        [
            "[databases]",
            f"* = host={server_host} port={server_port}",
            "[pgbouncer]",
            "listen_addr = 127.0.0.1",
            f"listen_port = {listen_port}",
            "unix_socket_dir =",
            "auth_type = trust",
            f"auth_file = {directory / 'userlist.txt'}",
            f"pool_mode = {POOL_MODE}",
            "max_client_conn = 2000",
            f"default_pool_size = {pool_size}",
            f"ignore_startup_parameters = {IGNORED_STARTUP_PARAMETERS}",
            "log_connections = 0",
            "log_disconnections = 0",
            "",
        ]
    )


@dataclass(frozen=True)
class PgBouncer:
    host: str
    port: int
    user: str

    def url(self, database: str) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{database}"

    @classmethod
    @contextmanager
    def running(cls, server_url: str, *, pool_size: int = 20) -> Iterator[PgBouncer]:
        """A PgBouncer for the server of `server_url` (a trusted local user), stopped after;
        `pool_size` server connections per database and user."""
        program = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
        if not Path(program).exists():
            raise PgBouncerMissing("pgbouncer is not installed")
        server = urlsplit(server_url)
        user = server.username or "postgres"
        port = free_port()
        with tempfile.TemporaryDirectory(prefix="eventmgr-pgbouncer-") as scratch:
            directory = Path(scratch)
            (directory / "userlist.txt").write_text(f'"{user}" ""\n')
            ini = directory / "pgbouncer.ini"
            ini.write_text(
                config(
                    server_host=server.hostname or "127.0.0.1",
                    server_port=server.port or 5432,
                    listen_port=port,
                    directory=directory,
                    pool_size=pool_size,
                )
            )
            # PgBouncer refuses to run as root: it reads its files first, then drops to nobody.
            as_user = ["-u", "nobody"] if os.geteuid() == 0 else []
            log = directory / "pgbouncer.log"
            with log.open("wb") as output:
                process = subprocess.Popen(  # noqa: S603 - our own program and config
                    [program, *as_user, str(ini)], stdout=output, stderr=subprocess.STDOUT
                )
            try:
                _wait_for(port, process, log)
                yield cls("127.0.0.1", port, user)
            finally:
                process.terminate()
                process.wait(10)


def _wait_for(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"pgbouncer exited: {log.read_text().strip()}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("pgbouncer did not listen in time")
