"""The Knative files: valid against the Knative, KEDA and Kubernetes schemas, and saying what
the declarations say (offline: nothing here needs a cluster)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml
from fastapi import FastAPI

from local.deploy import knative
from local.deploy.common import IMAGE_PREFIX, secret_file, secrets_of, service_name
from local.deploy.gateway import config_files
from local.registry import Deployed, load_functions
from shared.catalog import UserRegistered, UserVerified
from shared.config import Settings, _read_secret_files
from shared.kit import Function
from tests.deploy.manifests import documents_of, files_under, is_kustomization

REPO = Path(__file__).resolve().parents[2]
# Made from the upstream CRDs (see SOURCES.md there); override where they live elsewhere.
SCHEMAS = Path(os.environ.get("EVENTMGR_K8S_SCHEMAS", "/work/shared/schemas/k8s"))
KUBERNETES_VERSION = kubernetes_validate.latest_version()
# Resources of the Kubernetes API itself, checked by kubernetes-validate --strict.
CORE_KINDS = {
    "Namespace",
    "ConfigMap",
    "Secret",
    "Service",
    "Deployment",
    "Job",
    "PodDisruptionBudget",
    "NetworkPolicy",
}
KSVC = "serving.knative.dev/v1"


@pytest.fixture(scope="module")
def deployed() -> dict[str, Deployed]:
    return load_functions()


@pytest.fixture(scope="module")
def files(deployed) -> dict[str, str]:
    return files_under(knative.render(deployed), "knative")


@pytest.fixture(scope="module")
def documents(files) -> list[tuple[str, dict[str, Any]]]:
    return documents_of(files)


def of_kind(documents, api_version: str, kind: str) -> dict[str, dict[str, Any]]:
    return {
        document["metadata"]["name"]: document
        for _, document in documents
        if document["apiVersion"] == api_version and document["kind"] == kind
    }


def function_services(documents) -> dict[str, dict[str, Any]]:
    return {
        name: document
        for name, document in of_kind(documents, KSVC, "Service").items()
        if document["metadata"]["labels"]["app.kubernetes.io/component"] == "function"
    }


def is_core(api_version: str) -> bool:
    """The Kubernetes API's own groups: none (v1), one word (apps, batch), or *.k8s.io."""
    group = api_version.rpartition("/")[0]
    return "." not in group or group.endswith(".k8s.io")


def test_every_document_is_valid_against_its_schema(documents):
    assert SCHEMAS.is_dir(), f"the CRD schemas are missing: {SCHEMAS} (EVENTMGR_K8S_SCHEMAS)"
    failures = []
    checked: set[str] = set()
    for path, document in documents:
        api_version, kind = document["apiVersion"], document["kind"]
        where = f"{path}: {kind} {document['metadata'].get('name')}"
        if is_core(api_version):
            assert kind in CORE_KINDS, f"{where}: no check for this kind"
            try:
                kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
            except kubernetes_validate.ValidationError as error:
                failures.append(f"{where}: {error.message} at {list(error.path)}")
            checked.add(kind)
            continue
        group, version = api_version.split("/")
        schema_file = SCHEMAS / f"{group}_{version}_{kind}.json"
        assert schema_file.is_file(), f"{where}: no schema {schema_file.name}"
        schema = json.loads(schema_file.read_text())
        validator_class = jsonschema.validators.validator_for(schema)
        validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
        for problem in validator.iter_errors(document):
            failures.append(f"{where}: {problem.message} at {list(problem.absolute_path)}")
        checked.add(kind)
    assert not failures, "\n".join(failures)
    assert {
        "Namespace",
        "Service",
        "Broker",
        "RabbitmqBrokerConfig",
        "Trigger",
        "PingSource",
        "SinkBinding",
        "Deployment",
        "ConfigMap",
        "ScaledObject",
        "TriggerAuthentication",
        "Job",
        "NetworkPolicy",
    } <= checked


def test_the_checks_refuse_a_broken_document(documents):
    # The validation above must be able to fail: an unknown field and a number as a string.
    service = next(d for _, d in documents if d["apiVersion"] == KSVC and d["kind"] == "Service")
    broken = json.loads(json.dumps(service))
    broken["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = "Always"
    schema = json.loads((SCHEMAS / "serving.knative.dev_v1_Service.json").read_text())
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(broken))
    job = next(d for _, d in documents if d["kind"] == "Job")
    broken = json.loads(json.dumps(job))
    broken["spec"]["backoffLimit"] = "four"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_every_function_is_a_knative_service_scaled_as_declared(deployed, documents):
    services = function_services(documents)
    assert set(services) == {service_name(name) for name in deployed}
    for name, item in deployed.items():
        service = services[service_name(name)]
        scaling = item.function.scaling
        template = service["spec"]["template"]
        annotations = template["metadata"]["annotations"]
        assert annotations["autoscaling.knative.dev/min-scale"] == str(scaling.min_scale)
        assert annotations["autoscaling.knative.dev/max-scale"] == str(scaling.max_scale)
        assert annotations["autoscaling.knative.dev/target"] == str(scaling.concurrency)
        # On the Service itself these annotations would be ignored.
        assert "annotations" not in service["metadata"]
        assert template["spec"]["containerConcurrency"] == scaling.concurrency
        (container,) = template["spec"]["containers"]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert {"requests", "limits"} <= container["resources"].keys()
        env = {variable["name"]: variable.get("value") for variable in container["env"]}
        assert env["SECRETS_DIR"] == knative.SECRETS_DIR
        assert "LOG_LEVEL" in env


def test_no_function_is_reachable_but_through_the_gateway_and_the_platform(documents):
    services = function_services(documents)
    for name, service in services.items():
        labels = service["metadata"]["labels"]
        assert labels["networking.knative.dev/visibility"] == "cluster-local", name
        [container] = service["spec"]["template"]["spec"]["containers"]
        env = {variable["name"]: variable.get("value") for variable in container["env"]}
        # Triggers and PingSources cannot send the internal token: reachability is the check.
        assert env["INTERNAL_AUTH"] == "network", name
        pod_labels = service["spec"]["template"]["metadata"]["labels"]
        assert pod_labels["app.kubernetes.io/component"] == "function"
    dead_letters = of_kind(documents, KSVC, "Service")[knative.DEAD_LETTERS]
    assert dead_letters["metadata"]["labels"]["networking.knative.dev/visibility"] == (
        "cluster-local"
    )
    (policy,) = of_kind(documents, "networking.k8s.io/v1", "NetworkPolicy").values()
    assert policy["spec"]["podSelector"] == {
        "matchLabels": {"app.kubernetes.io/component": "function"}
    }
    [rule] = policy["spec"]["ingress"]
    allowed = {
        peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
        for peer in rule["from"]
        if "namespaceSelector" in peer
    }
    assert allowed == {"knative-serving", "kourier-system", "knative-eventing"}
    assert {"podSelector": {}} in rule["from"]  # the gateway, broker dispatchers, worker


def mounted_secrets(document: dict[str, Any]) -> set[str]:
    """Every Kubernetes Secret a workload reads, as volume or environment."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("secret"), dict):
                found.add(node["secret"].get("name") or node["secret"].get("secretName"))
            if isinstance(node.get("secretKeyRef"), dict):
                found.add(node["secretKeyRef"]["name"])
            if isinstance(node.get("secretRef"), dict):
                found.add(node["secretRef"]["name"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)
    return found


def test_each_function_is_given_its_own_secrets_only(deployed, documents):
    services = function_services(documents)
    for name, item in deployed.items():
        expected = {secret_file(secret) for secret in secrets_of(item)}
        assert mounted_secrets(services[service_name(name)]) == expected, name
    holders = [
        f"{document['kind']}/{document['metadata']['name']}"
        for _, document in documents
        if "jwt-private-key" in mounted_secrets(document)
        or "jwt-private-key" in json.dumps(document)
    ]
    assert holders == ["Service/login"]


def test_mounted_files_are_the_ones_the_settings_read(deployed, documents, tmp_path, monkeypatch):
    # Files named as the volume names them are read into the settings they are for.
    login = function_services(documents)["login"]
    (volume,) = login["spec"]["template"]["spec"]["volumes"]
    for source in volume["projected"]["sources"]:
        for item in source["secret"]["items"]:
            (tmp_path / item["path"]).write_text(f"value of {source['secret']['name']}\n")
    for field in Settings.model_fields:
        monkeypatch.delenv(field.upper(), raising=False)
    read = _read_secret_files(tmp_path)
    assert set(read) == set(secrets_of(deployed["login"]))
    assert read["jwt_private_key"] == "value of jwt-private-key"


def test_every_consumed_type_has_a_trigger(deployed, documents):
    triggers = of_kind(documents, "eventing.knative.dev/v1", "Trigger")
    subscribed = {
        (
            trigger["spec"]["subscriber"]["ref"]["name"],
            trigger["spec"]["filter"]["attributes"]["type"],
        )
        for trigger in triggers.values()
    }
    expected = {
        (service_name(name), cloudevent_type)
        for name, item in deployed.items()
        for cloudevent_type in item.function.consumes
    }
    assert expected, "some function consumes CloudEvents"
    assert subscribed == expected
    assert len(triggers) == len(expected)
    for trigger in triggers.values():
        spec = trigger["spec"]
        assert spec["broker"] == knative.BROKER
        assert spec["subscriber"]["ref"]["apiVersion"] == KSVC
        # The Broker's delivery applies; one of the Trigger's own would make eventing-rabbitmq
        # start a dead-letter dispatcher for this Trigger alone.
        assert "delivery" not in spec, trigger["metadata"]["name"]


def test_a_source_filter_becomes_a_trigger_filter():
    consumed = "org.eventmanager.user.registered"
    probe = Function("probe_consumer", summary="test")
    probe.on(UserRegistered, source="/eventmanager/register")(lambda session, cloudevent: None)
    probe.on(UserVerified)(lambda session, cloudevent: None)
    (filtered, unfiltered) = knative.triggers({"probe_consumer": Deployed(probe, FastAPI())})
    assert filtered["metadata"]["name"] == "probe-consumer-user-registered"
    assert filtered["spec"]["filter"]["attributes"] == {
        "type": consumed,
        "source": "/eventmanager/register",
    }
    assert unfiltered["spec"]["filter"]["attributes"] == {"type": "org.eventmanager.user.verified"}


def test_names_are_dns_labels():
    long = knative.trigger_name("a_function_with_a_long_name", "org.eventmanager." + "x_y" * 30)
    assert len(long) <= 63
    assert long == long.lower()
    assert "_" not in long
    assert long != knative.trigger_name("a_function_with_a_long_name", "org.eventmanager.x")


def test_every_scheduled_function_has_a_ping_source(deployed, documents):
    pings = of_kind(documents, "sources.knative.dev/v1", "PingSource")
    by_sink = {ping["spec"]["sink"]["ref"]["name"]: ping for ping in pings.values()}
    scheduled = {
        service_name(name): item.function.schedule
        for name, item in deployed.items()
        if item.function.schedule
    }
    assert scheduled, "some function runs on a schedule"
    assert {name: ping["spec"]["schedule"] for name, ping in by_sink.items()} == scheduled
    for ping in pings.values():
        assert ping["spec"]["sink"]["ref"]["kind"] == "Service"
        assert ping["spec"]["timezone"] == "UTC"


WORKLOAD_KINDS = {(KSVC, "Service"), ("apps/v1", "Deployment"), ("batch/v1", "Job")}


def bound_by(binding: dict[str, Any], workload: dict[str, Any]) -> bool:
    subject = binding["spec"]["subject"]
    if (subject["apiVersion"], subject["kind"]) != (workload["apiVersion"], workload["kind"]):
        return False
    if "name" in subject:
        return bool(subject["name"] == workload["metadata"]["name"])
    wanted = subject["selector"]["matchLabels"].items()
    return wanted <= workload["metadata"].get("labels", {}).items()


def test_every_workload_that_publishes_gets_k_sink(deployed, documents):
    """What can emit CloudEvents is given the key the outbox signs with; each of those must
    get K_SINK (the broker) from a SinkBinding, or its CloudEvents stay in the outbox (the
    worker's report.ready/report.failed were lost so)."""
    bindings = of_kind(documents, "sources.knative.dev/v1", "SinkBinding").values()
    for binding in bindings:
        assert binding["spec"]["sink"]["ref"] == {
            "apiVersion": "eventing.knative.dev/v1",
            "kind": "Broker",
            "name": knative.BROKER,
        }
    workloads = [
        document
        for _, document in documents
        if (document["apiVersion"], document["kind"]) in WORKLOAD_KINDS
    ]
    publishers = {
        f"{w['kind']}/{w['metadata']['name']}"
        for w in workloads
        if secret_file("cloudevent_key") in mounted_secrets(w)
    }
    functions = {f"Service/{service_name(name)}" for name in deployed}
    assert functions | {"Deployment/worker"} <= publishers
    assert "Service/relay-outbox" in publishers
    unbound = [
        f"{w['kind']}/{w['metadata']['name']}"
        for w in workloads
        if f"{w['kind']}/{w['metadata']['name']}" in publishers
        and not any(bound_by(binding, w) for binding in bindings)
    ]
    assert not unbound, f"publish without K_SINK: {unbound}"
    dead_letters = of_kind(documents, KSVC, "Service")[knative.DEAD_LETTERS]
    assert not any(bound_by(binding, dead_letters) for binding in bindings)
    (namespace,) = of_kind(documents, "v1", "Namespace").values()
    assert namespace["metadata"]["labels"]["bindings.knative.dev/include"] == "true"


def test_the_binding_check_can_fail(documents):
    worker = of_kind(documents, "apps/v1", "Deployment")["worker"]
    functions_only = of_kind(documents, "sources.knative.dev/v1", "SinkBinding")[
        "functions-publish-to-broker"
    ]
    assert not bound_by(functions_only, worker)


def test_the_broker_is_rabbitmq_with_retries_and_dead_letters(documents):
    (broker,) = of_kind(documents, "eventing.knative.dev/v1", "Broker").values()
    assert broker["metadata"]["annotations"]["eventing.knative.dev/broker.class"] == (
        "RabbitMQBroker"
    )
    (config,) = of_kind(documents, "eventing.knative.dev/v1alpha1", "RabbitmqBrokerConfig").values()
    assert broker["spec"]["config"]["kind"] == "RabbitmqBrokerConfig"
    assert broker["spec"]["config"]["name"] == config["metadata"]["name"]
    assert config["spec"]["rabbitmqClusterReference"]["name"] == "rabbitmq"
    delivery = broker["spec"]["delivery"]
    assert delivery["backoffPolicy"] == "exponential"
    assert delivery["deadLetterSink"]["ref"]["name"] == knative.DEAD_LETTERS


def test_the_gateway_serves_the_rendered_nginx_config(deployed, documents):
    expected = config_files(deployed, "knative")
    (config_map,) = of_kind(documents, "v1", "ConfigMap").values()
    assert config_map["data"] == {Path(path).name: body for path, body in expected.items()}
    deployment = of_kind(documents, "apps/v1", "Deployment")["gateway"]
    assert deployment["spec"]["replicas"] == 2
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["image"] == "nginx:1.27-alpine"
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": 8080}
    volumes = {volume["name"]: volume["configMap"] for volume in pod["volumes"]}
    mounted = {}
    for mount in container["volumeMounts"]:
        for item in volumes[mount["name"]]["items"]:
            target = mount["mountPath"]
            if mount.get("subPath") != item["path"]:
                target = f"{target}/{item['path']}"
            mounted[target] = config_map["data"][item["key"]]
    assert mounted == {f"/etc/nginx/{path}": body for path, body in expected.items()}
    service = of_kind(documents, "v1", "Service")["gateway"]
    assert service["spec"]["selector"].items() <= pod_labels(deployment).items()


def pod_labels(deployment: dict[str, Any]) -> dict[str, str]:
    return deployment["spec"]["template"]["metadata"]["labels"]


def test_the_worker_scales_on_its_queue_from_zero(documents):
    worker = of_kind(documents, "apps/v1", "Deployment")["worker"]
    (container,) = worker["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["eventmgr", "worker"]
    env = {variable["name"]: variable.get("value") for variable in container["env"]}
    assert env["METRICS_PORT"] == "9808"
    assert "replicas" not in worker["spec"], "KEDA owns the replica count"
    (scaled,) = of_kind(documents, "keda.sh/v1alpha1", "ScaledObject").values()
    assert scaled["spec"]["scaleTargetRef"]["name"] == "worker"
    assert scaled["spec"]["minReplicaCount"] == 0
    (trigger,) = scaled["spec"]["triggers"]
    assert trigger["type"] == "rabbitmq"
    assert trigger["metadata"] == {
        "protocol": "http",
        "queueName": Settings.model_fields["celery_queue"].default,
        "mode": "QueueLength",
        "value": "10",
    }
    authentications = of_kind(documents, "keda.sh/v1alpha1", "TriggerAuthentication")
    (reference,) = authentications[trigger["authenticationRef"]["name"]]["spec"]["secretTargetRef"]
    assert reference["parameter"] == "host"


def test_the_migration_job(documents):
    (job,) = of_kind(documents, "batch/v1", "Job").values()
    spec = job["spec"]
    assert spec["backoffLimit"] >= 1
    assert spec["template"]["spec"]["restartPolicy"] in ("Never", "OnFailure")
    assert spec["ttlSecondsAfterFinished"] > 0
    (container,) = spec["template"]["spec"]["containers"]
    assert container["command"] == ["eventmgr", "migrate"]
    # `eventmgr migrate` reads DATABASE_URL from the environment, never from SECRETS_DIR.
    # PostgreSQL itself, not PgBouncer: migrations need a session (DDL, advisory lock).
    (database,) = [v for v in container["env"] if v["name"] == "DATABASE_URL"]
    assert database["valueFrom"]["secretKeyRef"]["name"] == "database-direct-url"


def test_kustomizations_list_every_file_and_the_job_has_its_own(files):
    main = yaml.safe_load(files["kustomization.yaml"])
    migrate = yaml.safe_load(files["migrate/kustomization.yaml"])
    assert main["namespace"] == migrate["namespace"] == knative.NAMESPACE
    manifests = {path for path in files if not is_kustomization(path)}
    # The Services roll only after the migration: the Job is not in the main kustomization.
    assert sorted(main["resources"]) == sorted(p for p in manifests if not p.startswith("migrate/"))
    assert migrate["resources"] == ["job.yaml"]
    assert "migrate/job.yaml" in manifests
    assert migrate["nameSuffix"] == f"-{knative.RELEASE_PLACEHOLDER}"
    for path, content in files.items():
        for document in yaml.safe_load_all(content):
            if document and not is_kustomization(path):
                assert document["metadata"].get("namespace", knative.NAMESPACE) == "eventmanager"


def our_images(document: Any) -> list[str]:
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            value = node.get("image")
            if isinstance(value, str) and value.startswith(IMAGE_PREFIX):
                found.append(value)
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(document)
    return found


def test_images_carry_the_release_placeholder_and_each_is_in_images(files, documents):
    """Never `:latest`: Knative pins a digest per revision, so re-applying the same tag changes
    nothing. Every image of ours is set per release through the kustomizations' `images:`."""
    used = {image for _, document in documents for image in our_images(document)}
    assert used
    assert {image.rpartition(":")[2] for image in used} == {knative.RELEASE_PLACEHOLDER}
    listed = {
        entry["name"]: entry["newTag"]
        for path in ("kustomization.yaml", "migrate/kustomization.yaml")
        for entry in yaml.safe_load(files[path])["images"]
    }
    assert {image.rpartition(":")[0] for image in used} == set(listed)
    assert set(listed.values()) == {knative.RELEASE_PLACEHOLDER}


def test_rendering_is_deterministic(deployed, files):
    again = {
        str(rendered.path.relative_to("knative")): rendered.content
        for rendered in knative.render(deployed)
    }
    assert again == files
    assert all("&id" not in content and "*id" not in content for content in files.values())


def test_committed_files_are_up_to_date(files):
    # What `eventmgr render --check` finds stale under knative/ (other targets are theirs).
    stale = [path for path, content in files.items() if _committed(path) != content]
    assert not stale, f"run `eventmgr render`: stale {stale}"
    eventmgr = Path(sys.executable).with_name("eventmgr")
    result = subprocess.run(
        [str(eventmgr), "render", "--check"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "knative/" not in result.stdout, result.stdout + result.stderr


def _committed(path: str) -> str | None:
    file = REPO / "knative" / path
    return file.read_text() if file.is_file() else None


def kustomize(directory: Path) -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed (kustomize is built in)")
    result = subprocess.run(
        [kubectl, "kustomize", str(directory)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return [document for document in yaml.safe_load_all(result.stdout) if document]


def test_kustomize_builds_every_resource(files):
    built = kustomize(REPO / "knative") + kustomize(REPO / "knative" / "migrate")
    expected = sum(
        1
        for path, content in files.items()
        if not is_kustomization(path)
        for document in yaml.safe_load_all(content)
        if document
    )
    assert len(built) == expected
    assert {document["metadata"].get("namespace") for document in built} <= {
        "eventmanager",
        None,
    }


def test_a_release_sets_every_tag_and_names_its_migration_job(tmp_path):
    """What the CI's deploy job does (its own step, run here on a copy): after it, every image
    of ours carries the release, and the migration Job is `migrate-<release>`, a new Job per
    release that runs again, where one Job named `migrate` ran once and never again."""
    workflow = yaml.safe_load((REPO / ".github/workflows/ci.yml").read_text())
    [step] = [
        step
        for step in workflow["jobs"]["deploy-knative"]["steps"]
        if step.get("name") == "Release tag"
    ]
    copy = tmp_path / "repo"
    shutil.copytree(REPO / "knative", copy / "knative")
    release = "0123456789abcdef0123456789abcdef01234567"
    subprocess.run(
        ["bash", "-e", "-c", step["run"]],
        cwd=copy,
        env={**os.environ, **step.get("env", {}), "RELEASE": release},
        check=True,
        timeout=30,
    )
    services = kustomize(copy / "knative")
    [job] = kustomize(copy / "knative" / "migrate")
    assert job["metadata"]["name"] == f"migrate-{release}"
    images = [image for document in [*services, job] for image in our_images(document)]
    functions = [
        d
        for d in services
        if d["metadata"]["labels"].get("app.kubernetes.io/component") == "function"
        and d["kind"] == "Service"
    ]
    assert len(images) == len(functions) + 2  # and the worker's and the Job's
    assert {image.rpartition(":")[2] for image in images} == {release}
