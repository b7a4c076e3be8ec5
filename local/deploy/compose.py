"""`docker-compose.yml` and `.env.example`: the whole platform in containers.

Each function is a service named `service_name(name)` built from the Dockerfile's `runtime`
stage. Secrets are files under `./secrets/` (never committed, see docs/deploy-compose.md);
a service mounts only its own, under the file names `shared.config` reads
(`/run/secrets/database-url`). Settings that are not secret come from `.env`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from local.deploy import pgbouncer
from local.deploy.common import (
    CLI_IMAGE,
    METRICS_PORT,
    MIGRATE,
    MIGRATION_SOURCES,
    PORT,
    PROCESSES,
    Process,
    cli_extras,
    dump_yaml,
    extras_of,
    http_check,
    image,
    secret_file,
    secrets_of,
    service_name,
)
from local.registry import Deployed

if TYPE_CHECKING:
    from local.render import Rendered

COMPOSE = Path("docker-compose.yml")
ENV_EXAMPLE = Path(".env.example")
IMAGE_TAG = "${IMAGE_TAG:-latest}"

# A fixed network so the functions can trust exactly the gateway's address for
# X-Forwarded-For; other containers get addresses from IP_RANGE only. IP_RANGE must not reach
# the subnet's broadcast address: podman 4.3 hands that out as a container's address, which
# nothing can connect to (a /24 with .128/25 gave one container .255 in the rehearsal).
SUBNET = "172.30.80.0/23"
IP_RANGE = "172.30.80.128/25"
GATEWAY_ADDRESS = "172.30.80.10"

# Settings that are not secret, from `.env` (documented in `.env.example`).
KNOBS = {
    "IMAGE_TAG": ("latest", "image tag to run (and to build: `docker compose build`)"),
    "LOG_LEVEL": ("INFO", "DEBUG, INFO, WARNING or ERROR"),
    "PUBLIC_URL": ("http://127.0.0.1:8080", "how clients reach the gateway (links in mails)"),
    "CORS_ORIGINS": ("", "comma-separated browser origins allowed to call the API"),
    "MODERATION_MODE": ("post", "`pre`: organizers' events wait for an admin's approval"),
    "MAIL_FROM": ("Event Manager <no-reply@eventmanager.local>", "sender of every mail"),
    "S3_ENDPOINT": ("minio:9000", "object storage as the functions reach it (host:port or URL)"),
    "S3_SECURE": ("false", "TLS to S3_ENDPOINT when it is host:port"),
    "S3_BUCKET": ("eventmanager-media", "the bucket of media and reports (made when missing)"),
    "S3_PUBLIC_ENDPOINT": (
        "http://127.0.0.1:9000",
        "object storage as clients reach it: download links are signed for this address",
    ),
}
BUCKET = KNOBS["S3_BUCKET"][0]
SECRETS_DIR = "/run/secrets"
ELASTIC_VERSION = "8.15.3"
LOOPBACK = "127.0.0.1"
HEADER = """\
# Rendered by `eventmgr render` (local/deploy/compose.py) from the function declarations;
# do not edit. Before `docker compose up`: cp .env.example .env and create ./secrets/
# (docs/deploy-compose.md).
"""


def healthy(*services: str) -> dict[str, dict[str, str]]:
    return {service: {"condition": "service_healthy"} for service in services}


def check(test: list[str], *, interval: str = "10s", retries: int = 10) -> dict[str, Any]:
    return {
        "test": ["CMD", *test],
        "interval": interval,
        "timeout": "5s",
        "retries": retries,
        "start_period": "20s",
    }


def shell_check(command: str, *, interval: str = "10s", retries: int = 10) -> dict[str, Any]:
    return {**check([], interval=interval, retries=retries), "test": ["CMD-SHELL", command]}


def our_build(function: str, extras: str) -> dict[str, Any]:
    return {
        "context": ".",
        "dockerfile": "Dockerfile",
        "target": "runtime",
        "args": {"FUNCTION": function, "EXTRAS": extras},
    }


def mounted(
    secrets: list[str] | tuple[str, ...], from_secrets: dict[str, str] | None = None
) -> list[dict[str, str]]:
    """Compose secrets under the file names `shared.config` reads in SECRETS_DIR;
    `from_secrets`: a setting read from another secret (the migration's direct URL)."""
    return [
        {"source": (from_secrets or {}).get(secret, secret), "target": secret_file(secret)}
        for secret in sorted(secrets)
    ]


def settings() -> dict[str, str]:
    environment = {knob: f"${{{knob}:-{default}}}" for knob, (default, _) in KNOBS.items()}
    environment.pop("IMAGE_TAG")
    return {**environment, "SECRETS_DIR": SECRETS_DIR}


def infrastructure() -> dict[str, Any]:
    return {
        "postgres": {
            "image": "postgres:16-alpine",
            "restart": "unless-stopped",
            "environment": {
                "POSTGRES_USER": "eventmanager",
                "POSTGRES_DB": "eventmanager",
                "POSTGRES_PASSWORD_FILE": "/run/secrets/postgres_password",
            },
            "secrets": ["postgres_password"],
            "volumes": ["postgres-data:/var/lib/postgresql/data"],
            "healthcheck": check(["pg_isready", "-U", "eventmanager", "-d", "eventmanager"]),
        },
        "redis": {
            "image": "redis:7-alpine",
            "restart": "unless-stopped",
            "volumes": ["redis-data:/data"],
            "healthcheck": check(["redis-cli", "ping"]),
        },
        "rabbitmq": {
            "image": "rabbitmq:3.13-management-alpine",
            "restart": "unless-stopped",
            # The default user and password come as a config file (no password in .env).
            "secrets": [
                {
                    "source": "rabbitmq_credentials",
                    "target": "/etc/rabbitmq/conf.d/20-credentials.conf",
                }
            ],
            "volumes": ["rabbitmq-data:/var/lib/rabbitmq"],
            "ports": [f"{LOOPBACK}:15672:15672"],
            # `ping` answers before the broker listens; this waits for its listeners.
            "healthcheck": check(
                ["rabbitmq-diagnostics", "-q", "check_port_connectivity"], retries=20
            ),
        },
        "minio": {
            "image": "minio/minio:RELEASE.2024-12-18T13-15-44Z",
            "restart": "unless-stopped",
            "command": ["server", "/data", "--console-address", ":9001"],
            # The image reads its root credentials from /run/secrets/access_key and secret_key.
            "secrets": [
                {"source": "minio_root_user", "target": "access_key"},
                {"source": "minio_root_password", "target": "secret_key"},
            ],
            "volumes": ["minio-data:/data"],
            # 9000: presigned download links (S3_PUBLIC_ENDPOINT); 9001: the console.
            "ports": [f"{LOOPBACK}:9000:9000", f"{LOOPBACK}:9001:9001"],
            "healthcheck": check(["mc", "ready", "local"]),
        },
        "minio-setup": {
            "image": "minio/mc:RELEASE.2024-11-21T17-21-54Z",
            "depends_on": healthy("minio"),
            # The functions get their own MinIO user (s3_access_key / s3_secret_key), never
            # the root credentials.
            "secrets": ["minio_root_user", "minio_root_password", "s3_access_key", "s3_secret_key"],
            "entrypoint": ["/bin/sh", "-c"],
            "command": [
                'mc alias set local http://minio:9000 "$$(cat /run/secrets/minio_root_user)"'
                ' "$$(cat /run/secrets/minio_root_password)"'
                f" && mc mb --ignore-existing local/{BUCKET}"
                ' && mc admin user add local "$$(cat /run/secrets/s3_access_key)"'
                ' "$$(cat /run/secrets/s3_secret_key)"'
                " && (mc admin policy attach local readwrite"
                ' --user "$$(cat /run/secrets/s3_access_key)" || true)'  # attached already
            ],
        },
        "mailpit": {
            # Catches every mail locally (SMTP 1025, web UI 8025); point smtp_url elsewhere
            # to send for real.
            "image": "axllent/mailpit:v1.20",
            "restart": "unless-stopped",
            "ports": [f"{LOOPBACK}:8025:8025"],
        },
    }


def observability() -> dict[str, Any]:
    elastic = "docker.elastic.co/elasticsearch/elasticsearch:" + ELASTIC_VERSION
    put = "curl -fsS -X PUT -H 'content-type: application/json' http://elasticsearch:9200"
    return {
        "elasticsearch": {
            "image": elastic,
            "restart": "unless-stopped",
            # Local only: one node, no TLS or users. Never expose this port.
            "environment": {
                "discovery.type": "single-node",
                "xpack.security.enabled": "false",
                "ES_JAVA_OPTS": "-Xms512m -Xmx512m",
            },
            "volumes": ["elasticsearch-data:/usr/share/elasticsearch/data"],
            "healthcheck": shell_check(
                "curl -fsS 'http://127.0.0.1:9200/_cluster/health?wait_for_status=yellow&timeout=5s'",
                retries=30,
            ),
        },
        "elasticsearch-setup": {
            # The ILM policy and the index template, before the first log line arrives.
            "image": "curlimages/curl:8.10.1",
            "depends_on": healthy("elasticsearch"),
            "volumes": ["./dashboards/elasticsearch:/setup:ro"],
            "entrypoint": ["/bin/sh", "-c"],
            "command": [
                f"{put}/_ilm/policy/eventmanager-logs --data-binary @/setup/ilm-policy.json"
                f" && {put}/_index_template/eventmanager-logs"
                " --data-binary @/setup/index-template.json"
            ],
        },
        "kibana": {
            "image": "docker.elastic.co/kibana/kibana:" + ELASTIC_VERSION,
            "restart": "unless-stopped",
            "environment": {"ELASTICSEARCH_HOSTS": "http://elasticsearch:9200"},
            "depends_on": healthy("elasticsearch"),
            "ports": [f"{LOOPBACK}:5601:5601"],
            "healthcheck": check(
                ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:5601/api/status"], retries=30
            ),
        },
        "kibana-setup": {
            "image": "curlimages/curl:8.10.1",
            "depends_on": healthy("kibana"),
            "volumes": ["./dashboards/kibana:/setup:ro"],
            "entrypoint": ["curl"],
            "command": [
                "-fsS",
                "-X",
                "POST",
                "-H",
                "kbn-xsrf: true",
                "--form",
                "file=@/setup/saved-objects.ndjson",
                "http://kibana:5601/api/saved_objects/_import?overwrite=true",
            ],
        },
        "fluent-bit": {
            "image": "fluent/fluent-bit:3.1",
            "restart": "unless-stopped",
            # The YAML config (the image's default is the classic fluent-bit.conf).
            "entrypoint": ["/fluent-bit/bin/fluent-bit"],
            "command": ["-c", "/fluent-bit/etc/fluent-bit.yaml"],
            "depends_on": {"elasticsearch-setup": {"condition": "service_completed_successfully"}},
            "volumes": [
                "./dashboards/fluent-bit/fluent-bit.yaml:/fluent-bit/etc/fluent-bit.yaml:ro",
                "./dashboards/fluent-bit/parsers.conf:/fluent-bit/etc/parsers.conf:ro",
                "/var/lib/docker/containers:/var/lib/docker/containers:ro",
                "fluent-bit-state:/fluent-bit/state",
            ],
        },
        "prometheus": {
            "image": "prom/prometheus:v2.54.1",
            "restart": "unless-stopped",
            "volumes": [
                "./dashboards/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro",
                "./dashboards/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro",
                "prometheus-data:/prometheus",
            ],
            # Functions answer /metrics only with the internal token.
            "secrets": ["internal_token"],
            "ports": [f"{LOOPBACK}:9090:9090"],
            "healthcheck": check(["wget", "-qO-", "http://127.0.0.1:9090/-/ready"]),
        },
        "alertmanager": {
            "image": "prom/alertmanager:v0.27.0",
            "restart": "unless-stopped",
            "volumes": [
                "./dashboards/alertmanager/alertmanager.yml:/etc/alertmanager/alertmanager.yml:ro",
                "alertmanager-data:/alertmanager",
            ],
            "secrets": ["slack_webhook_url"],
            "ports": [f"{LOOPBACK}:9093:9093"],
        },
        "grafana": {
            "image": "grafana/grafana:11.2.2",
            "restart": "unless-stopped",
            "environment": {
                "GF_SECURITY_ADMIN_PASSWORD__FILE": "/run/secrets/grafana_admin_password",
                "GF_USERS_ALLOW_SIGN_UP": "false",
            },
            "secrets": ["grafana_admin_password"],
            "volumes": [
                "./dashboards/grafana/provisioning/datasources:/etc/grafana/provisioning/datasources:ro",
                "./dashboards/grafana/provisioning/dashboards:/etc/grafana/provisioning/dashboards:ro",
                "./dashboards/grafana/dashboards:/var/lib/grafana/dashboards:ro",
                "grafana-data:/var/lib/grafana",
            ],
            "depends_on": healthy("prometheus"),
            "ports": [f"{LOOPBACK}:3000:3000"],
        },
    }


def migrate(deployed: dict[str, Deployed]) -> dict[str, Any]:
    # The one service that builds the CLI image: the dispatcher, scheduler and worker run the
    # same tag without `build:` (builds of one tag in parallel fail on a fresh machine, and
    # compose does not pull an image another service builds).
    return {
        "build": our_build("", cli_extras(deployed)),
        "image": image(CLI_IMAGE, IMAGE_TAG),
        "command": list(MIGRATE.command),
        "environment": settings(),
        # PostgreSQL itself, not PgBouncer: see local/deploy/pgbouncer.py.
        "secrets": mounted(MIGRATE.secrets, MIGRATION_SOURCES),
        "depends_on": healthy("postgres", "rabbitmq"),
        # A one-shot job: the image's health check is about a function's HTTP port.
        "healthcheck": {"disable": True},
    }


def after_migrate(*infrastructure: str) -> dict[str, dict[str, str]]:
    return {
        **healthy(*infrastructure),
        "migrate": {"condition": "service_completed_successfully"},
    }


def function_service(name: str, deployed: Deployed) -> dict[str, Any]:
    depends_on = after_migrate(pgbouncer.NAME, "redis", "rabbitmq")
    if "s3_access_key" in deployed.function.secrets:
        # Its MinIO user exists once minio-setup has run.
        depends_on["minio-setup"] = {"condition": "service_completed_successfully"}
    environment = {**settings(), "TRUSTED_PROXIES": GATEWAY_ADDRESS}
    if "web" in deployed.function.extras:
        # The web front end calls the API through the gateway on the compose network:
        # PUBLIC_URL is the browsers' address, which inside a container is the container.
        environment["WEB_API_URL"] = f"http://gateway:{PORT}"
    return {
        "build": our_build(name, extras_of(deployed)),
        "image": image(name, IMAGE_TAG),
        "restart": "unless-stopped",
        "environment": environment,
        "secrets": mounted(secrets_of(deployed, rabbitmq=True)),
        "depends_on": depends_on,
        "healthcheck": check(http_check(PORT, "/healthz"), interval="15s", retries=5),
    }


def process_service(process: Process) -> dict[str, Any]:
    environment = {
        **settings(),
        "METRICS_PORT": str(METRICS_PORT),
        # Compose service names use dashes: `{service}` is the function's name with dashes.
        "FUNCTION_URL_TEMPLATE": f"http://{{service}}:{PORT}/",
    }
    return {
        "image": image(CLI_IMAGE, IMAGE_TAG),
        "restart": "unless-stopped",
        "command": list(process.command),
        "environment": environment,
        "secrets": mounted(process.secrets),
        "depends_on": after_migrate(pgbouncer.NAME, "redis", "rabbitmq"),
        "healthcheck": check(http_check(METRICS_PORT, "/metrics"), interval="15s", retries=5),
    }


def gateway() -> dict[str, Any]:
    return {
        "image": "nginx:1.27-alpine",
        "restart": "unless-stopped",
        "ports": [f"{PORT}:{PORT}"],
        "volumes": [
            "./gateway/nginx.conf:/etc/nginx/nginx.conf:ro",
            "./gateway/routes.conf:/etc/nginx/eventmanager/routes.conf:ro",
            "./gateway/upstreams-compose.conf:/etc/nginx/eventmanager/upstreams.conf:ro",
        ],
        # No depends_on the functions: Nginx resolves them per request (Docker's DNS), so the
        # gateway starts without them and a stopped one answers 502 alone.
        "networks": {"default": {"ipv4_address": GATEWAY_ADDRESS}},
    }


def compose(deployed: dict[str, Deployed]) -> dict[str, Any]:
    services: dict[str, Any] = {**infrastructure(), **observability()}
    services[pgbouncer.NAME] = pgbouncer.compose_service(SECRETS_DIR)
    services["migrate"] = migrate(deployed)
    services["gateway"] = gateway()
    for name, item in sorted(deployed.items()):
        services[service_name(name)] = function_service(name, item)
    for process in PROCESSES:
        services[process.name] = process_service(process)
    services["worker"]["depends_on"]["mailpit"] = {"condition": "service_started"}
    # It writes reports with the functions' MinIO user, which minio-setup creates.
    services["worker"]["depends_on"]["minio-setup"] = {
        "condition": "service_completed_successfully"
    }

    used = {
        secret
        for service in services.values()
        for entry in service.get("secrets", [])
        for secret in [entry if isinstance(entry, str) else entry["source"]]
    }
    volumes = sorted(
        volume.split(":")[0]
        for service in services.values()
        for volume in service.get("volumes", [])
        if not volume.startswith(("./", "/"))
    )
    return {
        "name": "eventmanager",
        "services": services,
        "networks": {"default": {"ipam": {"config": [{"subnet": SUBNET, "ip_range": IP_RANGE}]}}},
        "volumes": {volume: {} for volume in volumes},
        "secrets": {secret: {"file": f"./secrets/{secret}"} for secret in sorted(used)},
    }


def env_example() -> str:
    lines = [
        "# Settings of docker-compose.yml that are not secret: cp .env.example .env",
        "# Secrets are files in ./secrets/, never here (docs/deploy-compose.md).",
        "# Rendered by `eventmgr render` (local/deploy/compose.py); do not edit.",
    ]
    for knob, (default, meaning) in KNOBS.items():
        value = f'"{default}"' if " " in default else default
        lines += ["", f"# {meaning}", f"{knob}={value}"]
    return "\n".join(lines) + "\n"


def render(deployed: dict[str, Deployed]) -> list[Rendered]:
    from local.render import Rendered

    text = dump_yaml(compose(deployed))
    return [Rendered(COMPOSE, HEADER + text), Rendered(ENV_EXAMPLE, env_example())]
