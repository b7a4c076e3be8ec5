"""The container targets (Dockerfile, docker-compose, OpenFaaS, CI) are valid offline and give
each function exactly its own secrets."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from local.deploy.common import (
    DIRECT_SECRET,
    MIGRATE,
    PROCESSES,
    openfaas_image,
    secret_file,
    secrets_of,
    service_name,
)
from local.registry import load_functions
from shared import process_state

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SIGNING_KEY = "jwt_private_key"


def run(*command: str) -> str:
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def load(path: str) -> dict:
    return yaml.safe_load((ROOT / path).read_text())


@pytest.fixture(scope="module")
def deployed():
    return load_functions()


def test_dockerfile_is_hadolint_clean_and_has_both_targets():
    run(str(BIN / "hadolint"), "--failure-threshold", "style", "Dockerfile")
    text = (ROOT / "Dockerfile").read_text()
    assert " AS runtime" in text
    assert text.rstrip().splitlines()[-1] == 'CMD ["fwatchdog"]'  # openfaas: the default
    assert "USER 10001:10001" in text
    assert (ROOT / ".dockerignore").read_text().splitlines()[1] == "*"


def test_the_dependency_layers_depend_on_pyproject_and_the_lock_only():
    """Every image's dependency layers are keyed on what they copy: with README.md copied (for
    pyproject's `readme`), a README edit rebuilt every image's dependencies (`make rehearse`)."""
    text = (ROOT / "Dockerfile").read_text()
    before = text[text.index(" AS runtime\n") : text.index("WORKDIR /app\n")]
    copied = [line.split()[1:-1] for line in before.splitlines() if line.startswith("COPY ")]
    assert copied == [["pyproject.toml"], ["requirements/constraints.txt"]]
    assert "!README.md" not in (ROOT / ".dockerignore").read_text()


def test_compose_file_fits_the_compose_spec():
    run(
        str(BIN / "check-jsonschema"),
        "--builtin-schema",
        "vendor.compose-spec",
        "docker-compose.yml",
    )


def test_workflow_fits_the_github_workflow_schema():
    schema = "vendor.github-workflows"
    run(str(BIN / "check-jsonschema"), "--builtin-schema", schema, ".github/workflows/ci.yml")


def test_stack_has_every_function_with_only_its_secrets(deployed):
    functions = load("stack.yml")["functions"]
    assert set(functions) == {service_name(name) for name in deployed}
    for name, item in deployed.items():
        entry = functions[service_name(name)]
        assert entry["image"] == openfaas_image(name, "${IMAGE_TAG:-latest}")
        assert entry["build_args"]["FUNCTION"] == name
        expected = {secret_file(s) for s in secrets_of(item, rabbitmq=True)}
        assert set(entry["secrets"]) == expected
        schedule = item.function.schedule
        cron = {"topic": "cron-function", "schedule": schedule}
        if schedule:
            assert entry["annotations"].items() >= cron.items()
        else:
            assert not {"topic", "schedule"} & set(entry["annotations"])
        scaling = item.function.scaling
        assert entry["labels"]["com.openfaas.scale.max"] == str(scaling.max_scale)
        assert ("com.openfaas.scale.zero" in entry["labels"]) == (scaling.min_scale == 0)


def test_compose_function_services_mount_only_their_secrets(deployed):
    services = load("docker-compose.yml")["services"]
    for name, item in deployed.items():
        service = services[service_name(name)]
        mounted = {entry["source"]: entry["target"] for entry in service["secrets"]}
        assert set(mounted) == set(secrets_of(item, rabbitmq=True))
        # Under the file names shared.config reads from SECRETS_DIR.
        assert all(target == secret_file(source) for source, target in mounted.items())
        assert service["environment"]["SECRETS_DIR"] == "/run/secrets"
        assert service["build"]["args"]["FUNCTION"] == name
    for process in PROCESSES:
        given = {entry["source"] for entry in services[process.name]["secrets"]}
        assert given == set(process.secrets)
    # The migration reads PostgreSQL's direct URL as its DATABASE_URL, never PgBouncer's.
    migration = {entry["source"]: entry["target"] for entry in services[MIGRATE.name]["secrets"]}
    assert migration == {
        DIRECT_SECRET: secret_file("database_url"),
        "rabbitmq_url": secret_file("rabbitmq_url"),
    }


def test_only_login_is_given_the_signing_key(deployed):
    assert SIGNING_KEY in secrets_of(deployed["login"])
    stack = load("stack.yml")["functions"]
    holders = {
        name for name, entry in stack.items() if secret_file(SIGNING_KEY) in entry["secrets"]
    }
    assert holders == {"login"}
    services = load("docker-compose.yml")["services"]
    holders = {
        name
        for name, service in services.items()
        for entry in service.get("secrets", [])
        if (entry if isinstance(entry, str) else entry["source"]) == SIGNING_KEY
    }
    assert holders == {"login"}


def test_no_secret_is_committed_only_referenced():
    compose = load("docker-compose.yml")
    for secret, source in compose["secrets"].items():
        assert source == {"file": f"./secrets/{secret}"}
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert "secrets/" in ignored
    assert ".env" in ignored


def test_compose_dispatcher_reaches_functions_by_service_name(monkeypatch):
    from eventing.delivery import function_url

    template = load("docker-compose.yml")["services"]["dispatcher"]["environment"]
    monkeypatch.setenv("FUNCTION_URL_TEMPLATE", template["FUNCTION_URL_TEMPLATE"])
    process_state.reset()
    try:
        assert function_url("relay_outbox") == "http://relay-outbox:8080/"
    finally:
        monkeypatch.undo()
        process_state.reset()


def test_ci_builds_an_image_per_function(deployed):
    jobs = load(".github/workflows/ci.yml")["jobs"]
    built = {entry["function"] for entry in jobs["images"]["strategy"]["matrix"]["include"]}
    assert built == {*deployed, ""}  # "" is the eventmgr CLI image
    assert jobs["deploy-openfaas"]["needs"] == ["lint", "test", "images"]


def test_rendered_files_are_current():
    run(str(BIN / "eventmgr"), "render", "--check")
