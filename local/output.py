"""Children's output relayed into the runner's own, as JSON lines only.

The functions and the Celery worker log JSON, but some lines escape logging: Celery writes its
shutdown notices straight to the file descriptor, and a process that dies while importing
prints a bare traceback. Such lines become log records of ours, so a log shipper can parse
every line the runner writes.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections import deque
from typing import IO

logger = logging.getLogger("eventmgr.output")


def relay(
    stream: IO[bytes], name: str, *, level: int = logging.INFO, tail: deque[str] | None = None
) -> threading.Thread:
    """Copy `stream` to our stdout line by line until it closes, keeping its last lines."""

    def run() -> None:
        for raw in iter(stream.readline, b""):
            line = raw.decode(errors="replace").rstrip()
            if not line.strip():
                continue
            if tail is not None:
                tail.append(line)
            if _is_json_object(line):
                sys.stdout.write(line + "\n")
                sys.stdout.flush()
            else:
                logger.log(level, line, extra={"process.name": name})

    thread = threading.Thread(target=run, name=f"output-{name}", daemon=True)
    thread.start()
    return thread


def _is_json_object(line: str) -> bool:
    if not line.startswith("{"):
        return False
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False
