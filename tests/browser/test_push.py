"""Web Push turned on and off in Chromium on the notification settings page, end to end.

Chromium here cannot reach a real push service, so only the browser's side of it is
replaced: an init script makes `PushManager.subscribe` answer a subscription whose endpoint
is this test's own push service (https on loopback, trusted by the stack) and whose keys
are a real P-256 key pair and auth secret held by the test. Everything else is real: the
worker registered, the page's JSON calls, the API storing the subscription, the platform
encrypting and signing the push (RFC 8291, VAPID), which the test decrypts with its key."""

from __future__ import annotations

import base64
import json
import ssl
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import psycopg
import pytest
from playwright.sync_api import expect

from local.datadir import DataDir
from tests.browser.conftest import PushAuthority
from tests.support.push import Browser
from tests.support.runner import PASSWORD, Runner, create_user

# The browser's side of push, as the test holds it: subscribe answers the test's endpoint and
# keys, and remembers what the page asked for; the subscription lasts across pages.
FAKE_PUSH = """
(() => {
  const KEPT = "test-push-subscription";
  const made = (json) => ({
    endpoint: json.endpoint,
    expirationTime: null,
    options: { userVisibleOnly: true },
    getKey: () => null,
    toJSON: () => json,
    unsubscribe: async () => { localStorage.removeItem(KEPT); return true; },
  });
  PushManager.prototype.subscribe = async function (options) {
    const key = new Uint8Array(options.applicationServerKey);
    localStorage.setItem("test-push-asked", JSON.stringify({
      userVisibleOnly: options.userVisibleOnly,
      applicationServerKey: btoa(String.fromCharCode(...key)),
    }));
    const json = { endpoint: %(endpoint)s, expirationTime: null, keys: %(keys)s };
    localStorage.setItem(KEPT, JSON.stringify(json));
    return made(json);
  };
  PushManager.prototype.getSubscription = async function () {
    const kept = localStorage.getItem(KEPT);
    return kept ? made(JSON.parse(kept)) : null;
  };
})();
"""


@dataclass
class PushService:
    url: str
    received: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)

    def wait(self, count: int = 1, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            assert time.monotonic() < deadline, "no push arrived"
            time.sleep(0.2)


@pytest.fixture
def push_service(push_authority: PushAuthority) -> Iterator[PushService]:
    """A push service on loopback: takes every message (201) and keeps it."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    push_authority.authority.issue_cert("localhost").configure_cert(context)
    service = PushService("")

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            headers = {name.lower(): value for name, value in self.headers.items()}
            service.received.append((self.path, headers, body))
            self.send_response(201)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    service.url = f"https://localhost:{server.server_address[1]}"
    yield service
    server.shutdown()


def _subscriptions(stack: Runner, email: str) -> list[str]:
    running = DataDir(stack.data_dir).running()
    assert running, "the stack's run file"
    with psycopg.connect(running["database_url"]) as connection:
        rows = connection.execute(
            "SELECT s.endpoint FROM push_subscriptions s JOIN users u ON u.id = s.user_id"
            " WHERE u.email = %s",
            (email,),
        ).fetchall()
    return [endpoint for (endpoint,) in rows]


def _unpadded(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def test_push_is_turned_on_in_the_browser_delivered_and_turned_off(
    browser, stack, push_service, accessibility
):
    email = f"push-{uuid.uuid4().hex[:8]}@example.org"
    create_user(stack.data_dir, email, PASSWORD, "participant")
    host = f"push-host-{uuid.uuid4().hex[:8]}@example.org"
    create_user(stack.data_dir, host, PASSWORD, "organizer")
    held = Browser()
    endpoint = f"{push_service.url}/send/{uuid.uuid4().hex}"

    context = browser.new_context(
        base_url=stack.url, viewport={"width": 360, "height": 780}, locale="en-US", bypass_csp=True
    )
    context.grant_permissions(["notifications"])
    context.add_init_script(
        FAKE_PUSH % {"endpoint": json.dumps(endpoint), "keys": json.dumps(held.keys())}
    )
    page = context.new_page()
    try:
        page.goto("/signin?next=/account/settings")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/account/settings")
        accessibility.check(page)

        turn_on = page.get_by_role("button", name="Turn on push in this browser")
        with page.expect_response("**/account/settings/push") as answered:
            turn_on.click()
        assert answered.value.status == 201
        expect(page.get_by_text("This browser receives push notifications.")).to_be_visible()
        expect(page.get_by_role("button", name="Turn off push in this browser")).to_be_visible()
        accessibility.check(page)
        # The worker is registered for pushes only, and the browser was asked for a
        # subscription with the server's VAPID key, to be shown to the person.
        scope = page.evaluate(
            "async () => (await navigator.serviceWorker.getRegistration('/static/push/')).scope"
        )
        assert scope.endswith("/static/push/")
        asked = json.loads(page.evaluate("localStorage.getItem('test-push-asked')"))
        server_key = httpx.get(f"{stack.url}/api/v1/push/public-key").json()["public_key"]
        assert asked["userVisibleOnly"] is True
        assert base64.b64decode(asked["applicationServerKey"]) == _unpadded(server_key)
        assert _subscriptions(stack, email) == [endpoint]

        # A notice to that person goes by push: they register for an event.
        api = httpx.Client(base_url=stack.url, timeout=30)
        token = api.post("/api/v1/auth/login", json={"email": host, "password": PASSWORD})
        created = api.post(
            "/api/v1/events",
            headers={"Authorization": f"Bearer {token.json()['access_token']}"},
            json={
                "title": "Push night",
                "description": "Songs, then questions.",
                "category": "meetup",
                "starts_at": "2031-10-01T18:00:00+00:00",
                "ends_at": "2031-10-01T21:00:00+00:00",
                "timezone": "UTC",
                "capacity": 10,
                "status": "published",
            },
        )
        assert created.status_code == 201, created.text
        event_id = created.json()["id"]
        mine = api.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        joined = api.post(
            f"/api/v1/events/{event_id}/registrations",
            headers={"Authorization": f"Bearer {mine.json()['access_token']}"},
        )
        assert joined.status_code in (200, 201), joined.text
        push_service.wait()
        [(path, headers, body)] = push_service.received
        assert endpoint.endswith(path)
        assert headers["content-encoding"] == "aes128gcm"
        assert headers["authorization"].startswith("vapid ")
        message = held.read(body)
        assert message["title"] == "You are registered: Push night"
        assert message["url"].endswith(f"/api/v1/events/{event_id}")

        # Turned off after a reload: the page finds this browser's subscription again.
        page.reload()
        with page.expect_response("**/account/settings/push/off") as answered:
            page.get_by_role("button", name="Turn off push in this browser").click()
        assert answered.value.status == 204
        expect(
            page.get_by_text("This browser does not receive push notifications.")
        ).to_be_visible()
        assert page.evaluate("localStorage.getItem('test-push-subscription')") is None
        assert _subscriptions(stack, email) == []
        accessibility.check(page)
    finally:
        context.close()
    accessibility.assert_clean()


def test_without_javascript_the_page_reads_and_says_push_needs_it(browser, stack):
    email = f"nojs-{uuid.uuid4().hex[:8]}@example.org"
    create_user(stack.data_dir, email, PASSWORD, "participant")
    context = browser.new_context(base_url=stack.url, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/signin?next=/account/settings")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/account/settings")
        expect(page.get_by_role("heading", name="Push in this browser")).to_be_visible()
        expect(page.get_by_text("Turning them on needs JavaScript")).to_be_visible()
        expect(page.get_by_role("button", name="Turn on push in this browser")).not_to_be_visible()
    finally:
        context.close()
