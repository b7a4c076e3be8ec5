"""The admin pages against the real gateway on a real port: accounts, roles and blocking, the
moderation queue and the audit log, all through the public API as an admin's browser would."""

from __future__ import annotations

import re

from tests.support.factories import PASSWORD, auth, bearer, create_event, login, new_user
from tests.support.web import admin_site, csrf_of, sign_in, site  # noqa: F401 (the fixture)


def test_admin_pages_are_for_admins_only(site, client):  # noqa: F811
    for path in ("/admin/users", "/admin/moderation", "/admin/audit"):
        anonymous = site.get(path)
        assert anonymous.status_code == 303
        assert anonymous.headers["location"].startswith("/signin?next=%2Fadmin")
    organizer = new_user("organizer")
    sign_in(site, organizer.email)
    for path in ("/admin/users", "/admin/moderation", "/admin/audit"):
        refused = site.get(path)
        assert refused.status_code == 403
        assert "For administrators only" in refused.text
        assert 'href="/admin/users"' not in refused.text  # no admin link in the nav either
    # A form posted anyway changes nothing.
    victim = new_user("participant")
    page = site.get("/")
    posted = site.post(
        f"/admin/users/{victim.id}",
        data={"csrf": csrf_of(page), "role": "admin"},
    )
    assert posted.status_code == 403
    me = client.get("/api/v1/users/me", headers=auth(victim)).json()
    assert me["role"] == "participant"


def test_an_admin_finds_a_user_changes_the_role_and_blocks_them(site, client):  # noqa: F811
    admin_site(site)
    person = new_user("participant", email="grace@example.org")
    found = site.get("/admin/users", params={"q": "grace"})
    assert found.status_code == 200
    assert "grace@example.org" in found.text
    assert found.text.count('class="card"') == 1
    assert 'href="/admin/users"' in found.text  # the nav shows admins their pages
    back = "/admin/users?q=grace"
    promoted = site.post(
        f"/admin/users/{person.id}",
        data={"csrf": csrf_of(found), "role": "organizer", "back": back},
    )
    assert promoted.status_code == 303
    assert promoted.headers["location"] == back
    assert client.get("/api/v1/users/me", headers=auth(person)).json()["role"] == "organizer"

    blocked = site.post(
        f"/admin/users/{person.id}",
        data={"csrf": csrf_of(found), "is_active": "false", "back": back},
    )
    assert blocked.status_code == 303
    refused = client.post(
        "/api/v1/auth/login", json={"email": "grace@example.org", "password": PASSWORD}
    )
    assert refused.status_code == 403
    listed = site.get("/admin/users", params={"is_active": "false"})
    assert "grace@example.org" in listed.text
    assert "Blocked" in listed.text
    assert "Unblock" in listed.text
    active = site.get("/admin/users", params={"is_active": "true", "q": "grace"})
    assert "grace@example.org" not in active.text

    site.post(f"/admin/users/{person.id}", data={"csrf": csrf_of(found), "is_active": "true"})
    login(client, "grace@example.org")


def test_an_admin_cannot_lock_themself_out_and_is_told_why(site, client):  # noqa: F811
    admin = admin_site(site)
    page = site.get("/admin/users")
    refused = site.post(
        f"/admin/users/{admin.id}", data={"csrf": csrf_of(page), "role": "participant"}
    )
    assert refused.status_code == 409
    assert "cannot be done now" in refused.text
    assert client.get("/api/v1/users/me", headers=auth(admin)).json()["role"] == "admin"
    bad = site.post("/admin/users/not-an-id", data={"csrf": csrf_of(page), "role": "admin"})
    assert bad.status_code == 404


def test_hiding_an_event_takes_it_off_the_public_list_and_restoring_brings_it_back(
    site,  # noqa: F811
    client,
):
    organizer = bearer(client, "organizer")
    event = create_event(client, organizer, title="Dubious raffle")
    create_event(client, organizer, title="Honest meetup")
    reporter = new_user("participant")
    reported = client.post(
        f"/api/v1/events/{event['id']}/reports-abuse",
        json={"reason": "Looks like a scam"},
        headers=auth(reporter),
    )
    assert reported.status_code == 202
    admin_site(site)

    queue = site.get("/admin/moderation")
    assert queue.status_code == 200
    assert "Dubious raffle" in queue.text
    assert "Looks like a scam" in queue.text
    assert "Honest meetup" not in queue.text  # nobody reported it
    hidden = site.post(
        "/admin/moderation",
        data={
            "csrf": csrf_of(queue),
            "event": event["id"],
            "action": "hide",
            "reason": "Fraud",
            "back": "/admin/moderation",
        },
    )
    assert hidden.status_code == 303
    home = site.get("/")
    assert "Honest meetup" in home.text
    assert "Dubious raffle" not in home.text
    assert client.get(f"/events/{event['id']}").status_code == 404  # a visitor's view
    assert "Dubious raffle" not in site.get("/admin/moderation").text
    in_hidden = site.get("/admin/moderation", params={"queue": "hidden"})
    assert "Dubious raffle" in in_hidden.text
    assert "Restore" in in_hidden.text

    # By the event's address, as an admin pastes it.
    restored = site.post(
        "/admin/moderation",
        data={
            "csrf": csrf_of(in_hidden),
            "event": f"https://events.example.org/events/{event['id']}/",
            "action": "restore",
        },
    )
    assert restored.status_code == 303
    assert "Dubious raffle" in site.get("/").text

    nonsense = site.post(
        "/admin/moderation",
        data={"csrf": csrf_of(in_hidden), "event": "no such thing", "action": "hide"},
    )
    assert nonsense.status_code == 422
    assert "address or id" in nonsense.text
    conflict = site.post(
        "/admin/moderation",
        data={"csrf": csrf_of(in_hidden), "event": event["id"], "action": "restore"},
    )
    assert conflict.status_code == 409  # only a hidden event can be restored


def test_the_audit_log_filters_by_actor_action_and_target(site, client):  # noqa: F811
    admin = admin_site(site)
    first, second = new_user("participant"), new_user("participant")
    page = site.get("/admin/users")
    for person in (first, second):
        site.post(f"/admin/users/{person.id}", data={"csrf": csrf_of(page), "is_active": "false"})
    site.post(f"/admin/users/{first.id}", data={"csrf": csrf_of(page), "role": "organizer"})

    everything = site.get("/admin/audit")
    assert everything.status_code == 200
    assert everything.text.count("<tr>") == 1 + 3  # the header row and three entries
    blocks = site.get("/admin/audit", params={"action": "user.blocked"})
    assert blocks.text.count("<tr>") == 1 + 2
    assert "user.role_changed" not in blocks.text.split("<tbody>")[1]
    of_first = site.get("/admin/audit", params={"target_id": str(first.id)})
    assert of_first.text.count("<tr>") == 1 + 2
    by_admin = site.get("/admin/audit", params={"actor_id": str(admin.id)})
    assert by_admin.text.count("<tr>") == 1 + 3
    by_other = site.get("/admin/audit", params={"actor_id": str(second.id)})
    assert "No entry matches." in by_other.text
    bad = site.get("/admin/audit", params={"actor_id": "not-a-uuid"})
    assert bad.status_code == 422
    assert "Some fields are not valid" in bad.text
    assert re.search(r"<html lang=\"en\">", bad.text)
