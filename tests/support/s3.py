"""An S3-compatible server on loopback (moto's server mode), for the minio client."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from moto.server import ThreadedMotoServer

ACCESS_KEY = "eventmanager-test"
SECRET_KEY = "eventmanager-test-secret"


@contextmanager
def moto_server() -> Iterator[str]:
    """`host:port` of a running server, stopped on exit."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"{host}:{port}"
    finally:
        server.stop()


def s3_environment(endpoint: str, bucket: str) -> dict[str, str]:
    return {
        "S3_ENDPOINT": endpoint,
        "S3_ACCESS_KEY": ACCESS_KEY,
        "S3_SECRET_KEY": SECRET_KEY,
        "S3_BUCKET": bucket,
        "S3_SECURE": "false",
    }
