"""The `eventmgr` command.

Only typer is imported at the top: each command imports what it needs when it runs, so
`eventmgr --help` and the light commands start in a fraction of a second.
"""

from __future__ import annotations

import logging
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from local.misconfigured import Misconfigured

if TYPE_CHECKING:
    from local.datadir import DataDir

# Plain help (no rich panels): rich's panels print `<bool>` after flags, and importing rich
# alone costs more than the rest of `eventmgr --help`.
app = typer.Typer(
    help="Event Manager: run it locally, migrate, manage users.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
users = typer.Typer(help="Manage accounts.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(users, name="users")
analytics = typer.Typer(help="The statistics rollups.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(analytics, name="analytics")

DataDirOption = Annotated[
    Path,
    typer.Option(
        "--data-dir",
        envvar="EVENTMGR_DATA_DIR",
        help="Where the embedded mode keeps its data.",
        file_okay=False,
    ),
]


@app.callback()
def _settings_first() -> None:
    """Every command refuses invalid settings at once, saying which and why."""
    from pydantic import ValidationError

    from shared.config import get_settings

    try:
        get_settings()
    except ValidationError as error:
        # Each error's location and message only: the input may hold secrets.
        for item in error.errors():
            name = "_".join(str(part) for part in item["loc"]).upper()
            typer.echo(f"eventmgr: invalid setting {name}: {item['msg']}", err=True)
        raise typer.Exit(2) from error
    finally:
        get_settings.cache_clear()


class RoleChoice(StrEnum):
    participant = "participant"
    organizer = "organizer"
    admin = "admin"


def main() -> None:
    """The console script: a missing setting or extra is one clear line and exit status 2."""
    try:
        app()
    except Misconfigured as error:
        print(f"eventmgr {error.command}: {error.message}", file=sys.stderr)
        raise SystemExit(2) from None


@app.command()
def up(
    data_dir: DataDirOption = Path(".eventmgr"),
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of the gateway.")] = 8080,
    processes: Annotated[
        bool,
        typer.Option(
            "--processes",
            help="Each function its own process behind a real Nginx (the production routing).",
        ),
    ] = False,
    start_timeout: Annotated[
        float,
        typer.Option(
            envvar="EVENTMGR_START_TIMEOUT",
            min=1,
            metavar="SECONDS",
            help="With --processes: seconds to wait for every function to become healthy.",
        ),
    ] = 300,
) -> None:
    """Run the whole platform in this process: every function behind one gateway."""
    from local.datadir import AlreadyRunning, DataDir
    from local.runner import RunnerFailed, serve

    try:
        serve(DataDir.at(data_dir), host, port, processes=processes, start_timeout=start_timeout)
    except (AlreadyRunning, RunnerFailed) as error:
        typer.echo(f"eventmgr up: {error}", err=True)
        raise typer.Exit(1) from error


@app.command()
def migrate(data_dir: DataDirOption = Path(".eventmgr")) -> None:
    """Bring the database schema up to date (DATABASE_URL, or the embedded database)."""
    from local.services import database_for_command
    from shared.config import get_settings
    from shared.logs import configure_logging
    from shared.migrations import upgrade

    # A deployment's migration job is a service like the others: JSON lines a shipper can
    # parse (`make rehearse` found its two plain sentences in the job's log).
    configure_logging(os.environ.get("LOG_LEVEL", "INFO"))
    logger = logging.getLogger("eventmgr.migrate")
    with database_for_command(_prepared(data_dir), "migrate") as url:
        upgrade(url)
    logger.info("Database is up to date.")
    settings = get_settings()
    if settings.rabbitmq_url:
        from eventing.topology import declare_topology, retry_delays_ms
        from eventing.triggers import load_triggers

        delays = retry_delays_ms(
            settings.dispatcher_attempts, settings.dispatcher_backoff_base_seconds
        )
        declare_topology(settings.rabbitmq_url, settings.rabbitmq_exchange, load_triggers(), delays)
        logger.info(
            "RabbitMQ queues declared.", extra={"rabbitmq.exchange": settings.rabbitmq_exchange}
        )


@app.command()
def render(
    check: Annotated[
        bool, typer.Option("--check", help="Write nothing; fail when a file is stale.")
    ] = False,
) -> None:
    """Write the files derived from the functions' declarations (e.g. eventing/triggers.yaml)."""
    from local.registry import load_functions
    from local.render import render as render_files

    stale = render_files(load_functions(), check=check)
    for path in stale:
        typer.echo(f"{'stale' if check else 'wrote'}: {path}")
    if check and stale:
        typer.echo("Run `eventmgr render` and commit the result.", err=True)
        raise typer.Exit(1)


@app.command()
def dispatcher() -> None:
    """Deliver CloudEvents from RabbitMQ to the functions (RABBITMQ_URL, FUNCTION_URL_TEMPLATE)."""
    from shared.config import get_settings

    if not get_settings().rabbitmq_url:
        raise Misconfigured(
            "dispatcher",
            "RABBITMQ_URL is not set: the dispatcher delivers CloudEvents from RabbitMQ. "
            "Set it, e.g. RABBITMQ_URL=amqp://USER:PASSWORD@HOST:5672/ (or mount it as the "
            "secret file rabbitmq-url in SECRETS_DIR). `eventmgr up` needs no dispatcher: "
            "without RabbitMQ it delivers in-process.",
        )
    from eventing.dispatcher import run_forever
    from eventing.triggers import load_triggers
    from shared.logs import configure_logging

    configure_logging()
    _serve_metrics()
    run_forever(load_triggers())


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(help="Tasks run at once.")] = 4,
    ready_file: Annotated[
        Path | None,
        typer.Option(help="Touched once the worker consumes its queue (a readiness probe)."),
    ] = None,
    data_dir: DataDirOption = Path(".eventmgr"),
) -> None:
    """Run a Celery worker for mail and reports (beside a running `eventmgr up`, on its
    database and Redis)."""
    from shared.logs import configure_logging

    # First: warnings raised while importing Celery are JSON log lines too.
    configure_logging(os.environ.get("LOG_LEVEL", "INFO"))
    _adopt_runner(data_dir)
    from shared.config import get_settings

    settings = get_settings()
    missing = []
    if not settings.database_url:
        missing.append("DATABASE_URL (e.g. postgresql://USER:PASSWORD@HOST:5432/eventmanager)")
    if not (settings.celery_broker_url or settings.rabbitmq_url or settings.redis_url):
        missing.append(
            "a broker: RABBITMQ_URL (e.g. amqp://USER:PASSWORD@HOST:5672/), "
            "or REDIS_URL (e.g. redis://HOST:6379/0), or CELERY_BROKER_URL"
        )
    if missing:
        raise Misconfigured(
            "worker",
            f"missing {' and '.join(missing)}. Set them in the environment (or as secret "
            f"files in SECRETS_DIR), or run `eventmgr up --data-dir {data_dir}` first: beside "
            "a running runner the worker uses its database and Redis.",
        )
    from eventing.worker import run_worker

    configure_logging(settings.log_level)
    _serve_metrics()
    run_worker(concurrency, ready_file=ready_file)


@app.command()
def scheduler() -> None:
    """Run every declared schedule (compose), calling functions at FUNCTION_URL_TEMPLATE."""
    from eventing.scheduler import Scheduler
    from eventing.triggers import load_schedules
    from shared.logs import configure_logging

    configure_logging()
    _serve_metrics()
    running = Scheduler(load_schedules())
    running.run()


@app.command()
def invoke(
    name: Annotated[str, typer.Argument(help="A function with a schedule, e.g. relay_outbox.")],
    data_dir: DataDirOption = Path(".eventmgr"),
) -> None:
    """Run a function's scheduled job now: through the running runner, or in this process."""
    from eventing.triggers import load_schedules
    from local.registry import function_names

    if name not in function_names():
        typer.echo(f"eventmgr invoke: no function named {name!r}", err=True)
        raise typer.Exit(2)
    scheduled = sorted({schedule.function for schedule in load_schedules()})
    if name not in scheduled:
        typer.echo(
            f"eventmgr invoke: {name} has no schedule; these have one: {', '.join(scheduled)}",
            err=True,
        )
        raise typer.Exit(2)
    prepared = _prepared(data_dir)
    running = prepared.running()
    if running and not os.environ.get("DATABASE_URL"):
        import httpx

        token = prepared.key_environment()["INTERNAL_TOKEN"]
        response = httpx.post(
            f"{running['url']}/function/{name}/",
            content=b"",
            timeout=300,
            # Asked for, the answer says what the run did (schedulers get a bare 204).
            headers={"authorization": f"Bearer {token}", "accept": "application/json"},
        )
        if not response.is_success:
            typer.echo(f"{name}: failed, HTTP {response.status_code}: {response.text}", err=True)
            raise typer.Exit(1)
        counts = response.json().get("counts") if response.status_code == 200 else None
        typer.echo(_ran(name, counts))
        return
    from local.services import database_for_command

    with database_for_command(prepared, "invoke") as url:
        os.environ["DATABASE_URL"] = url
        _forget_settings()
        import importlib

        function = importlib.import_module(f"functions.{name}.handler").fn
        assert function.scheduled_job is not None, "triggers.yaml and the declaration agree"
        counts = function.scheduled_job()
        from shared.db.engine import dispose

        dispose()
    typer.echo(_ran(name, counts))


def _ran(name: str, counts: Any) -> str:
    """`relay_outbox: done: 3 claimed, 3 published` — or that there was nothing to do."""
    done = {str(key): int(value) for key, value in (counts or {}).items() if value}
    if not done:
        return f"{name}: done, nothing to do"
    return f"{name}: done: " + ", ".join(f"{value} {key}" for key, value in done.items())


@users.command("create")
def create_user(
    email: Annotated[str, typer.Option(help="Login email.")],
    password: Annotated[str, typer.Option(help="At least 10 characters.")],
    role: Annotated[RoleChoice, typer.Option(help="Account role.")] = RoleChoice.participant,
    full_name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    data_dir: DataDirOption = Path(".eventmgr"),
) -> None:
    """Create an account whose email counts as verified (e.g. the first admin)."""
    from pydantic import ValidationError

    from local.services import database_for_command
    from shared.errors import DomainError
    from shared.migrations import upgrade
    from shared.users.models import Role
    from shared.users.schemas import UserCreate

    try:
        checked = UserCreate(
            email=email, password=password, full_name=full_name or email.split("@")[0]
        )
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        typer.echo(f"eventmgr users create: {problems}", err=True)
        raise typer.Exit(2) from error
    with database_for_command(_prepared(data_dir), "users create") as url:
        os.environ["DATABASE_URL"] = url
        _forget_settings()
        upgrade(url)
        from shared.db import unit_of_work
        from shared.users.service import create_user as create

        try:
            with unit_of_work() as session:
                user = create(
                    session,
                    email=str(checked.email),
                    password=checked.password,
                    full_name=checked.full_name,
                    role=Role(role.value),
                    email_verified=True,
                )
                user_id = user.id
        except DomainError as error:
            typer.echo(f"eventmgr users create: {error.detail}", err=True)
            raise typer.Exit(1) from error
        finally:
            from shared.db.engine import dispose

            dispose()
    typer.echo(f"Created {role.value} {checked.email} ({user_id})")


@analytics.command("rebuild")
def rebuild_analytics(data_dir: DataDirOption = Path(".eventmgr")) -> None:
    """Recount every statistics rollup from registrations and events, in one transaction
    (track_activity waits meanwhile, then goes on; readers see the old figures until the end)."""
    import time

    from local.services import database_for_command

    with database_for_command(_prepared(data_dir), "analytics rebuild") as url:
        os.environ["DATABASE_URL"] = url
        _forget_settings()
        from shared.analytics.service import rebuild
        from shared.db.engine import dispose

        started = time.perf_counter()
        try:
            counts = rebuild()
        finally:
            dispose()
    typer.echo(
        f"Rebuilt the analytics rollups in {time.perf_counter() - started:.1f} s: "
        f"{counts.events} events, {counts.event_days} event days, "
        f"{counts.person_events} person-event rows, {counts.category_days} category days."
    )


def _prepared(path: Path) -> DataDir:
    from local.datadir import DataDir

    data_dir = DataDir.at(path)
    data_dir.prepare()
    return data_dir


def _adopt_runner(path: Path) -> None:
    """Beside a running `eventmgr up`, what is not configured comes from its run.json and
    keys: its database, its Redis (with its password), its secrets and public address."""
    from local.datadir import DataDir
    from shared.config import get_settings

    data_dir = DataDir.at(path)
    running = data_dir.running()
    if not running:
        return
    settings = get_settings()
    os.environ.setdefault("EVENTMGR_DATA_DIR", str(data_dir.root))
    if not settings.database_url:
        os.environ["DATABASE_URL"] = str(running["database_url"])
    if not settings.redis_url and running.get("redis_url"):
        os.environ["REDIS_URL"] = str(running["redis_url"])
    for key, value in data_dir.key_environment().items():
        os.environ.setdefault(key, value)
    os.environ.setdefault("PUBLIC_URL", str(running["url"]))
    _forget_settings()


def _serve_metrics() -> None:
    """Processes without an HTTP app of their own serve /metrics on `METRICS_PORT`."""
    from shared.config import get_settings
    from shared.metrics import serve_metrics

    settings = get_settings()
    serve_metrics(settings.metrics_port, settings.metrics_host)


def _forget_settings() -> None:
    """Settings read before the database URL was known, and all built from them (the engine,
    keys, clients), must not be used after it."""
    from shared import process_state

    process_state.reset()
