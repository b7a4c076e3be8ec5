"""PostgreSQL access: one bounded engine per process and a unit of work per use case."""

from shared.db.base import Base
from shared.db.engine import (
    after_commit,
    get_engine,
    ping,
    read_on_thread,
    session_factory,
    single_statement,
    unit_of_work,
)

__all__ = [
    "Base",
    "after_commit",
    "get_engine",
    "ping",
    "read_on_thread",
    "session_factory",
    "single_statement",
    "unit_of_work",
]
