"""A local HTTP server standing in for SendGrid's Mail Send API."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from shared import process_state

_held_lock = threading.Lock()


class SendGridStandIn(BaseHTTPRequestHandler):
    """Records Mail Send requests and answers with the queued status codes (a 429 with
    SendGrid's rate-limit headers), or 500 for `down_for` seconds from the first request on.

    With a `gate`, requests to the recipients in `hold` wait there (each recipient noted in
    `held`) and, once it opens, are refused with 503: in flight at a known point, never taken."""

    answers: list[int] = []
    received: list[dict] = []
    reset_in = 0
    down_for = 0.0
    down_until: float | None = None  # time.monotonic() of the outage's end, once it began
    gate: threading.Event | None = None
    hold: frozenset[str] = frozenset()
    held: set[str] = set()

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        entry = {
            "path": self.path,
            "auth": self.headers["Authorization"],
            "body": json.loads(self.rfile.read(length)),
        }
        type(self).received.append(entry)
        status = type(self).answers.pop(0) if type(self).answers else 202
        with _held_lock:
            cls = type(self)
            if cls.down_for and cls.down_until is None:
                cls.down_until = time.monotonic() + cls.down_for
            ends = cls.down_until
            if ends is not None and time.monotonic() < ends:
                status = 500
        gate = type(self).gate
        to = {p["to"][0]["email"] for p in entry["body"].get("personalizations", [])}
        if gate is not None and not gate.is_set() and to & type(self).hold:
            with _held_lock:
                type(self).held |= to
            gate.wait(120)
            status = 503
        entry["status"] = status
        # The sender may have gone away meanwhile (a worker killed while its request was held).
        with contextlib.suppress(OSError):
            self._answer(status)

    def _answer(self, status: int) -> None:
        self.send_response(status)
        if status == 429:
            self.send_header("X-RateLimit-Limit", "600")
            self.send_header("X-RateLimit-Remaining", "0")
            self.send_header("X-RateLimit-Reset", str(int(time.time()) + type(self).reset_in))
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def sendgrid_api() -> Iterator[str]:
    SendGridStandIn.answers = []
    SendGridStandIn.received = []
    SendGridStandIn.reset_in = 0
    SendGridStandIn.down_for = 0.0
    SendGridStandIn.down_until = None
    SendGridStandIn.gate = None
    SendGridStandIn.hold = frozenset()
    SendGridStandIn.held = set()
    server = ThreadingHTTPServer(("127.0.0.1", 0), SendGridStandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    if SendGridStandIn.gate is not None:
        SendGridStandIn.gate.set()  # no request left waiting on a test that is over
    server.shutdown()


@pytest.fixture
def sendgrid(
    sendgrid_api: str, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[type[SendGridStandIn]]:
    """The platform configured to send through the stand-in (its answers set by the test)."""
    monkeypatch.setenv("SENDGRID_API_KEY", "SG.test-key")
    monkeypatch.setenv("SENDGRID_API_URL", sendgrid_api)
    process_state.reset()
    yield SendGridStandIn
    monkeypatch.undo()
    process_state.reset()
