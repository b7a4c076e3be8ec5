"""docker-compose.yml as rendered: each image is built by one service only, and the gateway
starts without waiting for the functions it resolves per request."""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

from local.deploy.common import CLI_IMAGE, MIGRATE, PROCESSES, image, service_name
from local.deploy.compose import IMAGE_TAG
from local.registry import load_functions

ROOT = Path(__file__).resolve().parents[2]


def services() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def test_each_image_is_built_by_one_service_and_run_by_the_others():
    # Several services building one tag at once fail on a fresh machine (the CLI image was
    # built by migrate, dispatcher, scheduler and worker alike).
    builders: dict[str, list[str]] = defaultdict(list)
    for name, service in services().items():
        if "build" in service:
            assert "image" in service, f"{name} builds an image without naming it"
            builders[service["image"]].append(name)
    assert {tag: names for tag, names in builders.items() if len(names) > 1} == {}
    cli = image(CLI_IMAGE, IMAGE_TAG)
    assert builders[cli] == [MIGRATE.name]
    runners = sorted(name for name, service in services().items() if service["image"] == cli)
    assert runners == sorted([MIGRATE.name, *(process.name for process in PROCESSES)])


def test_every_function_builds_its_own_image():
    found = services()
    for name in load_functions():
        service = found[service_name(name)]
        assert service["image"] == image(name, IMAGE_TAG)
        assert service["build"]["args"]["FUNCTION"] == name


def test_the_gateway_does_not_wait_for_the_functions():
    gateway = services()["gateway"]
    # Nginx resolves each function per request through Docker's DNS (gateway/*.conf), so a
    # function that is stopped or failing does not keep the public entry down.
    assert "depends_on" not in gateway
    mounted = "./gateway/upstreams-compose.conf:/etc/nginx/eventmanager/upstreams.conf:ro"
    assert mounted in gateway["volumes"]


def test_rabbitmq_is_healthy_only_once_it_accepts_connections():
    # Found by `make rehearse`: `rabbitmq-diagnostics ping` answers as soon as the Erlang node
    # is up, before the broker listens, so migrate (which waits for a healthy RabbitMQ) could
    # start against a broker that refuses AMQP connections.
    test = services()["rabbitmq"]["healthcheck"]["test"]
    assert test[-1] == "check_port_connectivity"
    assert "ping" not in test


def test_every_address_the_network_hands_out_is_a_host_address():
    """Found by `make rehearse`: with subnet 172.30.80.0/24 and ip_range .128/25, podman 4.3 gave
    a container the subnet's broadcast address .255, on which nothing could reach it (a cold
    start answered `Network is unreachable` for 120 s). The range stays inside the subnet's
    host addresses, and the gateway's fixed address inside the subnet but outside the range."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    (config,) = compose["networks"]["default"]["ipam"]["config"]
    subnet = ipaddress.IPv4Network(config["subnet"])
    handed_out = ipaddress.IPv4Network(config["ip_range"])
    assert handed_out.subnet_of(subnet)
    assert subnet.network_address not in handed_out
    assert subnet.broadcast_address not in handed_out
    gateway = compose["services"]["gateway"]["networks"]["default"]["ipv4_address"]
    assert ipaddress.IPv4Address(gateway) in subnet
    assert ipaddress.IPv4Address(gateway) not in handed_out
