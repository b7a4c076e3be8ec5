"""`make soak`: mixed traffic for a while (10 minutes by default) against `eventmgr up` on loopback.

Bounded loops of what people do — browse, open events, sign in, create and publish events, join
and leave, read their registrations and notifications, check statistics — from a few parallel
clients. Every answer must be the one expected (error rate 0); the runner's memory (its whole
process tree) and its PostgreSQL and RabbitMQ connection counts are sampled and reported, and
must stay stable: measured over the second half of the run, so warm-up is not counted as growth.
An error or critical line in the runner's log counts as an error too.

By default the runner takes the deployment path: RabbitMQ (the machine's broker,
TEST_RABBITMQ_URL, in a vhost of the soak's own, removed afterwards) carries the CloudEvents
and Celery's tasks, and the connections counted are that vhost's only. `--broker embedded`:
in-process delivery and Redis for Celery, as a bare `eventmgr up`.

    python -m tests.reliability.soak --minutes 10 [--clients 6] [--broker rabbitmq|embedded]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
import psycopg

from local.embedded import free_port
from tests.support.services import (
    RABBITMQ_VHOST,
    rabbitmq_connections,
    rabbitmq_url,
    rabbitmq_vhost,
)

PASSWORD = "soak test passphrase"
# Settings a developer's shell may carry: the soak runs on the defaults `eventmgr up` gets.
CONFIG_VARS = (
    "DATABASE_URL",
    "REDIS_URL",
    "INTERNAL_TOKEN",
    "JWT_PRIVATE_KEY",
    "JWT_PUBLIC_KEYS",
    "RABBITMQ_URL",
    "CELERY_BROKER_URL",
)
# Allowed growth over the second half of the run before the soak says "not stable".
MEMORY_GROWTH_LIMIT = 0.10


@dataclass
class Sample:
    at: float
    rss_mib: float
    postgres: int
    rabbitmq: int | None


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    answers: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)

    def note(self, action: str, response: httpx.Response, expected: tuple[int, ...]) -> None:
        with self.lock:
            self.answers[action] += 1
            if response.status_code not in expected:
                self.errors.append(f"{action}: {response.status_code} {response.text[:200]}")


def _eventmgr() -> str:
    return str(Path(sys.executable).with_name("eventmgr"))


def _environment() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if key not in CONFIG_VARS}


def start(
    data_dir: Path, log: Path, rabbitmq_url: str | None
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    broker = {"RABBITMQ_URL": rabbitmq_url} if rabbitmq_url else {}
    with log.open("ab") as out:
        process = subprocess.Popen(
            [_eventmgr(), "up", "--data-dir", str(data_dir), "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**_environment(), **broker},
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"eventmgr up exited:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("eventmgr up did not answer within 180 s")


def make_user(data_dir: Path, email: str, role: str) -> None:
    account = ["--email", email, "--password", PASSWORD, "--role", role]
    subprocess.run(
        [_eventmgr(), "users", "create", *account, "--data-dir", str(data_dir)],
        check=True,
        capture_output=True,
        env=_environment(),
        timeout=120,
    )


def token(http: httpx.Client, email: str) -> dict[str, str]:
    signed_in = http.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    signed_in.raise_for_status()
    return {"Authorization": f"Bearer {signed_in.json()['access_token']}"}


def event_body(rng: random.Random) -> dict[str, Any]:
    day = rng.randint(1, 28)
    return {
        "title": f"Soak {rng.randint(0, 10**6)}",
        "description": "Mixed traffic",
        "starts_at": f"2031-06-{day:02d}T18:00:00+00:00",
        "ends_at": f"2031-06-{day:02d}T20:00:00+00:00",
        "timezone": "UTC",
        "category": "meetup",
        "capacity": rng.choice([None, 5, 50]),
        "status": "published",
    }


def client_loop(
    url: str,
    owner: dict[str, str],
    person: dict[str, str],
    participant: str,
    until: float,
    seed: int,
    tally: Tally,
) -> None:
    rng = random.Random(seed)
    with httpx.Client(base_url=url, timeout=30) as http:
        events: list[str] = []
        while time.monotonic() < until:
            try:
                act(http, rng, owner, person, participant, events, tally)
            except httpx.HTTPError as error:  # no answer at all counts as an error too
                with tally.lock:
                    tally.errors.append(f"no answer: {error!r}")


def act(
    http: httpx.Client,
    rng: random.Random,
    owner: dict[str, str],
    person: dict[str, str],
    participant: str,
    events: list[str],
    tally: Tally,
) -> None:
    action = rng.choices(
        ["list", "page", "create", "join", "leave", "mine", "inbox", "stats", "login"],
        weights=[30, 25, 6, 12, 6, 8, 5, 5, 1],
    )[0]
    if action in ("page", "join", "leave", "stats") and not events:
        action = "create"
    if action == "list":
        tally.note(action, http.get("/api/v1/events", params={"limit": 20}), (200,))
    elif action == "page":
        tally.note(action, http.get(f"/api/v1/events/{rng.choice(events)}"), (200,))
    elif action == "create":
        made = http.post("/api/v1/events", json=event_body(rng), headers=owner)
        tally.note(action, made, (201,))
        if made.status_code == 201:
            events.append(made.json()["id"])
            # Bounded: the newest few events are the ones people act on.
            del events[:-20]
    elif action == "join":
        joined = http.post(f"/api/v1/events/{rng.choice(events)}/registrations", headers=person)
        tally.note(action, joined, (200, 201))
    elif action == "leave":
        left = http.delete(f"/api/v1/events/{rng.choice(events)}/registrations/me", headers=person)
        tally.note(action, left, (204, 404))
    elif action == "mine":
        tally.note(action, http.get("/api/v1/me/registrations", headers=person), (200,))
    elif action == "inbox":
        tally.note(action, http.get("/api/v1/me/notifications", headers=person), (200,))
    elif action == "stats":
        statistics_of = http.get(f"/api/v1/analytics/events/{rng.choice(events)}", headers=owner)
        tally.note(action, statistics_of, (200,))
    else:
        answered = http.post(
            "/api/v1/auth/login", json={"email": participant, "password": PASSWORD}
        )
        tally.note(action, answered, (200,))


def sample(runner: psutil.Process, database_url: str, vhost: str | None, started: float) -> Sample:
    processes = [runner, *runner.children(recursive=True)]
    rss = 0
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):  # a worker restarted meanwhile
            rss += process.memory_info().rss
    with psycopg.connect(database_url, autocommit=True) as connection:
        row = connection.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()"
        ).fetchone()
    postgres = int(row[0]) if row else 0
    rabbitmq = rabbitmq_connections(vhost) if vhost else None
    return Sample(time.monotonic() - started, rss / 2**20, postgres, rabbitmq)


def log_errors(log: Path) -> list[str]:
    """The runner's error and critical lines (every line is JSON; others are kept as found)."""
    found = []
    for line in log.read_text(errors="replace").splitlines():
        try:
            level = json.loads(line).get("log.level", "")
        except (ValueError, AttributeError):
            level = "error" if "Traceback" in line else ""
        if level in ("error", "critical"):
            found.append(f"runner log: {line[:300]}")
    return found


def stable(counts: list[int]) -> bool:
    """The second half's median within the first half's range: a leak lifts the whole late
    half, where one busy moment (a pool overflowing for a burst) is a single sample."""
    half = len(counts) // 2
    return statistics.median(counts[half:]) <= max(counts[:half])


def report(tally: Tally, samples: list[Sample], seconds: float) -> bool:
    total = sum(tally.answers.values())
    half = [s for s in samples if s.at >= samples[-1].at / 2] or samples
    growth = (half[-1].rss_mib - half[0].rss_mib) / half[0].rss_mib
    postgres = [s.postgres for s in samples]
    rabbit = [s.rabbitmq for s in samples if s.rabbitmq is not None]
    print(f"requests: {total} in {seconds:.0f} s ({total / seconds:.1f}/s)")
    print("by action: " + ", ".join(f"{k} {v}" for k, v in sorted(tally.answers.items())))
    print(f"errors: {len(tally.errors)} (rate {len(tally.errors) / max(total, 1):.4%})")
    for error in tally.errors[:10]:
        print(f"  {error}")
    print(
        f"memory (runner and its children, RSS MiB): start {samples[0].rss_mib:.0f},"
        f" second half {half[0].rss_mib:.0f} -> {half[-1].rss_mib:.0f} ({growth:+.1%}),"
        f" max {max(s.rss_mib for s in samples):.0f}"
    )
    print(
        f"PostgreSQL connections: min {min(postgres)}, max {max(postgres)},"
        f" median {statistics.median(postgres):.0f}"
    )
    if rabbit:
        print(
            f"RabbitMQ connections (the soak's vhost): min {min(rabbit)}, max {max(rabbit)},"
            f" median {statistics.median(rabbit):.0f}"
        )
    else:
        print("RabbitMQ connections: none (embedded mode: in-process delivery, no broker)")
    print(
        "over time (s: RSS MiB / PostgreSQL / RabbitMQ): "
        + ", ".join(
            f"{s.at:.0f}: {s.rss_mib:.0f}/{s.postgres}/{'-' if s.rabbitmq is None else s.rabbitmq}"
            for s in samples
        )
    )
    stable_connections = stable(postgres) and (not rabbit or stable(rabbit))
    ok = not tally.errors and growth <= MEMORY_GROWTH_LIMIT and stable_connections
    print("stable" if ok else "NOT stable")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--sample-seconds", type=float, default=15)
    parser.add_argument("--broker", choices=("rabbitmq", "embedded"), default="rabbitmq")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="eventmgr-soak-"))
    data_dir, log = base / "data", base / "runner.log"
    vhost = None
    if args.broker == "rabbitmq":
        rabbitmq_vhost(create=False)  # left by an earlier soak whose process had this pid
        rabbitmq_vhost(create=True)
        vhost = RABBITMQ_VHOST
    try:
        return soak(args, data_dir, log, rabbitmq_url() if vhost else None, vhost)
    finally:
        if vhost:
            rabbitmq_vhost(create=False)


def soak(
    args: argparse.Namespace, data_dir: Path, log: Path, broker: str | None, vhost: str | None
) -> int:
    process, url = start(data_dir, log, broker)
    try:
        database_url = json.loads((data_dir / "run.json").read_text())["database_url"]
        organizer, participants = "organizer@soak.example.org", []
        make_user(data_dir, organizer, "organizer")
        for number in range(args.clients):
            participants.append(f"person-{number}@soak.example.org")
            make_user(data_dir, participants[-1], "participant")
        # Signed in one after the other: a burst of sign-ins from one address is throttled.
        with httpx.Client(base_url=url, timeout=30) as http:
            owner = token(http, organizer)
            people = [token(http, email) for email in participants]
        tally = Tally()
        started = time.monotonic()
        until = started + args.minutes * 60
        clients = [
            threading.Thread(
                target=client_loop, args=(url, owner, person, email, until, number, tally)
            )
            for number, (email, person) in enumerate(zip(participants, people, strict=True))
        ]
        for thread in clients:
            thread.start()
        runner = psutil.Process(process.pid)
        samples = [sample(runner, database_url, vhost, started)]
        while any(thread.is_alive() for thread in clients):
            time.sleep(args.sample_seconds)
            samples.append(sample(runner, database_url, vhost, started))
        for thread in clients:
            thread.join()
        tally.errors.extend(log_errors(log))
        ok = report(tally, samples, time.monotonic() - started)
        print(f"runner log: {log}")
        return 0 if ok else 1
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()


if __name__ == "__main__":
    raise SystemExit(main())
