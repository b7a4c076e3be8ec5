"""The compose stack: its secrets, its start in the order Docker Compose keeps, its health,
its logs, and its removal.

podman 4.3 cannot wait for `condition: service_healthy` (podman-compose skips that condition
before podman 4.6) and runs no health check on its own (no systemd timers in this machine), so
the stack is started in the compose file's dependency order, one tier at a time, and each
tier's health checks are run here with `podman healthcheck run` until they pass. Each later tier
is started with `--no-deps`: podman-compose would otherwise recreate the finished jobs and give
each container `--requires`, and podman 4.3 cannot start a container whose running dependency
has dependencies of its own ("… not found in input list", fixed in podman 5.6).
"""

from __future__ import annotations

import json
import secrets as tokens
import time
from pathlib import Path
from typing import Any

import yaml

from rehearsal.podman import (
    COLDSTART_PREFIX,
    PROJECT,
    ROOT,
    compose,
    containers,
    healthy,
    podman,
    service_of,
)

SECRETS = ROOT / "secrets"
MARKER = SECRETS / ".made-by-rehearsal"
# What cannot run here: no stand-in from Debian's packages (left out, listed in the README).
LEFT_OUT = frozenset(
    {
        "elasticsearch",
        "elasticsearch-setup",
        "kibana",
        "kibana-setup",
        "fluent-bit",
        "prometheus",
        "alertmanager",
        "grafana",
    }
)
BACKING = ("postgres", "redis", "rabbitmq", "minio", "mailpit")
JOBS = ("minio-setup", "migrate")
# Long-running services that need only the backing tier: started with the jobs.
POOLER = ("pgbouncer",)


def compose_file() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "docker-compose.yml").read_text()))


def rehearsed_services(file: dict[str, Any]) -> list[str]:
    return [name for name in file["services"] if name not in LEFT_OUT]


def has_healthcheck(service: dict[str, Any]) -> bool:
    check = service.get("healthcheck") or {}
    return bool(check) and not check.get("disable", False)


def write_secrets() -> None:
    """One file per secret, as docs/deploy-compose.md makes them (0644 in a 0700 folder).
    A ./secrets the rehearsal did not write is a real deployment's: never touched."""
    from shared.security.tokens import generate_private_key_pem, jwks_for

    if SECRETS.exists() and not MARKER.exists():
        raise RuntimeError(f"{SECRETS} exists and was not made by the rehearsal: move it away")
    SECRETS.mkdir(mode=0o700, exist_ok=True)
    pg, mq = tokens.token_hex(24), tokens.token_hex(24)
    signing = generate_private_key_pem()
    values = {
        "postgres_password": pg,
        # The functions and the worker go through PgBouncer; PgBouncer and `migrate` do not.
        "database_url": f"postgresql://eventmanager:{pg}@pgbouncer:6432/eventmanager",
        "database_direct_url": f"postgresql://eventmanager:{pg}@postgres:5432/eventmanager",
        "rabbitmq_credentials": f"default_user = eventmanager\ndefault_pass = {mq}\n",
        "rabbitmq_url": f"amqp://eventmanager:{mq}@rabbitmq:5672/",
        "redis_url": "redis://redis:6379/0",
        "smtp_url": "smtp://mailpit:1025",
        "internal_token": tokens.token_hex(32),
        "cloudevent_key": tokens.token_hex(32),
        "cursor_secret": tokens.token_hex(32),
        "storage_url_secret": tokens.token_hex(32),
        "calendar_feed_secret": tokens.token_hex(32),
        "unsubscribe_secret": tokens.token_hex(32),
        "ticket_key": tokens.token_hex(32),
        "sendgrid_api_key": "",
        "s3_access_key": "eventmanager-functions",
        "s3_secret_key": tokens.token_hex(24),
        "minio_root_user": "eventmanager",
        "minio_root_password": tokens.token_hex(24),
        "grafana_admin_password": tokens.token_hex(16),
        "slack_webhook_url": "https://hooks.slack.invalid/services/rehearsal",
        "jwt_private_key": signing,
        "jwt_public_keys": json.dumps(jwks_for(signing)),
        "vapid_private_key": generate_private_key_pem(),
    }
    MARKER.write_text("")
    for name, value in values.items():
        path = SECRETS / name
        path.write_text(value)
        path.chmod(0o644)


def remove_secrets() -> None:
    if MARKER.exists():
        for path in SECRETS.iterdir():
            path.unlink()
        SECRETS.rmdir()


def by_service() -> dict[str, str]:
    return {service_of(c): c["Names"][0] for c in containers()}


def state(name: str) -> dict[str, Any]:
    found = json.loads(podman("inspect", "--format", "{{json .State}}", name))
    return dict(found)


def wait_healthy(services: list[str], file: dict[str, Any], timeout: float = 300) -> None:
    """Each service's compose health check passes (or, without one, its container runs)."""
    names = by_service()
    waiting = set(services)
    deadline = time.monotonic() + timeout
    while waiting:
        for service in sorted(waiting):
            name = names[service]
            if has_healthcheck(file["services"][service]):
                ok = state(name)["Status"] == "running" and healthy(name)
            else:
                ok = state(name)["Status"] == "running"
            if ok:
                waiting.discard(service)
        if waiting and time.monotonic() > deadline:
            raise RuntimeError(f"not healthy after {timeout:.0f} s: {sorted(waiting)}")
        if waiting:
            time.sleep(2)


def wait_completed(services: tuple[str, ...], timeout: float = 300) -> None:
    """`condition: service_completed_successfully`: exited, and with 0."""
    names = by_service()
    deadline = time.monotonic() + timeout
    for service in services:
        while state(names[service])["Status"] != "exited":
            if time.monotonic() > deadline:
                raise RuntimeError(f"{service} still running after {timeout:.0f} s")
            time.sleep(1)
        code = state(names[service])["ExitCode"]
        if code != 0:
            raise RuntimeError(f"{service} exited with {code}")


def up(file: dict[str, Any]) -> dict[str, float]:
    """Start the stack tier by tier; seconds per tier."""
    timings: dict[str, float] = {}
    started = time.monotonic()
    compose("up", "-d", *BACKING)
    wait_healthy(list(BACKING), file)
    timings["backing services healthy"] = time.monotonic() - started
    started = time.monotonic()
    compose("up", "-d", "--no-deps", *POOLER, *JOBS)
    wait_completed(JOBS)
    wait_healthy(list(POOLER), file)
    timings["pgbouncer healthy, migrate and minio-setup done"] = time.monotonic() - started
    started = time.monotonic()
    rest = [s for s in rehearsed_services(file) if s not in (*BACKING, *POOLER, *JOBS)]
    compose("up", "-d", "--no-deps", *rest)
    wait_healthy(rest, file)
    timings["functions, workers and gateway healthy"] = time.monotonic() - started
    return timings


def unhealthy_now(file: dict[str, Any]) -> list[str]:
    """At the end: every long-running service still healthy (and running)."""
    names = by_service()
    bad = []
    for service in rehearsed_services(file):
        if service in JOBS:
            continue
        name = names[service]
        running = state(name)["Status"] == "running"
        checked = not has_healthcheck(file["services"][service]) or healthy(name)
        if not (running and checked):
            bad.append(service)
    return bad


def down() -> None:
    """compose down, then whatever it missed (a killed run's cold-start containers keep the
    network in use, and compose removes the network only once no container holds it)."""
    compose("down", "--volumes", "--remove-orphans", check=False, timeout=600)
    for kind, name in leftovers():
        remove = ["rm", "--force", "--volumes"] if kind == "container" else [kind, "rm", "--force"]
        podman(*remove, name, check=False)


def leftovers() -> list[tuple[str, str]]:
    """What a run creates, by kind: the project's containers, volumes, networks and pod, and
    the cold-start containers (not the project's: run alone)."""
    label = f"label=io.podman.compose.project={PROJECT}"

    def names(*args: str) -> list[str]:
        return podman(*args, "--noheading", "--format", "{{.Name}}").split()

    found = [("container", c["Names"][0]) for c in containers()]
    found += [
        ("container", name)
        for name in podman("ps", "-a", "--format", "{{.Names}}").split()
        if name.startswith(COLDSTART_PREFIX)
    ]
    found += [("volume", name) for name in names("volume", "ls", "--filter", label)]
    found += [("network", name) for name in names("network", "ls", "--filter", label)]
    found += [("pod", name) for name in names("pod", "ps", "--filter", f"name=^pod_{PROJECT}$")]
    return found


def left_behind() -> list[str]:
    return [f"{kind} {name}" for kind, name in leftovers()]


def path_in_repo(path: Path) -> str:
    return str(path.relative_to(ROOT))
