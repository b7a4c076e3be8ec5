"""How fast things start, each against a bare FastAPI app with one route measured alongside.

The bare app's route has a path parameter, as the function's routes do: FastAPI imports
`pydantic.v1` (and builds its parameter models) for any route with a parameter, which a route
without one never pays; a baseline without it charged that framework cost to us.

- cold start of one function: process start → its first 200 (`/healthz`), uvicorn as the
  Dockerfile runs it, against the same for the bare app;
- import time of that function's handler module (`python -X importtime`), against the bare app's;
- `eventmgr up` → `/healthz` with an existing data directory (informative: no baseline;
  measured once).

Run: `python -m bench.startup [repeats]`.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.results import Figure
from local.embedded import free_port

EVENTMGR = str(Path(sys.executable).with_name("eventmgr"))
CLEAN_ENV = {
    k: v
    for k, v in os.environ.items()
    if k not in ("DATABASE_URL", "REDIS_URL", "JWT_PRIVATE_KEY", "INTERNAL_TOKEN", "LOG_LEVEL")
}
FUNCTION = "browse_events"
BARE_APP = "import fastapi; app = fastapi.FastAPI()\n@app.get('/x/{n}')\ndef x(n: int): return {}"
BARE_PATH = "/x/1"
# The uvicorn flags of the Dockerfile's CMD.
UVICORN = [sys.executable, "-m", "uvicorn", "--no-proxy-headers", "--no-access-log"]
UVICORN += ["--no-server-header", "--host", "127.0.0.1"]


def time_to_healthy(data_dir: Path) -> float:
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        [EVENTMGR, "up", "--data-dir", str(data_dir), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=CLEAN_ENV,
    )
    try:
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    return time.perf_counter() - started
            except httpx.TransportError:
                time.sleep(0.05)
            if process.poll() is not None:
                raise RuntimeError("eventmgr up exited")
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(60)


def _answers_200(port: int, path: str) -> bool:
    """One plain HTTP/1.1 GET over a socket: a client library's own import and set-up would
    blur a figure measured in milliseconds."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
            connection.sendall(
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode()
            )
            return connection.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def cold_start(app: str, path: str, env: dict[str, str], cwd: str | None = None) -> float:
    """Seconds from spawning uvicorn with `app` to the first 200 on `path`."""
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        [*UVICORN, "--port", str(port), app],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=cwd,
    )
    try:
        while not _answers_200(port, path):
            if process.poll() is not None:
                raise RuntimeError(f"{app} exited")
            time.sleep(0.002)
        return time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(30)


def import_seconds(code: str) -> float:
    """Total import time (µs → s) of a snippet, from `python -X importtime`."""
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=CLEAN_ENV,
    )
    total = 0
    for line in run.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\S.*)$", line)
        if match and not match.group(2).startswith(" "):
            total += int(match.group(1))
    return total / 1e6


def figures(repeats: int) -> list[Figure]:
    # A function starts with what its deployment gives it: a database and a cursor secret;
    # /healthz needs neither to answer.
    function_env = {**CLEAN_ENV, "CURSOR_SECRET": "bench-cursor-secret"}
    runs = max(repeats, 5)  # cheap and noisy: more runs
    ours: list[float] = []
    bare: list[float] = []
    ours_import: list[float] = []
    bare_import: list[float] = []
    with tempfile.TemporaryDirectory() as scratch:
        Path(scratch, "bare_app.py").write_text(BARE_APP + "\n")
        bare_env = {**CLEAN_ENV, "PYTHONPATH": scratch}
        for _ in range(runs):
            ours.append(cold_start(f"functions.{FUNCTION}.handler:app", "/healthz", function_env))
            bare.append(cold_start("bare_app:app", BARE_PATH, bare_env, cwd=scratch))
            ours_import.append(import_seconds(f"import functions.{FUNCTION}.handler"))
            bare_import.append(import_seconds(BARE_APP))
        data = Path(scratch) / "data"
        time_to_healthy(data)  # initdb + migrations, once
        # Once: an informative figure with no baseline to pair with, and at ~30 s a start on
        # a loaded machine the dearest run of the module.
        up = [time_to_healthy(data)]
    bare_name = "bare FastAPI app, one route with a path parameter"
    return [
        Figure(
            name=f"cold start of {FUNCTION}: process start → first 200",
            unit="ms",
            ours=[value * 1000 for value in ours],
            baseline=[value * 1000 for value in bare],
            baseline_name=bare_name,
            goal="<= 1.5x",
            higher_is_better=False,
            notes="uvicorn with the Dockerfile's flags",
        ),
        Figure(
            name=f"import of functions.{FUNCTION}.handler",
            unit="ms",
            ours=[value * 1000 for value in ours_import],
            baseline=[value * 1000 for value in bare_import],
            baseline_name=bare_name,
            goal="<= 1.5x",
            higher_is_better=False,
            notes="python -X importtime",
        ),
        Figure(
            name="eventmgr up → /healthz, existing data directory",
            unit="s",
            ours=up,
            higher_is_better=False,
            notes="embedded PostgreSQL and Redis, every function",
        ),
    ]


if __name__ == "__main__":
    from bench.results import table

    print(table(figures(int(sys.argv[1]) if len(sys.argv) > 1 else 3)))
