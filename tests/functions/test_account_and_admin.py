"""Data export and erasure for a person; account administration for admins (audited)."""

from __future__ import annotations

from sqlalchemy import select

from shared.audit.models import AuditEntry
from shared.db import unit_of_work
from shared.notifications.models import NotificationSettings, PushSubscription
from shared.outbox.models import OutboxMessage
from shared.users.models import User
from tests.support.api import assert_problem
from tests.support.factories import PASSWORD, bearer, create_event, login, make_user
from tests.support.push import Browser


def auth(client, email: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {login(client, email)['access_token']}"}


# A browser's subscription keys: a P-256 point (65 bytes) and a 16-byte secret, base64url.
KEYS = Browser().keys()


def test_export_has_what_we_keep(client):
    email = make_user()
    me = auth(client, email)
    event = create_event(client, bearer(client, "organizer"), title="Gala")
    client.post(f"/api/v1/events/{event['id']}/registrations", headers=me)
    data = client.get("/api/v1/users/me/export", headers=me).json()
    assert data["profile"]["email"] == email
    assert [r["event_title"] for r in data["registrations"]] == ["Gala"]
    assert len(data["login_sessions"]) == 1
    assert data["notification_settings"] == {
        "email": True,
        "push": True,
        "reminders": ["24h", "1h"],
    }
    assert data["push_subscriptions"] == []
    assert "password" not in str(data).lower()


def test_deleting_an_account_cancels_frees_seats_and_erases(client):
    email = make_user()
    me = auth(client, email)
    event = create_event(client, bearer(client, "organizer"), capacity=1)
    path = f"/api/v1/events/{event['id']}/registrations"
    assert client.post(path, headers=me).json()["status"] == "confirmed"
    waiting = client.post(path, headers=bearer(client)).json()
    assert waiting["status"] == "waitlisted"
    client.put(
        "/api/v1/me/notification-settings",
        headers=me,
        json={"email": False, "push": True, "reminders": []},
    )
    subscribed = client.post(
        "/api/v1/me/push-subscriptions",
        headers=me,
        json={"endpoint": "https://fcm.googleapis.com/fcm/send/x", "keys": KEYS},
    )
    assert subscribed.status_code == 201, subscribed.text
    assert_problem(
        client.request(
            "DELETE", "/api/v1/users/me", headers=me, json={"password": "not the password"}
        ),
        400,
    )
    gone = client.request("DELETE", "/api/v1/users/me", headers=me, json={"password": PASSWORD})
    assert gone.status_code == 204
    page = client.get(f"/api/v1/events/{event['id']}").json()
    assert (page["seats_taken"], page["waitlist_count"]) == (1, 0)  # the next one got the seat
    with unit_of_work() as session:
        assert session.scalars(select(PushSubscription)).all() == []
        assert session.scalars(select(NotificationSettings)).all() == []
        types = session.scalars(select(OutboxMessage.type)).all()
        erased = session.scalars(select(User).where(User.full_name == "Deleted user")).one()
    assert "org.eventmanager.registration.cancelled" in types
    assert "org.eventmanager.registration.promoted" in types
    assert email not in erased.email
    assert_problem(client.get("/api/v1/users/me", headers=me), 401)
    assert_problem(
        client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD}), 401
    )
    # The address is free again.
    again = client.post(
        "/api/v1/auth/register",
        json={"email": email, "password": "0123456789", "full_name": "Back"},
    )
    assert again.status_code == 201


def test_admin_lists_and_searches_users(client):
    admin = bearer(client, "admin")
    for name in ("alice", "bob", "ali_ce"):
        make_user("organizer", email=f"{name}@example.org")
    found = client.get("/api/v1/admin/users?q=ali", headers=admin).json()["items"]
    assert sorted(u["email"] for u in found) == ["ali_ce@example.org", "alice@example.org"]
    literal = client.get("/api/v1/admin/users?q=i_c", headers=admin).json()["items"]
    assert [u["email"] for u in literal] == ["ali_ce@example.org"]  # `_` is not a wildcard
    organizers = client.get("/api/v1/admin/users?role=organizer&limit=2", headers=admin).json()
    rest = client.get(
        f"/api/v1/admin/users?role=organizer&cursor={organizers['next_cursor']}", headers=admin
    ).json()
    assert len(organizers["items"]) + len(rest["items"]) == 3
    assert_problem(client.get("/api/v1/admin/users", headers=bearer(client, "organizer")), 403)
    assert_problem(client.get("/api/v1/admin/users?role=king", headers=admin), 422)


def test_admin_changes_role_and_blocks_with_audit_and_immediate_effect(client):
    admin_email = make_user("admin")
    admin = auth(client, admin_email)
    email = make_user()
    theirs = auth(client, email)
    with unit_of_work() as session:
        user_id = session.scalars(select(User.id).where(User.email == email)).one()
        admin_id = session.scalars(select(User.id).where(User.email == admin_email)).one()
    promoted = client.patch(
        f"/api/v1/admin/users/{user_id}", headers=admin, json={"role": "organizer"}
    )
    assert promoted.json()["role"] == "organizer"
    assert_problem(client.get("/api/v1/users/me", headers=theirs), 401)  # old role in token
    blocked = client.patch(
        f"/api/v1/admin/users/{user_id}", headers=admin, json={"is_active": False}
    )
    assert blocked.status_code == 200
    assert_problem(
        client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD}), 403
    )
    client.patch(f"/api/v1/admin/users/{user_id}", headers=admin, json={"is_active": True})
    assert login(client, email)
    for change in ({"role": "participant"}, {"is_active": False}):
        assert_problem(
            client.patch(f"/api/v1/admin/users/{admin_id}", headers=admin, json=change), 409
        )
    assert_problem(
        client.patch(
            "/api/v1/admin/users/00000000-0000-0000-0000-000000000000",
            headers=admin,
            json={"is_active": False},
        ),
        404,
    )
    with unit_of_work() as session:
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.created_at)).all()
        types = session.scalars(select(OutboxMessage.type)).all()
    assert actions == ["user.role_changed", "user.blocked", "user.unblocked"]
    for kind in ("role_changed", "blocked", "unblocked"):
        assert f"org.eventmanager.user.{kind}" in types


def test_admin_sees_blocked_accounts_and_reads_the_audit_log(client):
    admin_email = make_user("admin")
    admin = auth(client, admin_email)
    other_admin_email = make_user("admin")
    other_admin = auth(client, other_admin_email)
    emails = [make_user(email=f"p{n}@example.org") for n in range(3)]
    with unit_of_work() as session:
        ids = {
            u.email: str(u.id)
            for u in session.scalars(select(User).where(User.email.in_(emails))).all()
        }
        admin_id = session.scalars(select(User.id).where(User.email == admin_email)).one()
    for email in emails[:2]:
        client.patch(f"/api/v1/admin/users/{ids[email]}", headers=admin, json={"is_active": False})
    client.patch(
        f"/api/v1/admin/users/{ids[emails[2]]}", headers=other_admin, json={"role": "organizer"}
    )

    everyone = client.get("/api/v1/admin/users", headers=admin).json()["items"]
    assert all({"is_active", "created_at"} <= set(item) for item in everyone)
    blocked = client.get("/api/v1/admin/users?is_active=false", headers=admin).json()["items"]
    assert sorted(u["email"] for u in blocked) == emails[:2]
    assert all(u["is_active"] is False for u in blocked)
    active = client.get("/api/v1/admin/users?is_active=true", headers=admin).json()["items"]
    assert not {u["email"] for u in active} & set(emails[:2])
    assert_problem(client.get("/api/v1/admin/users?is_active=maybe", headers=admin), 422)

    log = client.get("/api/v1/admin/audit", headers=admin).json()
    assert [e["action"] for e in log["items"]] == [
        "user.role_changed",
        "user.blocked",
        "user.blocked",
    ]  # newest first
    assert log["next_cursor"] is None
    newest = log["items"][0]
    assert newest["target_type"] == "user"
    assert newest["target_id"] == ids[emails[2]]
    assert newest["details"] == {"old": "participant", "new": "organizer"}
    assert {"id", "actor_id", "created_at"} <= set(newest)

    mine = client.get(f"/api/v1/admin/audit?actor_id={admin_id}", headers=admin).json()["items"]
    assert [e["target_id"] for e in mine] == [ids[emails[1]], ids[emails[0]]]
    by_action = client.get("/api/v1/admin/audit?action=user.role_changed", headers=admin).json()
    assert len(by_action["items"]) == 1
    by_target = client.get(f"/api/v1/admin/audit?target_id={ids[emails[0]]}", headers=admin).json()[
        "items"
    ]
    assert [e["action"] for e in by_target] == ["user.blocked"]

    first = client.get("/api/v1/admin/audit?limit=2", headers=admin).json()
    rest = client.get(
        f"/api/v1/admin/audit?limit=2&cursor={first['next_cursor']}", headers=admin
    ).json()
    assert [e["id"] for e in first["items"] + rest["items"]] == [e["id"] for e in log["items"]]
    assert rest["next_cursor"] is None

    assert_problem(client.get("/api/v1/admin/audit?cursor=forged", headers=admin), 422)
    assert_problem(client.get("/api/v1/admin/audit?actor_id=x", headers=admin), 422)
    assert_problem(client.get("/api/v1/admin/audit", headers=bearer(client, "organizer")), 403)
    assert_problem(client.get("/api/v1/admin/audit"), 401)
