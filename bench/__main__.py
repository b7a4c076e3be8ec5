"""`python -m bench [repeats] [module ...]` (`make bench`): every figure of the target table,
written to bench/results.md with the machine and the versions it was measured on.

`python -m bench --only rush,eventing [repeats]`: only those modules, their tables printed and
bench/results.md left as it is (a partial run must not replace the whole table).

Each module of MODULES runs in its own process (each sets up its own database, environment
and servers, which must not leak into the next) and hands its figures back as JSON.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from datetime import UTC, datetime
from importlib import import_module
from importlib.metadata import version
from pathlib import Path

from bench.results import Figure, table

# In the order the table shows them; each exposes `figures(repeats) -> list[Figure]`.
MODULES = ("reads", "startup", "rush", "eventing", "reminders")
RESULTS = Path(__file__).with_name("results.md")
REPEATS = 3
PACKAGES = ("fastapi", "starlette", "uvicorn", "pydantic", "sqlalchemy", "psycopg", "redis")


def run_one(name: str, repeats: int, output: Path) -> None:
    """In the child process: one module's figures, as JSON."""
    module = import_module(f"bench.{name}")
    found: list[Figure] = module.figures(repeats)
    output.write_text(json.dumps([asdict(figure) for figure in found]))


def collect(name: str, repeats: int) -> tuple[list[Figure], float]:
    with tempfile.TemporaryDirectory() as scratch:
        output = Path(scratch, "figures.json")
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "bench", "--one", name, str(repeats), str(output)],
            check=True,
        )
        elapsed = time.perf_counter() - started
        return [Figure(**item) for item in json.loads(output.read_text())], elapsed


def machine() -> list[str]:
    cpu = platform.processor() or platform.machine()
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = ""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory = f", {int(line.split()[1]) / 1024 / 1024:.1f} GiB RAM"
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    versions = ", ".join(f"{package} {version(package)}" for package in PACKAGES)
    return [
        f"- Machine: {cpu}, {os.cpu_count()} cores{memory}; load average at the end {load}",
        f"- Python {platform.python_version()} on {platform.platform()}",
        f"- {versions}",
        f"- {_server_versions()}",
    ]


def _server_versions() -> str:
    import psycopg
    import redis

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres") as connection:
        row = connection.execute("SHOW server_version").fetchone()
    postgres = row[0] if row else "?"
    info = redis.Redis.from_url("redis://127.0.0.1:6379/0").info("server")
    return f"PostgreSQL {postgres}, Redis {info['redis_version']}"


def render(results: list[tuple[str, list[Figure], float]], repeats: int) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Benchmark results",
        "",
        f"Written by `make bench` (`python -m bench`) on {when}; each figure measured {repeats} "
        "times, interleaved with its baseline in the same run. Ratios are ours ÷ baseline per "
        "pair of runs; a goal is checked on the median.",
        "",
        *machine(),
        "",
        table([figure for _, found, _ in results for figure in found]),
        "Time per module: "
        + ", ".join(f"{name} {elapsed:.0f} s" for name, _, elapsed in results)
        + f"; in all {_minutes(sum(elapsed for _, _, elapsed in results))}.",
        "",
    ]
    return "\n".join(lines)


def _minutes(seconds: float) -> str:
    return f"{int(seconds // 60)} min {seconds % 60:02.0f} s"


def main(argv: list[str]) -> None:
    if argv[:1] == ["--one"]:
        run_one(argv[1], int(argv[2]), Path(argv[3]))
        return
    only = argv[:1] == ["--only"]
    names: list[str] = argv[1].split(",") if only else argv[1:] or list(MODULES)
    if only:
        argv = argv[2:]
    repeats = int(argv[0]) if argv else REPEATS
    results = []
    for name in names:
        print(f"bench: {name}…", flush=True)
        found, elapsed = collect(name, repeats)
        results.append((name, found, elapsed))
        print(table(found), flush=True)
        print(f"bench: {name} took {_minutes(elapsed)}", flush=True)
    total = sum(elapsed for _, _, elapsed in results)
    if only:
        print(f"bench: {len(results)} modules in {_minutes(total)}; {RESULTS} left as it is")
        return
    RESULTS.write_text(render(results, repeats))
    print(f"bench: {len(results)} modules in {_minutes(total)}; written to {RESULTS}")


if __name__ == "__main__":
    main(sys.argv[1:])
