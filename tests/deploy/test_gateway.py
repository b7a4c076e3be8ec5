"""The rendered Nginx gateway under real Nginx, run unprivileged from a temporary prefix in
front of loopback upstreams that echo what they received: every target's config starts, the
upstream gets the forwarding headers and kept-alive connections, the path that was routed is
the path that is forwarded, compose finds its functions per request, and OpenFaaS routes go
to the deployed function names."""

from __future__ import annotations

import http.client
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import yaml

from local.deploy.common import PORT, public_routes, service_name
from local.deploy.gateway import (
    COMPOSE_RESOLVER,
    TARGETS,
    WORKER_PROCESSES,
    path_regex,
    routes_conf,
    upstreams_conf,
)
from local.embedded import free_port
from local.registry import Deployed, load_functions
from tests.deploy.edge import (
    Echo,
    Gateway,
    check,
    dns_server,
    echo_upstreams,
    running_gateway,
    write_config,
)

REPO = Path(__file__).resolve().parents[2]
GATEWAY = REPO / "gateway"
# The cluster names an upstream group's servers have (Nginx resolves them when it starts).
SERVER = re.compile(r"server [a-z0-9.-]+:\d+;")
TRACEPARENT = re.compile(r"^00-[0-9a-f]{32}-[0-9a-f]{16}-01$")


@pytest.fixture(scope="module")
def deployed() -> dict[str, Deployed]:
    return load_functions()


@pytest.fixture
def local_edge(deployed, tmp_path) -> Iterator[tuple[Echo, Gateway]]:
    """The `eventmgr up --processes` config: one upstream group (and echo port) per function."""
    with (
        echo_upstreams(len(deployed)) as echo,
        running_gateway(tmp_path, local_files(deployed, echo)) as gateway,
    ):
        yield echo, gateway


def committed(target: str) -> dict[str, str]:
    return {
        "eventmanager/routes.conf": (GATEWAY / "routes.conf").read_text(),
        "eventmanager/upstreams.conf": (GATEWAY / f"upstreams-{target}.conf").read_text(),
    }


def pointed_at(files: dict[str, str], port: int) -> dict[str, str]:
    """The cluster's names mapped to a loopback port, as the cluster's DNS would map them."""
    upstreams = SERVER.sub(f"server 127.0.0.1:{port};", files["eventmanager/upstreams.conf"])
    return {**files, "eventmanager/upstreams.conf": upstreams}


def local_files(deployed: dict[str, Deployed], echo: Echo) -> dict[str, str]:
    ports = dict(zip(sorted(deployed), echo.ports, strict=True))
    return {
        "eventmanager/routes.conf": routes_conf(deployed),
        "eventmanager/upstreams.conf": upstreams_conf(deployed, "local", ports),
    }


@dataclass
class Answer:
    status: int
    content_type: str | None
    body: bytes


def raw_request(url: str, method: str, target: str) -> Answer:
    """The request line as written (httpx would remove dot segments before sending)."""
    address = urlsplit(url)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=10)
    try:
        connection.request(method, target)
        response = connection.getresponse()
        return Answer(response.status, response.getheader("content-type"), response.read())
    finally:
        connection.close()


@pytest.mark.parametrize("target", TARGETS)
def test_nginx_accepts_the_config_of_every_target_unprivileged(target, tmp_path):
    files = committed(target)
    if target != "compose":
        files = pointed_at(files, PORT)
    write_config(tmp_path, files, free_port())
    done = check(tmp_path)
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr


def test_the_worker_count_is_explicit():
    # `auto` in a pod counts the node's CPUs, not the pod's limit.
    config = (GATEWAY / "nginx.conf").read_text()
    assert re.search(r"^worker_processes (\d+);$", config, re.MULTILINE)
    assert f"worker_processes {WORKER_PROCESSES};" in config


def test_the_upstream_gets_the_forwarding_headers_and_not_the_internal_ones(local_edge):
    # Before: a proxy_set_header in `location /` cancelled every one at http level, so a
    # client chose its own X-Forwarded-For (escaping per-address limits) and no ids arrived.
    echo, gateway = local_edge
    trace = f"00-{'a' * 32}-{'b' * 16}-01"
    sent = httpx.get(
        f"{gateway.url}/api/v1/events?page=2",
        headers={
            "X-Forwarded-For": "203.0.113.9",
            "X-Request-ID": "request-1",
            "traceparent": trace,
            "Authorization": "Bearer a-user-token",
            "X-Internal-Token": "forged",
            "X-Real-IP": "203.0.113.10",
            "Forwarded": "for=203.0.113.11",
        },
    )
    bare = httpx.get(f"{gateway.url}/api/v1/events")
    assert sent.status_code == 200, sent.text
    assert sent.headers["x-request-id"] == "request-1"
    first, second = echo.received
    assert first.target == "/api/v1/events?page=2"
    # The client's claim stays on the left; the address Nginx saw is appended.
    assert first.header("x-forwarded-for") == ["203.0.113.9, 127.0.0.1"]
    assert first.header("x-request-id") == ["request-1"]
    assert first.header("traceparent") == [trace]
    assert first.header("x-forwarded-proto") == ["http"]
    assert first.header("host") == ["127.0.0.1"]
    assert first.header("authorization") == ["Bearer a-user-token"]
    for internal in ("x-internal-token", "x-real-ip", "forwarded"):
        assert first.header(internal) == [], internal
    # Nothing asks the upstream to close: the connection can be reused.
    assert first.header("connection") == []
    # A client that sent no ids gets the gateway's, and its own address alone.
    assert second.header("x-forwarded-for") == ["127.0.0.1"]
    (request_id,) = second.header("x-request-id")
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    assert bare.headers["x-request-id"] == request_id
    (traceparent,) = second.header("traceparent")
    assert TRACEPARENT.match(traceparent)
    assert traceparent.split("-")[1] == request_id


def test_connections_to_upstreams_are_kept_alive(local_edge):
    echo, gateway = local_edge
    requests = 30
    for _ in range(requests):
        # A new client connection each time: only the gateway's side can be reused.
        assert httpx.get(f"{gateway.url}/api/v1/events").status_code == 200
    port = echo.received[0].port
    assert len(echo.received) == requests
    # Serial requests reuse the idle connection of each worker process (before: one each).
    assert 1 <= echo.connections[port] <= WORKER_PROCESSES


REFUSED = (
    "/api/v1/events/../admin/users",
    "/api/v1/events/x/..",
    "/api/v1/./events",
    "/api/v1/events/.",
    "/api/v1/events/%2e%2e/x",
    "/api/v1/events/%2E/x",
    "/api/v1/events/a%2Fb",
    "/api/v1/events/a%2fb/registrations",
    "//api/v1/events",
    "/api/v1//events",
)


@pytest.mark.parametrize("target", REFUSED)
def test_paths_that_normalise_into_another_path_are_refused(local_edge, target):
    # Nginx routes on the normalised path; the function would get the raw one and route it
    # otherwise. Refused with a problem, and nothing reaches a function.
    echo, gateway = local_edge
    answer = raw_request(gateway.url, "GET", target)
    assert answer.status == 400
    assert answer.content_type == "application/problem+json"
    assert json.loads(answer.body)["status"] == 400
    # Only what came through the gateway counts: an echo port is a free loopback port, and a
    # stray probe of another process's (a readiness poll) may knock on it.
    assert [r for r in echo.received if r.header("x-request-id")] == []


def sample_path(template: str) -> str:
    """A concrete path for a route template, with encoded characters in its parameters."""
    return re.sub(
        r"\{([a-z_]+)(:uuid|:path)?\}",
        lambda match: {":uuid": str(uuid.uuid4()), ":path": "some/caf%C3%A9-1"}.get(
            match.group(2) or "", "caf%C3%A9-1"
        ),
        template,
    )


def test_the_routed_path_is_the_forwarded_path(deployed, local_edge):
    """Every public route: the function that gets the request receives the path and query as
    sent, and has a route for that method that matches it (it routes as the gateway did)."""
    echo, gateway = local_edge
    routes = public_routes(deployed)
    owner_of_port = dict(zip(echo.ports, sorted(deployed), strict=True))
    for route in routes:
        target = sample_path(route.path) + "?q=a%2Fb%2e..&x=//"
        answer = raw_request(gateway.url, route.method, target)
        assert answer.status == 200, (route, answer.status)
        received = echo.received[-1]
        assert received.target == target
        function = owner_of_port[received.port]
        decoded = target.partition("?")[0].replace("caf%C3%A9", "café")
        assert any(
            other.function == function
            and other.method == route.method
            and re.fullmatch(path_regex(other.path), decoded)
            for other in routes
        ), (route, function)
    assert len(echo.received) == len(routes)


def test_compose_finds_each_function_per_request(tmp_path):
    """Docker's DNS answers only for running services: the gateway starts while no function
    resolves, answers 502 for a stopped one, and reaches one that is (re)started."""
    files = committed("compose")
    upstreams = files["eventmanager/upstreams.conf"]
    assert f"resolver {COMPOSE_RESOLVER} " in upstreams
    assert not re.search(r"^upstream ", upstreams, re.MULTILINE)  # resolved once, at start
    with echo_upstreams(1) as echo, dns_server() as resolver:
        upstreams = upstreams.replace(COMPOSE_RESOLVER, resolver.address)
        upstreams = upstreams.replace(f":{PORT};", f":{echo.ports[0]};")
        with running_gateway(tmp_path, {**files, "eventmanager/upstreams.conf": upstreams}) as gw:
            stopped = httpx.get(f"{gw.url}/api/v1/admin/users")
            resolver.names.add(service_name("browse_events"))
            started = httpx.get(f"{gw.url}/api/v1/events", headers={"X-Request-ID": "r-2"})
    assert stopped.status_code == 502
    assert stopped.headers["content-type"] == "application/problem+json"
    assert stopped.json()["status"] == 502
    assert started.status_code == 200, started.text
    (received,) = echo.received
    assert received.target == "/api/v1/events"
    assert received.header("x-request-id") == ["r-2"]
    assert received.header("x-forwarded-for") == ["127.0.0.1"]


@pytest.mark.parametrize(
    ("target", "forwarded", "host"),
    [
        ("knative", "/api/v1/admin/users", "admin-users.eventmanager.svc.cluster.local"),
        ("openfaas", "/function/admin-users/api/v1/admin/users", "gateway.openfaas"),
    ],
)
def test_cluster_targets_forward_to_the_function(tmp_path, target, forwarded, host):
    with echo_upstreams(1) as echo:
        files = pointed_at(committed(target), echo.ports[0])
        with running_gateway(tmp_path, files) as gateway:
            response = httpx.get(f"{gateway.url}/api/v1/admin/users?limit=5")
    assert response.status_code == 200, response.text
    (received,) = echo.received
    assert received.target == f"{forwarded}?limit=5"
    assert received.header("host") == [host]
    assert received.header("x-forwarded-for") == ["127.0.0.1"]


def test_openfaas_routes_name_deployed_functions(deployed):
    """`/function/<name>` must be the name stack.yml deploys (`admin-users`, never
    `admin_users`), or the OpenFaaS gateway answers 404."""
    stack = yaml.safe_load((REPO / "stack.yml").read_text())
    upstreams = (GATEWAY / "upstreams-openfaas.conf").read_text()
    forwarded = dict(re.findall(r"(\w+) /function/([^;]+);", upstreams))
    for route in public_routes(deployed):
        assert forwarded[route.function] in stack["functions"], route


def test_routes_are_the_declared_ones_and_internal_paths_are_not_among_them():
    routes = (GATEWAY / "routes.conf").read_text()
    # HEAD goes wherever GET goes.
    assert '"~^(GET|HEAD):/api/v1/events$" browse_events;' in routes
    assert '"~^POST:/api/v1/events$" create_event;' in routes
    # `GET /` is the web front end's home page; the internal `POST /` is routed nowhere.
    assert '"~^(GET|HEAD):/$" web;' in routes
    for internal in ("POST:/$", "/metrics", "/function/"):
        assert internal not in routes
    assert "DELETE:/api/v1/events/[^/]+/registrations/me$" in routes
    assert re.fullmatch(
        path_regex("/api/v1/events/{event_id}/registrations/{registration_id:uuid}"),
        "/api/v1/events/x/registrations/0b5b1d36-8a70-4c2b-9f7e-2f1e8f0c4a11",
    )
    assert not re.fullmatch(
        path_regex("/api/v1/events/{event_id}/registrations/{registration_id:uuid}"),
        "/api/v1/events/x/registrations/me",
    )


@pytest.mark.parametrize(
    ("method", "target", "status", "function"),
    [
        ("GET", "/", 200, "web"),
        ("GET", "/some/page/of/the/site?x=1", 200, "web"),
        ("HEAD", "/about", 200, "web"),
        ("GET", "/verify-email?token=t", 200, "verify_email"),
        ("GET", "/api/v1/no-such-route", 404, None),
        ("GET", "/api/", 404, None),
        ("GET", "/function/web/", 404, None),
        ("GET", "/docs/assets/x.js", 404, None),
        ("GET", "/metrics", 404, None),
        ("GET", "/openapi.json", 404, None),
        ("POST", "/api/v1/no-such-route", 404, None),
        ("POST", "/some/page", 405, None),
    ],
)
def test_the_web_front_end_gets_every_path_the_platform_does_not_keep(
    deployed, local_edge, method, target, status, function
):
    """A reader's link to any page reaches the web front end; an API client's typo stays a
    404 problem from the gateway, and the platform's own paths never reach a page."""
    echo, gateway = local_edge
    owner_of_port = dict(zip(echo.ports, sorted(deployed), strict=True))
    before = len(echo.received)
    answer = raw_request(gateway.url, method, target)
    assert answer.status == status, (target, answer.status)
    if function is None:
        assert answer.content_type == "application/problem+json"
        assert len(echo.received) == before
    else:
        assert owner_of_port[echo.received[-1].port] == function
