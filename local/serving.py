"""One way to serve an ASGI app here: uvicorn as the platform runs it everywhere."""

from __future__ import annotations

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
