"""`eventmgr up` as a user runs it: start it on a data dir, read its mail, drive its CLI."""

from __future__ import annotations

import email
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from email import policy
from pathlib import Path

import httpx
import psutil

from local.embedded import free_port

EVENTMGR = str(Path(sys.executable).with_name("eventmgr"))
# The runner must run on its embedded defaults, not on the suite's configuration.
CONFIG_VARS = (
    "DATABASE_URL",
    "REDIS_URL",
    "JWT_PRIVATE_KEY",
    "JWT_PUBLIC_KEYS",
    "INTERNAL_TOKEN",
    "CURSOR_SECRET",
    "TICKET_KEY",
    "CORS_ORIGINS",
    "PUBLIC_URL",
    "EVENTMGR_DATA_DIR",
    "LOG_LEVEL",
    "RABBITMQ_URL",
    "RABBITMQ_EXCHANGE",
    "CELERY_BROKER_URL",
    "CELERY_QUEUE",
)
PASSWORD = "organizer-password-1"


def clean_env() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if key not in CONFIG_VARS}


@dataclass
class Runner:
    process: subprocess.Popen[bytes]
    url: str
    data_dir: Path
    log: Path

    def stop(self, sig: int = signal.SIGINT) -> int:
        self.process.send_signal(sig)
        return self.process.wait(60)

    def lines(self) -> list[str]:
        return self.log.read_text().splitlines()


def start_runner(
    data_dir: Path, log: Path, *options: str, env: dict[str, str] | None = None
) -> Runner:
    port = free_port()
    with log.open("ab") as out:
        process = subprocess.Popen(
            [EVENTMGR, "up", "--data-dir", str(data_dir), "--port", str(port), *options],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**clean_env(), **(env or {})},
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return Runner(process, url, data_dir, log)
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError(f"eventmgr up did not answer within 180 s:\n{log.read_text()}")


def processes_using(data_dir: Path) -> list[psutil.Process]:
    """Every process on the machine whose command line names the data dir."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        try:
            if any(str(data_dir) in part for part in process.info["cmdline"] or ()):
                found.append(process)
        except psutil.NoSuchProcess:
            continue
    return found


def wait_for_link(runner: Runner, address: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in (runner.data_dir / "outbox").glob("*.eml"):
            message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
            body = message.get_body(("plain",))
            if address in str(message["To"]) and body is not None:
                found = re.search(r"(http://\S+/verify-email\?token=\S+)", body.get_content())
                if found:
                    return found.group(1)
        time.sleep(0.2)
    raise AssertionError(f"no verification mail for {address}:\n{runner.log.read_text()[-3000:]}")


def wait_for_mail(
    runner: Runner, address: str, subject: str, timeout: float = 60
) -> email.message.EmailMessage:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in sorted((runner.data_dir / "outbox").glob("*.eml")):
            message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
            if address in str(message["To"]) and str(message["Subject"]) == subject:
                assert isinstance(message, email.message.EmailMessage)
                return message
        time.sleep(0.2)
    raise AssertionError(f"no mail {subject!r} for {address}:\n{runner.log.read_text()[-3000:]}")


def create_user(data_dir: Path, email: str, password: str, role: str) -> None:
    """An account made the way an operator makes the first ones: `eventmgr users create`."""
    made = cli(
        "users",
        "create",
        "--email",
        email,
        "--password",
        password,
        "--role",
        role,
        data_dir=data_dir,
    )
    assert made.returncode == 0, made.stderr


def cli(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [EVENTMGR, *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=120,
        check=False,
    )
