"""Every answer refuses MIME sniffing; the mail-link pages cannot be framed, run no script and
leak no token through the Referer header; a 404 never echoes the path it was asked."""

from __future__ import annotations

from shared.notifications.unsubscribe import token_for
from tests.support.api import assert_problem
from tests.support.factories import bearer, new_user

PAGES = ("/verify-email?token=t0ken", "/reset-password?token=t0ken")


def test_api_answers_refuse_sniffing_and_carry_no_page_policy(client):
    me = bearer(client)
    for answer in (
        client.get("/api/v1/events"),
        client.get("/api/v1/users/me", headers=me),
        client.get("/api/v1/users/me"),  # a 401 from the kit's auth
        client.post("/api/v1/auth/login", json={}),  # a 422 from validation
        client.get("/healthz"),
        client.get("/openapi.json"),
    ):
        assert answer.headers["x-content-type-options"] == "nosniff", answer.request.url
        assert "content-security-policy" not in answer.headers
        assert "server" not in answer.headers


def test_mail_link_pages_are_locked_down(client):
    unsubscribe = token_for(new_user().id)
    for path in (*PAGES, f"/unsubscribe/{unsubscribe}", f"/api/v1/unsubscribe/{unsubscribe}"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert page.headers["content-type"].startswith("text/html")
        assert page.headers["x-content-type-options"] == "nosniff"
        policy = page.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy
        assert "default-src 'none'" in policy  # no script runs on a page holding a token
        assert page.headers["referrer-policy"] == "no-referrer"
        assert page.headers["x-frame-options"] == "DENY"
    refused = client.post("/verify-email", data={"token": "spent"})
    assert refused.status_code == 400
    assert refused.headers["referrer-policy"] == "no-referrer"


def test_not_found_never_echoes_the_path(client):
    bait = "/api/v1/<script>alert(1)</script>"
    for method in ("GET", "DELETE"):
        body = assert_problem(client.request(method, bait), 404)
        assert "script" not in body["detail"]
    moved = client.request("PUT", "/api/v1/events")
    assert_problem(moved, 405)
    assert "/api/v1/events" not in moved.json()["detail"]
    assert moved.headers["x-content-type-options"] == "nosniff"
    unknown = client.get("/function/<b>x</b>/healthz", headers={"Authorization": "Bearer x"})
    assert "<b>" not in assert_problem(unknown, 404)["detail"]
    assert unknown.headers["x-content-type-options"] == "nosniff"
