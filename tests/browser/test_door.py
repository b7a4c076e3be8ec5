"""The door on a phone, in a real browser: a participant opens their ticket page, a picture of
its QR is scanned at the door and checks them in; the phone goes offline, the same ticket is
scanned again, answered from the saved snapshot and queued; back online the queue is sent
and the API's answer, "already", is shown. The API has exactly one check-in. That picture is
fed through the door page's photo input; a second test shows a QR to Chromium's fake camera
(a Y4M file) and the camera scan checks the person in. Chromium on Linux has no
BarcodeDetector, so both go through the vendored jsQR."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import segno
from playwright.sync_api import expect

from tests.browser.conftest import CHROMIUM, PHONE
from tests.support.runner import PASSWORD, Runner, cli
from tests.support.screenshots import shot

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


def _event(api: httpx.Client, host: dict[str, str]) -> dict:
    created = api.post(
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
    )
    assert created.status_code == 201, created.text
    return created.json()


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
    event = _event(api, host)
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


def _camera_file(code: str, path: Path) -> Path:
    """The ticket's QR as the video a fake camera plays (Y4M, 4:2:0): dark modules on white,
    in the middle of a 640x480 frame."""
    width, height, scale = 640, 480, 8
    rows = [list(row) for row in segno.make_qr(code, error="m").matrix_iter(scale=scale, border=4)]
    top, left = (height - len(rows)) // 2, (width - len(rows[0])) // 2
    luma = bytearray(b"\xff" * (width * height))
    for y, row in enumerate(rows):
        for x, dark in enumerate(row):
            if dark:
                luma[(top + y) * width + left + x] = 0x10
    chroma = b"\x80" * (width * height // 4)
    frame = b"FRAME\n" + bytes(luma) + chroma + chroma
    path.write_bytes(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode() + frame)
    return path


def test_the_camera_reads_a_ticket(browser, stack, accessibility, tmp_path):
    host = _account(stack, "camera-host@example.org", "Camera Host", "organizer")
    guest = _account(stack, "grace@example.org", "Grace Hopper", "participant")
    api = httpx.Client(base_url=f"{stack.url}/api/v1", timeout=30)
    event = _event(api, host)
    rid = api.post(f"/events/{event['id']}/registrations", headers=guest).json()["id"]
    code = api.get(f"/me/registrations/{rid}/ticket", headers=guest).json()["code"]
    video = _camera_file(code, tmp_path / "ticket.y4m")
    # A browser of its own: Chromium takes its fake camera at launch.
    camera = browser.browser_type.launch(
        executable_path=str(CHROMIUM),
        args=[
            "--no-sandbox",
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    try:
        context = camera.new_context(
            base_url=stack.url, viewport=PHONE, locale="en-US", bypass_csp=True
        )
        context.grant_permissions(["camera"])
        page = context.new_page()
        door = f"/organize/events/{event['id']}/door"
        _sign_in(page, "camera-host@example.org", door)
        page.get_by_role("button", name="Start the camera").click()
        expect(page.locator("#door-results li").first).to_have_text(
            "Grace Hopper: checked in", timeout=20_000
        )
        expect(page.get_by_role("button", name="Stop the camera")).to_be_visible()
        accessibility.check(page)
        page.get_by_role("button", name="Stop the camera").click()
    finally:
        camera.close()
    participants = api.get(f"/events/{event['id']}/registrations", headers=host).json()["items"]
    assert [p["status"] for p in participants] == ["checked_in"]
    accessibility.assert_clean()
