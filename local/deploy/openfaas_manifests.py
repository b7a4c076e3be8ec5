"""`openfaas/`: what runs beside the OpenFaaS functions, as Kubernetes manifests for the
functions' namespace (`openfaas-fn`), from the same declarations as `stack.yml`:

- `dispatcher.yaml`, `scheduler.yaml`, `worker.yaml`: the `eventmgr` processes on the CLI
  image. The dispatcher and the scheduler call the functions through the OpenFaaS gateway
  (`/function/<deployed name>/`) with the internal token; the scheduler is one replica.
- `gateway.yaml`: the public Nginx gateway with the OpenFaaS upstreams (ConfigMap, Deployment,
  LoadBalancer Service, disruption budget), as on Knative.
- `migrate/`: the migration Job, a kustomization of its own, applied and waited for before
  `faas-cli deploy`. A Job cannot be changed once made and never runs twice, so each release
  has its own: `nameSuffix` names it `migrate-<release>`.

The release (a version or a commit) is set in both kustomizations before applying them: the
CLI image's `newTag` and the Job's `nameSuffix` say `unreleased` until then, as on Knative
(one `sed`, docs/deploy-openfaas.md); `faas-cli deploy` takes the same tag as `IMAGE_TAG`.

Secrets are the ones `faas-cli secret create` makes (a Secret per name, one key of that
name), mounted as files where `shared.config` reads them. Applied with `kubectl apply -k`
(docs/deploy-openfaas.md).
"""

from __future__ import annotations

from pathlib import Path

from local.deploy import pgbouncer
from local.deploy.common import (
    CLI_IMAGE,
    CONTAINER_SECURITY,
    METRICS_PORT,
    MIGRATE,
    MIGRATION_SOURCES,
    PROCESSES,
    Document,
    Process,
    deployment,
    dump_yaml,
    dump_yaml_documents,
    gateway_manifests,
    image,
    k8s_labels,
    k8s_metadata,
    secrets_mount,
    secrets_volume,
    setting_default,
    settings_from,
)
from local.deploy.gateway import config_files
from local.registry import Deployed
from local.render import Rendered
from shared.config import DEFAULT_SECRETS_DIR

ROOT = Path("openfaas")
MIGRATE_DIR = "migrate"
NAMESPACE = "openfaas-fn"
# Replaced by the release when deploying; nothing is ever published under this tag.
RELEASE_PLACEHOLDER = "unreleased"
HEADER = "# Rendered by `eventmgr render` from the function declarations; do not edit.\n"
# The OpenFaaS gateway, from the functions' namespace; `{service}` is the deployed name.
FUNCTION_URL_TEMPLATE = "http://gateway.openfaas:8080/function/{service}/"
# Secrets a deployment may not have: mail falls back to files without SMTP or SendGrid, Web
# Push is skipped without VAPID, reports need object storage only when the worker builds them.
OPTIONAL_SECRETS = (
    "smtp_url",
    "sendgrid_api_key",
    "vapid_private_key",
    "s3_access_key",
    "s3_secret_key",
)
RESOURCES = {
    "requests": {"cpu": "100m", "memory": "256Mi"},
    "limits": {"cpu": "1", "memory": "512Mi"},
}
# Celery's warm shutdown finishes the task at hand.
WORKER_GRACE_SECONDS = 60


def _environment(*extra: Document) -> list[Document]:
    return [{"name": "LOG_LEVEL", "value": str(setting_default("log_level"))}, *extra]


def process_deployment(process: Process) -> Document:
    extra = [{"name": "METRICS_PORT", "value": str(METRICS_PORT)}]
    if process.name != "worker":
        extra.append({"name": "FUNCTION_URL_TEMPLATE", "value": FUNCTION_URL_TEMPLATE})
    probe = {"httpGet": {"path": "/metrics", "port": "metrics"}, "periodSeconds": 15}
    container = {
        "name": process.name,
        "image": image(CLI_IMAGE),
        "command": list(process.command),
        "env": _environment(*extra),
        "envFrom": settings_from(),
        "ports": [{"name": "metrics", "containerPort": METRICS_PORT}],
        "readinessProbe": probe,
        "livenessProbe": {**probe, "failureThreshold": 4},
        "resources": RESOURCES,
        "volumeMounts": [secrets_mount(DEFAULT_SECRETS_DIR)],
        "securityContext": CONTAINER_SECURITY,
    }
    pod: Document = {
        "containers": [container],
        "volumes": [secrets_volume(list(process.secrets), optional=OPTIONAL_SECRETS)],
    }
    if process.name == "worker":
        pod = {"terminationGracePeriodSeconds": WORKER_GRACE_SECONDS, **pod}
    if process.name == "scheduler":
        # Exactly one: two schedulers would run every schedule twice; Recreate never
        # overlaps the old pod and the new one.
        return deployment(
            process.name, process.name, NAMESPACE, pod, replicas=1, strategy={"type": "Recreate"}
        )
    return deployment(process.name, process.name, NAMESPACE, pod, replicas=1)


def migrate_job() -> Document:
    """`eventmgr migrate` reads DATABASE_URL and RABBITMQ_URL from the mounted files: it
    upgrades the schema and declares the dispatcher's queues."""
    container = {
        "name": MIGRATE.name,
        "image": image(CLI_IMAGE),
        "command": list(MIGRATE.command),
        "env": _environment(),
        "resources": RESOURCES,
        "volumeMounts": [
            secrets_mount(DEFAULT_SECRETS_DIR),
            # It prepares a data dir (EVENTMGR_DATA_DIR, under /tmp in the image).
            {"name": "tmp", "mountPath": "/tmp"},  # noqa: S108
        ],
        "securityContext": CONTAINER_SECURITY,
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": k8s_metadata(MIGRATE.name, "migration", NAMESPACE),
        "spec": {
            "backoffLimit": 4,
            "activeDeadlineSeconds": 900,
            "template": {
                "metadata": {"labels": k8s_labels(MIGRATE.name, "migration")},
                "spec": {
                    "restartPolicy": "Never",
                    "automountServiceAccountToken": False,
                    "containers": [container],
                    "volumes": [
                        # PostgreSQL itself, not PgBouncer (local/deploy/pgbouncer.py).
                        secrets_volume(list(MIGRATE.secrets), from_secrets=MIGRATION_SOURCES),
                        {"name": "tmp", "emptyDir": {}},
                    ],
                },
            },
        },
    }


def kustomization(resources: list[str], *, per_release: bool = False) -> str:
    """`images:` holds the CLI image's tag in one place; `per_release` names the resources
    for the release too (the migration Job)."""
    name = image(CLI_IMAGE).rpartition(":")[0]
    document: Document = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "namespace": NAMESPACE,
    }
    if per_release:
        document["nameSuffix"] = f"-{RELEASE_PLACEHOLDER}"
    document["resources"] = resources
    document["images"] = [{"name": name, "newTag": RELEASE_PLACEHOLDER}]
    return HEADER + dump_yaml(document)


def render(deployed: dict[str, Deployed]) -> list[Rendered]:
    files: dict[str, list[Document]] = {
        f"{process.name}.yaml": [process_deployment(process)] for process in PROCESSES
    }
    files["gateway.yaml"] = gateway_manifests(config_files(deployed, "openfaas"), NAMESPACE)
    files["pgbouncer.yaml"] = pgbouncer.k8s_manifests(NAMESPACE)
    rendered = [
        Rendered(ROOT / path, HEADER + dump_yaml_documents(documents))
        for path, documents in files.items()
    ]
    rendered.append(Rendered(ROOT / "kustomization.yaml", kustomization(list(files))))
    migration = ROOT / MIGRATE_DIR
    rendered.append(Rendered(migration / "job.yaml", HEADER + dump_yaml_documents([migrate_job()])))
    rendered.append(
        Rendered(migration / "kustomization.yaml", kustomization(["job.yaml"], per_release=True))
    )
    return rendered
