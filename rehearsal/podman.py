"""The podman and podman-compose commands the rehearsal runs, in one place."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "eventmanager-rehearsal"
IMAGE_TAG = "rehearsal"
OVERRIDE = ROOT / "rehearsal" / "compose.override.yml"
# The cold-start containers run alone, outside the compose project: found by this prefix.
COLDSTART_PREFIX = "rehearsal-coldstart-"


def podman(*args: str, check: bool = True, timeout: float | None = 600) -> str:
    done = subprocess.run(  # noqa: S603
        ["podman", *args],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check and done.returncode != 0:
        raise RuntimeError(f"podman {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def compose(*args: str, check: bool = True, timeout: float | None = 900) -> str:
    """podman-compose on the committed docker-compose.yml plus the stand-in override."""
    runner = (
        shutil.which("podman-compose", path=str(Path(sys.executable).parent)) or "podman-compose"
    )
    done = subprocess.run(  # noqa: S603
        [
            runner,
            "--project-name",
            PROJECT,
            "-f",
            str(ROOT / "docker-compose.yml"),
            "-f",
            str(OVERRIDE),
            *args,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, "IMAGE_TAG": IMAGE_TAG},
    )
    if check and done.returncode != 0:
        raise RuntimeError(
            f"podman-compose {' '.join(args)} failed:\n{done.stdout[-2000:]}{done.stderr[-3000:]}"
        )
    return done.stdout


def containers() -> list[dict[str, Any]]:
    """Every container of the rehearsal's compose project, running or not."""
    listed = podman(
        "ps", "-a", "--format", "json", "--filter", f"label=io.podman.compose.project={PROJECT}"
    )
    return list(json.loads(listed or "[]"))


def service_of(container: dict[str, Any]) -> str:
    return str(container["Labels"]["com.docker.compose.service"])


def logs(name: str) -> list[str]:
    done = subprocess.run(  # noqa: S603
        ["podman", "logs", name],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return (done.stdout + done.stderr).splitlines()


def healthy(name: str) -> bool:
    """The container's own health check, run now (podman 4.3 schedules none without systemd)."""
    done = subprocess.run(  # noqa: S603
        ["podman", "healthcheck", "run", name],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done.returncode == 0
