"""The public gateway: one Nginx config, rendered from the declarations, in front of every
target (compose services, Knative Services, the OpenFaaS gateway, `eventmgr up --processes`).

Only declared public method+path pairs are routed; internal paths (`POST /`, `/metrics`) are
not in the table, so they are refused at the edge (404). A path served with another method
answers 405 with `Allow`. A raw path that Nginx would normalise into another one (`..`, `.`,
`//`, `%2e`, `%2f`) is refused with 400, so the path that was routed is the path the function
receives. The gateway starts the W3C trace when the client sent none, sets `X-Request-ID`,
appends the client's address to `X-Forwarded-For`, strips internal headers, keeps connections
to upstreams alive, limits bodies, times out slow upstreams and writes ECS JSON access lines
in which tokens in paths are masked and query strings left out.

Files (paths relative to the Nginx conf dir): `nginx.conf`, `eventmanager/routes.conf` (the
same for every target) and `eventmanager/upstreams.conf` (where each function lives: per
target). Committed copies live in `gateway/`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

from local.deploy.common import PORT, PublicRoute, public_routes, service_name
from local.registry import Deployed
from shared.kit.catch_all import CATCH_ALL_REGEX, is_catch_all

if TYPE_CHECKING:
    from local.render import Rendered

GATEWAY = Path("gateway")
TARGETS = ("compose", "knative", "openfaas")
NAMESPACE = "eventmanager"
# Explicit: `auto` counts the host's CPUs, and in a Kubernetes pod that is the node's, not
# the pod's limit (1 CPU for the gateway); two workers keep one busy worker from stalling all.
WORKER_PROCESSES = 2
# Docker's embedded DNS: compose upstreams are resolved per request (a stopped function does
# not keep the gateway from starting; a recreated one, with a new address, is found again).
COMPOSE_RESOLVER = "127.0.0.11"
# Headers only the platform may set: a client's copy is dropped at the edge. (The internal
# caller proves itself with `Authorization: Bearer <INTERNAL_TOKEN>`, which must pass for
# users' tokens; the gateway never routes the internal paths that accept it.) The client's
# address travels in X-Forwarded-For alone.
STRIPPED_HEADERS = ("X-Internal-Token", "X-Real-IP", "Forwarded")
# What a raw path may not hold (see `$path_refused`).
PATH_RULE = (
    "A path may not hold . or .. segments, empty segments (//), or encoded dots and"
    " slashes (%2e, %2f)."
)
MAX_BODY = "11m"  # media uploads are 10 MiB; each function enforces its own, smaller limit
UUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
PARAMETER = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*)(?::([a-z]+))?\}")
PROBLEM = '\'{"type":"about:blank","title":"%s","status":%d,"detail":"%s"}\''


# Longer than a discussion stream lives (240 s by default) and than its heartbeats' gap.
STREAM_READ_TIMEOUT = "1h"
# A routed request: refused (bad path, no route, wrong method) or passed to its function.
ROUTED = """\
            if ($path_refused) {
                return 400;
            }
            set $refusal "";
            if ($function = "") {
                set $refusal 404;
            }
            if ($allowed != "") {
                set $refusal "${refusal}405";
            }
            if ($refusal = "404405") {
                return 405;
            }
            if ($refusal = "404") {
                return 404;
            }
            proxy_pass http://$function_upstream$function_prefix$request_uri;
"""


def path_regex(template: str) -> str:
    """`/api/v1/events/{event_id}` → `^/api/v1/events/[^/]+$` (uuid-typed parameters only
    match ids, so `/registrations/me` and `/registrations/{id:uuid}` never collide); the
    catch-all `/{page:path}` matches every path but the platform's own."""
    if is_catch_all(template):
        return CATCH_ALL_REGEX
    pieces = []
    position = 0
    for match in PARAMETER.finditer(template):
        pieces.append(re.escape(template[position : match.start()]).replace("\\/", "/"))
        pieces.append(UUID if match.group(2) == "uuid" else "[^/]+")
        position = match.end()
    pieces.append(re.escape(template[position:]).replace("\\/", "/"))
    return "^" + "".join(pieces) + "$"


def _specificity(route: PublicRoute) -> tuple[bool, int, int, str]:
    return _path_specificity(route.path)


def _path_specificity(path: str) -> tuple[bool, int, int, str]:
    # Regex map entries are tried in order: literal segments first, then fewer parameters,
    # the catch-all last.
    return (is_catch_all(path), path.count("{"), -len(path), path)


def routes_conf(deployed: dict[str, Deployed]) -> str:
    routes = sorted(public_routes(deployed), key=_specificity)
    allowed: dict[str, set[str]] = defaultdict(set)
    owner: dict[str, str] = {}
    for route in routes:
        allowed[route.path].update({route.method, "OPTIONS"})
        if route.method == "GET":
            allowed[route.path].add("HEAD")
        owner.setdefault(route.path, route.function)
    lines = [
        "# Rendered by `eventmgr render` from the function declarations; do not edit.",
        "# Which function serves each public method and path. Anything else is not routed.",
        'map "$request_method:$uri" $function {',
        '    default "";',
    ]
    for route in routes:
        regex = path_regex(route.path)[1:]
        # HEAD wherever GET: the function answers it (the kit drops the body).
        methods = "(GET|HEAD)" if route.method == "GET" else route.method
        lines.append(f'    "~^{methods}:{regex}" {route.function};')
    lines.append(
        "    # CORS preflight goes to the function owning the path (its middleware answers)."
    )
    for path in sorted(owner, key=_path_specificity):
        lines.append(f'    "~^OPTIONS:{path_regex(path)[1:]}" {owner[path]};')
    lines += ["}", "", "# Methods a known path accepts, for 405 answers.", "map $uri $allowed {"]
    lines.append('    default "";')
    for path in sorted(allowed, key=_path_specificity):
        lines.append(f'    "~{path_regex(path)}" "{", ".join(sorted(allowed[path]))}";')
    lines += ["}", ""]
    return "\n".join(lines)


def upstreams_conf(
    deployed: dict[str, Deployed],
    target: str,
    ports: dict[str, int] | None = None,
    resolver: str = COMPOSE_RESOLVER,
) -> str:
    """Where each function is reached, and with which Host and path prefix.

    `$function_upstream` is an `upstream` group (resolved when Nginx starts, connections kept
    alive) everywhere but on compose, where it is `service:port`, resolved per request through
    `resolver` (Nginx 1.22 to 1.27.2 cannot re-resolve an upstream group's servers)."""
    names = sorted(deployed)
    lines = [
        "# Rendered by `eventmgr render` from the function declarations; do not edit.",
        f"# Upstreams for the {target} target.",
    ]
    if target == "openfaas":
        # The OpenFaaS gateway routes on the deployed name, the DNS-safe one (`admin-users`).
        lines += [
            "upstream openfaas_gateway {",
            "    server gateway.openfaas:8080;",
            "    keepalive 32;",
            "}",
            "map $function $function_upstream { default openfaas_gateway; }",
            'map $function $function_prefix { default ""; '
            + " ".join(f"{name} /function/{service_name(name)};" for name in names)
            + " }",
            "map $function $function_host { default gateway.openfaas; }",
        ]
        return "\n".join(lines) + "\n"
    if target == "compose":
        lines += [
            f"resolver {resolver} valid=10s ipv6=off;",
            "resolver_timeout 5s;",
            'map $function $function_upstream { default "";',
            *(f"    {name} {service_name(name)}:{PORT};" for name in names),
            "}",
            'map $function $function_prefix { default ""; }',
            "map $function $function_host { default $host; }",
        ]
        return "\n".join(lines) + "\n"
    for name in names:
        if target == "knative":
            # Through the cluster's Knative ingress, which routes on the Host header.
            server = "kourier-internal.kourier-system.svc.cluster.local:80"
        else:
            assert ports is not None, "the local target needs each function's port"
            server = f"127.0.0.1:{ports[name]}"
        lines += [f"upstream {name} {{", f"    server {server};", "    keepalive 16;", "}"]
    lines.append("map $function $function_upstream { default $function; }")
    lines.append('map $function $function_prefix { default ""; }')
    if target == "knative":
        hosts = " ".join(
            f"{name} {service_name(name)}.{NAMESPACE}.svc.cluster.local;" for name in names
        )
        lines.append(f'map $function $function_host {{ default ""; {hosts} }}')
    else:
        lines.append("map $function $function_host { default $host; }")
    return "\n".join(lines) + "\n"


def nginx_conf(
    *,
    listen: str = f"{PORT}",
    internal_listen: str | None = None,
    workers: int = WORKER_PROCESSES,
    temp_dir: str | None = None,
    readiness: str | None = None,
) -> str:
    """The main config. `internal_listen` (local runs only) adds a loopback server that routes
    `/function/<name>/...` to any function, like the OpenFaaS gateway, for the dispatcher and
    scheduler; it is never the public port. `temp_dir` (local runs, tests) keeps Nginx's
    buffers out of the system's directories, so an unprivileged user can run it.
    `readiness` (local runs: the runner's own address) answers `/readyz` for the whole
    platform, as the one-process runner does; deployments ask each function instead."""
    problem = {
        # Nginx's own 400s (malformed requests) land here too.
        400: PROBLEM % ("Bad Request", 400, f"The gateway refused this request. {PATH_RULE}"),
        404: PROBLEM % ("Not Found", 404, "No public route for this method and path."),
        405: PROBLEM % ("Method Not Allowed", 405, "This path does not accept this method."),
        502: PROBLEM % ("Bad Gateway", 502, "The function could not be reached."),
        504: PROBLEM % ("Gateway Timeout", 504, "The function did not answer in time."),
    }
    temp = ""
    if temp_dir:
        temp = "".join(
            f"    {kind}_temp_path {temp_dir}/{kind};\n"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
    stripped = "".join(f'    proxy_set_header {header} "";\n' for header in STRIPPED_HEADERS)
    names = {
        400: "bad_request",
        404: "not_found",
        405: "not_allowed",
        502: "bad_gateway",
        504: "gateway_timeout",
    }
    error_pages = "".join(f"        error_page {code} @{name};\n" for code, name in names.items())
    refusals = "".join(
        f"        location @{name} {{\n"
        "            default_type application/problem+json;\n"
        + ("            add_header Allow $allowed always;\n" if code == 405 else "")
        + "            add_header X-Request-ID $edge_request_id always;\n"
        "            add_header X-Content-Type-Options nosniff always;\n"
        f"            return {code} {problem[code]};\n"
        "        }\n"
        for code, name in names.items()
    )
    routed = ROUTED
    ready = ""
    if readiness:
        ready = f"""
        location = /readyz {{
            access_log off;
            proxy_pass http://{readiness}/readyz;
        }}
"""
    internal = ""
    if internal_listen:
        internal = f"""
    server {{
        listen {internal_listen};
        location ~ ^/function/(?<target>[a-z_]+)(?<rest>/.*)$ {{
            set $function $target;
            proxy_pass http://$function_upstream$rest$is_args$args;
        }}
    }}
"""
    return f"""# Rendered by `eventmgr render`; do not edit. The Event Manager public gateway.
# Explicit, not `auto`: in a pod, `auto` counts the node's CPUs rather than the pod's limit.
worker_processes {workers};
error_log /dev/stderr warn;

events {{
    worker_connections 4096;
}}

http {{
    default_type application/json;
    server_tokens off;
    sendfile on;
    keepalive_timeout 65s;
    client_max_body_size {MAX_BODY};
    client_body_timeout 30s;
    client_header_timeout 10s;
{temp}
    include eventmanager/routes.conf;
    include eventmanager/upstreams.conf;

    # A request keeps its id and trace; the gateway starts both when the client sent none.
    map $http_x_request_id $edge_request_id {{
        "~^[A-Za-z0-9._:-]{{1,128}}$" $http_x_request_id;
        default $request_id;
    }}
    map $request_id $edge_span {{
        "~^(?<first>[0-9a-f]{{16}})" $first;
    }}
    map $http_traceparent $edge_traceparent {{
        "~^00-[0-9a-f]{{32}}-[0-9a-f]{{16}}-[0-9a-f]{{2}}$" $http_traceparent;
        default "00-$request_id-$edge_span-01";
    }}
    map $edge_traceparent $edge_trace_id {{
        "~^00-(?<trace>[0-9a-f]{{32}})-" $trace;
    }}
    # Routing reads the normalised $uri, the function gets the raw path: refuse raw paths
    # that normalise into another one (dot segments, `//`, encoded dots and slashes), so the
    # function serves exactly the path the gateway routed.
    map $request_uri $path_refused {{
        "~^[^?]*(?://|/\\.\\.?(?:[/?]|$)|%2[eEfF])" 1;
        default "";
    }}
    # Tokens in paths (calendar feeds, unsubscribe links) never reach a log.
    map $uri $logged_path {{
        "~^(?<head>.*/(?:feeds|unsubscribe)/)[^/]+$" "$head[redacted]";
        default $uri;
    }}
    # event.duration in ns from $request_time (seconds with ms); ES coerces the string.
    map $request_time $duration_ns {{
        "~^(?<s>\\d+)\\.(?<ms>\\d{{3}})$" "${{s}}${{ms}}000000";
        default "0";
    }}
    log_format ecs escape=json
        '{{"@timestamp":"$time_iso8601","log.level":"info","service.name":"gateway",'
        '"message":"$request_method $logged_path $status",'
        '"http.request.method":"$request_method","url.path":"$logged_path",'
        '"http.response.status_code":$status,"event.duration":"$duration_ns",'
        '"http.request.id":"$edge_request_id","trace.id":"$edge_trace_id",'
        '"event.dataset":"$function","client.ip":"$remote_addr"}}';
    access_log /dev/stdout ecs;

    # Every proxy_set_header lives here, at http level: Nginx inherits them into a server or
    # location only where that level sets none, so one inside a location would drop them all.
    # HTTP/1.1 without `Connection: close` lets the upstream groups keep connections alive.
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Host $function_host;
    proxy_set_header X-Request-ID $edge_request_id;
    proxy_set_header traceparent $edge_traceparent;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;
    # Internal headers a client must not smuggle through.
{stripped}    proxy_connect_timeout 5s;
    proxy_send_timeout 30s;
    proxy_read_timeout 60s;
    proxy_buffering on;

    server {{
        listen {listen};
        add_header X-Request-ID $edge_request_id always;

        location = /healthz {{
            access_log off;
            return 200 '{{"status":"ok"}}';
        }}
{ready}
        location / {{
{routed}        }}

        # Server-Sent Events (a route ending in /stream): each frame passes as it comes, and
        # a stream stays open between its heartbeats for as long as the function keeps it.
        location ~ /stream$ {{
            proxy_buffering off;
            proxy_cache off;
            proxy_read_timeout {STREAM_READ_TIMEOUT};
{routed}        }}

        # The gateway's own refusals and upstream failures, as RFC 9457 problems like the
        # functions' (an upstream's own errors pass through untouched: proxy_intercept_errors
        # is off).
{error_pages}        # (A location's add_header replaces the server's: each lists all it sends. The
        # functions add their own security headers; these answers are Nginx's.)
{refusals}    }}
{internal}}}
"""


def config_files(
    deployed: dict[str, Deployed], target: str, ports: dict[str, int] | None = None
) -> dict[str, str]:
    """The gateway's files for one target, by path relative to the Nginx conf dir."""
    return {
        "nginx.conf": nginx_conf(),
        "eventmanager/routes.conf": routes_conf(deployed),
        "eventmanager/upstreams.conf": upstreams_conf(deployed, target, ports),
    }


def render(deployed: dict[str, Deployed]) -> list[Rendered]:
    from local.render import Rendered

    files = [
        Rendered(GATEWAY / "nginx.conf", nginx_conf()),
        Rendered(GATEWAY / "routes.conf", routes_conf(deployed)),
    ]
    files += [
        Rendered(GATEWAY / f"upstreams-{target}.conf", upstreams_conf(deployed, target))
        for target in TARGETS
    ]
    return files
