"""The door on a phone, in a real browser: a participant opens their ticket page, a picture of
its QR is scanned at the door and checks them in; the phone goes offline, the same ticket is
scanned again, answered from the saved snapshot and queued; back online the queue is sent
and the API's answer, "already", is shown. The API has exactly one check-in. The picture is
fed through the door page's photo input (jsQR decodes it: Chromium on Linux has no
BarcodeDetector), which works headless where a fake camera stream is less predictable."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import expect

from tests.browser.test_participant import shot
from tests.support.runner import PASSWORD, Runner, cli

HOST = "door-host@example.org"
GUEST = "ada@example.org"


def _account(stack: Runner, email: str, name: str, role: str) -> dict[str, str]:
    made = cli(
        "users",
        "create",
        "--email",
        email,
        "--password",
        PASSWORD,
        "--role",
        role,
        "--full-name",
        name,
        data_dir=stack.data_dir,
    )
    assert made.returncode == 0, made.stderr
    tokens = httpx.post(
        f"{stack.url}/api/v1/auth/login", json={"email": email, "password": PASSWORD}
    ).json()
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def _sign_in(page, email: str, target: str) -> None:
    page.goto(f"/signin?next={target}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**{target}")


def test_the_door_scans_a_ticket_online_then_offline_and_syncs(
    page, stack, accessibility, tmp_path
):
    host = _account(stack, HOST, "Door Host", "organizer")
    guest = _account(stack, GUEST, "Ada Lovelace", "participant")
    api = httpx.Client(base_url=f"{stack.url}/api/v1", timeout=30)
    event = api.post(
        "/events",
        headers=host,
        json={
            "title": "Door night",
            "description": "Doors open at six.",
            "starts_at": "2031-10-01T16:00:00+00:00",
            "ends_at": "2031-10-01T20:00:00+00:00",
            "timezone": "Europe/Berlin",
            "category": "concert",
            "capacity": 50,
            "status": "published",
        },
    ).json()
    rid = api.post(f"/events/{event['id']}/registrations", headers=guest).json()["id"]

    # The participant's ticket page: the picture the door will scan.
    _sign_in(page, GUEST, f"/account/registrations/{rid}/ticket")
    expect(page.get_by_role("heading", name="Door night")).to_be_visible()
    expect(page.get_by_text("Ada Lovelace")).to_be_visible()
    accessibility.check(page)
    shot(page, "door-ticket")
    picture = tmp_path / "ticket.png"
    page.get_by_role("img", name="Ticket: Door night").screenshot(path=str(picture))
    page.get_by_role("button", name="Sign out").click()

    door = f"/organize/events/{event['id']}/door"
    _sign_in(page, HOST, door)
    status = page.locator("#door-status")
    expect(status).to_contain_text("Tickets saved on this device: 1")
    accessibility.check(page)
    results = page.locator("#door-results li")

    page.set_input_files("#door-photo", str(picture))
    expect(results.first).to_have_text("Ada Lovelace: checked in")
    accessibility.check(page)
    shot(page, "door")

    page.context.set_offline(True)
    expect(status).to_contain_text("Offline")
    page.set_input_files("#door-photo", str(picture))
    expect(results.first).to_have_text(
        re.compile(
            r"Ada Lovelace: already checked in at \d\d:\d\d \(saved, will be sent when online\)"
        )
    )
    expect(status).to_contain_text("Scans waiting to be sent: 1")
    accessibility.check(page)
    # The worker keeps the page and its assets for a reload without a connection, and the
    # reloaded page finds its snapshot and queue again. (Playwright's offline mode does not
    # reach a worker's own fetches, so what the reload proves is the page's side of it.)
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    kept = page.evaluate(
        """async () => Promise.all([location.pathname, ...[...document.querySelectorAll(
            'link[rel=stylesheet], script[src]')].map((e) => new URL(e.href || e.src).pathname)]
            .map(async (path) => !!(await caches.match(path))))"""
    )
    assert len(kept) >= 4
    assert all(kept), kept
    page.reload()
    expect(status).to_contain_text("Offline")
    expect(status).to_contain_text("Scans waiting to be sent: 1")

    page.context.set_offline(False)
    expect(results.first).to_have_text(
        re.compile(r"Ada Lovelace: already checked in at \d\d:\d\d \(sent\)")
    )
    expect(results).to_have_count(1)
    expect(status).not_to_contain_text("waiting")

    participants = api.get(f"/events/{event['id']}/registrations", headers=host).json()["items"]
    assert [p["status"] for p in participants] == ["checked_in"]

    # Without a script the search and its button do the same job.
    page.get_by_label("Name or email").fill("ada")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text(re.compile(r"Checked in at \d\d:\d\d"))).to_be_visible()
    accessibility.check(page)
    accessibility.assert_clean()
