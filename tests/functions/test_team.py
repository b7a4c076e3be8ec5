"""The event's team: the owner adds co-organizers and stewards, who then work on the event
with their role's rights; every change is told to the person, audited and announced."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import func, select, update

from shared.audit.models import AuditEntry
from shared.db import unit_of_work
from shared.teams.models import TeamMember
from shared.users.models import User
from tests.support.api import assert_problem
from tests.support.factories import PASSWORD, create_event, new_user, token_for
from tests.support.mailbox import deliver, mailed
from tests.support.outbox import emitted


def _headers(user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(user)}"}


def test_owner_adds_lists_changes_and_removes_members(client):
    owner = new_user("organizer")
    event = create_event(client, _headers(owner))
    team = f"/api/v1/events/{event['id']}/team"
    helper, door = new_user("organizer"), new_user()

    added = client.post(
        team, headers=_headers(owner), json={"email": helper.email.upper(), "role": "co_organizer"}
    )
    assert added.status_code == 201, added.text
    assert added.json() | {"added_at": None} == {
        "user_id": str(helper.id),
        "email": helper.email,
        "role": "co_organizer",
        "full_name": helper.full_name,
        "added_by": str(owner.id),
        "added_at": None,
    }
    steward = client.post(
        team, headers=_headers(owner), json={"email": door.email, "role": "steward"}
    )
    assert steward.status_code == 201
    listed = client.get(team, headers=_headers(owner)).json()["items"]
    assert [(m["user_id"], m["role"]) for m in listed] == [
        (str(helper.id), "co_organizer"),
        (str(door.id), "steward"),
    ]

    # Adding again gives the role asked for; the same role again changes (and announces) nothing.
    again = client.post(
        team, headers=_headers(owner), json={"email": door.email, "role": "steward"}
    )
    assert again.status_code == 201
    assert again.json()["role"] == "steward"
    promoted = client.post(
        team, headers=_headers(owner), json={"email": door.email, "role": "co_organizer"}
    )
    assert promoted.json()["role"] == "co_organizer"
    assert [
        (e["user_id"], e["role"], e["previous_role"]) for e in emitted("team.member_added")
    ] == [
        (str(helper.id), "co_organizer", None),
        (str(door.id), "steward", None),
        (str(door.id), "co_organizer", "steward"),
    ]

    assert client.delete(f"{team}/{door.id}", headers=_headers(owner)).status_code == 204
    assert_problem(client.delete(f"{team}/{door.id}", headers=_headers(owner)), 404)
    [removed] = emitted("team.member_removed")
    assert (removed["user_id"], removed["role"], removed["by_user_id"]) == (
        str(door.id),
        "co_organizer",
        str(owner.id),
    )
    assert [m["user_id"] for m in client.get(team, headers=_headers(owner)).json()["items"]] == [
        str(helper.id)
    ]
    with unit_of_work() as session:
        audited = session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.target_id == event["id"])
            .order_by(AuditEntry.created_at)
        ).all()
    assert audited == ["team.add", "team.add", "team.add", "team.remove"]


def test_bad_additions_are_refused_and_change_nothing(client):
    owner = new_user("organizer")
    event = create_event(client, _headers(owner))
    team = f"/api/v1/events/{event['id']}/team"
    headers = _headers(owner)
    unknown = client.post(
        team, headers=headers, json={"email": "nobody@example.org", "role": "steward"}
    )
    assert_problem(unknown, 404)
    blocked = new_user()
    with unit_of_work() as session:
        session.execute(update(User).where(User.id == blocked.id).values(is_active=False))
    assert_problem(
        client.post(team, headers=headers, json={"email": blocked.email, "role": "steward"}), 404
    )
    assert_problem(
        client.post(team, headers=headers, json={"email": owner.email, "role": "steward"}), 409
    )
    someone = new_user()
    assert_problem(
        client.post(team, headers=headers, json={"email": someone.email, "role": "boss"}), 422
    )
    assert_problem(
        client.post(team, headers=headers, json={"email": "not an email", "role": "steward"}), 422
    )
    assert_problem(client.post(team, headers=headers, json={"email": someone.email}), 422)
    assert_problem(client.delete(f"{team}/not-a-uuid", headers=headers), 422)
    assert_problem(client.delete(f"{team}/{someone.id}", headers=headers), 404)
    missing = "/api/v1/events/00000000-0000-4000-8000-000000000000/team"
    assert_problem(
        client.post(missing, headers=headers, json={"email": someone.email, "role": "steward"}), 404
    )
    assert client.get(team, headers=headers).json()["items"] == []
    assert emitted("team.member_added") == []


def test_each_role_does_what_it_may_and_no_more(client):
    owner = new_user("organizer")
    co, steward = new_user("organizer"), new_user("organizer")
    event = create_event(client, _headers(owner), status="draft", capacity=5)
    path = f"/api/v1/events/{event['id']}"
    for person, role in ((co, "co_organizer"), (steward, "steward")):
        added = client.post(
            f"{path}/team", headers=_headers(owner), json={"email": person.email, "role": role}
        )
        assert added.status_code == 201

    # Both see the draft; only the co-organizer may change and publish it.
    assert client.get(path, headers=_headers(steward)).json()["status"] == "draft"
    assert_problem(client.patch(path, headers=_headers(steward), json={"title": "Mine"}), 403)
    assert_problem(client.post(f"{path}/publish", headers=_headers(steward)), 403)
    assert client.patch(path, headers=_headers(co), json={"title": "Ours"}).status_code == 200
    assert client.post(f"{path}/publish", headers=_headers(co)).status_code == 200

    guest = new_user()
    seat = client.post(f"{path}/registrations", headers=_headers(guest)).json()
    # The steward lists people and checks them in; removing someone is not theirs.
    people = client.get(f"{path}/registrations", headers=_headers(steward))
    assert [p["user_id"] for p in people.json()["items"]] == [str(guest.id)]
    checked = client.post(f"{path}/registrations/{seat['id']}/check-in", headers=_headers(steward))
    assert checked.json()["status"] == "checked_in"
    assert_problem(
        client.delete(f"{path}/registrations/{seat['id']}", headers=_headers(steward)), 403
    )
    # Neither manages the team nor deletes the event.
    for member in (co, steward):
        assert_problem(client.get(f"{path}/team", headers=_headers(member)), 403)
        assert_problem(
            client.post(
                f"{path}/team",
                headers=_headers(member),
                json={"email": guest.email, "role": "steward"},
            ),
            403,
        )
        assert_problem(client.delete(f"{path}/team/{steward.id}", headers=_headers(member)), 403)
        assert_problem(client.delete(path, headers=_headers(member)), 403)

    # Removed from the team, the co-organizer is a stranger again.
    client.post(f"{path}/cancel", headers=_headers(co))
    assert client.delete(f"{path}/team/{co.id}", headers=_headers(owner)).status_code == 204
    assert_problem(client.patch(path, headers=_headers(co), json={"title": "Back"}), 403)
    assert client.delete(path, headers=_headers(owner)).status_code == 204


def test_a_draft_page_is_seen_by_the_team_and_never_cached_for_others(client):
    """Drafts are read from PostgreSQL for those who may see them, never from the shared
    cache: a team member's view neither leaks to others nor outlives their membership."""
    owner = new_user("organizer")
    member, stranger = new_user("organizer"), new_user("organizer")
    event = create_event(client, _headers(owner), status="draft")
    path = f"/api/v1/events/{event['id']}"
    assert_problem(client.get(path, headers=_headers(member)), 404)
    client.post(
        f"{path}/team", headers=_headers(owner), json={"email": member.email, "role": "steward"}
    )
    for _ in range(2):
        assert client.get(path, headers=_headers(member)).status_code == 200
        assert_problem(client.get(path, headers=_headers(stranger)), 404)
        assert_problem(client.get(path), 404)
    client.delete(f"{path}/team/{member.id}", headers=_headers(owner))
    assert_problem(client.get(path, headers=_headers(member)), 404)


def test_the_person_is_told_in_their_language(client, outbox_dir):
    owner = new_user("organizer")
    event = create_event(client, _headers(owner), title="Jazz night")
    team = f"/api/v1/events/{event['id']}/team"
    english, russian = new_user(), new_user()
    with unit_of_work() as session:
        session.execute(update(User).where(User.id == russian.id).values(locale="ru"))
    client.post(team, headers=_headers(owner), json={"email": english.email, "role": "steward"})
    client.post(
        team, headers=_headers(owner), json={"email": russian.email, "role": "co_organizer"}
    )
    client.delete(f"{team}/{english.id}", headers=_headers(owner))
    deliver(client)
    deliver(client)  # a redelivery tells no one twice
    told = [(to, subject) for to, subject, _ in mailed(outbox_dir)]
    assert (english.email, "You are on the team of Jazz night") not in told  # removed since
    assert told.count((english.email, "You are no longer on the team of Jazz night")) == 1
    [(_, subject, text)] = [m for m in mailed(outbox_dir) if m[0] == russian.email]
    assert subject == "Вы в команде «Jazz night»"
    assert "соорганизатор" in text
    inbox = client.get("/api/v1/me/notifications", headers=_headers(russian)).json()["items"]
    assert [item["kind"] for item in inbox] == ["team_member_added"]


def test_parallel_additions_of_one_person_leave_one_membership(live_url, client):
    owner = new_user("organizer")
    event = create_event(client, _headers(owner))
    person = new_user()
    roles = ["co_organizer", "steward"] * 10

    def add(role: str) -> int:
        return httpx.post(
            f"{live_url}/api/v1/events/{event['id']}/team",
            headers=_headers(owner),
            json={"email": person.email, "role": role},
            timeout=60,
        ).status_code

    with ThreadPoolExecutor(len(roles)) as pool:
        statuses = list(pool.map(add, roles))
    assert statuses == [201] * len(roles)
    with unit_of_work() as session:
        rows = session.scalar(select(func.count()).where(TeamMember.user_id == person.id))
        final = session.scalar(select(TeamMember.role).where(TeamMember.user_id == person.id))
    assert rows == 1
    # Every announced change is a real one, and the last one is the role kept.
    changes = [e for e in emitted("team.member_added") if e["user_id"] == str(person.id)]
    assert changes[-1]["role"] == final
    assert all(a["role"] != b["role"] for a, b in itertools.pairwise(changes))


def test_the_export_names_the_teams_and_a_deleted_account_leaves_them(client):
    owner, member = new_user("organizer"), new_user()
    event = create_event(client, _headers(owner))
    path = f"/api/v1/events/{event['id']}"
    client.post(
        f"{path}/team", headers=_headers(owner), json={"email": member.email, "role": "steward"}
    )
    exported = client.get("/api/v1/users/me/export", headers=_headers(member)).json()
    assert [(t["event_id"], t["role"]) for t in exported["event_teams"]] == [
        (event["id"], "steward")
    ]
    gone = client.request(
        "DELETE", "/api/v1/users/me", headers=_headers(member), json={"password": PASSWORD}
    )
    assert gone.status_code == 204
    assert client.get(f"{path}/team", headers=_headers(owner)).json()["items"] == []
