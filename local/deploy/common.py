"""What every deployment target derives the same way from a function's declaration."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from fastapi.routing import APIRoute

from local.registry import Deployed
from shared.kit.function import COMMON_SECRETS

# Images are built per function from the one Dockerfile (`--build-arg FUNCTION=<name>`).
IMAGE_PREFIX = "ghcr.io/eventmanager/eventmanager"
PORT = 8080


def image(name: str, tag: str = "latest") -> str:
    return f"{IMAGE_PREFIX}-{name.replace('_', '-')}:{tag}"


def service_name(name: str) -> str:
    """DNS-safe: Kubernetes and compose service names cannot hold underscores."""
    return name.replace("_", "-")


def secrets_of(deployed: Deployed, *, rabbitmq: bool = False) -> list[str]:
    """The secrets this function is given: the common ones plus what it declares, nothing else
    (the signing key reaches `login` alone).

    `rabbitmq`: targets without a Knative broker (compose, OpenFaaS) give every function the
    broker URL, because each publishes its own outbox rows right after commit; without it the
    rows would wait for the `relay_outbox` sweep."""
    found = list(COMMON_SECRETS)
    for secret in (*deployed.function.secrets, *(("rabbitmq_url",) if rabbitmq else ())):
        if secret not in found:
            found.append(secret)
    return found


def extras_of(deployed: Deployed) -> str:
    """The `EXTRAS` build argument: the pyproject extras this function's image installs."""
    return ",".join(sorted(deployed.function.extras))


def openfaas_image(name: str, tag: str = "latest") -> str:
    """The Dockerfile's `openfaas` stage (the app behind of-watchdog), beside the plain image."""
    return image(name, f"{tag}-openfaas")


# The `eventmgr` processes that are not functions run from one more image of the Dockerfile
# (no FUNCTION): it installs the extras of every function and mail through SendGrid.
CLI_IMAGE = "cli"
METRICS_PORT = 9808


def cli_extras(deployed: dict[str, Deployed]) -> str:
    extras = {"sendgrid", *(extra for item in deployed.values() for extra in item.function.extras)}
    return ",".join(sorted(extras))


@dataclass(frozen=True)
class Process:
    """An `eventmgr` command run beside the functions, and the secrets it is given."""

    name: str
    command: tuple[str, ...]
    secrets: tuple[str, ...]
    # Long-running processes serve /metrics on METRICS_PORT; `migrate` is a one-shot job.
    serves_metrics: bool = True


MIGRATE = Process("migrate", ("eventmgr", "migrate"), ("database_url", "rabbitmq_url"), False)
PROCESSES = (
    Process("dispatcher", ("eventmgr", "dispatcher"), ("internal_token", "rabbitmq_url")),
    Process("scheduler", ("eventmgr", "scheduler"), ("internal_token",)),
    Process(
        "worker",
        ("eventmgr", "worker"),
        (
            "database_url",
            "rabbitmq_url",
            "redis_url",
            "smtp_url",
            "sendgrid_api_key",
            "unsubscribe_secret",
            "vapid_private_key",
            # Reports are written to object storage.
            "s3_access_key",
            "s3_secret_key",
            # It publishes report.ready/report.failed through the outbox, which signs them.
            "cloudevent_key",
        ),
    ),
)


class _Dumper(yaml.SafeDumper):
    """No `&id001` anchors for repeated values; multi-line strings as `|` blocks."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _string(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _string)


def dump_yaml(data: Any) -> str:
    """Deployment YAML in the order it was built, long lines kept whole."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, width=4096)


def dump_yaml_documents(documents: list[Any]) -> str:
    """Several documents in one file (Kubernetes manifests), each after `---`."""
    return yaml.dump_all(
        documents, Dumper=_Dumper, sort_keys=False, explicit_start=True, width=4096
    )


def http_check(port: int, path: str) -> list[str]:
    """A container health check without curl (slim images have none): Python's urllib."""
    code = f"import urllib.request as u; u.urlopen('http://127.0.0.1:{port}{path}', timeout=2)"
    return ["python", "-c", code]


def secret_file(secret: str) -> str:
    """The file a secret is read from in `SECRETS_DIR` (see `shared.config._read_secret_files`):
    the setting's name with dashes, `jwt_private_key` -> `jwt-private-key`. Also a valid name
    for the Kubernetes or OpenFaaS Secret that holds it."""
    return secret.replace("_", "-")


@dataclass(frozen=True)
class PublicRoute:
    method: str
    # The route template, e.g. /api/v1/events/{event_id}
    path: str
    function: str


def public_routes(deployed: dict[str, Deployed]) -> list[PublicRoute]:
    """Every public method and path, with the function serving it (internal paths excluded:
    they are not on the function's router)."""
    routes = []
    for name, item in sorted(deployed.items()):
        for route in item.function.router.routes:
            if isinstance(route, APIRoute):
                for method in sorted(route.methods or ()):
                    routes.append(PublicRoute(method, route.path, name))
    return routes
