"""Password reset by mailed link (API and no-JavaScript page), password change, profile."""

from __future__ import annotations

import re

from tests.support.api import assert_problem
from tests.support.factories import PASSWORD, login, make_user
from tests.support.mailbox import deliver_outbox_to_notify, mails, send_pending_mail

NEW = "a brand new password"


def reset_link(outbox_dir) -> str:
    for message in mails(outbox_dir):
        body = message.get_body(("plain",))
        assert body is not None
        found = re.search(r"/reset-password\?token=(\S+)", body.get_content())
        if found:
            return found.group(1)
    raise AssertionError("no reset mail")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_reset_by_link_ends_every_session_and_notifies(client, outbox_dir):
    email_address = make_user()
    before = login(client, email_address)
    for address in (email_address, "nobody@example.org"):
        asked = client.post("/api/v1/auth/password-reset", json={"email": address})
        assert asked.status_code == 202
    deliver_outbox_to_notify(client)
    send_pending_mail()
    token = reset_link(outbox_dir)
    assert "<form" in client.get(f"/reset-password?token={token}").text
    confirmed = client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": NEW}
    )
    assert confirmed.status_code == 204
    assert_problem(client.get("/api/v1/users/me", headers=bearer(before["access_token"])), 401)
    assert_problem(
        client.post("/api/v1/auth/refresh", json={"refresh_token": before["refresh_token"]}), 401
    )
    assert_problem(
        client.post("/api/v1/auth/login", json={"email": email_address, "password": PASSWORD}), 401
    )
    assert login(client, email_address, NEW)["access_token"]
    again = client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "new_password": NEW}
    )
    assert_problem(again, 400)
    deliver_outbox_to_notify(client)
    send_pending_mail()
    subjects = [m["Subject"] for m in mails(outbox_dir)]
    assert subjects == ["Reset your password", "Your password was changed"]


def test_the_page_works_without_javascript(client, outbox_dir):
    email_address = make_user()
    client.post("/api/v1/auth/password-reset", json={"email": email_address})
    deliver_outbox_to_notify(client)
    send_pending_mail()
    token = reset_link(outbox_dir)
    weak = client.post("/reset-password", data={"token": token, "new_password": "short"})
    assert weak.status_code == 400
    assert "at least 10 characters" in weak.text
    done = client.post(
        "/reset-password",
        data={"token": token, "new_password": NEW},
        headers={"Accept-Language": "ru"},
    )
    assert done.status_code == 200
    assert "Пароль изменён" in done.text
    used = client.post("/reset-password", data={"token": token, "new_password": NEW})
    assert used.status_code == 400
    assert login(client, email_address, NEW)


def test_bad_reset_requests(client):
    assert_problem(client.post("/api/v1/auth/password-reset", json={"email": "nope"}), 422)
    assert_problem(
        client.post(
            "/api/v1/auth/password-reset/confirm", json={"token": "x", "new_password": "short"}
        ),
        422,
    )
    assert_problem(
        client.post(
            "/api/v1/auth/password-reset/confirm", json={"token": "unknown", "new_password": NEW}
        ),
        400,
    )


def test_change_keeps_this_session_and_ends_the_others(client):
    email_address = make_user()
    here, elsewhere = login(client, email_address), login(client, email_address)
    wrong = client.post(
        "/api/v1/users/me/password",
        headers=bearer(here["access_token"]),
        json={"current_password": "not it at all", "new_password": NEW},
    )
    assert_problem(wrong, 400)
    changed = client.post(
        "/api/v1/users/me/password",
        headers=bearer(here["access_token"]),
        json={"current_password": PASSWORD, "new_password": NEW},
    )
    assert changed.status_code == 204
    assert client.get("/api/v1/users/me", headers=bearer(here["access_token"])).status_code == 200
    assert_problem(client.get("/api/v1/users/me", headers=bearer(elsewhere["access_token"])), 401)
    assert_problem(
        client.post("/api/v1/auth/refresh", json={"refresh_token": elsewhere["refresh_token"]}), 401
    )
    assert (
        client.post(
            "/api/v1/auth/refresh", json={"refresh_token": here["refresh_token"]}
        ).status_code
        == 200
    )
    assert login(client, email_address, NEW)


def test_profile_read_and_edit(client):
    email_address = make_user()
    auth = bearer(login(client, email_address)["access_token"])
    profile = client.get("/api/v1/users/me", headers=auth).json()
    assert profile["email"] == email_address
    assert {"id", "email", "full_name", "role", "email_verified", "created_at"} <= profile.keys()
    edited = client.patch(
        "/api/v1/users/me",
        headers=auth,
        json={"full_name": "Ada L.", "locale": "ru", "timezone": "Europe/Moscow"},
    )
    assert edited.status_code == 200
    assert (edited.json()["full_name"], edited.json()["locale"]) == ("Ada L.", "ru")
    for bad in (
        {"timezone": "Mars/Base"},
        {"locale": "xx"},
        {"role": "admin"},
        {"email": "other@example.org"},
        {"full_name": ""},
    ):
        assert_problem(client.patch("/api/v1/users/me", headers=auth, json=bad), 422)
    assert_problem(client.get("/api/v1/users/me"), 401)


def test_logins_racing_a_reset_do_not_survive_it(live_url, client, outbox_dir):
    """Sign-ins with the old password while the reset commits: none keeps a session."""
    import threading

    import httpx

    email_address = make_user()
    client.post("/api/v1/auth/password-reset", json={"email": email_address})
    deliver_outbox_to_notify(client)
    send_pending_mail()
    token = reset_link(outbox_dir)
    refresh_tokens: list[str] = []

    def sign_in() -> None:
        for _ in range(3):
            answer = httpx.post(
                f"{live_url}/api/v1/auth/login",
                timeout=30,
                json={"email": email_address, "password": PASSWORD},
            )
            if answer.status_code == 200:
                refresh_tokens.append(answer.json()["refresh_token"])

    threads = [threading.Thread(target=sign_in) for _ in range(3)]
    for thread in threads:
        thread.start()
    confirmed = httpx.post(
        f"{live_url}/api/v1/auth/password-reset/confirm",
        timeout=30,
        json={"token": token, "new_password": NEW},
    )
    for thread in threads:
        thread.join()
    assert confirmed.status_code == 204
    for refresh_token in refresh_tokens:
        survived = httpx.post(
            f"{live_url}/api/v1/auth/refresh", timeout=30, json={"refresh_token": refresh_token}
        )
        assert survived.status_code == 401
