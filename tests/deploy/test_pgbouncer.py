"""PgBouncer in every rendered deployment: the functions and the worker reach PostgreSQL
through it in transaction mode, the migration and PgBouncer itself reach PostgreSQL directly
(`tests/scaling/test_pgbouncer.py` proves the same settings against a real PgBouncer)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from local.deploy import pgbouncer
from local.deploy.common import DIRECT_SECRET, MIGRATE, PROCESSES, secret_file, service_name
from local.pgbouncer import IGNORED_STARTUP_PARAMETERS, POOL_MODE
from local.registry import load_functions

ROOT = Path(__file__).resolve().parents[2]
DATABASE_USERS = {"worker"}  # the processes with a database_url besides the functions


def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def test_compose_runs_pgbouncer_in_transaction_mode_on_the_direct_url():
    service = compose()[pgbouncer.NAME]
    assert service["image"] == pgbouncer.IMAGE
    environment = service["environment"]
    assert environment["POOL_MODE"] == "transaction" == POOL_MODE
    assert environment["LISTEN_PORT"] == str(pgbouncer.PORT)
    # The engine sends statement_timeout in `options`: refused at connect time otherwise.
    assert set(environment["IGNORE_STARTUP_PARAMETERS"].split(",")) == {
        "extra_float_digits",
        "options",
    }
    assert environment["IGNORE_STARTUP_PARAMETERS"] == IGNORED_STARTUP_PARAMETERS
    [secret] = service["secrets"]
    assert secret["source"] == DIRECT_SECRET
    assert f"/run/secrets/{secret['target']}" in service["entrypoint"][-1]
    assert service["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert "pg_isready" in service["healthcheck"]["test"]


def test_compose_functions_wait_for_pgbouncer_and_the_migration_for_postgresql():
    services = compose()
    users = [service_name(name) for name in load_functions()] + sorted(DATABASE_USERS)
    for name in users:
        depends_on = services[name]["depends_on"]
        assert pgbouncer.NAME in depends_on, name
        # Their database_url names PgBouncer; they never wait on PostgreSQL itself.
        assert "postgres" not in depends_on, name
    migrate = services[MIGRATE.name]
    assert "postgres" in migrate["depends_on"]
    assert pgbouncer.NAME not in migrate["depends_on"]
    sources = {entry["target"]: entry["source"] for entry in migrate["secrets"]}
    assert sources[secret_file("database_url")] == DIRECT_SECRET
    assert {process.name for process in PROCESSES} >= DATABASE_USERS


def test_the_compose_secrets_point_functions_at_pgbouncer_and_migrations_at_postgresql():
    """The secret files as docs/deploy-compose.md has the operator write them."""
    guide = (ROOT / "docs" / "deploy-compose.md").read_text()
    written = re.findall(r"printf '([^']*)' \"\$pg\" > secrets/(\w+)", guide)
    urls = {name: url for url, name in written}
    assert urls["database_url"].split("@")[1].startswith(f"pgbouncer:{pgbouncer.PORT}/")
    assert urls[DIRECT_SECRET].split("@")[1].startswith("postgres:5432/")


def k8s_documents(root: str) -> list[dict[str, Any]]:
    return list(yaml.safe_load_all((ROOT / root / "pgbouncer.yaml").read_text()))


def test_the_cluster_targets_run_pgbouncer_behind_a_service():
    for root, namespace in (("knative", "eventmanager"), ("openfaas", "openfaas-fn")):
        kinds = {document["kind"]: document for document in k8s_documents(root)}
        deployment, service = kinds["Deployment"], kinds["Service"]
        assert deployment["metadata"]["namespace"] == namespace
        assert deployment["spec"]["replicas"] >= 2
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert container["image"] == pgbouncer.IMAGE
        environment = {entry["name"]: entry for entry in container["env"]}
        direct = secret_file(DIRECT_SECRET)
        assert environment["DATABASE_URL"]["valueFrom"]["secretKeyRef"] == {
            "name": direct,
            "key": direct,
        }
        assert environment["POOL_MODE"]["value"] == "transaction"
        assert environment["IGNORE_STARTUP_PARAMETERS"]["value"] == IGNORED_STARTUP_PARAMETERS
        assert service["metadata"]["name"] == pgbouncer.NAME
        assert service["spec"]["ports"][0]["port"] == pgbouncer.PORT
        kustomization = yaml.safe_load((ROOT / root / "kustomization.yaml").read_text())
        assert "pgbouncer.yaml" in kustomization["resources"]
