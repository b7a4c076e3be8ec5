"""One function as its own process, for `eventmgr up --processes`:
`python -m local.function_process NAME FD`, FD being a listening socket the runner bound
and handed over.

Like a container in production it serves one function's app; without a broker configured it
publishes its CloudEvents into the embedded delivery table, which the runner's dispatcher
drains (it polls every half second, so no wake-up is needed across processes).
"""

from __future__ import annotations

import importlib
import socket
import sys
import threading

from local.serving import server


def main() -> None:
    name, listening = sys.argv[1], socket.socket(fileno=int(sys.argv[2]))
    from shared.config import get_settings

    settings = get_settings()
    if not settings.rabbitmq_url and not settings.k_sink:
        from eventing.local import LocalPublisher
        from eventing.triggers import load_triggers
        from shared.outbox.publishing import install_publisher

        install_publisher(LocalPublisher(load_triggers(), threading.Event()))
    app = importlib.import_module(f"functions.{name}.handler").app
    host, port = listening.getsockname()
    server(app, host, port).run(sockets=[listening])


if __name__ == "__main__":
    main()
