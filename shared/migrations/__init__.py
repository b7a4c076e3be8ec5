"""Alembic migrations, run as their own step (`eventmgr migrate`), never at function start."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from shared.db.engine import sqlalchemy_url

HERE = Path(__file__).parent


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(HERE))
    # ConfigParser interpolation: a literal % in a password must be doubled.
    config.set_main_option("sqlalchemy.url", sqlalchemy_url(database_url).replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)
