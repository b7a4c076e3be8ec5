"""`make rehearse`'s own rules, offline: the override swaps images and nothing else, every image
the deployment files name is built, the Dockerfile's base images default to the upstream ones,
and what the rehearsal leaves out is left out whole. The rehearsal itself runs containers
(podman) and is `make rehearse`, not part of `make test`."""

from __future__ import annotations

import configparser
import re
import subprocess
from pathlib import Path

import yaml

from local.deploy.dockerfile import PYTHON_IMAGE, WATCHDOG_IMAGE
from rehearsal import checks, coldstart, images, scenario, stack

ROOT = Path(__file__).resolve().parents[2]


class Replaced(list):
    """Compose's `!reset []` and `!override [...]`: the list replaces the merged one."""


class OverrideLoader(yaml.SafeLoader):
    pass


def replaced(loader: yaml.SafeLoader, node: yaml.Node) -> Replaced:
    assert isinstance(node, yaml.SequenceNode), "the override replaces lists only"
    return Replaced(loader.construct_sequence(node))


OverrideLoader.add_constructor("!reset", replaced)
OverrideLoader.add_constructor("!override", replaced)


def load(path: str) -> dict:
    return yaml.load((ROOT / path).read_text(), OverrideLoader)  # noqa: S506 (a SafeLoader)


def test_the_override_only_swaps_images_and_unpublishes_ports_of_existing_services():
    compose = load("docker-compose.yml")["services"]
    override = load("rehearsal/compose.override.yml")
    assert set(override) == {"services"}
    for name, service in override["services"].items():
        assert name in compose
        assert set(service) <= {"image", "ports"}
        assert service["image"].startswith("localhost/rehearsal/")
        assert "build" not in compose[name], f"{name}: our own images are built, never swapped"
        if "ports" in service:
            # Replaced, never appended to (compose merges plain lists).
            assert isinstance(service["ports"], Replaced), name


def test_the_rehearsal_publishes_only_the_ports_the_scenario_reaches_from_the_host():
    """Other runs on a shared machine probe RabbitMQ's 15672: the stack keeps only the
    gateway's port and the one presigned download URLs name."""
    compose = load("docker-compose.yml")["services"]
    override = load("rehearsal/compose.override.yml")["services"]
    published = set()
    for name in stack.rehearsed_services({"services": compose}):
        ports = override.get(name, {}).get("ports", compose[name].get("ports") or [])
        published |= {port.rsplit(":", 1)[0].removeprefix("127.0.0.1:") for port in ports}
    wanted = {scenario.GATEWAY.rsplit(":", 1)[1]}
    wanted |= {
        coldstart.environment(s)["S3_PUBLIC_ENDPOINT"].rsplit(":", 1)[1]
        for s in compose.values()
        if "S3_PUBLIC_ENDPOINT" in (s.get("environment") or {})
    }
    assert published == wanted == {"8080", "9000"}


def test_every_image_the_deployment_files_name_is_built():
    compose = load("docker-compose.yml")
    stack_file = load("stack.yml")
    built = {b.image: b for b in images.declared_builds()}
    ours = "ghcr.io/eventmanager/"
    named = {s["image"] for s in compose["services"].values() if s["image"].startswith(ours)}
    named |= {f["image"] for f in stack_file["functions"].values()}
    assert set(built) == {n.replace("${IMAGE_TAG:-latest}", "rehearsal") for n in named}
    assert {b.target for b in built.values()} == {"runtime", "openfaas"}
    assert len(images.unique(images.declared_builds())) == len(built)


def test_an_image_must_carry_its_extras_and_what_they_imply():
    build = images.Build("x", "runtime", "upload_media", "media")
    assert build.modules() == {"PIL", "minio"}
    assert images.Build("x", "runtime", "", "").modules() == set()
    # Found by the rehearsal: build_report's image has Pillow because matplotlib requires it.
    reports = images.Build("x", "runtime", "build_report", "reports")
    assert reports.modules() == {"matplotlib", "minio", "PIL"}


def test_every_extra_a_function_declares_is_checked_in_its_image():
    # Found by `make rehearse`: the web front end's new extra stopped the image check.
    from local.registry import load_functions

    declared = {e for deployed in load_functions().values() for e in deployed.function.extras}
    assert declared <= images.EXTRA_MODULES.keys()


def test_the_dockerfile_builds_from_the_upstream_images_by_default():
    text = (ROOT / "Dockerfile").read_text()
    assert f"ARG PYTHON_IMAGE={PYTHON_IMAGE}\n" in text
    assert f"ARG WATCHDOG_IMAGE={WATCHDOG_IMAGE}\n" in text
    assert PYTHON_IMAGE.startswith("python:3.11")
    assert "openfaas/of-watchdog:" in WATCHDOG_IMAGE
    assert re.findall(r"^FROM (\S+)", text, re.MULTILINE) == [
        "${WATCHDOG_IMAGE}",
        "${PYTHON_IMAGE}",
        "runtime",
    ]


def test_a_function_image_is_the_shared_layers_and_a_step_keyed_on_its_function():
    """Every step before `ARG FUNCTION` is shared by the images of an extras set (built once,
    cached); the first step after it is a RUN, which buildah 1.28 (podman 4.3) keys on the
    argument's value. Its ENV and LABEL keys ignore the value: with ENV first, every image of
    an extras set came out as the first function built."""
    text = (ROOT / "Dockerfile").read_text()
    runtime = text[text.index(" AS runtime\n") : text.index("FROM runtime AS openfaas\n")]
    steps = [line for line in runtime.splitlines() if re.match(r"^[A-Z]+ ", line)]
    keyed = steps.index('ARG FUNCTION=""')
    # Only CMD names it before: its shell reads FUNCTION when the container starts.
    assert [s.split()[0] for s in steps[:keyed] if "FUNCTION" in s] == ["CMD"]
    assert steps[keyed + 1].startswith("RUN ")
    assert "$FUNCTION" in steps[keyed + 1]
    assert steps[keyed + 2 :] == ["ENV FUNCTION=${FUNCTION}"]
    assert [s.split()[0] for s in steps[:keyed]].count("COPY") == 6


def test_what_is_left_out_is_left_out_whole():
    compose = load("docker-compose.yml")
    assert set(compose["services"]) >= stack.LEFT_OUT
    for name in stack.rehearsed_services(compose):
        needs = set(compose["services"][name].get("depends_on") or {})
        assert not needs & stack.LEFT_OUT, f"{name} needs a service the rehearsal leaves out"


def test_tiers_follow_the_compose_dependencies():
    compose = load("docker-compose.yml")
    for name in (*stack.POOLER, *stack.JOBS):
        needs = set(compose["services"][name].get("depends_on") or {})
        assert needs <= set(stack.BACKING), name
    for name in stack.BACKING:
        assert not compose["services"][name].get("depends_on"), name
    earlier = {*stack.BACKING, *stack.POOLER, *stack.JOBS}
    for name in stack.rehearsed_services(compose):
        needs = set(compose["services"][name].get("depends_on") or {})
        # The last tier starts at once: it may need only the tiers before it.
        assert name in earlier or needs <= earlier, name


def test_compose_defaults_are_taken_for_a_lone_container():
    service = {"environment": {"A": "${LOG_LEVEL:-INFO}", "B": "${CORS_ORIGINS:-}", "C": "x"}}
    assert coldstart.environment(service) == {"A": "INFO", "B": "", "C": "x"}


def test_a_cold_start_is_probed_at_the_containers_address_on_the_stacks_network():
    """As Knative reaches a pod: no published port (which hid, as a 120 s timeout, that podman
    4.3 had given one container the network's broadcast address; its own address said so)."""
    inspected = '{"stack_default": {"IPAddress": "10.89.0.7", "Gateway": "10.89.0.1"}}'
    assert coldstart.address_in(inspected, "stack_default") == "10.89.0.7"
    assert coldstart.address_in(inspected, "podman") == ""
    assert coldstart.address_in('{"stack_default": {"IPAddress": ""}}', "stack_default") == ""
    assert coldstart.address_in("", "stack_default") == ""


def test_a_log_line_is_one_json_object():
    assert checks.not_json(['{"a": 1}', "", "plain", "[1]"]) == ["plain", "[1]"]
    assert checks.NGINX_ERROR_LINE.match("2026/12/04 05:40:01 [warn] 7#7: something")
    # Before its error log is open (found by the rehearsal: the 1000 open files cap here).
    assert checks.NGINX_ERROR_LINE.match("nginx: [warn] 4096 worker_connections exceed open file")
    assert not checks.NGINX_ERROR_LINE.match("nginx is fine")


def test_every_file_a_build_mounts_exists_on_a_clean_clone():
    """A mount of a missing host file fails every build (`stat …: no such file`): what the
    builds mount is made by the rehearsal itself, not left over from an earlier run."""
    images.PIP_CONF.unlink(missing_ok=True)
    options = images._build_options()
    mounts = [options[i + 1] for i, option in enumerate(options) if option == "--volume"]
    assert mounts
    for mount in mounts:
        host = mount.split(":")[0]
        assert Path(host).is_file(), host
    assert "cert = /run/rehearsal-ca.crt" in images.PIP_CONF.read_text()


def test_the_pgbouncer_stand_in_configures_itself_from_the_compose_environment(tmp_path):
    """The stand-in's entrypoint turns DATABASE_URL and the environment docker-compose.yml gives
    edoburu/pgbouncer into pgbouncer.ini and a user list, then runs its arguments."""
    service = load("docker-compose.yml")["services"]["pgbouncer"]
    env = {
        **{k: str(v) for k, v in service["environment"].items()},
        "PATH": "/usr/bin:/bin",
        "PG_CONFIG_DIR": str(tmp_path),
        "DATABASE_URL": "postgresql://eventmanager:s3cret@postgres:5432/eventmanager",
    }
    script = ROOT / "rehearsal/images/pgbouncer-entrypoint.sh"
    done = subprocess.run(
        ["/bin/sh", str(script), "echo", "started"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "started"
    ini = configparser.ConfigParser()
    ini.read(tmp_path / "pgbouncer.ini")
    assert dict(ini["databases"]) == {"eventmanager": "host=postgres port=5432 user=eventmanager"}
    settings = ini["pgbouncer"]
    assert settings["listen_port"] == service["environment"]["LISTEN_PORT"]
    assert service["healthcheck"]["test"][-1] == settings["listen_port"]
    assert settings["pool_mode"] == "transaction"
    assert settings["auth_type"] == "scram-sha-256"
    assert settings["default_pool_size"] == service["environment"]["DEFAULT_POOL_SIZE"]
    assert settings["max_client_conn"] == service["environment"]["MAX_CLIENT_CONN"]
    assert settings["ignore_startup_parameters"] == "extra_float_digits,options"
    # scram-sha-256: PgBouncer needs the password itself to log in to PostgreSQL in turn.
    assert (tmp_path / "userlist.txt").read_text() == '"eventmanager" "s3cret"\n'
