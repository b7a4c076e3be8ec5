"""Web Push turned on and off in a browser, through the web front end's JSON calls that
push.js makes from the notification settings page, against the real gateway: what the page
sends, what the API then holds. (tests/browser/test_push.py drives the same in Chromium.)"""

from __future__ import annotations

import re

from sqlalchemy import select

from shared.db import unit_of_work
from shared.notifications.delivery import push
from shared.notifications.models import PushSubscription
from tests.support.factories import auth, new_user
from tests.support.push import Browser
from tests.support.web import csrf_of, sign_in, site  # noqa: F401 (the `site` fixture)

HEADER = "X-CSRF-Token"
ON = "/account/settings/push"
OFF = "/account/settings/push/off"


def _subscription(browser: Browser, endpoint: str) -> dict:
    return {"endpoint": endpoint, "expirationTime": None, "keys": browser.keys()}


def _stored(user_id) -> list[str]:
    with unit_of_work() as session:
        return list(
            session.scalars(
                select(PushSubscription.endpoint).where(PushSubscription.user_id == user_id)
            )
        )


def test_push_is_turned_on_and_off_for_this_browser(site, client):  # noqa: F811
    person = new_user("participant")
    sign_in(site, person.email)
    # The person had turned the push channel off; turning push on in a browser turns it on.
    client.put(
        "/api/v1/me/notification-settings",
        headers=auth(person),
        json={"email": True, "push": False, "reminders": []},
    )
    page = site.get("/account/settings")
    assert page.status_code == 200
    # The worker may be registered here; the button carries the server's VAPID key.
    assert "worker-src 'self'" in page.headers["content-security-policy"]
    assert f'data-key="{push.application_server_key()}"' in page.text
    assert re.search(r'data-worker="/static/push-worker\.[0-9a-f]{12}\.js"', page.text)
    assert re.search(r'src="/static/push\.[0-9a-f]{12}\.js"', page.text)
    assert "Turning them on needs JavaScript" in page.text  # what a page without scripts says
    token = csrf_of(page)
    endpoint = "https://fcm.googleapis.com/fcm/send/browser-one"
    body = _subscription(Browser(), endpoint)

    on = site.post(ON, json=body, headers={HEADER: token})
    assert on.status_code == 201, on.text
    assert on.json()["endpoint_host"] == "fcm.googleapis.com"
    assert _stored(person.id) == [endpoint]
    held = client.get("/api/v1/me/notification-settings", headers=auth(person)).json()
    assert held == {"email": True, "push": True, "reminders": []}

    off = site.post(OFF, json=body, headers={HEADER: token})
    assert off.status_code == 204, off.text
    assert _stored(person.id) == []


def test_push_calls_need_the_session_and_its_token(site):  # noqa: F811
    body = _subscription(Browser(), "https://fcm.googleapis.com/fcm/send/stranger")
    stranger = site.post(ON, json=body)
    assert stranger.status_code == 401
    assert stranger.headers["content-type"].startswith("application/problem+json")
    person = new_user("participant")
    sign_in(site, person.email)
    for path in (ON, OFF):
        forged = site.post(path, json=body, headers={HEADER: "forged"})
        assert forged.status_code == 403, forged.text
        assert forged.headers["content-type"].startswith("application/problem+json")
    assert _stored(person.id) == []


def test_an_endpoint_the_api_refuses_is_a_readable_problem(site):  # noqa: F811
    person = new_user("participant")
    sign_in(site, person.email)
    token = csrf_of(site.get("/account/settings"))
    body = _subscription(Browser(), "http://127.0.0.1:9/not-a-push-service")
    refused = site.post(ON, json=body, headers={HEADER: token})
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["detail"]
    malformed = site.post(ON, json={"endpoint": "x"}, headers={HEADER: token})
    assert malformed.status_code == 422
    assert malformed.headers["content-type"].startswith("application/problem+json")
    assert _stored(person.id) == []
