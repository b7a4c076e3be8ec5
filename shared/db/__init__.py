"""PostgreSQL access: one bounded engine per process and a unit of work per use case.

SQLAlchemy is imported by the first use of the engine, not by importing this package: a
function whose first requests are answered from the cache starts without it (bench/startup.py).
The models' declarative base is `shared.db.base.Base`.
"""

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
    "after_commit",
    "get_engine",
    "ping",
    "read_on_thread",
    "session_factory",
    "single_statement",
    "unit_of_work",
]
