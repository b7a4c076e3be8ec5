"""Publishing committed outbox rows off the request's critical path.

A use case's commit hands its rows to one daemon thread per process, which publishes what has
gathered meanwhile as one batch (its confirms awaited together) and marks the batch sent in one
statement. The request answers as soon as it committed: before, it waited for the broker's
confirm and a second transaction of its own. Nothing depends on this thread for delivery: a row
it has not published (the process ended, the broker refused) is still in the outbox, and
`relay_outbox` publishes it once `OUTBOX_GRACE_SECONDS` have passed.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Sequence

from shared import process_state
from shared.outbox.models import OutboxMessage

logger = logging.getLogger("eventmgr.outbox")

# At most this many rows a publish: its confirms come within one publish timeout on a busy
# broker (the relay slices the same way, shared.outbox.relay).
BATCH = 100


class BackgroundPublisher:
    def __init__(self) -> None:
        self._rows: deque[OutboxMessage] = deque()
        self._changed = threading.Condition()
        self._busy = 0  # rows taken from the queue and not yet published (or given up)
        self._thread = threading.Thread(target=self._run, name="outbox-publisher", daemon=True)
        self._thread.start()

    def hand(self, rows: Sequence[OutboxMessage]) -> None:
        with self._changed:
            self._rows.extend(rows)
            self._changed.notify_all()

    def idle(self, timeout: float) -> bool:
        """Wait until everything handed so far was published or given up to the relay."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._rows or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
        return True

    def _take(self) -> list[OutboxMessage]:
        with self._changed:
            while not self._rows:
                self._changed.wait()
            batch = [self._rows.popleft() for _ in range(min(BATCH, len(self._rows)))]
            self._busy = len(batch)
            return batch

    def _run(self) -> None:
        from shared.outbox.publishing import publish_and_mark

        while True:
            batch = self._take()
            try:
                publish_and_mark(batch)  # logs its own failures: the relay retries
            except Exception:
                logger.exception("publishing committed CloudEvents failed; the relay will retry")
            finally:
                with self._changed:
                    self._busy = 0
                    self._changed.notify_all()


_publishers: dict[int, BackgroundPublisher] = {}
_guard = threading.Lock()


def _publisher() -> BackgroundPublisher:
    """One per process, and per fork: a thread does not cross a fork (Celery's pool)."""
    with _guard:
        publisher = _publishers.get(os.getpid())
        if publisher is None:
            publisher = _publishers[os.getpid()] = BackgroundPublisher()
        return publisher


def hand(rows: Sequence[OutboxMessage]) -> None:
    """Publish these committed rows soon, in the background (when a publisher is configured:
    otherwise they wait for the relay, as before)."""
    from shared.outbox.publishing import get_publisher

    if rows and get_publisher() is not None:
        _publisher().hand(rows)


def wait_idle(timeout: float = 10.0) -> bool:
    """True once every row handed in this process was published or left to the relay; for
    whoever must see the broker's state right after a commit (tests, `reset()`)."""
    publisher = _publishers.get(os.getpid())
    return publisher is None or publisher.idle(timeout)


@process_state.before_reset
def _drain() -> None:
    # Rows committed under the old settings go to the publisher those settings chose.
    wait_idle()
