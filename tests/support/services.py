"""The real services the suite runs against on 127.0.0.1, and what makes a run's share of them
its own: a database, a Redis database, a RabbitMQ vhost.

Nothing here imports the platform at module level: conftest sets the environment first.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from urllib.parse import quote, urlsplit, urlunsplit

import httpx
import psycopg

ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _redis_url() -> str:
    """A database of its own (of Redis's 16) per run: two suites at once must not flush each other.

    Under pytest-xdist each worker is a run of its own: worker gwN takes the N-th database after
    the one TEST_REDIS_URL names (database 1 when unset), so the workers of a run never share one.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if worker.startswith("gw"):
        base = urlsplit(os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/1"))
        number = 1 + (int(base.path.strip("/") or 1) - 1 + int(worker[2:])) % 15
        return urlunsplit((base.scheme, base.netloc, f"/{number}", "", ""))
    return os.environ.get("TEST_REDIS_URL", f"redis://127.0.0.1:6379/{1 + os.getpid() % 15}")


REDIS_URL = _redis_url()
DATABASE = f"eventmgr_test_{os.getpid()}"
# The broker, and its management API when the plugin is on (else `rabbitmqctl` makes the vhost).
RABBITMQ_BROKER = os.environ.get("TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/")
RABBITMQ_MANAGEMENT = os.environ.get(
    "TEST_RABBITMQ_MANAGEMENT_URL", "http://guest:guest@127.0.0.1:15672"
)
RABBITMQ_VHOST = f"eventmgr_test_{os.getpid()}"


def database_url(name: str) -> str:
    return ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def run_as_admin(sql: str) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        connection.execute(sql)


def rabbitmq_url(port: int | None = None) -> str:
    """The run's vhost on the test broker (or on `port`, e.g. a proxy in front of it)."""
    broker = urlsplit(RABBITMQ_BROKER)
    netloc = broker.netloc
    if port is not None:
        netloc = f"{netloc.rpartition('@')[0]}@{broker.hostname}:{port}"
    return urlunsplit((broker.scheme, netloc, f"/{RABBITMQ_VHOST}", "", ""))


class _NotOurBroker(Exception):
    """The management port answers, but refuses the test broker's credentials: it belongs to
    another broker (e.g. a rehearsal's RabbitMQ container publishing 15672 on this host)."""


def _checked(response: httpx.Response) -> httpx.Response:
    if response.status_code == 401:
        raise _NotOurBroker
    if response.request.method != "DELETE":  # a vhost already gone is fine
        response.raise_for_status()
    return response


def rabbitmq_vhost(create: bool) -> None:
    """Make (or delete) the run's vhost, with every permission for the broker URL's user."""
    broker = urlsplit(RABBITMQ_BROKER)
    user = broker.username or "guest"
    api = urlsplit(RABBITMQ_MANAGEMENT)
    base = urlunsplit((api.scheme, api.netloc.rpartition("@")[2], "/api", "", ""))
    auth = (api.username or "guest", api.password or "guest")
    vhost = quote(RABBITMQ_VHOST, safe="")
    try:
        with httpx.Client(base_url=base, auth=auth, timeout=30) as management:
            if create:
                _checked(management.put(f"/vhosts/{vhost}"))
                everything = {"configure": ".*", "write": ".*", "read": ".*"}
                granted = management.put(f"/permissions/{vhost}/{quote(user)}", json=everything)
                _checked(granted)
            else:
                _checked(management.delete(f"/vhosts/{vhost}"))
        return
    except (httpx.TransportError, _NotOurBroker):
        pass  # no management plugin (or another broker's on its port): the CLI on this machine
    ctl = shutil.which("rabbitmqctl")
    if ctl is None:
        raise RuntimeError(
            f"cannot make the test vhost: no RabbitMQ management API at {base}"
            " (TEST_RABBITMQ_MANAGEMENT_URL) and no rabbitmqctl"
        )
    commands = (
        [
            ["add_vhost", RABBITMQ_VHOST],
            ["set_permissions", "-p", RABBITMQ_VHOST, user] + [".*"] * 3,
        ]
        if create
        else [["delete_vhost", RABBITMQ_VHOST]]
    )
    for command in commands:
        done = subprocess.run([ctl, "-q", *command], capture_output=True, text=True, check=False)
        if create and done.returncode != 0:
            raise RuntimeError(
                f"rabbitmqctl {command[0]} failed ({done.stderr.strip()}): run the tests as a"
                " user rabbitmqctl accepts, or enable the management plugin"
                " (rabbitmq-plugins enable rabbitmq_management)"
            )


def rabbitmq_connections(vhost: str) -> int:
    """How many connections the broker has open in this vhost (management API, else the CLI)."""
    api = urlsplit(RABBITMQ_MANAGEMENT)
    base = urlunsplit((api.scheme, api.netloc.rpartition("@")[2], "/api", "", ""))
    auth = (api.username or "guest", api.password or "guest")
    try:
        listed = _checked(
            httpx.get(f"{base}/vhosts/{quote(vhost, safe='')}/connections", auth=auth)
        )
        return len(listed.json())
    except (httpx.TransportError, _NotOurBroker):
        pass
    done = subprocess.run(
        ["rabbitmqctl", "-q", "list_connections", "vhost"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return sum(1 for line in done.stdout.splitlines() if line.strip() == vhost)


def purge_celery_queue() -> None:
    """Tasks a test left behind in the run's vhost are not the next test's worker's."""
    import asyncio

    import aio_pika

    from shared.config import get_settings

    async def purge() -> None:
        async with await aio_pika.connect(rabbitmq_url()) as connection:
            channel = await connection.channel()
            try:
                queue = await channel.declare_queue(get_settings().celery_queue, passive=True)
            except aio_pika.exceptions.ChannelNotFoundEntity:
                return  # no worker ever declared it
            # Emptied, not deleted: publishers remember the queues they declared.
            await queue.purge()

    asyncio.run(purge())


def empty_tables(url: str) -> None:
    """Back to a fresh installation: every row gone, the default categories back.

    Deleting a few rows is ~100x faster than cloning a database (fsync-bound on this kind of
    machine), and each test still starts from exactly the migrated state.
    """
    from shared.events.models import DEFAULT_CATEGORIES
    from shared.migrations.models import Base

    tables = [table.name for table in reversed(Base.metadata.sorted_tables)]
    with psycopg.connect(url, autocommit=False) as connection:
        for table in tables:
            connection.execute(f'DELETE FROM "{table}"')
        for slug, name in DEFAULT_CATEGORIES.items():
            connection.execute("INSERT INTO categories (slug, name) VALUES (%s, %s)", (slug, name))
