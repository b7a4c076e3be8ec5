"""Settings, migrations and password hashing: the ground every function stands on."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from alembic import command

from shared import process_state
from shared.config import get_settings
from shared.migrations import alembic_config
from shared.security.passwords import hash_password, needs_rehash, verify_password


def test_secrets_come_from_mounted_files_and_the_environment_wins(tmp_path, monkeypatch):
    (tmp_path / "database-url").write_text("postgresql://from-file/db\n")
    (tmp_path / "internal-token").write_text("file-token")
    monkeypatch.setenv("SECRETS_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("INTERNAL_TOKEN", "env-token")
    monkeypatch.setenv("CORS_ORIGINS", "https://a.example, https://b.example")
    process_state.reset()
    try:
        settings = get_settings()
        assert settings.database_url == "postgresql://from-file/db"
        assert settings.internal_token == "env-token"
        assert settings.cors_origins == ["https://a.example", "https://b.example"]
    finally:
        monkeypatch.undo()
        process_state.reset()


def test_models_and_migrations_agree(db_url):
    # A model changed without a migration would fail here (alembic's autogenerate diff).
    command.check(alembic_config(db_url))


def test_migrations_downgrade_and_upgrade_cleanly(test_database):
    config = alembic_config(test_database)
    try:
        command.downgrade(config, "base")
        with psycopg.connect(test_database) as connection:
            tables = connection.execute(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
            ).fetchone()
        assert tables == (1,)  # alembic_version only
    finally:
        command.upgrade(config, "head")


def test_database_refuses_what_the_api_must_never_allow(db_url):
    """The invariants hold in PostgreSQL itself, not only in the services."""
    with psycopg.connect(db_url) as connection:
        user_row = connection.execute(
            "INSERT INTO users (id, email, password_hash, full_name, role, email_verified,"
            " is_active, locale, timezone) VALUES (gen_random_uuid(), 'o@x.org', 'h', 'O',"
            " 'organizer', true, true, 'en', 'UTC') RETURNING id"
        ).fetchone()
        assert user_row
        user = user_row[0]
        event_row = connection.execute(
            "INSERT INTO events (id, organizer_id, title, description, starts_at, ends_at,"
            " timezone, category_slug, capacity, seats_taken, waitlist_count, status,"
            " moderation, sequence) VALUES (gen_random_uuid(), %s, 't', 'd', now(),"
            " now() + interval '1 hour', 'UTC', 'meetup', 1, 1, 0, 'published', 'approved', 0)"
            " RETURNING id",
            (user,),
        ).fetchone()
        assert event_row
        event = event_row[0]
        connection.commit()
        with pytest.raises(psycopg.errors.CheckViolation):
            connection.execute("UPDATE events SET seats_taken = 2 WHERE id = %s", (event,))
        connection.rollback()
        insert = (
            "INSERT INTO registrations (id, event_id, user_id, status)"
            " VALUES (gen_random_uuid(), %s, %s, %s)"
        )
        connection.execute(insert, (event, user, "confirmed"))
        with pytest.raises(psycopg.errors.UniqueViolation):
            connection.execute(insert, (event, user, "waitlisted"))
        connection.rollback()
        # Someone who cancelled may register again.
        connection.execute(insert, (event, user, "cancelled"))
        connection.execute(insert, (event, user, "cancelled"))
        connection.execute(insert, (event, user, "confirmed"))


def test_passwords_are_argon2id():
    hashed = hash_password("correct horse battery staple")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "correct horse battery staple")
    assert not verify_password(hashed, "wrong")
    assert not verify_password("not-a-hash", "anything")
    assert not needs_rehash(hashed)
    assert needs_rehash("$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo")


def test_a_pooled_connection_cut_while_idle_is_replaced_unseen(db_url, monkeypatch):
    """A database restart or a proxy's idle timeout cuts pooled connections: the next request
    must get a working one, not a 500. Connections given back a moment ago skip the ping (it
    was a round trip in three of a join); one idle longer is pinged and replaced."""
    from sqlalchemy import text

    from shared.db import engine as db_engine
    from shared.db import unit_of_work

    monkeypatch.setattr(db_engine, "PING_AFTER_IDLE_SECONDS", 0.0)
    with unit_of_work() as session:
        cut = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    with psycopg.connect(db_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (cut,))
    with unit_of_work() as session:
        now = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    assert now != cut


def test_a_connection_given_back_a_moment_ago_is_not_pinged(db_url, monkeypatch):
    """Under load every checkout found a connection used milliseconds before, and paid a
    round trip to ask it whether it still works; one idle longer is still asked."""
    from sqlalchemy import text

    from shared.db import engine as db_engine
    from shared.db import get_engine, unit_of_work

    dialect = get_engine().dialect
    pings: list[object] = []
    ping = dialect.do_ping

    def counted(connection: Any) -> bool:
        pings.append(connection)
        return ping(connection)

    monkeypatch.setattr(dialect, "do_ping", counted)
    for _ in range(3):
        with unit_of_work() as session:
            session.execute(text("SELECT 1"))
    assert pings == []
    monkeypatch.setattr(db_engine, "PING_AFTER_IDLE_SECONDS", 0.0)
    with unit_of_work() as session:
        session.execute(text("SELECT 1"))
    assert len(pings) == 1
