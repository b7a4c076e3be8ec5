"""Knative: every function a Knative Service, CloudEvents through a RabbitMQ Broker.

Rendered under `knative/` and applied per release (see docs/deploy-knative.md): the images
carry the release's tag (the kustomizations' `images:` say `unreleased` until the deployment
replaces it with a version or commit), and the migration is a Job of its own per release in
`knative/migrate/`, applied and waited for before `kubectl apply -k knative/` rolls the
Services:

- one Knative Service per function (`functions/<name>.yaml`): its scaling hints as autoscaling
  annotations, probes on /readyz and /healthz, and its own secrets only, one Kubernetes Secret
  per secret mounted as a file in `SECRETS_DIR`. Every function is cluster-local: clients
  reach the public routes through the gateway only.
- a NetworkPolicy (`network-policy.yaml`) that lets only Knative's data plane, the ingress,
  and the namespace's own pods reach the functions. Triggers and PingSources cannot send the
  internal token, so functions run with `INTERNAL_AUTH=network`: being reachable is the
  authorization, and this policy decides who can reach them.
- the public gateway (`gateway.yaml`): the rendered Nginx config in a ConfigMap, Deployment,
  Service.
- the RabbitMQ Broker with the one retry and dead-letter policy, a Trigger per consumed
  CloudEvent type (without a `delivery` of its own: eventing-rabbitmq would start a dead-letter
  dispatcher per Trigger), a PingSource per schedule, the SinkBindings that give every
  workload that publishes CloudEvents `K_SINK` (the broker): the functions and the worker,
  and the `dead-letters` Service that receives what no retry could deliver (it logs each one,
  with its error).
- the Celery worker Deployment scaled by KEDA on the queue's length.
- `migrate/`: the migration Job, named for the release (`migrate-<release>`).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import yaml

from local.deploy import pgbouncer
from local.deploy.common import (
    CLI_IMAGE,
    CONTAINER_SECURITY,
    METRICS_PORT,
    MIGRATE,
    MIGRATION_SOURCES,
    PART_OF,
    PORT,
    PROCESSES,
    Document,
    Process,
    dump_yaml_documents,
    gateway_manifests,
    image,
    k8s_labels,
    k8s_metadata,
    secret_file,
    secrets_mount,
    secrets_of,
    secrets_volume,
    service_name,
    setting_default,
    settings_from,
)
from local.deploy.gateway import config_files
from local.registry import Deployed
from local.render import Rendered

ROOT = Path("knative")
MIGRATE_DIR = "migrate"
# The image tag and migration Job suffix until a deployment sets its release (a version or a
# commit) in both kustomizations; nothing is ever published under this tag.
RELEASE_PLACEHOLDER = "unreleased"
# Finished migration Jobs are kept a day for their logs.
MIGRATION_TTL_SECONDS = 86_400
MIGRATION_DEADLINE_SECONDS = 900
NAMESPACE = "eventmanager"
HEADER = "# Rendered by `eventmgr render` from the function declarations; do not edit.\n"

# Where secrets are mounted; the settings read one file per secret from there.
SECRETS_DIR = "/var/run/secrets/eventmanager"

BROKER = "default"
BROKER_CONFIG = "rabbitmq-broker"
RABBITMQ_CLUSTER = "rabbitmq"
DEAD_LETTERS = "dead-letters"
# Logs every CloudEvent it receives (with the knativeerror* extensions of a dead letter).
DEAD_LETTERS_IMAGE = "gcr.io/knative-releases/knative.dev/eventing/cmd/event_display"
SCHEDULE_TIMEZONE = "UTC"  # as `eventmgr scheduler`

WORKER = "worker"
# Mail goes through SendGrid (or SMTP): the worker is given whichever of the two exists.
MAIL_SECRETS = ("sendgrid_api_key", "smtp_url")
# Secrets the worker runs without: mail falls back to files, push is skipped without VAPID.
OPTIONAL_WORKER_SECRETS = (*MAIL_SECRETS, "vapid_private_key")
# KEDA reads the queue length from the RabbitMQ management API (this secret holds its URL).
RABBITMQ_MANAGEMENT_SECRET = "rabbitmq-management-url"  # noqa: S105 - a Secret's name
KSVC = "serving.knative.dev/v1"

FUNCTION_RESOURCES = {
    "requests": {"cpu": "100m", "memory": "192Mi"},
    "limits": {"cpu": "1", "memory": "512Mi"},
}
WORKER_RESOURCES = {
    "requests": {"cpu": "100m", "memory": "256Mi"},
    "limits": {"cpu": "1", "memory": "512Mi"},
}


_labels = k8s_labels


def _metadata(name: str, component: str, **extra: Any) -> Document:
    return k8s_metadata(name, component, NAMESPACE, **extra)


def dns_label(text: str) -> str:
    """A DNS-1123 label (≤63): lower case, dashes, a hash suffix when it had to be cut."""
    label = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if len(label) > 63:
        digest = hashlib.sha256(text.encode()).hexdigest()[:8]
        label = f"{label[:54].rstrip('-')}-{digest}"
    return label


def _service_ref(name: str) -> Document:
    return {"ref": {"apiVersion": KSVC, "kind": "Service", "name": name}}


def _delivery() -> Document:
    """Retries as the dispatcher does elsewhere (DISPATCHER_ATTEMPTS, exponential from
    DISPATCHER_BACKOFF_BASE_SECONDS), then the dead-letter sink."""
    attempts = int(setting_default("dispatcher_attempts"))
    base = float(setting_default("dispatcher_backoff_base_seconds"))
    return {
        "retry": attempts - 1,
        "backoffPolicy": "exponential",
        "backoffDelay": f"PT{base:g}S",
        "deadLetterSink": _service_ref(DEAD_LETTERS),
    }


def _environment(*extra: Document) -> list[Document]:
    return [
        {"name": "LOG_LEVEL", "value": str(setting_default("log_level"))},
        {"name": "SECRETS_DIR", "value": SECRETS_DIR},
        *extra,
    ]


_secrets_volume = secrets_volume


def _secrets_mount() -> Document:
    return secrets_mount(SECRETS_DIR)


# Knative Services.


def _cluster_local_service(
    name: str,
    component: str,
    annotations: dict[str, str],
    containers: list[Document],
    *,
    concurrency: int | None = None,
    volumes: list[Document] | None = None,
) -> Document:
    """A Knative Service without an external URL: clients come through the gateway, which
    never routes the internal endpoints."""
    metadata = _metadata(name, component)
    metadata["labels"]["networking.knative.dev/visibility"] = "cluster-local"
    pod: Document = {} if concurrency is None else {"containerConcurrency": concurrency}
    pod["automountServiceAccountToken"] = False
    pod["containers"] = containers
    if volumes is not None:
        pod["volumes"] = volumes
    return {
        "apiVersion": KSVC,
        "kind": "Service",
        "metadata": metadata,
        "spec": {
            "template": {
                "metadata": {"labels": _labels(name, component), "annotations": annotations},
                "spec": pod,
            }
        },
    }


def function_service(name: str, item: Deployed) -> Document:
    scaling = item.function.scaling
    container = {
        "name": "function",
        "image": image(name, RELEASE_PLACEHOLDER),
        "ports": [{"name": "http1", "containerPort": PORT}],
        "env": _environment({"name": "INTERNAL_AUTH", "value": "network"}),
        "envFrom": settings_from(),
        "resources": FUNCTION_RESOURCES,
        "readinessProbe": {"httpGet": {"path": "/readyz", "port": PORT}},
        "livenessProbe": {
            "httpGet": {"path": "/healthz", "port": PORT},
            "periodSeconds": 10,
            "failureThreshold": 3,
        },
        "volumeMounts": [_secrets_mount()],
        "securityContext": CONTAINER_SECURITY,
    }
    return _cluster_local_service(
        service_name(name),
        "function",
        {
            "autoscaling.knative.dev/min-scale": str(scaling.min_scale),
            "autoscaling.knative.dev/max-scale": str(scaling.max_scale),
            "autoscaling.knative.dev/target": str(scaling.concurrency),
        },
        [container],
        concurrency=scaling.concurrency,
        volumes=[_secrets_volume(secrets_of(item))],
    )


def dead_letters_service() -> Document:
    display = {
        "name": "event-display",
        "image": DEAD_LETTERS_IMAGE,
        "resources": {
            "requests": {"cpu": "10m", "memory": "32Mi"},
            "limits": {"cpu": "200m", "memory": "64Mi"},
        },
        "securityContext": CONTAINER_SECURITY,
    }
    return _cluster_local_service(
        DEAD_LETTERS,
        "eventing",
        {"autoscaling.knative.dev/min-scale": "0", "autoscaling.knative.dev/max-scale": "1"},
        [display],
    )


# Eventing.


def broker() -> list[Document]:
    config = {
        "apiVersion": "eventing.knative.dev/v1alpha1",
        "kind": "RabbitmqBrokerConfig",
        "metadata": _metadata(BROKER_CONFIG, "eventing"),
        "spec": {
            "rabbitmqClusterReference": {"name": RABBITMQ_CLUSTER, "namespace": NAMESPACE},
            "queueType": "quorum",
        },
    }
    metadata = _metadata(BROKER, "eventing")
    metadata["annotations"] = {"eventing.knative.dev/broker.class": "RabbitMQBroker"}
    return [
        config,
        {
            "apiVersion": "eventing.knative.dev/v1",
            "kind": "Broker",
            "metadata": metadata,
            "spec": {
                "config": {
                    "apiVersion": "eventing.knative.dev/v1alpha1",
                    "kind": "RabbitmqBrokerConfig",
                    "name": BROKER_CONFIG,
                },
                "delivery": _delivery(),
            },
        },
    ]


def trigger_name(function: str, cloudevent_type: str) -> str:
    short = cloudevent_type.removeprefix("org.eventmanager.")
    return dns_label(f"{service_name(function)}-{short}")


def triggers(deployed: dict[str, Deployed]) -> list[Document]:
    documents = []
    for name, item in sorted(deployed.items()):
        function = item.function
        for cloudevent_type in sorted(function.consumes):
            attributes = {"type": cloudevent_type}
            source = function.source_filters.get(cloudevent_type)
            if source:
                attributes["source"] = source
            metadata = _metadata(trigger_name(name, cloudevent_type), "eventing")
            metadata["labels"]["eventmanager.org/function"] = service_name(name)
            # In flight at once per trigger, like the dispatcher's prefetch (no order promised).
            metadata["annotations"] = {
                "rabbitmq.eventing.knative.dev/parallelism": str(
                    setting_default("dispatcher_prefetch")
                )
            }
            documents.append(
                {
                    "apiVersion": "eventing.knative.dev/v1",
                    "kind": "Trigger",
                    "metadata": metadata,
                    "spec": {
                        "broker": BROKER,
                        "filter": {"attributes": attributes},
                        "subscriber": _service_ref(service_name(name)),
                    },
                }
            )
    return documents


def ping_sources(deployed: dict[str, Deployed]) -> list[Document]:
    """The schedule's tick is a `dev.knative.sources.ping` CloudEvent: the kit runs the
    function's scheduled job for it, as for an empty `POST /`."""
    documents = []
    for name, item in sorted(deployed.items()):
        if not item.function.schedule:
            continue
        metadata = _metadata(dns_label(f"{service_name(name)}-schedule"), "eventing")
        metadata["labels"]["eventmanager.org/function"] = service_name(name)
        documents.append(
            {
                "apiVersion": "sources.knative.dev/v1",
                "kind": "PingSource",
                "metadata": metadata,
                "spec": {
                    "schedule": item.function.schedule,
                    "timezone": SCHEDULE_TIMEZONE,
                    "sink": _service_ref(service_name(name)),
                },
            }
        )
    return documents


def _binding(name: str, subject: Document) -> Document:
    return {
        "apiVersion": "sources.knative.dev/v1",
        "kind": "SinkBinding",
        "metadata": _metadata(name, "eventing"),
        "spec": {
            "subject": subject,
            "sink": {
                "ref": {"apiVersion": "eventing.knative.dev/v1", "kind": "Broker", "name": BROKER}
            },
        },
    }


def sink_bindings() -> list[Document]:
    """`K_SINK` for everything that publishes from the outbox: the functions (Knative Services)
    and the worker (a Deployment: report.ready/report.failed). A SinkBinding's subject is of
    one kind, hence two."""
    functions = {
        "apiVersion": KSVC,
        "kind": "Service",
        "selector": {
            "matchLabels": {
                "app.kubernetes.io/component": "function",
                "app.kubernetes.io/part-of": PART_OF,
            }
        },
    }
    workers = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "selector": {
            "matchLabels": {
                "app.kubernetes.io/component": "worker",
                "app.kubernetes.io/part-of": PART_OF,
            }
        },
    }
    return [
        _binding("functions-publish-to-broker", functions),
        _binding("worker-publishes-to-broker", workers),
    ]


# The public gateway.


def gateway(deployed: dict[str, Deployed]) -> list[Document]:
    return gateway_manifests(config_files(deployed, "knative"), NAMESPACE)


# The Celery worker and the migration.


def _worker() -> Process:
    return next(process for process in PROCESSES if process.name == WORKER)


def worker_secrets() -> list[str]:
    declared = _worker().secrets
    return [*declared, *(secret for secret in MAIL_SECRETS if secret not in declared)]


def worker() -> list[Document]:
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _metadata(WORKER, "worker"),
        # No replicas: KEDA owns the count (0 while the queue is empty).
        "spec": {
            "selector": {"matchLabels": {"app.kubernetes.io/name": WORKER}},
            "template": {
                "metadata": {"labels": _labels(WORKER, "worker")},
                "spec": {
                    "automountServiceAccountToken": False,
                    # Celery's warm shutdown finishes the task at hand (late acks otherwise).
                    "terminationGracePeriodSeconds": 60,
                    "containers": [
                        {
                            "name": "worker",
                            "image": image(CLI_IMAGE, RELEASE_PLACEHOLDER),
                            "command": list(_worker().command),
                            "env": _environment(
                                {"name": "METRICS_PORT", "value": str(METRICS_PORT)}
                            ),
                            "envFrom": settings_from(),
                            "ports": [{"name": "metrics", "containerPort": METRICS_PORT}],
                            "resources": WORKER_RESOURCES,
                            "volumeMounts": [_secrets_mount()],
                            "securityContext": CONTAINER_SECURITY,
                        }
                    ],
                    "volumes": [
                        _secrets_volume(worker_secrets(), optional=OPTIONAL_WORKER_SECRETS)
                    ],
                },
            },
        },
    }
    authentication = {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "TriggerAuthentication",
        "metadata": _metadata("rabbitmq-management", "worker"),
        "spec": {
            "secretTargetRef": [
                {
                    "parameter": "host",
                    "name": RABBITMQ_MANAGEMENT_SECRET,
                    "key": RABBITMQ_MANAGEMENT_SECRET,
                }
            ]
        },
    }
    scaled = {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": _metadata(WORKER, "worker"),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": WORKER},
            "minReplicaCount": 0,
            "maxReplicaCount": 10,
            "pollingInterval": 15,
            "cooldownPeriod": 300,
            "triggers": [
                {
                    "type": "rabbitmq",
                    # The management API counts unacknowledged messages too, so a worker busy
                    # with the last task is not scaled away under it.
                    "metadata": {
                        "protocol": "http",
                        "queueName": str(setting_default("celery_queue")),
                        "mode": "QueueLength",
                        "value": "10",
                    },
                    "authenticationRef": {"name": "rabbitmq-management"},
                }
            ],
        },
    }
    return [deployment, authentication, scaled]


def migrate_job() -> Document:
    """`eventmgr migrate` takes DATABASE_URL from the environment only (else it would start an
    embedded database), so the Job sets it from the Secret. No RabbitMQ URL: there is no
    dispatcher topology to declare when the Knative broker delivers.

    A Job's template cannot change and a finished Job never runs again, so each release has
    its own: `knative/migrate/`'s kustomization adds the release to the name."""
    # PostgreSQL itself, not PgBouncer (local/deploy/pgbouncer.py).
    database = secret_file(MIGRATION_SOURCES["database_url"])
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": _metadata(MIGRATE.name, "migration"),
        "spec": {
            "backoffLimit": 4,
            "activeDeadlineSeconds": MIGRATION_DEADLINE_SECONDS,
            "ttlSecondsAfterFinished": MIGRATION_TTL_SECONDS,
            "template": {
                "metadata": {"labels": _labels(MIGRATE.name, "migration")},
                "spec": {
                    "restartPolicy": "Never",
                    "automountServiceAccountToken": False,
                    "containers": [
                        {
                            "name": "migrate",
                            "image": image(CLI_IMAGE, RELEASE_PLACEHOLDER),
                            "command": list(MIGRATE.command),
                            "env": [
                                {"name": "LOG_LEVEL", "value": str(setting_default("log_level"))},
                                {
                                    "name": "DATABASE_URL",
                                    "valueFrom": {
                                        "secretKeyRef": {"name": database, "key": database}
                                    },
                                },
                            ],
                            "resources": WORKER_RESOURCES,
                            # It prepares a data dir (EVENTMGR_DATA_DIR, under /tmp in the image).
                            "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],  # noqa: S108
                            "securityContext": CONTAINER_SECURITY,
                        }
                    ],
                    "volumes": [{"name": "tmp", "emptyDir": {}}],
                },
            },
        },
    }


# Namespaces whose pods deliver to the functions: Knative Serving's activator, the ingress
# (Kourier) and Knative Eventing's adapters (PingSource). The RabbitMQ broker's dispatchers,
# the gateway and the worker run in the platform's own namespace.
PLATFORM_NAMESPACES = ("knative-serving", "kourier-system", "knative-eventing")


def network_policy() -> Document:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _metadata("functions-ingress", "function"),
        "spec": {
            "podSelector": {"matchLabels": {"app.kubernetes.io/component": "function"}},
            "policyTypes": ["Ingress"],
            "ingress": [
                {
                    "from": [
                        {"podSelector": {}},
                        *(
                            {
                                "namespaceSelector": {
                                    "matchLabels": {"kubernetes.io/metadata.name": name}
                                }
                            }
                            for name in PLATFORM_NAMESPACES
                        ),
                    ]
                }
            ],
        },
    }


def namespace() -> Document:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": NAMESPACE,
            "labels": {
                "app.kubernetes.io/part-of": PART_OF,
                # SinkBinding only acts in namespaces that opt in.
                "bindings.knative.dev/include": "true",
            },
        },
    }


# Files.


def dump(documents: list[Document]) -> str:
    return HEADER + dump_yaml_documents(documents)


def _images(names: list[str]) -> list[Document]:
    """The release's tag for each of our images (`kustomize edit set image` or the deployment
    replaces the placeholder)."""
    return [
        {"name": image(name).rpartition(":")[0], "newTag": RELEASE_PLACEHOLDER}
        for name in sorted(set(names))
    ]


def _kustomization(resources: list[str], images: list[Document], **extra: Any) -> str:
    kustomization = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "namespace": NAMESPACE,
        **extra,
        "resources": resources,
        "images": images,
    }
    return HEADER + yaml.safe_dump(kustomization, sort_keys=False, width=1000)


def render(deployed: dict[str, Deployed]) -> list[Rendered]:
    files: dict[str, list[Document]] = {"namespace.yaml": [namespace()]}
    for name, item in sorted(deployed.items()):
        files[f"functions/{service_name(name)}.yaml"] = [function_service(name, item)]
    files["network-policy.yaml"] = [network_policy()]
    files["broker.yaml"] = broker()
    files["dead-letters.yaml"] = [dead_letters_service()]
    files["triggers.yaml"] = triggers(deployed)
    files["pingsources.yaml"] = ping_sources(deployed)
    files["sinkbinding.yaml"] = sink_bindings()
    files["gateway.yaml"] = gateway(deployed)
    files["worker.yaml"] = worker()
    files["pgbouncer.yaml"] = pgbouncer.k8s_manifests(NAMESPACE)
    files = {path: documents for path, documents in files.items() if documents}
    rendered = [Rendered(ROOT / path, dump(documents)) for path, documents in files.items()]
    rendered.append(
        Rendered(
            ROOT / "kustomization.yaml",
            _kustomization(list(files), _images([*deployed, CLI_IMAGE])),
        )
    )
    rendered.append(Rendered(ROOT / MIGRATE_DIR / "job.yaml", dump([migrate_job()])))
    rendered.append(
        Rendered(
            ROOT / MIGRATE_DIR / "kustomization.yaml",
            _kustomization(
                ["job.yaml"], _images([CLI_IMAGE]), nameSuffix=f"-{RELEASE_PLACEHOLDER}"
            ),
        )
    )
    return rendered
