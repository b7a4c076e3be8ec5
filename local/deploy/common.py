"""What every deployment target derives the same way from a function's declaration."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from fastapi.routing import APIRoute

from local.registry import Deployed
from shared.config import Settings
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
# PostgreSQL itself, where the functions' `database_url` names PgBouncer
# (local/deploy/pgbouncer.py): PgBouncer's server, and the migration's DATABASE_URL (long DDL
# under a session advisory lock, which transaction pooling would not keep).
DIRECT_SECRET = "database_direct_url"  # noqa: S105 - the name of a secret, not one
# The secret each setting of the migration is read from, where it is not the setting's own.
MIGRATION_SOURCES = {"database_url": DIRECT_SECRET}
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
            # Confirmation mails carry the ticket's QR, signed when the mail is sent.
            "ticket_key",
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


# Kubernetes manifests shared by the targets that run on a cluster (Knative, OpenFaaS): the
# `eventmgr` processes, the migration and the public gateway are plain Deployments and Jobs.

Document = dict[str, Any]
PART_OF = "eventmanager"
CONTAINER_SECURITY = {
    "runAsNonRoot": True,  # the images run as uid 10001
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}
GATEWAY = "gateway"
GATEWAY_IMAGE = "nginx:1.27-alpine"
GATEWAY_CONF_DIR = "/etc/nginx"
GATEWAY_RESOURCES = {
    "requests": {"cpu": "50m", "memory": "64Mi"},
    "limits": {"cpu": "1", "memory": "256Mi"},
}


def k8s_labels(name: str, component: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/part-of": PART_OF,
    }


def k8s_metadata(name: str, component: str, namespace: str, **extra: Any) -> Document:
    return {"name": name, "namespace": namespace, "labels": k8s_labels(name, component), **extra}


def secrets_volume(
    secrets: list[str], optional: tuple[str, ...] = (), from_secrets: dict[str, str] | None = None
) -> Document:
    """One Kubernetes Secret per secret, each projected as the file the settings read (the
    Secrets `faas-cli secret create` makes have this shape too). `from_secrets`: a setting
    read from another Secret (the migration's `MIGRATION_SOURCES`)."""
    sources = []
    for secret in secrets:
        name = secret_file((from_secrets or {}).get(secret, secret))
        source: Document = {
            "name": name,
            "items": [{"key": name, "path": secret_file(secret)}],
        }
        if secret in optional:
            source["optional"] = True
        sources.append({"secret": source})
    return {"name": "secrets", "projected": {"sources": sources}}


def secrets_mount(directory: str) -> Document:
    return {"name": "secrets", "mountPath": directory, "readOnly": True}


def deployment(
    name: str,
    component: str,
    namespace: str,
    pod: Document,
    *,
    replicas: int | None = None,
    strategy: Document | None = None,
    pod_annotations: dict[str, str] | None = None,
) -> Document:
    """A Deployment of one pod template selected by its name label. `replicas` None leaves
    the count to an autoscaler (KEDA)."""
    spec: Document = {}
    if replicas is not None:
        spec["replicas"] = replicas
    if strategy is not None:
        spec["strategy"] = strategy
    template_metadata: Document = {"labels": k8s_labels(name, component)}
    if pod_annotations:
        template_metadata["annotations"] = pod_annotations
    spec["selector"] = {"matchLabels": {"app.kubernetes.io/name": name}}
    spec["template"] = {
        "metadata": template_metadata,
        "spec": {"automountServiceAccountToken": False, **pod},
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": k8s_metadata(name, component, namespace),
        "spec": spec,
    }


def gateway_manifests(files: dict[str, str], namespace: str) -> list[Document]:
    """The public Nginx gateway on a cluster: its rendered files (`gateway.config_files`) in a
    ConfigMap, two replicas, a LoadBalancer Service and a disruption budget."""
    # ConfigMap keys cannot hold "/": keep the file's own name.
    data = {Path(path).name: content for path, content in sorted(files.items())}
    included = sorted(Path(path).name for path in files if path != "nginx.conf")
    checksum = hashlib.sha256(
        "".join(f"{key}\0{value}\0" for key, value in sorted(data.items())).encode()
    ).hexdigest()
    probe = {"httpGet": {"path": "/healthz", "port": PORT}, "periodSeconds": 10}
    config_map = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": k8s_metadata(GATEWAY, "gateway", namespace),
        "data": data,
    }
    container = {
        "name": "nginx",
        "image": GATEWAY_IMAGE,
        "ports": [{"name": "http", "containerPort": PORT}],
        "readinessProbe": probe,
        "livenessProbe": probe,
        "resources": GATEWAY_RESOURCES,
        "volumeMounts": [
            {
                "name": "nginx-conf",
                "mountPath": f"{GATEWAY_CONF_DIR}/nginx.conf",
                "subPath": "nginx.conf",
                "readOnly": True,
            },
            {
                "name": "eventmanager-conf",
                "mountPath": f"{GATEWAY_CONF_DIR}/eventmanager",
                "readOnly": True,
            },
        ],
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
    }
    volumes = [
        {
            "name": "nginx-conf",
            "configMap": {"name": GATEWAY, "items": [{"key": "nginx.conf", "path": "nginx.conf"}]},
        },
        {
            "name": "eventmanager-conf",
            "configMap": {
                "name": GATEWAY,
                "items": [{"key": key, "path": key} for key in included],
            },
        },
    ]
    gateway = deployment(
        GATEWAY,
        "gateway",
        namespace,
        {"containers": [container], "volumes": volumes},
        replicas=2,
        # A new config rolls the pods (a subPath mount is never updated in place).
        pod_annotations={"eventmanager.org/config-sha256": checksum},
    )
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": k8s_metadata(GATEWAY, "gateway", namespace),
        "spec": {
            "type": "LoadBalancer",
            # Keep the client's address: Nginx passes it on in X-Forwarded-For.
            "externalTrafficPolicy": "Local",
            "selector": {"app.kubernetes.io/name": GATEWAY},
            "ports": [{"name": "http", "port": 80, "targetPort": "http"}],
        },
    }
    budget = {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": k8s_metadata(GATEWAY, "gateway", namespace),
        "spec": {
            "minAvailable": 1,
            "selector": {"matchLabels": {"app.kubernetes.io/name": GATEWAY}},
        },
    }
    return [config_map, gateway, service, budget]


# Plain settings (PUBLIC_URL, MAIL_FROM, S3_*...) for the cluster targets' workloads, from an
# optional ConfigMap the operator writes.
SETTINGS_CONFIGMAP = "eventmanager-settings"


def setting_default(setting: str) -> Any:
    """A setting's default, as the code has it (rendered instead of written twice)."""
    return Settings.model_fields[setting].default


def settings_from() -> list[Document]:
    return [{"configMapRef": {"name": SETTINGS_CONFIGMAP, "optional": True}}]
