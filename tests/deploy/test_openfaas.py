"""OpenFaaS: `stack.yml` carries the watchdog's readiness and drain settings, the manifests in
`openfaas/` are valid Kubernetes (offline, kubernetes-validate --strict) and run the
processes the functions need, and the docs' secret loop never creates an empty secret."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml

from local.deploy import openfaas, openfaas_manifests
from local.deploy.common import DIRECT_SECRET, MIGRATE, PROCESSES, secret_file, service_name
from local.deploy.gateway import config_files
from local.registry import Deployed, load_functions
from shared import process_state
from shared.config import DEFAULT_SECRETS_DIR
from tests.deploy.manifests import documents_of, files_under

REPO = Path(__file__).resolve().parents[2]
KUBERNETES_VERSION = kubernetes_validate.latest_version()


@pytest.fixture(scope="module")
def deployed() -> dict[str, Deployed]:
    return load_functions()


@pytest.fixture(scope="module")
def files(deployed) -> dict[str, str]:
    return files_under(openfaas_manifests.render(deployed), "openfaas")


@pytest.fixture(scope="module")
def documents(files) -> list[tuple[str, dict[str, Any]]]:
    return documents_of(files)


def named(documents, kind: str) -> dict[str, dict[str, Any]]:
    return {
        document["metadata"]["name"]: document
        for _, document in documents
        if document["kind"] == kind
    }


def stack() -> dict[str, Any]:
    return yaml.safe_load((REPO / "stack.yml").read_text())["functions"]


def seconds(duration: str) -> float:
    match = re.fullmatch(r"(\d+)s", duration)
    assert match, duration
    return float(match.group(1))


def test_every_function_waits_for_its_app_and_drains_within_the_grace_period():
    for name, entry in stack().items():
        environment = entry["environment"]
        # of-watchdog's /_/ready proxies to ready_path; without it, ready before uvicorn is.
        assert environment["ready_path"] == "/readyz", name
        assert entry["annotations"]["com.openfaas.ready.http.path"] == "/_/ready", name
        # The watchdog keeps serving for healthcheck_interval after SIGTERM (its default,
        # write_timeout, outlasted the pod's grace period).
        interval = seconds(environment["healthcheck_interval"])
        assert interval < openfaas.TERMINATION_GRACE_SECONDS, name
        assert seconds(environment["exec_timeout"]) <= seconds(environment["write_timeout"])


def test_the_stack_exceeds_what_community_edition_deploys():
    # faas-netes CE: `MaxFunctions = 15`. The docs must say Standard/Enterprise is needed.
    assert len(stack()) > 15
    docs = (REPO / "docs/deploy-openfaas.md").read_text()
    assert "MaxFunctions = 15" in docs
    assert "OpenFaaS Standard" in docs


def test_every_manifest_is_valid_kubernetes(documents):
    failures = []
    for path, document in documents:
        try:
            kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            failures.append(f"{path}: {document['kind']}: {error.message} at {list(error.path)}")
    assert not failures, "\n".join(failures)
    kinds = {document["kind"] for _, document in documents}
    assert kinds == {"ConfigMap", "Deployment", "Service", "PodDisruptionBudget", "Job"}


def test_the_checks_refuse_a_broken_manifest(documents):
    (_, job) = next(item for item in documents if item[1]["kind"] == "Job")
    broken = yaml.safe_load(yaml.safe_dump(job))
    broken["spec"]["template"]["spec"]["restartPolicy"] = 7
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_each_kustomization_lists_its_files_in_the_functions_namespace(files):
    for directory in ("", "migrate/"):
        kustomization = yaml.safe_load(files[f"{directory}kustomization.yaml"])
        assert kustomization["namespace"] == "openfaas-fn"
        listed = {f"{directory}{path}" for path in kustomization["resources"]}
        expected = {
            path
            for path in files
            if path.startswith(directory)
            and not path.endswith("kustomization.yaml")
            and "/" not in path.removeprefix(directory)
        }
        assert listed == expected


def mounted_secrets(pod: dict[str, Any], by_path: dict[str, str] | None = None) -> dict[str, bool]:
    (volume,) = [volume for volume in pod["volumes"] if volume["name"] == "secrets"]
    (container,) = pod["containers"]
    (mount,) = [mount for mount in container["volumeMounts"] if mount["name"] == "secrets"]
    # Where shared.config reads secret files by default.
    assert mount["mountPath"] == DEFAULT_SECRETS_DIR
    found = {}
    by_path = {} if by_path is None else by_path
    for source in volume["projected"]["sources"]:
        secret = source["secret"]
        # As `faas-cli secret create NAME` makes it: one key of the Secret's own name.
        [item] = secret["items"]
        assert item["key"] == secret["name"]
        found[secret["name"]] = secret.get("optional", False)
        # Read as the file of the setting it holds: its own name, except the migration's
        # direct PostgreSQL URL, read as DATABASE_URL.
        by_path[item["path"]] = secret["name"]
    return found


def test_the_processes_run_with_their_own_secrets(documents):
    deployments = named(documents, "Deployment")
    for process in PROCESSES:
        pod = deployments[process.name]["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        assert container["command"] == list(process.command)
        secrets = mounted_secrets(pod)
        assert set(secrets) == {secret_file(secret) for secret in process.secrets}
        for required in ("database_url", "rabbitmq_url", "internal_token"):
            if required in process.secrets:
                assert secrets[secret_file(required)] is False


def test_the_scheduler_is_one_replica_that_never_overlaps(documents):
    scheduler = named(documents, "Deployment")["scheduler"]["spec"]
    assert scheduler["replicas"] == 1
    assert scheduler["strategy"] == {"type": "Recreate"}


def test_the_dispatcher_and_scheduler_reach_deployed_function_names(documents, monkeypatch):
    from eventing.delivery import function_url

    functions = stack()
    for name in ("dispatcher", "scheduler"):
        (container,) = named(documents, "Deployment")[name]["spec"]["template"]["spec"][
            "containers"
        ]
        env = {variable["name"]: variable["value"] for variable in container["env"]}
        monkeypatch.setenv("FUNCTION_URL_TEMPLATE", env["FUNCTION_URL_TEMPLATE"])
        process_state.reset()
        try:
            url = function_url("relay_outbox")
        finally:
            monkeypatch.undo()
            process_state.reset()
        assert url == "http://gateway.openfaas:8080/function/relay-outbox/"
        deployed_name = url.split("/function/")[1].strip("/")
        assert deployed_name == service_name("relay_outbox")
        assert deployed_name in functions


def test_the_migration_job_reads_the_database_and_broker_urls(documents):
    (job,) = named(documents, "Job").values()
    pod = job["spec"]["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    (container,) = pod["containers"]
    assert container["command"] == list(MIGRATE.command)
    files: dict[str, str] = {}
    mounted_secrets(pod, files)
    # PostgreSQL itself, not PgBouncer: migrations need a session (DDL, advisory lock).
    assert files == {
        secret_file("database_url"): secret_file(DIRECT_SECRET),
        secret_file("rabbitmq_url"): secret_file("rabbitmq_url"),
    }


def test_the_gateway_serves_the_openfaas_upstreams(deployed, documents):
    (config_map,) = named(documents, "ConfigMap").values()
    expected = config_files(deployed, "openfaas")
    assert config_map["data"] == {Path(path).name: body for path, body in expected.items()}
    assert "server gateway.openfaas:8080;" in config_map["data"]["upstreams.conf"]
    gateway = named(documents, "Deployment")["gateway"]
    assert gateway["spec"]["replicas"] == 2
    service = named(documents, "Service")["gateway"]
    labels = gateway["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()


def docs_secret_loop() -> str:
    text = (REPO / "docs/deploy-openfaas.md").read_text()
    match = re.search(r"```sh\n(for file in secrets/\*.*?)```", text, re.DOTALL)
    assert match, "the secret loop is missing from docs/deploy-openfaas.md"
    return match.group(1)


def test_the_docs_secret_loop_skips_empty_files(tmp_path):
    # `faas-cli secret create` refuses an empty file; a stand-in that does the same records
    # what the loop asked for.
    (tmp_path / "bin").mkdir()
    stand_in = tmp_path / "bin/faas-cli"
    stand_in.write_text(
        "#!/bin/sh\n"
        'file=$5; [ -s "$file" ] || { echo "empty file: $file" >&2; exit 1; }\n'
        'echo "$@" >> "$CALLS"\n'
    )
    stand_in.chmod(0o755)
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "database_url").write_text("postgresql://db/eventmanager")
    (secrets / "smtp_url").write_text("")
    environment = {
        **os.environ,
        "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}",
        "CALLS": str(tmp_path / "calls"),
    }
    done = subprocess.run(
        ["sh", "-e", "-c", docs_secret_loop()],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    calls = (tmp_path / "calls").read_text().splitlines()
    assert calls == ["secret create database-url --from-file secrets/database_url"]


def docs_release_step() -> str:
    text = (REPO / "docs/deploy-openfaas.md").read_text()
    match = re.search(r"```sh\n(sed -i .*?)```", text, re.DOTALL)
    assert match, "the release step is missing from docs/deploy-openfaas.md"
    return match.group(1)


def test_the_docs_release_step_tags_the_images_and_names_the_job(files, tmp_path):
    # Before: `latest` everywhere and one Job named `migrate`, which never runs twice.
    for path in ("kustomization.yaml", "migrate/kustomization.yaml", "migrate/job.yaml"):
        (tmp_path / "openfaas" / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "openfaas" / path).write_text(files[path])
    release = "0f3c2a9e"
    done = subprocess.run(
        ["sh", "-e", "-c", docs_release_step()],
        cwd=tmp_path,
        env={**os.environ, "RELEASE": release},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    for path in ("kustomization.yaml", "migrate/kustomization.yaml"):
        kustomization = yaml.safe_load((tmp_path / "openfaas" / path).read_text())
        assert [entry["newTag"] for entry in kustomization["images"]] == [release]
    migration = yaml.safe_load((tmp_path / "openfaas/migrate/kustomization.yaml").read_text())
    assert migration["nameSuffix"] == f"-{release}"
    (job,) = yaml.safe_load_all(files["migrate/job.yaml"])
    # The image the kustomization retags is the one the Job runs.
    assert job["spec"]["template"]["spec"]["containers"][0]["image"].startswith(
        f"{migration['images'][0]['name']}:"
    )
