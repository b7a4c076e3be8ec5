"""`eventmgr up --processes`: the local twin of production routing.

Every function runs as its own uvicorn process on its own port, behind a real Nginx using the
rendered gateway config (`local/deploy/gateway.py`, the same routes every target uses). A
second, loopback-only Nginx server routes `/function/<name>/…` for the delivery of CloudEvents
and the schedules, as the OpenFaaS gateway does; the public port never routes internal paths.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

import httpx

from local.deploy.gateway import nginx_conf, routes_conf, upstreams_conf
from local.embedded import die_with_parent
from local.output import relay
from local.registry import Deployed
from local.serving import listening_socket

NGINX_MISSING = (
    "eventmgr up --processes needs Nginx: apt-get install nginx (Debian/Ubuntu), "
    "brew install nginx (macOS)."
)
# How much of a function's stderr is kept to say why it did not start.
TAIL_LINES = 8


class StartFailed(RuntimeError):
    """Some functions did not become ready: which, and why (their last stderr lines)."""

    def __init__(self, reasons: dict[str, str], tails: dict[str, list[str]]) -> None:
        lines = [f"{len(reasons)} function(s) did not start:"]
        for name in sorted(reasons):
            lines.append(f"  {name}: {reasons[name]}")
            lines += [f"    | {line}" for line in tails.get(name, [])]
        super().__init__("\n".join(lines))
        self.reasons = reasons


class Processes:
    """The function processes and Nginx; `stop()` ends them all."""

    def __init__(self) -> None:
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self.tails: dict[str, deque[str]] = {}

    def start_functions(self, deployed: dict[str, Deployed]) -> dict[str, int]:
        """All at once: each imports its own handler, in parallel on every core."""
        ports: dict[str, int] = {}
        for name in sorted(deployed):
            # The socket is bound here and handed over: a port only probed free could be taken
            # by another runner before the child, seconds later, binds it.
            with listening_socket() as listening:
                ports[name] = listening.getsockname()[1]
                child = subprocess.Popen(  # noqa: S603 - fixed arguments
                    [sys.executable, "-m", "local.function_process", name, str(listening.fileno())],
                    stderr=subprocess.PIPE,
                    preexec_fn=die_with_parent,
                    pass_fds=(listening.fileno(),),
                )
            self.children[name] = child
            self.tails[name] = deque(maxlen=TAIL_LINES)
            assert child.stderr is not None
            relay(child.stderr, name, level=logging.WARNING, tail=self.tails[name])
        return ports

    def wait_ready(self, ports: dict[str, int], timeout: float) -> None:
        """Until every function answers /readyz, one exits, or `timeout` seconds pass; a
        busy machine needs a longer limit, not a different answer."""
        deadline = time.monotonic() + timeout
        waiting = dict(ports)
        reasons: dict[str, str] = {}
        with httpx.Client(timeout=2) as client:
            while waiting and time.monotonic() < deadline:
                for name, port in list(waiting.items()):
                    code = self.children[name].poll()
                    if code is not None:
                        reasons[name] = f"exited with status {code}"
                        del waiting[name]
                        continue
                    try:
                        if client.get(f"http://127.0.0.1:{port}/readyz").is_success:
                            del waiting[name]
                    except httpx.TransportError:
                        pass
                time.sleep(0.2)
        for name in waiting:
            reasons[name] = f"not ready after {timeout:g} s (raise --start-timeout)"
        if reasons:
            time.sleep(0.2)  # the relays catch the last lines of those that exited
            raise StartFailed(reasons, {name: list(self.tails[name]) for name in reasons})

    def start_nginx(
        self,
        deployed: dict[str, Deployed],
        ports: dict[str, int],
        directory: Path,
        listen: str,
        internal_port: int,
        readiness: str | None = None,
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
                readiness=readiness,
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
        nginx = subprocess.Popen(  # noqa: S603 - as checked above
            command, preexec_fn=die_with_parent, stderr=subprocess.PIPE
        )
        # Its access lines are JSON already; its error log (stderr) is not, so it is wrapped.
        assert nginx.stderr is not None
        relay(nginx.stderr, "nginx", level=logging.WARNING)
        self.children["nginx"] = nginx

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
