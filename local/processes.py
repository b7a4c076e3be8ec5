"""`eventmgr up --processes`: the local twin of production routing.

Every function runs as its own uvicorn process on its own port, behind a real Nginx using the
rendered gateway config (`local/deploy/gateway.py`, the same routes every target uses). A
second, loopback-only Nginx server routes `/function/<name>/…` for the delivery of CloudEvents
and the schedules, as the OpenFaaS gateway does; the public port never routes internal paths.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from local.deploy.gateway import nginx_conf, routes_conf, upstreams_conf
from local.embedded import die_with_parent, free_port
from local.registry import Deployed

NGINX_MISSING = (
    "eventmgr up --processes needs Nginx: apt-get install nginx (Debian/Ubuntu), "
    "brew install nginx (macOS)."
)


class Processes:
    """The function processes and Nginx; `stop()` ends them all."""

    def __init__(self) -> None:
        self.children: dict[str, subprocess.Popen[bytes]] = {}

    def start_functions(self, deployed: dict[str, Deployed]) -> dict[str, int]:
        ports = {name: free_port() for name in sorted(deployed)}
        for name, port in ports.items():
            self.children[name] = subprocess.Popen(  # noqa: S603 - fixed arguments
                [sys.executable, "-m", "local.function_process", name, str(port)],
                preexec_fn=die_with_parent,
            )
        return ports

    def wait_healthy(self, ports: dict[str, int], timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        waiting = dict(ports)
        while waiting and time.monotonic() < deadline:
            for name, port in list(waiting.items()):
                if self.children[name].poll() is not None:
                    raise RuntimeError(f"function {name} exited while starting")
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).is_success:
                        del waiting[name]
                except httpx.TransportError:
                    pass
            time.sleep(0.2)
        if waiting:
            raise RuntimeError(f"functions did not start: {sorted(waiting)}")

    def start_nginx(
        self,
        deployed: dict[str, Deployed],
        ports: dict[str, int],
        directory: Path,
        listen: str,
        internal_port: int,
    ) -> None:
        binary = shutil.which("nginx")
        if binary is None:
            raise RuntimeError(NGINX_MISSING)
        (directory / "eventmanager").mkdir(parents=True, exist_ok=True)
        # Buffers in the run's own directory: the system's are root's.
        (directory / "temp").mkdir(exist_ok=True)
        (directory / "nginx.conf").write_text(
            nginx_conf(
                listen=listen,
                internal_listen=f"127.0.0.1:{internal_port}",
                temp_dir=str(directory / "temp"),
            )
        )
        (directory / "eventmanager/routes.conf").write_text(routes_conf(deployed))
        (directory / "eventmanager/upstreams.conf").write_text(
            upstreams_conf(deployed, "local", ports)
        )
        command = [
            binary,
            "-p",
            str(directory),
            "-c",
            str(directory / "nginx.conf"),
            "-g",
            f"daemon off; pid {directory / 'nginx.pid'};",
        ]
        checked = subprocess.run(  # noqa: S603 - the nginx on PATH, our own config
            [*command, "-t"], capture_output=True, text=True, check=False
        )
        if checked.returncode != 0:
            raise RuntimeError(f"nginx refused the gateway config:\n{checked.stderr}")
        self.children["nginx"] = subprocess.Popen(  # noqa: S603 - as checked above
            command, preexec_fn=die_with_parent
        )

    def wait(self, failure: Callable[[], str | None] = lambda: None) -> None:
        """Until a signal, a child dies or `failure` says why to stop (then everything stops)."""
        while True:
            for name, child in self.children.items():
                if child.poll() is not None:
                    raise RuntimeError(f"{name} exited with {child.returncode}")
            reason = failure()
            if reason:
                raise RuntimeError(reason)
            time.sleep(0.5)

    def stop(self) -> None:
        for child in self.children.values():
            if child.poll() is None:
                child.terminate()
        for child in self.children.values():
            try:
                child.wait(15)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
