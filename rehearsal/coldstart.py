"""Cold start per function image: from `podman run` to the first 200 from /readyz, each image
alone with only its own secrets and environment (as compose gives them), on the stack's network
so /readyz can reach PostgreSQL; beside a bare FastAPI image's, in the same run.

The container is probed at its own address on the stack's bridge network, as Knative's
activator reaches a pod, not through a published host port, which would add the host's port
forwarding to the figure (and hid why one container never answered: podman 4.3 had given it
the network's broadcast address; see local/deploy/compose.py)."""

from __future__ import annotations

import json
import re
import secrets
import time
from typing import Any

import httpx

from rehearsal.podman import COLDSTART_PREFIX, ROOT, logs, podman

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


def address_in(networks: str, network: str) -> str:
    """The IPv4 address on `network` in `podman inspect`'s `.NetworkSettings.Networks` JSON;
    "" until podman has given the container one."""
    try:
        return str(json.loads(networks)[network]["IPAddress"] or "")
    except (ValueError, KeyError, TypeError):
        return ""


def address(name: str, network: str) -> str:
    found = podman("inspect", "--format", "{{json .NetworkSettings.Networks}}", name, check=False)
    return address_in(found, network)


def measure(image: str, network: str, options: list[str], timeout: float = 120) -> float:
    """Seconds from `podman run` to the first 200 from /readyz; the container is removed."""
    name = f"{COLDSTART_PREFIX}{secrets.token_hex(4)}"
    started = time.monotonic()
    podman("run", "--detach", "--name", name, "--network", network, *options, image)
    last = "no answer"
    try:
        ip = address(name, network)
        while time.monotonic() - started < timeout:
            ip = ip or address(name, network)
            try:
                if not ip:
                    raise httpx.ConnectError("no address on the network yet")
                # The bridge's addresses are this host's own: never through a proxy.
                answer = httpx.get(f"http://{ip}:8080/readyz", timeout=2, trust_env=False)
                if answer.status_code == 200:
                    return time.monotonic() - started
                last = f"{answer.status_code} {answer.text[:300]}"
            except httpx.HTTPError as error:
                last = f"{type(error).__name__}: {error}"
            time.sleep(0.05)
        # What it said is the only trace left: the container is removed below.
        state = podman("inspect", "--format", "{{json .State}}", name, check=False)
        raise RuntimeError(
            f"{image}: no 200 from /readyz at {ip or '?'} within {timeout:.0f} s; last: {last}; "
            f"state: {state[:300]}; log: {logs(name)[-15:]}"
        )
    finally:
        podman("rm", "--force", name, check=False)


def function_options(service: dict[str, Any], file: dict[str, Any]) -> list[str]:
    options = secret_mounts(service, file)
    for key, value in environment(service).items():
        options += ["--env", f"{key}={value}"]
    return options
