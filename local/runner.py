"""`eventmgr up`: every function in one process behind the gateway, on embedded defaults."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import uvicorn

from local import serving
from local.datadir import PRIVATE_UMASK, DataDir
from local.services import start_for_runner
from local.supervision import RabbitDispatcher, Supervisor, ThreadService, WorkerProcess
from shared.logs import configure_logging

if TYPE_CHECKING:
    from eventing.triggers import Trigger
    from local.registry import Deployed


class RunnerFailed(Exception):
    """A part of the platform died for good (or never started): the runner stops, saying why."""


logger = logging.getLogger("eventmgr.runner")


class Stop(Exception):
    """SIGINT or SIGTERM: unwind through every `finally`, so nothing we started outlives us."""


def _raise_stop(signum: int, _: FrameType | None) -> None:
    raise Stop(signal.Signals(signum).name)


def serve(
    data_dir: DataDir,
    host: str,
    port: int,
    *,
    processes: bool = False,
    start_timeout: float = 300,
) -> None:
    started = time.monotonic()
    # Every line we (and the children, the Celery worker included) write is JSON, so a log
    # shipper parses all of it; Python warnings go through logging too.
    configure_logging(os.environ.get("LOG_LEVEL", "INFO"))
    os.umask(PRIVATE_UMASK)
    # uvicorn handles the signals while it serves, then re-raises them: they land here too.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _raise_stop)
    with contextlib.suppress(Stop):
        _serve(data_dir, host, port, started, processes, start_timeout)


def _serve(
    data_dir: DataDir, host: str, port: int, started: float, processes: bool, timeout: float
) -> None:
    with data_dir.runner_lock():
        os.environ["EVENTMGR_DATA_DIR"] = str(data_dir.root)
        for key, value in data_dir.key_environment().items():
            os.environ.setdefault(key, value)
        os.environ.setdefault("PUBLIC_URL", f"http://{_display_host(host)}:{port}")
        # Internal calls (deliveries, schedules) reach the functions through this gateway,
        # or with --processes through Nginx's loopback-only internal server.
        from local.embedded import free_port

        internal_port = free_port()
        internal = (
            f"http://127.0.0.1:{internal_port}"
            if processes
            else f"http://{_display_host(host)}:{port}"
        )
        os.environ.setdefault("FUNCTION_URL_TEMPLATE", f"{internal}/function/{{name}}/")
        services = start_for_runner(data_dir)
        try:
            os.environ["DATABASE_URL"] = services.database_url
            if services.redis_url:
                os.environ["REDIS_URL"] = services.redis_url
            arguments = (data_dir, services.database_url, services.redis_url, services.pids)
            if processes:
                _run_processes(*arguments, host, port, internal_port, started, timeout)
            else:
                _run(*arguments, host, port, started)
        finally:
            # Cleanup must finish: a second Ctrl-C here would leave servers behind.
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, signal.SIG_IGN)
            services.stop()
            data_dir.run_file.unlink(missing_ok=True)
            _say(f"Stopped. Data kept in {data_dir.root}")


def _run(
    data_dir: DataDir,
    database_url: str,
    redis_url: str | None,
    pids: dict[str, int],
    host: str,
    port: int,
    started: float,
) -> None:
    # Imported only now: the functions read their settings from the environment set above.
    from local.gateway import Gateway
    from local.registry import load_functions
    from shared.migrations import upgrade

    upgrade(database_url)
    deployed = load_functions()
    # Giving up on a component ends serving; `_serve` then stops everything and says why.
    supervisor = Supervisor(on_give_up=lambda _: setattr(server, "should_exit", True))
    gateway = Gateway(deployed, components=supervisor.states)
    url = f"http://{_display_host(host)}:{port}"
    server = serving.server(gateway, host, port)
    from local.embedded import free_port

    worker_metrics_port = free_port()
    data_dir.write_run_file(_run_record(url, database_url, redis_url, pids, worker_metrics_port))
    _say(f"Event Manager is up at {url}  (API docs: {url}/docs)")
    _say(f"Data: {data_dir.root}  (mail lands in {data_dir.path('outbox')})")
    _say(f"Ready in {time.monotonic() - started:.1f} s. Ctrl-C stops everything.")
    with background(deployed, worker_metrics_port, supervisor, data_dir.path("worker.ready")):
        server.run()
    if supervisor.failure:
        raise RunnerFailed(supervisor.failure)


def _run_record(
    url: str,
    database_url: str,
    redis_url: str | None,
    pids: dict[str, int],
    worker_metrics_port: int,
    **mode: Any,
) -> dict[str, Any]:
    """What `run.json` tells CLI commands about this runner (read through local/datadir.py)."""
    return {
        "pid": os.getpid(),
        "url": url,
        **mode,
        "database_url": database_url,
        "redis_url": redis_url,
        "pids": pids,
        # The Celery worker is its own process: its metrics have their own port.
        "worker_metrics_url": f"http://127.0.0.1:{worker_metrics_port}/metrics",
        "started_at": datetime.now(UTC).isoformat(),
    }


def _run_processes(
    data_dir: DataDir,
    database_url: str,
    redis_url: str | None,
    pids: dict[str, int],
    host: str,
    port: int,
    internal_port: int,
    started: float,
    timeout: float,
) -> None:
    from local.embedded import free_port
    from local.processes import Processes
    from local.registry import load_functions
    from shared.migrations import upgrade

    upgrade(database_url)
    deployed = load_functions()
    children = Processes()
    try:
        ports = children.start_functions(deployed)
        children.wait_ready(ports, timeout)
        listen = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        url = f"http://{_display_host(host)}:{port}"
        worker_metrics_port = free_port()
        # Written before Nginx answers: a CLI command may follow the first /healthz at once.
        data_dir.write_run_file(
            _run_record(
                url,
                database_url,
                redis_url,
                {**pids, **{n: c.pid for n, c in children.children.items()}},
                worker_metrics_port,
                mode="processes",
                functions={name: f"http://127.0.0.1:{p}" for name, p in ports.items()},
            )
        )
        supervisor = Supervisor(on_give_up=lambda _: None)  # `children.wait` sees the failure
        status = _readiness_server(supervisor)
        children.start_nginx(
            deployed, ports, data_dir.path("gateway"), listen, internal_port, status.address
        )
        _say(f"Event Manager is up at {url}, each function its own process behind Nginx")
        _say(f"Ready in {time.monotonic() - started:.1f} s. Ctrl-C stops everything.")
        ready_file = data_dir.path("worker.ready")
        with background(deployed, worker_metrics_port, supervisor, ready_file):
            children.wait(failure=lambda: supervisor.failure)
        status.stop()
    except RuntimeError as error:
        raise RunnerFailed(str(error)) from error
    finally:
        children.stop()


class _StatusServer:
    """The runner's `/readyz` on a loopback port, for Nginx to answer it with (--processes)."""

    def __init__(self, server: uvicorn.Server, port: int) -> None:
        self.server = server
        self.address = f"127.0.0.1:{port}"

    def stop(self) -> None:
        self.server.should_exit = True


def _readiness_server(supervisor: Supervisor) -> _StatusServer:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from local.embedded import free_port
    from local.gateway import readiness

    def readyz(_: Request) -> Response:
        return readiness(supervisor.states)

    port = free_port()
    server = serving.server(Starlette(routes=[Route("/readyz", readyz)]), "127.0.0.1", port)
    threading.Thread(target=server.run, name="readiness", daemon=True).start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    return _StatusServer(server, port)


@contextlib.contextmanager
def background(
    deployed: dict[str, Deployed],
    worker_metrics_port: int,
    supervisor: Supervisor,
    ready_file: Path,
) -> Iterator[None]:
    """Delivery of CloudEvents, the schedules and a Celery worker, watched for as long as we
    serve: one that dies is restarted, one that keeps dying stops the runner."""
    from eventing.dispatcher import start_in_thread
    from eventing.scheduler import Scheduler
    from local.render import schedules_of, triggers_of
    from shared.config import get_settings

    triggers = triggers_of(deployed)
    schedules = schedules_of(deployed)
    try:
        # The worker first: it is forked, and forking is best done before threads start.
        supervisor.add(_worker(worker_metrics_port, ready_file))
        if get_settings().rabbitmq_url:
            dispatcher = RabbitDispatcher(lambda: start_in_thread(triggers))
            supervisor.add(dispatcher)
            _await_queues(dispatcher)
        else:
            supervisor.add(_local_delivery(triggers))
        if schedules:
            supervisor.add(ThreadService("scheduler", lambda: Scheduler(schedules)))
        supervisor.start()
        yield
    finally:
        supervisor.stop()


def _local_delivery(triggers: list[Trigger]) -> ThreadService:
    from eventing.local import LocalDispatcher, LocalPublisher
    from shared.outbox.publishing import install_publisher

    wake = threading.Event()
    install_publisher(LocalPublisher(triggers, wake))
    return ThreadService("dispatcher", lambda: LocalDispatcher(wake))


def _await_queues(component: RabbitDispatcher) -> None:
    # Serve only once the queues exist, so nothing is published before they are bound.
    deadline = time.monotonic() + 30
    while not component.ready() and component.exited() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    if not component.ready() and component.exited() is None:
        _say("RabbitMQ does not answer yet; the dispatcher keeps trying in the background.")


def _worker(metrics_port: int, ready_file: Path) -> WorkerProcess:
    from local.embedded import die_with_parent

    return WorkerProcess(
        [sys.executable, "-m", "local", "worker", "--concurrency", "2"],
        env={**os.environ, "METRICS_PORT": str(metrics_port), "METRICS_HOST": "127.0.0.1"},
        ready_file=ready_file,
        spawn=die_with_parent,
    )


def _display_host(host: str) -> str:
    """How this process (and a person) reaches the address it binds."""
    if host in ("0.0.0.0", ""):  # noqa: S104 - mapping a bind address, not binding
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def _say(line: str) -> None:
    logger.info(line)
