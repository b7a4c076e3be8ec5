"""How fast the platform starts: `eventmgr up` until /healthz answers, and a function's imports.

Run with `make bench` (or `python -m bench.startup`). Figures are wall-clock on this machine;
the import figures are also given as a ratio to a bare FastAPI app measured in the same run.
"""

from __future__ import annotations

import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from local.embedded import free_port

EVENTMGR = str(Path(sys.executable).with_name("eventmgr"))
CLEAN_ENV = {
    k: v
    for k, v in os.environ.items()
    if k not in ("DATABASE_URL", "REDIS_URL", "JWT_PRIVATE_KEY", "INTERNAL_TOKEN")
}
BARE_APP = "import fastapi; app = fastapi.FastAPI()\n@app.get('/x')\ndef x(): return {}"


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


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        data = Path(scratch) / "data"
        first = time_to_healthy(data)  # initdb + migrations
        warm = [time_to_healthy(data) for _ in range(3)]
    function = statistics.median(
        import_seconds("import functions.browse_events.handler") for _ in range(5)
    )
    bare = statistics.median(import_seconds(BARE_APP) for _ in range(5))
    print(f"eventmgr up → /healthz, empty data dir:   {first:.2f} s")
    print(
        f"eventmgr up → /healthz, existing data:    {statistics.median(warm):.2f} s "
        f"(median of {len(warm)})"
    )
    print(f"import of functions.browse_events.handler: {function * 1000:.0f} ms")
    print(f"import of a bare FastAPI app:              {bare * 1000:.0f} ms")
    print(f"ratio function / bare FastAPI:             {function / bare:.2f}x")


if __name__ == "__main__":
    main()
