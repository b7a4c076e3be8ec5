"""The "report ready" mail opens a page a person can use from any mail client: they sign in
on it, and the download starts. The page's own script is run (by Node, as a browser would)
against the live gateway: the mail's link, the page, the login API, the report API, the file.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html import unescape
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import select

from shared import process_state
from shared.auth.models import LoginSession
from shared.db import unit_of_work
from shared.reports.page import SCRIPT_PATH
from tests.support.factories import PASSWORD, create_event, new_user
from tests.support.mailbox import deliver_outbox_to_notify, mails, send_pending_mail
from tests.support.reports import ask, auth, run_build

BROWSER = Path(__file__).parent / "browser.mjs"


@pytest.fixture(autouse=True)
def data_dir(outbox_dir, monkeypatch):
    """Mail and report files in this test's own directory (outbox_dir sets it)."""
    process_state.reset()
    return outbox_dir.parent


def the_page(live_url: str, link: str) -> tuple[httpx.Response, dict[str, str]]:
    """The page behind a mail's link, and the data its form hands the script."""
    page = httpx.get(live_url + urlsplit(link).path)
    form = re.search(r'<form id="sign-in"([^>]*)>', page.text)
    assert form is not None, page.text
    dataset = {k: unescape(v) for k, v in re.findall(r'data-([a-z]+)="([^"]*)"', form[1])}
    return page, dataset


def sign_in(live_url: str, dataset: dict[str, str], email: str, password: str) -> dict:
    node = shutil.which("node")
    assert node, "Node.js is needed to run the page's script (make test installs it)"
    ran = subprocess.run(
        [node, str(BROWSER), live_url, SCRIPT_PATH, json.dumps(dataset), email, password],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    seen: dict = json.loads(ran.stdout)
    return seen


def test_the_mail_opens_a_page_that_signs_in_and_downloads(client, live_url, outbox_dir):
    organizer = new_user("organizer")
    event = create_event(client, auth(organizer), title="Pottery class")
    ready = ask(
        client, auth(organizer), kind="event_attendance", event_id=event["id"], format="csv"
    )
    assert run_build(ready["id"]) == "ready"
    deliver_outbox_to_notify(client, ("org.eventmanager.report.",))
    send_pending_mail()
    [mail] = mails(outbox_dir)
    plain = mail.get_body(("plain",))
    assert plain is not None
    [link] = re.findall(r"https://events\.example\.org/reports/\S+", plain.get_content())
    assert link == f"https://events.example.org/reports/{ready['id']}"

    page, dataset = the_page(live_url, link)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert page.headers["referrer-policy"] == "no-referrer"
    assert f'<script src="{SCRIPT_PATH}"></script>' in page.text
    assert "<noscript>" in page.text
    assert dataset["report"] == ready["id"]

    seen = sign_in(live_url, dataset, organizer.email, PASSWORD)
    assert seen["shown"] == dataset["ready"]
    assert seen["visible"]
    assert seen["password_left"] == ""
    # The browser went to a fresh download link; it downloads the report's file.
    download = httpx.get(
        live_url + urlsplit(seen["went"]).path + "?" + urlsplit(seen["went"]).query
    )
    assert download.status_code == 200
    assert download.content.startswith("\ufeffName".encode())
    # The session opened for the download was ended before leaving the page.
    with unit_of_work() as session:
        sessions = list(
            session.scalars(select(LoginSession).where(LoginSession.user_id == organizer.id))
        )
    assert [s.revoked_at is not None for s in sessions] == [True]


def test_the_page_says_what_went_wrong(client, live_url, outbox_dir):
    organizer = new_user("organizer")
    pending = ask(client, auth(organizer), kind="organizer_summary", format="csv")
    _, dataset = the_page(live_url, f"/reports/{pending['id']}")
    wrong = sign_in(live_url, dataset, organizer.email, "not the password")
    assert (wrong["shown"], wrong["went"]) == (dataset["wrong"], None)
    # Someone else's report: nothing about it, not even that it exists.
    other = new_user("organizer")
    assert sign_in(live_url, dataset, other.email, PASSWORD)["shown"] == dataset["notyours"]
    assert sign_in(live_url, dataset, organizer.email, PASSWORD)["shown"] == dataset["pending"]


def test_the_page_speaks_russian_and_refuses_a_bad_id(live_url):
    russian = httpx.get(
        f"{live_url}/reports/00000000-0000-0000-0000-000000000000",
        headers={"Accept-Language": "ru-RU,ru;q=0.9"},
    )
    assert russian.status_code == 200
    assert "Войти и скачать" in russian.text
    script = httpx.get(live_url + SCRIPT_PATH)
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert httpx.get(f"{live_url}/reports/not-a-report").status_code == 422
