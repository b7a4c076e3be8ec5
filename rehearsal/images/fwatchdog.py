#!/usr/bin/env python3
"""A minimal of-watchdog mode=http stand-in: run $fprocess, proxy :8080 to $upstream_url."""

import http.client
import http.server
import os
import shlex
import subprocess
import urllib.parse

UPSTREAM = urllib.parse.urlsplit(os.environ["upstream_url"])  # noqa: SIM112 - of-watchdog's names
CHILD = subprocess.Popen(shlex.split(os.environ["fprocess"]))  # noqa: S603, SIM112


class Forward(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def forward(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else None
        try:
            upstream = http.client.HTTPConnection(UPSTREAM.netloc, timeout=30)
            upstream.request(self.command, self.path, body, dict(self.headers))
            answer = upstream.getresponse()
            data = answer.read()
        except OSError:
            self.send_error(502)
            return
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(name, value)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = forward  # noqa: N815

    def log_message(self, format: str, *args: object) -> None:
        pass  # the app writes the JSON access lines


http.server.ThreadingHTTPServer(("0.0.0.0", 8080), Forward).serve_forever()  # noqa: S104
