"""Real requests, a registration race among them, through a real PgBouncer in transaction mode
(started here on its own port with its own config): the driver settings work through it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg
import pytest
from sqlalchemy import func, literal, select

from local.pgbouncer import PgBouncer
from shared import process_state
from shared.db import get_engine
from tests.support.factories import bearer, create_event, new_user, token_for


@pytest.fixture
def through_pgbouncer(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Every connection of this process goes through the PgBouncer from here on."""
    # Fewer server connections than the pool's 10 client ones: consecutive transactions of
    # one client connection land on different server connections, as under real load.
    with PgBouncer.running(db_url, pool_size=1) as bouncer:
        url = bouncer.url(db_url.rsplit("/", 1)[1])
        monkeypatch.setenv("DATABASE_URL", url)
        process_state.reset()
        yield url
        process_state.reset()


def test_our_engine_shares_server_connections_through_pgbouncer(through_pgbouncer):
    """Two client connections take turns on one server connection, the same statement many times: a
    server-side prepared statement would be missing or already exist on the server met next."""
    engine = get_engine()
    with engine.connect() as first, engine.connect() as second:
        for turn in range(30):
            for connection in (first, second):
                with connection.begin():
                    value = connection.execute(select(func.abs(turn)).where(literal(True)))
                    assert value.scalar() == turn
    with psycopg.connect(through_pgbouncer, prepare_threshold=None) as plain:
        assert plain.execute("SHOW statement_timeout").fetchone() is not None


def test_a_race_and_the_reads_after_it_through_pgbouncer(through_pgbouncer, live_url, client):
    event = create_event(client, bearer(client, "organizer"), capacity=10)
    path = f"{live_url}/api/v1/events/{event['id']}/registrations"
    tokens = [token_for(new_user()) for _ in range(60)]

    def join(token: str) -> dict:
        response = httpx.post(path, headers={"Authorization": f"Bearer {token}"}, timeout=120)
        assert response.status_code == 201, response.text
        return response.json()

    # The same statements run many times on shared server connections: with prepared
    # statements this fails with "prepared statement … does not exist".
    with ThreadPoolExecutor(30) as pool:
        results = list(pool.map(join, tokens))
    confirmed = [r for r in results if r["status"] == "confirmed"]
    places = sorted(r["waitlist_position"] for r in results if r["status"] == "waitlisted")
    assert len(confirmed) == 10
    assert places == list(range(1, 51))
    page = httpx.get(f"{live_url}/api/v1/events/{event['id']}").json()
    assert (page["seats_taken"], page["waitlist_count"]) == (10, 50)
    again = httpx.post(path, headers={"Authorization": f"Bearer {tokens[0]}"})
    assert again.status_code == 200
    missing = httpx.post(
        f"{live_url}/api/v1/events/{uuid.uuid4()}/registrations",
        headers={"Authorization": f"Bearer {tokens[0]}"},
    )
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
