"""The user scenario, through the rendered Nginx gateway only (http://127.0.0.1:8080).

register → verification mail → verify → log in → create and publish an event → join →
confirmation mail (RabbitMQ → dispatcher → notify → Celery worker) → a PDF report built by
the worker and downloaded → a reminder mailed by the scheduler's send_reminder run.
"""

from __future__ import annotations

import email
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage

import httpx

from rehearsal.podman import compose, podman
from rehearsal.stack import by_service

GATEWAY = "http://127.0.0.1:8080"
ORGANIZER = ("org@rehearsal.example", "organizer-password-1")
PARTICIPANT = ("pat@rehearsal.example", "participant-password-1")
# Reads the stand-in mail server's Maildir (rehearsal/images/mailpit.Containerfile); aiosmtpd
# makes its cur/new/tmp folders with the first mail, so until then there is no mail.
DUMP_MAILDIR = (
    "import json, mailbox, os; d = '/var/mail/rehearsal'; "
    "print(json.dumps([m.as_string() for m in mailbox.Maildir(d).values()] "
    "if os.path.isdir(d + '/cur') else []))"
)


@dataclass
class Outcome:
    trace_id: str
    steps: dict[str, float] = field(default_factory=dict)


def mails() -> list[EmailMessage]:
    dumped = podman("exec", by_service()["mailpit"], "python3", "-c", DUMP_MAILDIR)
    found = []
    for raw in json.loads(dumped):
        message = email.message_from_string(raw, policy=policy.default)
        assert isinstance(message, EmailMessage)
        found.append(message)
    return found


def wait_for_mail(to: str, subject: str, timeout: float) -> EmailMessage:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in mails():
            if to in str(message["To"]) and subject in str(message["Subject"]):
                return message
        time.sleep(2)
    raise AssertionError(f"no mail {subject!r} to {to} within {timeout:.0f} s")


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def expect(answer: httpx.Response, status: int) -> httpx.Response:
    if answer.status_code != status:
        raise AssertionError(
            f"{answer.request.method} {answer.request.url.path}: {answer.status_code}, "
            f"wanted {status}: {answer.text[:500]}"
        )
    return answer


def run() -> Outcome:
    outcome = Outcome(trace_id=secrets.token_hex(16))
    api = httpx.Client(base_url=GATEWAY, timeout=30)
    clock = time.monotonic()

    def step(name: str) -> None:
        nonlocal clock
        outcome.steps[name] = time.monotonic() - clock
        clock = time.monotonic()

    # The first request carries the trace the checks look for in every hop's logs.
    traceparent = f"00-{outcome.trace_id}-{secrets.token_hex(8)}-01"
    expect(
        api.post(
            "/api/v1/auth/register",
            headers={"traceparent": traceparent},
            json={"email": PARTICIPANT[0], "password": PARTICIPANT[1], "full_name": "Pat"},
        ),
        201,
    )
    step("register")
    link = re.search(r"verify-email\?token=(\S+)", text_of(wait_for_mail(PARTICIPANT[0], "", 120)))
    assert link, "the verification mail has no link"
    step("verification mail (notify -> worker -> SMTP)")
    expect(api.post("/api/v1/auth/verify-email", json={"token": link.group(1)}), 204)
    step("verify")
    compose(
        "run", "--rm", "--no-deps", "migrate", "eventmgr", "users", "create",
        "--email", ORGANIZER[0], "--password", ORGANIZER[1], "--role", "organizer",
    )  # fmt: skip
    step("organizer made with `compose run migrate eventmgr users create`")
    organizer = login(api, *ORGANIZER)
    participant = login(api, *PARTICIPANT)
    step("log in (both)")
    starts = datetime.now(UTC) + timedelta(minutes=40)
    event = expect(
        api.post(
            "/api/v1/events",
            headers=organizer,
            json={
                "title": "Rehearsal night",
                "description": "Rehearsed in real containers",
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(hours=2)).isoformat(),
                "timezone": "UTC",
                "category": "meetup",
                "status": "published",
            },
        ),
        201,
    ).json()
    step("create and publish an event")
    joined = expect(
        api.post(f"/api/v1/events/{event['id']}/registrations", headers=participant), 201
    )
    assert joined.json()["status"] == "confirmed", joined.text
    step("join")
    wait_for_mail(PARTICIPANT[0], "You are registered: Rehearsal night", 120)
    step("confirmation mail (RabbitMQ -> dispatcher -> notify -> worker)")
    report = expect(
        api.post(
            "/api/v1/reports",
            headers=organizer,
            json={"kind": "event_attendance", "event_id": event["id"], "format": "pdf"},
        ),
        202,
    ).json()
    download = wait_for_report(api, organizer, report["id"])
    pdf = httpx.get(download, timeout=30)
    assert pdf.status_code == 200, pdf.status_code
    assert pdf.content.startswith(b"%PDF")
    step("PDF report built by the worker and downloaded")
    return outcome


def wait_for_reminder(outcome: Outcome, timeout: float = 420) -> None:
    """The event starts within the hour: send_reminder (every 5 minutes) mails the 1 h one."""
    started = time.monotonic()
    wait_for_mail(PARTICIPANT[0], "Starting soon: Rehearsal night", timeout)
    outcome.steps["reminder (scheduler -> send_reminder -> worker), after other steps"] = (
        time.monotonic() - started
    )


def login(api: httpx.Client, address: str, password: str) -> dict[str, str]:
    token = expect(
        api.post("/api/v1/auth/login", json={"email": address, "password": password}), 200
    ).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def wait_for_report(api: httpx.Client, headers: dict[str, str], report: str) -> str:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        status = expect(api.get(f"/api/v1/reports/{report}", headers=headers), 200).json()
        if status["status"] == "ready":
            return str(status["download_url"])
        assert status["status"] != "failed", status
        time.sleep(2)
    raise AssertionError("the report was not ready within 180 s")
