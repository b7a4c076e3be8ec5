"""One way to serve an ASGI app here: uvicorn as the platform runs it everywhere."""

from __future__ import annotations

import socket

import uvicorn
from starlette.types import ASGIApp


def server(app: ASGIApp, host: str, port: int) -> uvicorn.Server:
    """The kit writes the access lines and configures JSON logging itself; no `Server:`
    header tells a scanner what to try."""
    return uvicorn.Server(
        uvicorn.Config(
            app,
            host=host,
            port=port,
            lifespan="off",
            log_config=None,
            access_log=False,
            server_header=False,
        )
    )


def listening_socket(host: str = "127.0.0.1") -> socket.socket:
    """A socket bound to a port the kernel chose and listening, to hand to a child process."""
    listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listening.bind((host, 0))
    listening.listen(2048)
    listening.set_inheritable(True)
    return listening
