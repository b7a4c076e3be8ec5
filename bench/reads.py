"""The read path under load, each figure against a baseline measured in the same run.

With a deployment's defaults (INFO access lines, metrics, traceparent, auth dependency on):
- the event page through the gateway, served from the Redis cache, and with the cache off;
- the first page of the public list, cached and not;
- the web front end's public page of that event, for a visitor without a session, cached
  (the web function calls the API through the same gateway, as it does when deployed);
- baseline for each: an `async def` FastAPI endpoint answering the same pre-encoded bytes,
  same uvicorn settings (bench.serve);
Ours is every figure's request through the local gateway (`local/gateway.py`, as `eventmgr up`
serves): the gateway and the functions share one process, so ours pays the gateway's routing,
ids and access line but no extra network hop, and the baseline is one process answering direct.
- memory of one function process (browse_events alone) after 10,000 mixed requests, and its
  growth over the next 10,000 (one process, measured once).

wrk, 64 connections, `SECONDS` each; the runs of a figure and of its baseline are interleaved
so a noisy neighbour hits both. Access lines go to a log file, as a shipper would read them.
Needs PostgreSQL, Redis and `wrk`. Run: `python -m bench.reads [repeats]`.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import httpx
import psycopg
import redis

from bench.results import Figure
from local.embedded import free_port

ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE = "eventmgr_bench_reads"
REDIS_URL = "redis://127.0.0.1:6379/14"
SECONDS = 5
CONNECTIONS = 64
MEMORY_REQUESTS = 10_000
LISTED_EVENTS = 30
LOGS = Path(tempfile.gettempdir(), "eventmgr-bench-reads")


def configure() -> None:
    """The environment every process of this run shares (servers inherit it)."""
    from shared.security.tokens import generate_private_key_pem

    os.environ.update(
        DATABASE_URL=f"postgresql://postgres@127.0.0.1:5432/{DATABASE}",
        REDIS_URL=REDIS_URL,
        JWT_PRIVATE_KEY=generate_private_key_pem(),
        CURSOR_SECRET="bench-cursor-secret",  # noqa: S106 - a throwaway secret for a local run
    )
    for tuned in ("LOG_LEVEL", "DB_POOL_SIZE", "CACHE_EVENT_PAGE_SECONDS"):
        os.environ.pop(tuned, None)  # the defaults a deployment gets


def prepare() -> None:
    with psycopg.connect(ADMIN, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{DATABASE}"')
    from shared.migrations import upgrade

    upgrade(os.environ["DATABASE_URL"])
    redis.Redis.from_url(REDIS_URL).flushdb()


def seed() -> tuple[str, str]:
    """LISTED_EVENTS published events (the first is the one whose page is read), and an
    access token of a participant (for the memory run's signed-in requests)."""
    from shared.db import unit_of_work
    from shared.events.schemas import EventCreate
    from shared.events.service import create_event
    from shared.security.passwords import hash_password
    from shared.security.tokens import issue_access_token
    from shared.users.models import Role, User

    password_hash = hash_password("bench password")
    people = [
        User(
            email=f"{role.value}-{uuid.uuid4().hex}@bench.example",
            password_hash=password_hash,
            full_name="Bench Person",
            role=role,
            email_verified=True,
            is_active=True,
            locale="en",
            timezone="UTC",
        )
        for role in (Role.organizer, Role.participant)
    ]
    with unit_of_work() as session:
        session.add_all(people)
    organizer, participant = people
    ids = []
    for number in range(LISTED_EVENTS):
        starts = datetime.now(UTC) + timedelta(days=30 + number)
        data = EventCreate(
            title=f"Bench conference {number}",
            description="A day of talks about systems that stay correct under load. " * 5,
            starts_at=starts,
            ends_at=starts + timedelta(hours=8),
            timezone="Europe/Berlin",
            category="conference",
            tags=["python", "databases"],
            capacity=200,
            status="published",
        )
        with unit_of_work() as session:
            ids.append(str(create_event(session, organizer.id, data).id))
    token, _ = issue_access_token(participant.id, participant.role.value, uuid.uuid4())
    return ids[0], token


def serve(name: str, env: dict[str, str], *args: str) -> tuple[subprocess.Popen[bytes], str]:
    LOGS.mkdir(exist_ok=True)
    port = free_port()
    if args[0] == "gateway":
        # The web front end calls the public API through this very gateway.
        env = {"WEB_API_URL": f"http://127.0.0.1:{port}", **env}
    with (LOGS / f"{name}.log").open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.serve", *args[:1], str(port), *args[1:]],
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    probe = "/document" if args[0] == "bare" else "/healthz"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + probe, timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{name} did not start (see {LOGS / name}.log)")


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def wrk(url: str, seconds: int = SECONDS) -> tuple[float, float]:
    """Requests per second and the 99th percentile latency in ms."""
    run = subprocess.run(
        # A 10 s timeout (wrk has 2 s): on a loaded machine a slow answer is a figure, not an error
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    )
    if "Non-2xx" in run.stdout or "Socket errors" in run.stdout:
        raise RuntimeError(f"errors under load:\n{run.stdout}")
    rate = re.search(r"Requests/sec:\s+([\d.]+)", run.stdout)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", run.stdout)
    assert rate, run.stdout
    assert p99, run.stdout
    return float(rate.group(1)), float(p99.group(1)) * _UNITS[p99.group(2)]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


async def hammer(url: str, paths: list[tuple[str, dict[str, str]]], count: int) -> None:
    """`count` requests cycling through `paths`, CONNECTIONS at a time; every answer a 200."""
    connector = aiohttp.TCPConnector(limit=CONNECTIONS)
    async with aiohttp.ClientSession(connector=connector) as client:
        queue = iter(range(count))

        async def worker() -> None:
            for number in queue:
                path, headers = paths[number % len(paths)]
                async with client.get(url + path, headers=headers) as response:
                    await response.read()
                    if response.status != 200:
                        raise RuntimeError(f"{path}: {response.status}")

        await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))


def memory(event_id: str, token: str) -> tuple[float, float]:
    """RSS of browse_events after MEMORY_REQUESTS requests, and its growth (%) over as many
    more: event pages and list pages, anonymous and signed in, cached and not."""
    process, url = serve("browse_events", {}, "function", "browse_events")
    signed_in = {"Authorization": f"Bearer {token}"}
    paths = [
        (f"/api/v1/events/{event_id}", {}),
        ("/api/v1/events", {}),
        (f"/api/v1/events/{event_id}", signed_in),
        ("/api/v1/events?category=conference&limit=5", {}),
        ("/api/v1/categories", {}),
    ]
    try:
        asyncio.run(hammer(url, paths, MEMORY_REQUESTS))
        first = rss_mib(process.pid)
        asyncio.run(hammer(url, paths, MEMORY_REQUESTS))
        second = rss_mib(process.pid)
    finally:
        process.terminate()
        process.wait(30)
    return first, (second - first) / first * 100


def figures(repeats: int) -> list[Figure]:
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    configure()
    prepare()
    event_id, token = seed()
    page = f"/api/v1/events/{event_id}"
    web_page = f"/events/{event_id}"
    cached, cached_url = serve("gateway", {}, "gateway")
    uncached, uncached_url = serve("gateway-nocache", {"REDIS_URL": ""}, "gateway")
    servers = [cached, uncached]
    try:
        with tempfile.TemporaryDirectory() as scratch:
            documents = [Path(scratch, name) for name in ("event.json", "list.json", "page.html")]
            documents[0].write_bytes(httpx.get(cached_url + page).content)
            documents[1].write_bytes(httpx.get(cached_url + "/api/v1/events").content)
            documents[2].write_bytes(httpx.get(cached_url + web_page).content)
            bare, bare_url = serve("bare", {}, "bare", *map(str, documents))
            servers.append(bare)
        targets = {
            "bare page": bare_url + "/document",
            "bare list": bare_url + "/list",
            "bare web page": bare_url + "/page",
            "page cached": cached_url + page,
            "page uncached": uncached_url + page,
            "list cached": cached_url + "/api/v1/events",
            "list uncached": uncached_url + "/api/v1/events",
            "web page cached": cached_url + web_page,
        }
        for url in targets.values():
            wrk(url, seconds=1)  # warm up: caches filled, pools open
        rates: dict[str, list[float]] = {name: [] for name in targets}
        p99s: dict[str, list[float]] = {name: [] for name in targets}
        for _ in range(repeats):
            for name, url in targets.items():
                rate, p99 = wrk(url)
                rates[name].append(rate)
                p99s[name].append(p99)
    finally:
        for process in servers:
            process.terminate()
            process.wait(30)
    # One process, once: 20,000 requests are the dearest part of the module on a loaded machine,
    # and the figure is that process's own (runs differed by 1 MiB), not a ratio needing pairs.
    rss, growth = memory(event_id, token)
    how = (
        f"local gateway and function in one process, baseline direct; wrk {CONNECTIONS} "
        f"connections, {SECONDS} s, one uvicorn process each"
    )
    bare_page = "async def endpoint, same bytes"

    def throughput(name: str, baseline: str, goal: str, notes: str = how) -> Figure:
        return Figure(
            name=name,
            unit="req/s",
            ours=rates[name_of[name]],
            baseline=rates[baseline],
            baseline_name=bare_page,
            goal=goal,
            notes=notes,
        )

    name_of = {
        "event page through the gateway, cached": "page cached",
        "event page, cache off": "page uncached",
        "first public list page, cached": "list cached",
        "first public list page, cache off": "list uncached",
        "web front end's event page, cached": "web page cached",
    }
    return [
        throughput("event page through the gateway, cached", "bare page", ">= 0.5x"),
        Figure(
            name="event page through the gateway, cached: p99 latency",
            unit="ms",
            ours=p99s["page cached"],
            baseline=p99s["bare page"],
            baseline_name=bare_page,
            goal="<= 3x",
            higher_is_better=False,
            notes=how,
        ),
        throughput(
            "event page, cache off", "bare page", ">= 0.25x", f"PostgreSQL every time; {how}"
        ),
        throughput("first public list page, cached", "bare list", ">= 0.4x"),
        throughput("first public list page, cache off", "bare list", ">= 0.15x"),
        # Issue 22: in the same ratio to a bare endpoint as the API's cached event page.
        throughput(
            "web front end's event page, cached",
            "bare web page",
            ">= 0.5x",
            f"a visitor without a session; the HTML page's bytes for the baseline; {how}",
        ),
        Figure(
            name=f"memory of browse_events after {MEMORY_REQUESTS:,} requests",
            unit="MiB RSS",
            ours=[rss],
            goal="<= 120 MiB",
            higher_is_better=False,
            notes="event and list pages, anonymous and signed in",
        ),
        Figure(
            name=f"memory growth over the next {MEMORY_REQUESTS:,} requests",
            unit="%",
            ours=[growth],
            goal="<= 5 %",
            higher_is_better=False,
        ),
    ]


if __name__ == "__main__":
    from bench.results import table

    print(table(figures(int(sys.argv[1]) if len(sys.argv) > 1 else 3)))
