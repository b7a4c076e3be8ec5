"""The process's engine (a small bounded pool) and the unit of work that commits once."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import anyio
import anyio.to_thread

from shared import process_state
from shared.config import get_settings

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine
    from sqlalchemy.orm import Session, sessionmaker

logger = logging.getLogger("eventmgr.db")
Params = ParamSpec("Params")
Result = TypeVar("Result")
# The limiter of `read_on_thread` for the running event loop (a test client runs another).
_read_limiter: tuple[asyncio.AbstractEventLoop, anyio.CapacityLimiter] | None = None


class DatabaseNotConfigured(RuntimeError):
    """DATABASE_URL is unset: deployed functions need it; `eventmgr up` provides one."""


def sqlalchemy_url(url: str) -> str:
    """Accept plain `postgresql://` URLs and pick psycopg 3 as the driver."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@process_state.cached
def get_engine() -> Engine:
    # Imported here, by the first use: see the package's docstring.
    from sqlalchemy import create_engine

    settings = get_settings()
    if not settings.database_url:
        raise DatabaseNotConfigured("DATABASE_URL is not set")
    engine = create_engine(
        sqlalchemy_url(settings.database_url),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
        pool_recycle=1800,
        # Errors must not carry bound values (emails, password hashes) into the logs.
        hide_parameters=True,
        connect_args={
            # PgBouncer ignores `options` (its config sets the same timeout, see SCALING.md).
            "options": f"-c statement_timeout={settings.db_statement_timeout_ms}",
            "application_name": "eventmanager",
            # No server-side prepared statements: through PgBouncer in transaction mode the
            # next transaction may run on a server connection that never saw them.
            "prepare_threshold": None,
        },
    )
    _ping_when_idle(engine)
    return engine


# A connection given back less than this long ago is not pinged before its next use: under
# load, `pool_pre_ping`'s ping was one round trip in three of a join, and one in five of a
# consumed CloudEvent. One idle for longer (a database restarted meanwhile, a connection cut by
# a proxy) is pinged, and replaced when the ping fails, as `pool_pre_ping` does.
PING_AFTER_IDLE_SECONDS = 1.0
_CHECKED_IN = "checked_in"


def _ping_when_idle(engine: Engine) -> None:
    from sqlalchemy import event, exc

    @event.listens_for(engine, "checkin")
    def _note(dbapi_connection: object, record: Any) -> None:
        record.info[_CHECKED_IN] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_connection: Any, record: Any, _proxy: object) -> None:
        given_back = record.info.get(_CHECKED_IN)  # none: connected just now
        if given_back is None or time.monotonic() - given_back < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            # The pool drops this connection and checks out another (or connects anew).
            raise exc.DisconnectionError("the connection did not answer a ping") from error


@process_state.cached
def session_factory() -> sessionmaker[Session]:
    from sqlalchemy.orm import sessionmaker

    return sessionmaker(get_engine(), expire_on_commit=False)


AFTER_COMMIT = "after_commit"


@contextmanager
def unit_of_work(*, autocommit: bool = False) -> Iterator[Session]:
    """One transaction for one use case: services never commit, this commits once or rolls back.

    Work that must happen only once the change is durable (publishing its CloudEvents) is
    registered with `after_commit` and runs right after the commit, outside the transaction.

    `autocommit`: every statement commits by itself, with no BEGIN and COMMIT (two round trips
    more, and a row lock its statement takes is held until the COMMIT arrives). Only for a use
    case whose one write is a single statement, atomic by itself; its after-commit work runs
    after it the same way.
    """
    factory = session_factory()
    with factory(bind=_autocommitting()) if autocommit else factory() as session:
        with session.begin():
            yield session
        for hook in session.info.pop(AFTER_COMMIT, []):
            try:
                hook()
            except Exception:
                # The change is committed; what a hook does (publishing) is recovered by the
                # sweeps. Failing the request now would make a client retry a done change.
                logger.exception("after-commit work failed; the sweeps will catch up")


@process_state.cached
def _autocommitting() -> Engine:
    return get_engine().execution_options(isolation_level="AUTOCOMMIT")


@contextmanager
def single_statement() -> Iterator[Connection]:
    """A connection for a read that is one statement (a page of the catalog on a cache miss):
    the statement is its own snapshot, so it runs without BEGIN and COMMIT, the two round
    trips a transaction would add to it. Never for writes or for reads that must agree."""
    with get_engine().connect() as connection:
        yield connection.execution_options(isolation_level="AUTOCOMMIT")


async def read_on_thread(
    read: Callable[Params, Result], *args: Params.args, **kwargs: Params.kwargs
) -> Result:
    """A blocking read from an async route, on the thread pool, at most `DB_POOL_SIZE` at once
    in the process. Under load, forty threads (the pool's default) would each wait for one of
    the engine's connections, open and close overflow connections (a PostgreSQL backend
    each), and contend for the GIL; past the pool's size the reads wait here as coroutines,
    and each one that runs finds a steady connection free."""
    global _read_limiter
    loop = asyncio.get_running_loop()
    if _read_limiter is None or _read_limiter[0] is not loop:
        _read_limiter = (loop, anyio.CapacityLimiter(get_settings().db_pool_size))
    return await anyio.to_thread.run_sync(partial(read, *args, **kwargs), limiter=_read_limiter[1])


@process_state.on_reset
def forget_read_limiter() -> None:
    """Sized from the old settings: made again on next use."""
    global _read_limiter
    _read_limiter = None


def after_commit(session: Session, hook: Callable[[], object]) -> None:
    session.info.setdefault(AFTER_COMMIT, []).append(hook)


def ping() -> bool:
    from sqlalchemy import text

    try:
        with get_engine().connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:
        return False
    return True


@process_state.on_reset
def dispose() -> None:
    """Close and forget the engine (tests and the runner switch databases through the settings)."""
    if get_engine.cache_info().currsize:
        get_engine().dispose()
    get_engine.cache_clear()
    session_factory.cache_clear()
