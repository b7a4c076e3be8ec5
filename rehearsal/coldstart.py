"""Cold start per function image: from `podman run` to the first 200 from /readyz, each image
alone with only its own secrets and environment (as compose gives them), on the stack's network
so /readyz can reach PostgreSQL; beside a bare FastAPI image's, in the same run."""

from __future__ import annotations

import re
import socket
import time
from typing import Any

import httpx

from rehearsal.podman import ROOT, logs, podman

BARE = "localhost/rehearsal/bare-fastapi:standin"
DEFAULT = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*:-([^}]*)\}")


def environment(service: dict[str, Any]) -> dict[str, str]:
    """The service's environment with compose's `${VAR:-default}` taken at its default."""
    return {k: DEFAULT.sub(r"\1", str(v)) for k, v in (service.get("environment") or {}).items()}


def secret_mounts(service: dict[str, Any], file: dict[str, Any]) -> list[str]:
    mounts = []
    for item in service.get("secrets") or []:
        source = item if isinstance(item, str) else item["source"]
        target = item if isinstance(item, str) else item.get("target", source)
        path = target if target.startswith("/") else f"/run/secrets/{target}"
        host = ROOT / file["secrets"][source]["file"]
        mounts += ["--volume", f"{host.resolve()}:{path}:ro"]
    return mounts


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def measure(image: str, network: str, options: list[str], timeout: float = 120) -> float:
    """Seconds from `podman run` to the first 200 from /readyz; the container is removed."""
    port = free_port()
    name = f"rehearsal-coldstart-{port}"
    started = time.monotonic()
    podman(
        "run", "--detach", "--name", name, "--network", network,
        "--publish", f"127.0.0.1:{port}:8080", *options, image,
    )  # fmt: skip
    last = "no answer"
    try:
        while time.monotonic() - started < timeout:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
                if answer.status_code == 200:
                    return time.monotonic() - started
                last = f"{answer.status_code} {answer.text[:300]}"
            except httpx.HTTPError as error:
                last = f"{type(error).__name__}: {error}"
            time.sleep(0.05)
        # What it said is the only trace left: the container is removed below.
        state = podman("inspect", "--format", "{{json .State}}", name, check=False)
        raise RuntimeError(
            f"{image}: no 200 from /readyz within {timeout:.0f} s; last: {last}; "
            f"state: {state[:300]}; log: {logs(name)[-15:]}"
        )
    finally:
        podman("rm", "--force", name, check=False)


def function_options(service: dict[str, Any], file: dict[str, Any]) -> list[str]:
    options = secret_mounts(service, file)
    for key, value in environment(service).items():
        options += ["--env", f"{key}={value}"]
    return options
