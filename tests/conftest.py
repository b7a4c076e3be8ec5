"""Fixtures against the real services on 127.0.0.1: PostgreSQL, Redis, RabbitMQ.

The suite migrates a database of its own once; every test starts from it emptied back to a
fresh installation, so tests never see each other's rows. RabbitMQ gets a vhost of its own per
run in the same way, so exchanges and queues keep the names a deployment gets.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from shared import process_state
from tests.support.sendgrid import sendgrid, sendgrid_api  # noqa: F401 (fixtures for every test)
from tests.support.services import (
    DATABASE,
    REDIS_URL,
    database_url,
    empty_tables,
    rabbitmq_url,
    rabbitmq_vhost,
    run_as_admin,
)
from tests.support.worker import worker  # noqa: F401 (fixture for every test)

# The environment every function reads, set before any function module is imported.
_DATA_DIR = Path(tempfile.mkdtemp(prefix="eventmgr-tests-"))
os.environ.update(
    {
        "EVENTMGR_DATA_DIR": str(_DATA_DIR),
        "REDIS_URL": REDIS_URL,
        "INTERNAL_TOKEN": "internal-test-token",
        "CURSOR_SECRET": "cursor-test-secret",
        "UNSUBSCRIBE_SECRET": "unsubscribe-test-secret",
        "CLOUDEVENT_KEY": "cloudevent-test-key",
        "TICKET_KEY": "ticket-test-key-of-at-least-32-characters",
        "CORS_ORIGINS": "https://app.example.org",
        "PUBLIC_URL": "http://testserver",
        "SECRETS_DIR": str(_DATA_DIR / "no-secrets"),
        "LOG_LEVEL": "WARNING",
    }
)
from shared.security.tokens import generate_private_key_pem  # noqa: E402

os.environ["JWT_PRIVATE_KEY"] = generate_private_key_pem()
os.environ["VAPID_PRIVATE_KEY"] = generate_private_key_pem()
os.environ.pop("DATABASE_URL", None)


@pytest.fixture(scope="session")
def rabbitmq() -> Iterator[str]:
    """The run's own vhost: exchanges and queues keep their default names inside it."""
    rabbitmq_vhost(create=False)  # left by an earlier run whose process had this pid
    rabbitmq_vhost(create=True)
    yield rabbitmq_url()
    rabbitmq_vhost(create=False)


@pytest.fixture(scope="session")
def test_database() -> Iterator[str]:
    """A database of our own, migrated once; never the `postgres` or `test` databases."""
    from shared.migrations import upgrade

    run_as_admin(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    run_as_admin(f'CREATE DATABASE "{DATABASE}"')
    url = database_url(DATABASE)
    upgrade(url)
    yield url
    process_state.reset()
    run_as_admin(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


@pytest.fixture
def db_url(test_database: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    empty_tables(test_database)
    # The suite's own Redis database: rate limits and cached state start from nothing.
    redis.Redis.from_url(REDIS_URL).flushdb()
    monkeypatch.setenv("DATABASE_URL", test_database)
    process_state.reset()
    yield test_database
    process_state.reset()


@pytest.fixture(scope="session")
def gateway():
    from local.gateway import Gateway
    from local.registry import load_functions

    return Gateway(load_functions())


@pytest.fixture
def client(db_url: str, gateway):
    from starlette.testclient import TestClient

    with TestClient(gateway, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def live_url(db_url: str, gateway) -> Iterator[str]:
    """The gateway on a real port, for tests that need real parallel HTTP clients."""
    import uvicorn

    from local.embedded import free_port

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(gateway, host="127.0.0.1", port=port, lifespan="off", log_config=None)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def outbox_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str) -> Path:
    """Mail goes to files in a fresh outbox; links in it point at PUBLIC_URL."""
    monkeypatch.setenv("EVENTMGR_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PUBLIC_URL", "https://events.example.org")
    process_state.reset()
    return tmp_path / "outbox"
