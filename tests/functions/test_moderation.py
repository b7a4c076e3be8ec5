"""Abuse reports, the admins' queue, hide/restore/approve, MODERATION_MODE=pre, categories."""

from __future__ import annotations

from sqlalchemy import select

from shared import process_state
from shared.audit.models import AuditEntry
from shared.db import unit_of_work
from tests.support.api import assert_problem
from tests.support.factories import bearer, create_event
from tests.support.outbox import emitted

ADMIN_EVENTS = "/api/v1/admin/events"


def act(client, admin, event_id, action, reason=None):
    body = {"action": action} | ({"reason": reason} if reason else {})
    return client.post(f"{ADMIN_EVENTS}/{event_id}/moderation", headers=admin, json=body)


def test_reports_flag_an_event_and_hiding_takes_it_out_of_sight(client):
    owner, admin = bearer(client, "organizer"), bearer(client, "admin")
    event = create_event(client, owner)
    quiet = create_event(client, owner, title="Quiet one")
    reporters = [bearer(client) for _ in range(3)]
    for number, reporter in enumerate(reporters):
        answer = client.post(
            f"/api/v1/events/{event['id']}/reports-abuse",
            headers=reporter,
            json={"reason": f"spam {number}"},
        )
        assert answer.status_code == 202
    again = client.post(
        f"/api/v1/events/{event['id']}/reports-abuse", headers=reporters[0], json={"reason": "x"}
    )
    assert again.status_code == 202  # one open report per person: the reason is updated
    flagged = client.get(f"{ADMIN_EVENTS}?moderation=flagged", headers=admin).json()["items"]
    assert [(i["event"]["id"], i["open_reports"]) for i in flagged] == [(event["id"], 3)]
    assert sorted(r["reason"] for r in flagged[0]["reports"]) == ["spam 1", "spam 2", "x"]
    assert client.get(ADMIN_EVENTS, headers=admin).json()["items"][0]["event"]["id"] == event["id"]

    hidden = act(client, admin, event["id"], "hide", "Spam")
    assert (hidden.status_code, hidden.json()["moderation"]) == (200, "hidden")
    assert act(client, admin, event["id"], "hide").status_code == 200  # already hidden
    assert_problem(client.get(f"/api/v1/events/{event['id']}"), 404)
    assert_problem(client.get(f"/api/v1/events/{event['id']}", headers=bearer(client)), 404)
    assert client.get(f"/api/v1/events/{event['id']}", headers=owner).status_code == 200
    listed = [e["id"] for e in client.get("/api/v1/events").json()["items"]]
    assert listed == [quiet["id"]]
    assert_problem(
        client.post(f"/api/v1/events/{event['id']}/registrations", headers=bearer(client)), 404
    )
    assert client.get(f"{ADMIN_EVENTS}?moderation=flagged", headers=admin).json()["items"] == []
    hidden_queue = client.get(f"{ADMIN_EVENTS}?moderation=hidden", headers=admin).json()
    assert [i["event"]["id"] for i in hidden_queue["items"]] == [event["id"]]
    assert_problem(act(client, admin, event["id"], "approve"), 409)  # restore, not approve

    restored = act(client, admin, event["id"], "restore", "Appeal accepted")
    assert restored.json()["moderation"] == "approved"
    assert client.get(f"/api/v1/events/{event['id']}").status_code == 200
    assert_problem(act(client, admin, event["id"], "restore"), 409)
    assert [e["reason"] for e in emitted("event.hidden")] == ["Spam"]
    assert [e["reason"] for e in emitted("event.restored")] == ["Appeal accepted"]
    with unit_of_work() as session:
        audit = session.scalars(select(AuditEntry).order_by(AuditEntry.created_at)).all()
        assert [(a.action, a.details.get("reports_closed")) for a in audit] == [
            ("event.hide", 3),
            ("event.restore", 0),
        ]


def test_approving_a_flagged_event_closes_its_reports(client):
    admin = bearer(client, "admin")
    event = create_event(client, bearer(client, "organizer"))
    client.post(
        f"/api/v1/events/{event['id']}/reports-abuse", headers=bearer(client), json={"reason": "?"}
    )
    assert act(client, admin, event["id"], "approve", "Fine").json()["moderation"] == "approved"
    assert client.get(f"{ADMIN_EVENTS}?moderation=flagged", headers=admin).json()["items"] == []
    assert emitted("event.approved") == []  # it was never pending


def test_who_may_report_and_moderate(client):
    owner, admin = bearer(client, "organizer"), bearer(client, "admin")
    event = create_event(client, owner)
    draft = create_event(client, owner, status="draft")
    report = {"reason": "spam"}
    assert_problem(client.post(f"/api/v1/events/{event['id']}/reports-abuse", json=report), 401)
    assert_problem(
        client.post(
            f"/api/v1/events/{draft['id']}/reports-abuse", headers=bearer(client), json=report
        ),
        404,
    )
    for bad in ({}, {"reason": " "}, {"reason": "x" * 2001}, {"reason": "a", "extra": 1}):
        assert_problem(
            client.post(
                f"/api/v1/events/{event['id']}/reports-abuse", headers=bearer(client), json=bad
            ),
            422,
        )
    assert_problem(client.get(ADMIN_EVENTS, headers=owner), 403)
    assert_problem(act(client, owner, event["id"], "hide"), 403)
    assert_problem(act(client, admin, event["id"], "delete"), 422)
    assert_problem(client.get(f"{ADMIN_EVENTS}?moderation=weird", headers=admin), 422)
    assert_problem(act(client, admin, "00000000-0000-0000-0000-000000000000", "hide"), 404)


def test_reports_are_rate_limited(client, monkeypatch):
    monkeypatch.setenv("REPORTS_PER_USER_PER_HOUR", "2")
    process_state.reset()
    event = create_event(client, bearer(client, "organizer"))
    reporter = bearer(client)
    path = f"/api/v1/events/{event['id']}/reports-abuse"
    for _ in range(2):
        assert client.post(path, headers=reporter, json={"reason": "spam"}).status_code == 202
    assert_problem(client.post(path, headers=reporter, json={"reason": "spam"}), 429)


def test_pre_moderation_holds_organizers_events_until_approved(client, monkeypatch):
    monkeypatch.setenv("MODERATION_MODE", "pre")
    process_state.reset()
    owner, admin = bearer(client, "organizer"), bearer(client, "admin")
    held = create_event(client, owner)
    assert held["moderation"] == "pending"
    by_admin = create_event(client, admin, title="Admin's own")
    assert by_admin["moderation"] == "approved"
    assert [e["id"] for e in client.get("/api/v1/events").json()["items"]] == [by_admin["id"]]
    assert_problem(client.get(f"/api/v1/events/{held['id']}"), 404)
    assert client.get(f"/api/v1/events/{held['id']}", headers=owner).status_code == 200
    draft = create_event(client, owner, status="draft")
    pending = client.get(f"{ADMIN_EVENTS}?moderation=pending", headers=admin).json()["items"]
    assert [i["event"]["id"] for i in pending] == [held["id"]]  # drafts are not submitted yet
    assert act(client, admin, held["id"], "approve").json()["moderation"] == "approved"
    listed = {e["id"] for e in client.get("/api/v1/events").json()["items"]}
    assert listed == {held["id"], by_admin["id"]}
    assert [e["event_id"] for e in emitted("event.approved")] == [held["id"]]
    assert draft["moderation"] == "pending"


def test_admins_add_categories(client):
    admin = bearer(client, "admin")
    before = client.get("/api/v1/categories").json()["items"]
    assert len(before) == 7
    made = client.post(
        "/api/v1/categories", headers=admin, json={"slug": "hackathon", "name": "Hackathon"}
    )
    assert (made.status_code, made.json()) == (201, {"slug": "hackathon", "name": "Hackathon"})
    slugs = [c["slug"] for c in client.get("/api/v1/categories").json()["items"]]
    assert "hackathon" in slugs  # the cached list was invalidated
    assert_problem(
        client.post("/api/v1/categories", headers=admin, json={"slug": "hackathon", "name": "X"}),
        409,
    )
    for bad in ({"slug": "Bad Slug", "name": "x"}, {"slug": "ok", "name": ""}, {"slug": "ok"}):
        assert_problem(client.post("/api/v1/categories", headers=admin, json=bad), 422)
    assert_problem(
        client.post(
            "/api/v1/categories",
            headers=bearer(client, "organizer"),
            json={"slug": "a", "name": "A"},
        ),
        403,
    )
    event = create_event(client, bearer(client, "organizer"), category="hackathon")
    assert event["category"] == "hackathon"
