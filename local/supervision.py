"""What keeps `eventmgr up` honest: the worker, the dispatcher and the scheduler are watched.

One that dies is started again after a backoff (1 s, doubling to 30 s), with a log line saying
why; one that dies `MAX_DEATHS` times within `WINDOW_SECONDS` stops the runner with that
reason. The runner's `/readyz` answers 503 naming every component that is not up, so a platform
whose mail is dead never passes for a healthy one.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from eventing.dispatcher import Dispatcher
    from eventing.local import LocalDispatcher
    from eventing.scheduler import Scheduler

logger = logging.getLogger("eventmgr.runner")
MAX_DEATHS = 5
WINDOW_SECONDS = 120.0
MAX_BACKOFF_SECONDS = 30.0
UP = "up"

# Why each thread of ours ended, recorded by the thread hook below (a thread has no exit code).
_thread_failures: dict[threading.Thread, str] = {}
_previous_hook = threading.excepthook


def _record_thread_failure(args: threading.ExceptHookArgs) -> None:
    if args.thread is not None:
        _thread_failures[args.thread] = f"{args.exc_type.__name__}: {args.exc_value}"
    _previous_hook(args)


threading.excepthook = _record_thread_failure


def _thread_exit(thread: threading.Thread | None) -> str | None:
    """Why the thread is gone, or None while it runs."""
    if thread is None or thread.is_alive():
        return None
    return _thread_failures.get(thread, "its thread ended")


class Component(Protocol):
    name: str

    def start(self) -> None: ...

    def exited(self) -> str | None:
        """Why it is no longer running; None while it runs."""

    def ready(self) -> bool:
        """Doing its job (the worker consumes, the dispatcher's queues are bound)."""

    def stop(self) -> None: ...


class WorkerProcess:
    """The Celery worker, a process of its own: it touches a file once it consumes."""

    name = "worker"

    def __init__(
        self, command: list[str], env: dict[str, str], ready_file: Path, spawn: Callable[..., None]
    ) -> None:
        self.command = command
        self.env = env
        self.ready_file = ready_file
        self.spawn = spawn
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        from local.output import relay

        self.ready_file.unlink(missing_ok=True)
        self.process = subprocess.Popen(  # noqa: S603 - our own command line
            [*self.command, "--ready-file", str(self.ready_file)],
            preexec_fn=self.spawn,
            env=self.env,
            # Celery writes some notices straight to its stdout: they come back as JSON.
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        assert self.process.stdout is not None
        relay(self.process.stdout, self.name)

    def exited(self) -> str | None:
        code = self.process.poll() if self.process else None
        if code is None:
            return None
        if code < 0:
            return f"killed by {signal.Signals(-code).name}"
        return f"exited with code {code}"

    def ready(self) -> bool:
        return self.ready_file.exists()

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class RabbitDispatcher:
    """The RabbitMQ dispatcher on its own event loop in a thread."""

    name = "dispatcher"

    def __init__(self, start: Callable[[], tuple[Dispatcher, Callable[[], None]]]) -> None:
        self._start = start
        self.dispatcher: Dispatcher | None = None
        self.halt: Callable[[], None] = lambda: None

    def start(self) -> None:
        self.dispatcher, self.halt = self._start()

    def exited(self) -> str | None:
        return _thread_exit(self.dispatcher.thread) if self.dispatcher else None

    def ready(self) -> bool:
        return self.dispatcher is not None and self.dispatcher.ready.is_set()

    def stop(self) -> None:
        self.halt()


class ThreadService:
    """A service object with `start()`, `stop()` and a `thread` (local delivery, scheduler)."""

    def __init__(self, name: str, make: Callable[[], LocalDispatcher | Scheduler]) -> None:
        self.name = name
        self.make = make
        self.service: LocalDispatcher | Scheduler | None = None

    def start(self) -> None:
        self.service = self.make()
        self.service.start()

    def exited(self) -> str | None:
        return _thread_exit(self.service.thread) if self.service else None

    def ready(self) -> bool:
        return self.service is not None

    def stop(self) -> None:
        if self.service:
            self.service.stop()


@dataclass
class _Watched:
    component: Component
    deaths: deque[float] = field(default_factory=deque)
    restart_at: float | None = None
    state: str = "starting"


class Supervisor:
    """Starts components, restarts the ones that die, gives up on the ones that keep dying."""

    def __init__(self, on_give_up: Callable[[str], None], *, interval: float = 0.25) -> None:
        self.on_give_up = on_give_up
        self.interval = interval
        self.watched: list[_Watched] = []
        self.failure: str | None = None
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name="supervisor", daemon=True)

    def add(self, component: Component) -> None:
        component.start()
        self.watched.append(_Watched(component))

    def states(self) -> dict[str, str]:
        """Each component's state: `up`, `starting`, or why it is down."""
        return {item.component.name: item.state for item in self.watched}

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        if self.thread.is_alive():
            self.thread.join(5)
        for item in reversed(self.watched):
            item.component.stop()

    def _run(self) -> None:
        while not self.stopping.wait(self.interval):
            for item in self.watched:
                self._check(item)
                if self.failure:
                    self.on_give_up(self.failure)
                    return

    def _check(self, item: _Watched) -> None:
        component, now = item.component, time.monotonic()
        if item.restart_at is not None:
            if now >= item.restart_at:
                item.restart_at = None
                item.state = "starting"
                logger.warning("restarting %s", component.name, extra={"component": component.name})
                component.start()
            return
        why = component.exited()
        if why is None:
            item.state = UP if component.ready() else "starting"
            return
        item.deaths.append(now)
        while item.deaths and item.deaths[0] < now - WINDOW_SECONDS:
            item.deaths.popleft()
        if len(item.deaths) >= MAX_DEATHS:
            item.state = f"down: {why}"
            self.failure = (
                f"the {component.name} keeps dying ({len(item.deaths)} times within"
                f" {WINDOW_SECONDS:.0f} s; last: {why}); stopping"
            )
            logger.error(self.failure, extra={"component": component.name})
            return
        delay = min(2 ** (len(item.deaths) - 1), MAX_BACKOFF_SECONDS)
        item.restart_at = now + delay
        item.state = f"down: {why}; restarting in {delay:.0f} s"
        logger.warning(
            "%s %s; restarting it in %.0f s",
            component.name,
            why,
            delay,
            extra={"component": component.name, "deaths": len(item.deaths)},
        )
