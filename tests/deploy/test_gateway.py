"""The rendered Nginx gateway is valid for every target (`nginx -t`), routes only what is
declared, and keeps `/registrations/me` apart from `/registrations/{id}`."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from local.deploy.gateway import TARGETS, path_regex

GATEWAY = Path(__file__).resolve().parents[2] / "gateway"


@pytest.mark.parametrize("target", TARGETS)
def test_nginx_accepts_the_config_of_every_target(target, tmp_path):
    nginx = shutil.which("nginx")
    assert nginx, "nginx is needed (make test installs it)"
    (tmp_path / "eventmanager").mkdir()
    shutil.copy(GATEWAY / "nginx.conf", tmp_path / "nginx.conf")
    shutil.copy(GATEWAY / "routes.conf", tmp_path / "eventmanager/routes.conf")
    upstreams = (GATEWAY / f"upstreams-{target}.conf").read_text()
    (tmp_path / "eventmanager/upstreams.conf").write_text(upstreams)
    # nginx -t resolves upstream host names: the target's names (compose services, cluster
    # addresses) point at loopback in a private mount namespace, this test's alone.
    hosts = Path("/etc/hosts").read_text() + "".join(
        f"127.0.0.1 {name}\n" for name in re.findall(r"server ([a-z0-9.-]+):", upstreams)
    )
    (tmp_path / "hosts").write_text(hosts)
    check = (
        f"mount --bind {tmp_path / 'hosts'} /etc/hosts && "
        f"{nginx} -t -p {tmp_path} -c {tmp_path / 'nginx.conf'} -g 'pid {tmp_path}/nginx.pid;'"
    )
    done = subprocess.run(["unshare", "-m", "sh", "-c", check], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr


def test_routes_are_the_declared_ones_and_internal_paths_are_not_among_them():
    routes = (GATEWAY / "routes.conf").read_text()
    # HEAD goes wherever GET goes.
    assert '"~^(GET|HEAD):/api/v1/events$" browse_events;' in routes
    assert '"~^POST:/api/v1/events$" create_event;' in routes
    for internal in (":/$", "/metrics", "/function/"):
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
