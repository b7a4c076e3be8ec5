"""`stack.yml`: every function on OpenFaaS, built from the Dockerfile's `openfaas` stage.

OpenFaaS names must be DNS labels, so a function is deployed as `service_name(name)`. Its
secrets are OpenFaaS secrets named like the files `shared.config` reads from
`/var/openfaas/secrets` (`database-url`), so each function gets exactly its own.
`${VAR:-default}` values are filled in by faas-cli from the environment at deploy time.

Editions: OpenFaaS CE (faas-netes) refuses a 16th function (`MaxFunctions = 15`) and has no
autoscaler, idler or custom readiness probe; the platform has more functions than that, so it
needs OpenFaaS Standard or Enterprise (docs/deploy-openfaas.md). The processes beside the
functions (dispatcher, scheduler, worker, migration, public gateway) are Kubernetes manifests
in `openfaas/` (local/deploy/openfaas_manifests.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from local.deploy.common import (
    dump_yaml,
    extras_of,
    openfaas_image,
    secret_file,
    secrets_of,
    service_name,
)
from local.registry import Deployed

if TYPE_CHECKING:
    from local.render import Rendered

STACK = Path("stack.yml")
IMAGE_TAG = "${IMAGE_TAG:-latest}"
REQUESTS = {"memory": "128Mi", "cpu": "50m"}
LIMITS = {"memory": "512Mi", "cpu": "1000m"}
ENVIRONMENT = {
    "LOG_LEVEL": "${LOG_LEVEL:-INFO}",
    "PUBLIC_URL": "${PUBLIC_URL:-http://127.0.0.1:8080}",
    "CORS_ORIGINS": "${CORS_ORIGINS:-}",
    # The watchdog (loopback) and the cluster's pod network (the OpenFaaS gateway, Nginx):
    # set TRUSTED_PROXIES to your cluster's pod CIDR.
    "TRUSTED_PROXIES": "${TRUSTED_PROXIES:-127.0.0.1/32,10.0.0.0/8}",
    # Object storage (media, reports): empty S3_ENDPOINT means a local directory, which a
    # function's container loses on restart, so set it.
    "S3_ENDPOINT": "${S3_ENDPOINT:-}",
    "S3_SECURE": "${S3_SECURE:-true}",
    "S3_BUCKET": "${S3_BUCKET:-eventmanager-media}",
    "S3_PUBLIC_ENDPOINT": "${S3_PUBLIC_ENDPOINT:-}",
    # of-watchdog's own limits (its default is 10 s); the OpenFaaS gateway's must be as long.
    "read_timeout": "65s",
    "write_timeout": "65s",
    "exec_timeout": "60s",
    # of-watchdog's /_/ready asks the app's /readyz (it answers once uvicorn listens and
    # PostgreSQL does): without it the watchdog reports ready before uvicorn is up.
    "ready_path": "/readyz",
    # After SIGTERM the watchdog fails /_/ready for this long before it stops accepting, so
    # the probes take the replica out first. Its default is write_timeout (65 s), beyond the
    # pod's termination grace period: the pod was killed before it had drained.
    "healthcheck_interval": "5s",
}
# Kubernetes' default grace period, which faas-netes leaves as it is: healthcheck_interval
# and the drain of requests in flight must fit in it.
TERMINATION_GRACE_SECONDS = 30
# OpenFaaS Standard/Enterprise: the readiness probe (and the gateway's check before it sends a
# request to a replica scaled from zero) asks the watchdog's /_/ready, which includes the
# app's /readyz and the watchdog's own draining. CE ignores these annotations.
READINESS = {
    "com.openfaas.ready.http.path": "/_/ready",
    "com.openfaas.ready.http.periodSeconds": "2",
}
HEADER = """\
# Rendered by `eventmgr render` (local/deploy/openfaas.py) from the function declarations;
# do not edit. Deploy: docs/deploy-openfaas.md (secrets first, then `faas-cli deploy`).
"""


def labels(deployed: Deployed) -> dict[str, str]:
    scaling = deployed.function.scaling
    found = {
        # OpenFaaS keeps at least one replica; going to zero is the idler's job (Standard).
        "com.openfaas.scale.min": str(max(1, scaling.min_scale)),
        "com.openfaas.scale.max": str(scaling.max_scale),
        "com.openfaas.scale.target": str(scaling.concurrency),
        "com.openfaas.scale.type": "capacity",
    }
    if scaling.min_scale == 0:
        found["com.openfaas.scale.zero"] = "true"
        found["com.openfaas.scale.zero-duration"] = "15m"
    return found


def function_entry(name: str, deployed: Deployed) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "lang": "dockerfile",
        "handler": ".",
        "image": openfaas_image(name, IMAGE_TAG),
        "build_args": {"FUNCTION": name, "EXTRAS": extras_of(deployed)},
        "environment": dict(ENVIRONMENT),
        "secrets": sorted(secret_file(s) for s in secrets_of(deployed, rabbitmq=True)),
        "labels": labels(deployed),
        "requests": dict(REQUESTS),
        "limits": dict(LIMITS),
    }
    entry["annotations"] = dict(READINESS)
    if deployed.function.schedule:
        entry["annotations"] |= {"topic": "cron-function", "schedule": deployed.function.schedule}
    return entry


def stack(deployed: dict[str, Deployed]) -> dict[str, Any]:
    return {
        "version": "1.0",
        "provider": {"name": "openfaas", "gateway": "http://127.0.0.1:8080"},
        "functions": {
            service_name(name): function_entry(name, item)
            for name, item in sorted(deployed.items())
        },
    }


def render(deployed: dict[str, Deployed]) -> list[Rendered]:
    from local.render import Rendered

    text = dump_yaml(stack(deployed))
    return [Rendered(STACK, HEADER + text)]
