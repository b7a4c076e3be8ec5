"""`eventmgr analytics rebuild` and the migration's backfill give exactly the rollups that
`track_activity` keeps: an operator can always start again from the source tables."""

from __future__ import annotations

import os
import subprocess

from alembic import command
from sqlalchemy import delete, select, update

from shared.analytics.models import CategoryDay, EventDay, EventTotals
from shared.db import unit_of_work
from shared.migrations import alembic_config
from tests.support.factories import create_event, new_user, token_for
from tests.support.rollups import actual, deliver_all, expected
from tests.support.runner import EVENTMGR


def auth(user) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(user)}"}


def some_activity(client) -> None:
    """Joins, a waitlist and a promotion, a check-in, a moved event and a hidden one."""
    organizer, admin = new_user("organizer"), new_user("admin")
    concert = create_event(client, auth(organizer), category="concert", capacity=1)
    meetup = create_event(client, auth(organizer), category="meetup")
    people = [new_user() for _ in range(3)]
    for person in people:
        for event in (concert, meetup):
            path = f"/api/v1/events/{event['id']}/registrations"
            assert client.post(path, headers=auth(person)).status_code == 201
    leave = f"/api/v1/events/{concert['id']}/registrations/me"
    assert client.delete(leave, headers=auth(people[0])).status_code == 204
    mine = client.get("/api/v1/me/registrations", headers=auth(people[1])).json()["items"]
    seat = next(r for r in mine if r["event_id"] == concert["id"])
    check_in = f"/api/v1/events/{concert['id']}/registrations/{seat['id']}/check-in"
    assert client.post(check_in, headers=auth(organizer)).status_code == 200
    moved = client.patch(
        f"/api/v1/events/{meetup['id']}",
        headers=auth(organizer),
        json={
            "category": "workshop",
            "starts_at": "2031-07-01T18:00:00+00:00",
            "ends_at": "2031-07-01T20:00:00+00:00",
        },
    )
    assert moved.status_code == 200, moved.text
    hidden = create_event(client, auth(organizer), category="sports")
    joined = client.post(f"/api/v1/events/{hidden['id']}/registrations", headers=auth(people[2]))
    assert joined.status_code == 201
    hide = client.post(
        f"/api/v1/admin/events/{hidden['id']}/moderation",
        headers=auth(admin),
        json={"action": "hide"},
    )
    assert hide.status_code == 200, hide.text
    deliver_all(client)


def test_rebuild_gives_the_rollups_kept_incrementally(client, db_url, tmp_path):
    some_activity(client)
    kept = actual()
    assert kept == expected()
    with unit_of_work() as session:  # drift, as a bug or a restored backup might leave
        session.execute(delete(EventDay))
        session.execute(update(EventTotals).values(registrations=99))
        session.execute(update(CategoryDay).values(events=0))
    rebuilt = subprocess.run(
        [EVENTMGR, "analytics", "rebuild", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": db_url},
        timeout=120,
        check=False,
    )
    assert rebuilt.returncode == 0, rebuilt.stderr
    counts = (len(kept.totals), len(kept.days), len(kept.people), len(kept.categories))
    assert (
        "{} events, {} event days, {} person-event rows, {} category days".format(*counts)
        in rebuilt.stdout
    )
    assert actual() == kept


def test_upgrading_an_installation_counts_the_registrations_it_has(client, db_url):
    some_activity(client)
    config = alembic_config(db_url)
    command.downgrade(config, "0010")  # as before the rollups existed
    command.upgrade(config, "head")
    assert actual() == expected()


def test_upgrading_counts_checked_in_people_as_confirmed(client, db_url):
    """Rollups kept before 0014 counted only `confirmed` registrations as confirmed."""
    some_activity(client)
    config = alembic_config(db_url)
    kept = expected()
    command.downgrade(config, "0013")
    try:
        # Columns, not the model: the model's later columns (`offered`) are not there yet.
        with unit_of_work() as session:
            old = dict(session.execute(select(EventTotals.event_id, EventTotals.confirmed)).all())
        # The old meaning: checked-in people left out of `confirmed`.
        assert old != {event_id: totals[4] for event_id, totals in kept.totals.items()}
    finally:
        command.upgrade(config, "head")
    assert actual() == kept
