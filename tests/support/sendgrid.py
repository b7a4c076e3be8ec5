"""A local HTTP server standing in for SendGrid's Mail Send API."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from shared import process_state


class SendGridStandIn(BaseHTTPRequestHandler):
    """Records Mail Send requests and answers with the queued status codes (a 429 with
    SendGrid's rate-limit headers)."""

    answers: list[int] = []
    received: list[dict] = []
    reset_in = 0

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        type(self).received.append(
            {
                "path": self.path,
                "auth": self.headers["Authorization"],
                "body": json.loads(self.rfile.read(length)),
            }
        )
        status = type(self).answers.pop(0) if type(self).answers else 202
        type(self).received[-1]["status"] = status
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
    server = ThreadingHTTPServer(("127.0.0.1", 0), SendGridStandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
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
