"""Reading what the platform mailed, and doing the dispatcher's and worker's part in-process."""

from __future__ import annotations

import email
import re
from email import policy
from pathlib import Path

from sqlalchemy import select

from shared.db import unit_of_work
from shared.notifications.models import Notification
from shared.notifications.tasks import send_email
from tests.support.delivery import deliver_outbox


def mails(outbox_dir: Path) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(path.read_bytes(), policy=policy.default)
        for path in sorted(outbox_dir.glob("*.eml"))
    ]


def deliver_outbox_to_notify(client, kinds: tuple[str, ...] = ("org.eventmanager.user.",)) -> None:
    """What the dispatcher does for `notify`: each recorded CloudEvent of these type prefixes."""
    types = tuple(kind.removeprefix("org.eventmanager.") for kind in kinds)
    for status in deliver_outbox(client, "notify", types):
        assert status in (204, 422), status


def mailed_link(outbox_dir) -> tuple[str, email.message.EmailMessage]:
    [path] = sorted(outbox_dir.glob("*.eml"))[-1:]
    message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    body = message.get_body(("plain",))
    assert body is not None
    match = re.search(r"https://events\.example\.org/verify-email\?token=(\S+)", body.get_content())
    assert match, body.get_content()
    return match.group(1), message


def send_pending_mail() -> None:
    with unit_of_work() as session:
        ids = session.scalars(select(Notification.id)).all()
    for notification_id in ids:
        send_email.apply(args=[str(notification_id)])


EVERYTHING = ("org.eventmanager.",)


def mailed(outbox_dir) -> list[tuple[str, str, str]]:
    """(to, subject, text) of every mail so far."""
    found = []
    for message in mails(outbox_dir):
        body = message.get_body(("plain",))
        assert body is not None
        found.append((str(message["To"]), str(message["Subject"]), body.get_content()))
    return found


def deliver(client) -> None:
    deliver_outbox_to_notify(client, EVERYTHING)
    send_pending_mail()
