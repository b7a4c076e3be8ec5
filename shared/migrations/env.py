from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from shared.migrations.models import Base

config = context.config


def run() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url, "alembic_config() sets sqlalchemy.url"
    engine = create_engine(url, poolclass=pool.NullPool)
    # One transaction for the whole upgrade (PostgreSQL has transactional DDL).
    with engine.connect() as connection, connection.begin():
        # Two migrators at once (two pods starting) queue here instead of racing.
        connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7242011)")
        context.configure(connection=connection, target_metadata=Base.metadata)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run()
