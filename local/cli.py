"""The `eventmgr` command."""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from local.datadir import AlreadyRunning, DataDir

app = typer.Typer(
    help="Event Manager: run it locally, migrate, manage users.", no_args_is_help=True
)
users = typer.Typer(help="Manage accounts.", no_args_is_help=True)
app.add_typer(users, name="users")

DataDirOption = Annotated[
    Path,
    typer.Option(
        "--data-dir",
        envvar="EVENTMGR_DATA_DIR",
        help="Where the embedded mode keeps its data.",
        file_okay=False,
    ),
]


class RoleChoice(StrEnum):
    participant = "participant"
    organizer = "organizer"
    admin = "admin"


@app.command()
def up(
    data_dir: DataDirOption = Path(".eventmgr"),
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of the gateway.")] = 8080,
) -> None:
    """Run the whole platform in this process: every function behind one gateway."""
    from local.runner import serve

    try:
        serve(DataDir.at(data_dir), host, port)
    except AlreadyRunning as error:
        typer.echo(f"eventmgr up: {error}", err=True)
        raise typer.Exit(1) from error


@app.command()
def migrate(data_dir: DataDirOption = Path(".eventmgr")) -> None:
    """Bring the database schema up to date (DATABASE_URL, or the embedded database)."""
    from local.services import database_for_command
    from shared.migrations import upgrade

    with database_for_command(_prepared(data_dir)) as url:
        upgrade(url)
    typer.echo("Database is up to date.")


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
    with database_for_command(_prepared(data_dir)) as url:
        os.environ["DATABASE_URL"] = url
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


def _prepared(path: Path) -> DataDir:
    data_dir = DataDir.at(path)
    data_dir.prepare()
    return data_dir
