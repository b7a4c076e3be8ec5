"""Data export and erasure for a person; account administration for admins (audited)."""

from __future__ import annotations

from sqlalchemy import select

from shared.audit.models import AuditEntry
from shared.db import unit_of_work
from shared.notifications.models import NotificationSettings, PushSubscription
from shared.outbox.models import OutboxMessage
from shared.users.models import User
from tests.factories import PASSWORD, bearer, create_event, login, make_user
from tests.functions.test_web_push import Browser
from tests.kit.test_app import assert_problem


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
