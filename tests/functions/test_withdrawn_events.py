"""A hidden event shows nothing of itself to the people registered to it: their registrations,
export, activity and in-app notifications say it was withdrawn, not what it said."""

from __future__ import annotations

from tests.support.api import assert_problem
from tests.support.delivery import deliver_outbox
from tests.support.factories import bearer, create_event, new_user, token_for

SECRET = "Ketamine party at the docks"
TEXT = "Bring cash; ask for Viktor"


def _deliver(client) -> None:
    for function, kinds in (
        ("track_activity", ("registration.", "event.")),
        ("notify", ("registration.", "event.")),
    ):
        assert all(status in (204, 422) for status in deliver_outbox(client, function, kinds))


def _everything_seen(client, me, user_id) -> str:
    parts = [
        client.get("/api/v1/me/registrations", headers=me).text,
        client.get("/api/v1/users/me/export", headers=me).text,
        client.get(f"/api/v1/analytics/users/{user_id}/activity", headers=me).text,
        client.get("/api/v1/me/notifications", headers=me).text,
    ]
    return "\n".join(parts)


def test_a_hidden_event_is_withdrawn_wherever_its_registrants_meet_it(client):
    owner, admin = bearer(client, "organizer"), bearer(client, "admin")
    event = create_event(
        client,
        owner,
        title=SECRET,
        description=TEXT,
        tags=["docks"],
        venue={"name": "Pier 9", "address": "Harbour Road 1"},
    )
    person = new_user()
    me = {"Authorization": f"Bearer {token_for(person)}"}
    joined = client.post(f"/api/v1/events/{event['id']}/registrations", headers=me)
    assert joined.status_code == 201
    _deliver(client)
    before = _everything_seen(client, me, person.id)
    assert before.count(SECRET) >= 4  # each of the four shows it while it is visible

    hidden = client.post(
        f"/api/v1/admin/events/{event['id']}/moderation", headers=admin, json={"action": "hide"}
    )
    assert hidden.status_code == 200
    _deliver(client)
    assert_problem(client.get(f"/api/v1/events/{event['id']}", headers=me), 404)

    seen = _everything_seen(client, me, person.id)
    for leaked in (SECRET, TEXT, "Pier 9", "Harbour Road", "docks"):
        assert leaked not in seen, leaked
    [mine] = client.get("/api/v1/me/registrations", headers=me).json()["items"]
    assert mine["event"]["withdrawn"] is True
    assert mine["event"]["title"] == "Withdrawn event"
    assert mine["event"]["description"] == ""
    assert (mine["event"]["venue"], mine["event"]["tags"]) == (None, [])
    assert mine["event"]["id"] == event["id"]  # still there: the person knows which one
    [exported] = client.get("/api/v1/users/me/export", headers=me).json()["registrations"]
    assert (exported["event_title"], exported["event_withdrawn"]) == ("Withdrawn event", True)
    activity = client.get(f"/api/v1/analytics/users/{person.id}/activity", headers=me).json()
    assert [(e["title"], e["withdrawn"]) for e in activity["events"]] == [("Withdrawn event", True)]
    inbox = client.get("/api/v1/me/notifications", headers=me).json()["items"]
    assert inbox
    assert all(item["withdrawn"] for item in inbox)
    assert {item["title"] for item in inbox} == {"Event withdrawn"}

    # Its organizer still sees their own event, and the notice about the hiding.
    assert SECRET in client.get(f"/api/v1/events/{event['id']}", headers=owner).text

    # Restored, it is itself again.
    client.post(
        f"/api/v1/admin/events/{event['id']}/moderation", headers=admin, json={"action": "restore"}
    )
    _deliver(client)
    assert _everything_seen(client, me, person.id).count(SECRET) >= 4
