"""The data dir of the embedded mode, and `run.json`, through which CLI commands find a runner.

Layout: pg/ (PostgreSQL), redis/, outbox/ (mail as .eml), media/, keys/ (signing key, internal
token, Redis password, cursor, download-link, calendar-feed, CloudEvent and ticket secrets) and
run.json. All of it is private to its owner (directories 0700, files 0600): mail holds live
reset links and Redis's append-only file holds sessions' cached state. A runner holds an
exclusive lock on `run.lock` for its lifetime; the kernel drops it when the runner dies, even
by SIGKILL, so a stale run.json is recognised and never blocks the next `eventmgr up`.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

SUBDIRS = ("pg", "redis", "outbox", "media", "keys")
# The runner's files are created private (its children inherit this umask).
PRIVATE_UMASK = 0o077


class AlreadyRunning(RuntimeError):
    pass


@dataclass(frozen=True)
class DataDir:
    root: Path

    @classmethod
    def at(cls, path: Path | str) -> DataDir:
        return cls(Path(path).expanduser().resolve())

    def path(self, name: str) -> Path:
        return self.root / name

    @property
    def run_file(self) -> Path:
        return self.root / "run.json"

    @property
    def lock_file(self) -> Path:
        return self.root / "run.lock"

    def prepare(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        for name in SUBDIRS:
            self.path(name).mkdir(exist_ok=True, mode=0o700)
        self.make_private()

    def make_private(self) -> None:
        """Directories 0700, also those an older version made 0755. Run as root, the embedded
        PostgreSQL runs as its own user (pgserver's), which must pass through the root: 0711,
        no listing; pgserver widens it at each start, so this is called again after that."""
        self.root.chmod(0o711 if os.geteuid() == 0 else 0o700)
        for name in SUBDIRS:
            if name != "pg":  # PostgreSQL's own (0700, owned by its user)
                self.path(name).chmod(0o700)

    def secret(self, name: str, make: Any = lambda: secrets.token_urlsafe(32)) -> str:
        """A secret kept in keys/, made on first use (files 0600)."""
        path = self.path("keys") / name
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(make())
        return path.read_text().strip()

    def key_environment(self) -> dict[str, str]:
        """The secrets a local runner hands to its functions, generated once per data dir."""
        from shared.security.tokens import generate_private_key_pem

        return {
            "JWT_PRIVATE_KEY": self.secret("jwt-signing-key.pem", generate_private_key_pem),
            "INTERNAL_TOKEN": self.secret("internal-token"),
            "CURSOR_SECRET": self.secret("cursor-secret"),
            "UNSUBSCRIBE_SECRET": self.secret("unsubscribe-secret"),
            "VAPID_PRIVATE_KEY": self.secret("vapid-private-key.pem", generate_private_key_pem),
            "STORAGE_URL_SECRET": self.secret("storage-url-secret"),
            "CALENDAR_FEED_SECRET": self.secret("calendar-feed-secret"),
            "CLOUDEVENT_KEY": self.secret("cloudevent-key"),
            "TICKET_KEY": self.secret("ticket-key"),
        }

    def redis_password(self) -> str:
        """The embedded Redis's `requirepass`: every client URL the runner hands out has it."""
        return self.secret("redis-password")

    @contextlib.contextmanager
    def runner_lock(self) -> Iterator[None]:
        self.prepare()
        handle: TextIO = self._open_lock()
        try:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as error:
                running = self.running()
                where = running.get("url", "?") if running else "?"
                raise AlreadyRunning(f"a runner already uses {self.root} ({where})") from error
            yield
        finally:
            handle.close()

    def running(self) -> dict[str, Any] | None:
        """run.json of a live runner, or None when no runner holds the lock."""
        if not self.run_file.exists():
            return None
        with self._open_lock() as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                data: dict[str, Any] = json.loads(self.run_file.read_text())
                return data
            fcntl.flock(handle, fcntl.LOCK_UN)
        return None

    def _open_lock(self) -> TextIO:
        fd = os.open(self.lock_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        return os.fdopen(fd, "a")

    def write_run_file(self, data: dict[str, Any]) -> None:
        temporary = self.run_file.with_suffix(".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle, indent=2)
        temporary.replace(self.run_file)

    def stale_run_file(self) -> dict[str, Any] | None:
        """What a runner that died without cleaning up left behind (read under our lock)."""
        if not self.run_file.exists():
            return None
        try:
            data: dict[str, Any] = json.loads(self.run_file.read_text())
        except ValueError:
            return None
        return data
