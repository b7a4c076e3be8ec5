"""PgBouncer in transaction mode between the functions and PostgreSQL, in every deployment.

The functions and the worker reach PostgreSQL through it: their `database_url` secret names
`pgbouncer:6432`. Two things need PostgreSQL
itself and read `database_direct_url` instead: PgBouncer (its server), and the migration,
which runs long DDL under a session advisory lock that transaction pooling would not keep. The
migration gets that secret under the file name `database-url`, so `eventmgr migrate` reads it
as its DATABASE_URL without a setting of its own.

The image is the widely used `edoburu/pgbouncer`, configured through its environment (it
writes `pgbouncer.ini` and the user list from `DATABASE_URL` at start); the settings are the
ones `local/pgbouncer.py` runs for the tests and the benchmark.
"""

from __future__ import annotations

from local.deploy.common import (
    CONTAINER_SECURITY,
    DIRECT_SECRET,
    Document,
    deployment,
    k8s_metadata,
    secret_file,
)
from local.pgbouncer import IGNORED_STARTUP_PARAMETERS, POOL_MODE

IMAGE = "edoburu/pgbouncer:v1.24.1-p1"
NAME = "pgbouncer"
PORT = 6432
# Server connections per database and user: PostgreSQL's default max_connections is 100;
# leave room for the migration and an operator's psql.
SERVER_POOL_SIZE = 40
# Client connections it accepts: replicas x (DB_POOL_SIZE + DB_MAX_OVERFLOW) with room to grow.
MAX_CLIENT_CONN = 2000
RESOURCES = {
    "requests": {"cpu": "50m", "memory": "32Mi"},
    "limits": {"cpu": "1", "memory": "128Mi"},
}


def environment() -> dict[str, str]:
    """The image's settings, beside DATABASE_URL (the direct URL, from the secret)."""
    return {
        "LISTEN_PORT": str(PORT),
        "POOL_MODE": POOL_MODE,
        # The clients' password is checked by PgBouncer and used again for its own login.
        "AUTH_TYPE": "scram-sha-256",
        "DEFAULT_POOL_SIZE": str(SERVER_POOL_SIZE),
        "MAX_CLIENT_CONN": str(MAX_CLIENT_CONN),
        "IGNORE_STARTUP_PARAMETERS": IGNORED_STARTUP_PARAMETERS,
    }


def compose_service(secrets_dir: str) -> Document:
    """Compose mounts secrets as files; the image wants DATABASE_URL in its environment."""
    direct = f"{secrets_dir}/{secret_file(DIRECT_SECRET)}"
    return {
        "image": IMAGE,
        "restart": "unless-stopped",
        "entrypoint": [
            "/bin/sh",
            "-c",
            f'DATABASE_URL="$$(cat {direct})" exec /entrypoint.sh'
            " /usr/bin/pgbouncer /etc/pgbouncer/pgbouncer.ini",
        ],
        "environment": environment(),
        "secrets": [{"source": DIRECT_SECRET, "target": secret_file(DIRECT_SECRET)}],
        "depends_on": {"postgres": {"condition": "service_healthy"}},
        "healthcheck": {
            "test": ["CMD", "pg_isready", "-h", "127.0.0.1", "-p", str(PORT)],
            "interval": "10s",
            "timeout": "5s",
            "retries": 10,
            "start_period": "10s",
        },
    }


def k8s_manifests(namespace: str) -> list[Document]:
    """Two replicas behind a ClusterIP Service `pgbouncer:6432`, the direct URL from the
    `database-direct-url` Secret."""
    secret = secret_file(DIRECT_SECRET)
    probe = {"tcpSocket": {"port": "postgres"}, "periodSeconds": 10}
    container = {
        "name": NAME,
        "image": IMAGE,
        "env": [
            {
                "name": "DATABASE_URL",
                "valueFrom": {"secretKeyRef": {"name": secret, "key": secret}},
            },
            *({"name": key, "value": value} for key, value in environment().items()),
        ],
        "ports": [{"name": "postgres", "containerPort": PORT}],
        "readinessProbe": probe,
        "livenessProbe": {**probe, "failureThreshold": 4},
        "resources": RESOURCES,
        # It writes its generated config in /etc/pgbouncer, so the root filesystem stays
        # writable; it runs as the image's own non-root user.
        "securityContext": {**CONTAINER_SECURITY, "runAsUser": 70},
    }
    pods = deployment(NAME, "database", namespace, {"containers": [container]}, replicas=2)
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": k8s_metadata(NAME, "database", namespace),
        "spec": {
            "selector": {"app.kubernetes.io/name": NAME},
            "ports": [{"name": "postgres", "port": PORT, "targetPort": "postgres"}],
        },
    }
    budget = {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": k8s_metadata(NAME, "database", namespace),
        "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app.kubernetes.io/name": NAME}}},
    }
    return [pods, service, budget]
