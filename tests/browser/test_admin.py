"""An admin's round in a real browser on a phone-sized screen: they find and block an account,
hide a reported event, which then leaves the public list, and read it in the audit log; then
a person's settings, and an organizer's widget framed by another site. Every page on the way
passes axe-core with no serious or critical violation."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from playwright.sync_api import expect

from tests.support.browsing import api_as, event, sign_in
from tests.support.runner import PASSWORD, create_user
from tests.support.screenshots import shot


@contextmanager
def another_site(html: str) -> Iterator[str]:
    """A page of another origin (another port) that embeds ours, as an organizer's blog would."""
    body = html.encode()

    class Blog(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Blog)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/blog"
    finally:
        server.shutdown()
        server.server_close()


def test_an_admin_blocks_an_account_and_hides_a_reported_event(page, stack, accessibility):
    for email, role in (
        ("boss@example.org", "admin"),
        ("band@example.org", "organizer"),
        ("watcher@example.org", "participant"),
    ):
        create_user(stack.data_dir, email, PASSWORD, role)
    band = api_as(stack, "band@example.org")
    raffle = event(band, "Midnight raffle")
    event(band, "Autumn concert")
    reported = api_as(stack, "watcher@example.org").post(
        f"/api/v1/events/{raffle['id']}/reports-abuse", json={"reason": "Tickets never arrive"}
    )
    assert reported.status_code == 202

    sign_in(page, "boss@example.org")
    page.get_by_role("link", name="Administration").click()
    page.wait_for_url("**/admin/users")
    accessibility.check(page)
    shot(page, "admin-users")
    page.get_by_label("Name or email").fill("watcher")
    page.get_by_role("button", name="Find users").click()
    page.get_by_role("button", name="Block: watcher@example.org").click()
    expect(page.get_by_role("button", name="Unblock: watcher@example.org")).to_be_visible()
    accessibility.check(page)

    page.get_by_role("link", name="Moderation").click()
    page.wait_for_url("**/admin/moderation")
    card = page.locator("li.card", has_text="Midnight raffle")
    expect(card.get_by_text("Tickets never arrive")).to_be_visible()
    accessibility.check(page)
    shot(page, "admin-moderation")
    card.get_by_label("Reason").fill("Fraud reported by participants")
    card.get_by_role("button", name="Hide").click()
    expect(page.get_by_text("Nothing here.")).to_be_visible()
    page.get_by_role("link", name="Events", exact=True).click()
    expect(page.get_by_role("link", name="Autumn concert")).to_be_visible()
    assert page.get_by_role("link", name="Midnight raffle").count() == 0
    accessibility.check(page)

    page.goto("/admin/audit")
    page.get_by_label("Action").fill("event.hide")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("Fraud reported by participants")).to_be_visible()
    accessibility.check(page)
    page.goto("/admin/audit?action=user.blocked")
    assert page.locator("tbody tr").count() == 1
    accessibility.check(page)

    page.get_by_role("link", name="My account").click()
    accessibility.check(page)
    page.get_by_role("link", name="Notification settings").click()
    page.get_by_label("1 hour before").uncheck()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Your settings are saved.")).to_be_visible()
    assert not page.get_by_label("1 hour before").is_checked()
    # The copy button is an enhancement: present once its script ran.
    expect(page.get_by_role("button", name="Copy")).to_be_visible()
    accessibility.check(page)
    shot(page, "settings")

    page.goto(f"/widget/organizers/{raffle['organizer_id']}")
    expect(page.get_by_role("link", name=re.compile("Register.*Autumn concert"))).to_be_visible()
    assert page.get_by_text("Midnight raffle").count() == 0
    accessibility.check(page)
    shot(page, "widget")

    accessibility.assert_clean()
    assert len(accessibility.pages) >= 8


def test_another_site_may_frame_the_widget_and_no_other_page(browser, stack):
    create_user(stack.data_dir, "choir@example.org", PASSWORD, "organizer")
    choir = api_as(stack, "choir@example.org")
    concert = event(choir, "Choir in the park")
    # A context that enforces the pages' policies (the accessibility one bypasses them), on a
    # reader in another zone than the event's.
    context = browser.new_context(timezone_id="America/New_York", locale="en-US")
    try:
        widget = f"{stack.url}/widget/organizers/{concert['organizer_id']}"
        blocked: list[str] = []
        reader = context.new_page()
        reader.on("console", lambda message: blocked.append(message.text))
        with another_site(
            f'<iframe name="widget" src="{widget}"></iframe>'
            f'<iframe name="home" src="{stack.url}/"></iframe>'
        ) as elsewhere:
            reader.goto(elsewhere)
            reader.wait_for_load_state("load")
            framed = reader.frame(name="widget")
            assert framed is not None
            expect(framed.get_by_role("heading", name="Choir in the park")).to_be_visible()
            register = framed.get_by_role("link", name=re.compile("Register"))
            assert register.get_attribute("target") == "_blank"
            home = reader.frame(name="home")
            assert home is None or home.get_by_text("Upcoming events").count() == 0
        assert [text for text in blocked if "frame-ancestors 'none'" in text], blocked
        blocked.clear()

        # The event page's own script runs under its policy: the reader's time is shown.
        reader.goto(f"{stack.url}/events/{concert['id']}")
        reader_time = reader.get_by_text("In your time zone")
        reader_time.wait_for()
        assert "America/New_York" in reader_time.inner_text()
        assert not [text for text in blocked if "Content Security Policy" in text]
    finally:
        context.close()
