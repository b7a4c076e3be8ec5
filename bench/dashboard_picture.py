"""Draw the overview dashboard's top row from a live Prometheus (Grafana cannot run here).

Starts `eventmgr up` on a scratch data dir and a real Prometheus scraping it every 2 s,
drives a few minutes of mixed traffic (browsing, event pages, registrations, some 404s and
refused logins), then asks Prometheus for the exact queries of the overview's "All
functions" row over that window and draws them to `docs/overview.png`.

Needs the Debian `prometheus` package (as `make test` installs). Run:
`python -m bench.dashboard_picture [SECONDS]`.
"""

from __future__ import annotations

import json
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import matplotlib
import yaml

from bench.startup import CLEAN_ENV, EVENTMGR
from local.embedded import free_port

matplotlib.use("Agg")
from matplotlib import pyplot

OUTPUT = Path("docs/overview.png")
STEP = "5s"
# One client address plays many people here: the per-address throttles would stop it.
ENV = {**CLEAN_ENV, "SIGNUPS_PER_ADDRESS_PER_HOUR": "1000", "LOGIN_FAILURES_PER_ADDRESS": "100000"}


def start_platform(data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [EVENTMGR, "up", "--data-dir", str(data_dir), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=ENV,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError("eventmgr up did not start")


def start_prometheus(base: Path, target: str) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("prometheus")
    if binary is None:
        sys.exit("prometheus is needed: apt-get install prometheus")
    config = {
        "global": {"scrape_interval": "2s"},
        "scrape_configs": [{"job_name": "eventmgr-up", "static_configs": [{"targets": [target]}]}],
    }
    (base / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={base / 'prometheus.yml'}",
            f"--storage.tsdb.path={base / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return process, f"http://127.0.0.1:{port}"


def drive(url: str, data_dir: Path, seconds: float) -> None:
    subprocess.run(
        [
            EVENTMGR,
            "users",
            "create",
            "--data-dir",
            str(data_dir),
            "--email",
            "org@bench.example",
            "--password",
            "organizer password",
            "--role",
            "organizer",
        ],
        env=CLEAN_ENV,
        check=True,
        capture_output=True,
    )
    api = httpx.Client(base_url=url, timeout=30)
    token = api.post(
        "/api/v1/auth/login", json={"email": "org@bench.example", "password": "organizer password"}
    ).json()["access_token"]
    organizer = {"Authorization": f"Bearer {token}"}
    events = [
        api.post(
            "/api/v1/events",
            headers=organizer,
            json={
                "title": f"Meetup {n}",
                "description": "Talks",
                "starts_at": "2031-05-01T18:00:00Z",
                "ends_at": "2031-05-01T21:00:00Z",
                "timezone": "UTC",
                "category": "meetup",
                "capacity": 30,
                "status": "published",
            },
        ).json()["id"]
        for n in range(5)
    ]
    people = []
    for n in range(40):
        email = f"person{n}@bench.example"
        api.post(
            "/api/v1/auth/register",
            json={"email": email, "password": "person password", "full_name": f"Person {n}"},
        )
        people.append(email)
    ends = time.monotonic() + seconds
    rng = random.Random(7)
    while time.monotonic() < ends:
        phase = (ends - time.monotonic()) / seconds  # traffic rises, then a burst of joins
        for _ in range(rng.randint(5, 15)):
            api.get("/api/v1/events")
            api.get(f"/api/v1/events/{rng.choice(events)}")
        if phase < 0.5 and people:
            email = people.pop()
            login = api.post(
                "/api/v1/auth/login", json={"email": email, "password": "person password"}
            ).json()
            if "access_token" in login:
                api.post(
                    f"/api/v1/events/{rng.choice(events)}/registrations",
                    headers={"Authorization": f"Bearer {login['access_token']}"},
                )
        api.get("/api/v1/events/00000000-0000-0000-0000-000000000000")
        api.post("/api/v1/auth/login", json={"email": "nobody@bench.example", "password": "x" * 10})
        time.sleep(0.5)


def draw(prometheus: str, started: float, finished: float) -> None:
    overview = json.loads(Path("dashboards/grafana/dashboards/overview.json").read_text())
    panels = [p for p in overview["panels"] if p["type"] != "row"][:3]
    figure, axes = pyplot.subplots(len(panels), 1, figsize=(11, 9), sharex=True)
    for axis, panel in zip(axes, panels, strict=True):
        target = panel["targets"][0]
        expr = target["expr"].replace("$__rate_interval", "20s")
        answer = httpx.get(
            f"{prometheus}/api/v1/query_range",
            params={"query": expr, "start": started, "end": finished, "step": STEP},
        ).json()
        for series in answer["data"]["result"]:
            label = series["metric"].get("function", "all")
            times = [float(t) - started for t, _ in series["values"]]
            values = [float(v) for _, v in series["values"]]
            axis.plot(times, values, label=label, linewidth=1.4)
        axis.set_title(panel["title"], loc="left", fontsize=11)
        axis.grid(alpha=0.3)
        axis.legend(fontsize=7, ncol=4, loc="upper left")
    axes[-1].set_xlabel("seconds")
    figure.suptitle("Event Manager: overview, all functions (live Prometheus, eventmgr up)")
    figure.tight_layout()
    OUTPUT.parent.mkdir(exist_ok=True)
    figure.savefig(OUTPUT, dpi=110)
    print(f"wrote {OUTPUT}")


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 150.0
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch)
        platform, url = start_platform(base / "data")
        prometheus, prometheus_url = start_prometheus(base, httpx.URL(url).netloc.decode())
        try:
            time.sleep(5)
            started = time.time()
            drive(url, base / "data", seconds)
            time.sleep(10)
            draw(prometheus_url, started, time.time())
        finally:
            prometheus.terminate()
            platform.send_signal(signal.SIGINT)
            platform.wait(60)
            prometheus.wait(30)


if __name__ == "__main__":
    main()
