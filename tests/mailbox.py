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
from shared.outbox.models import OutboxMessage
from tests.kit.test_app import INTERNAL


def mails(outbox_dir: Path) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(path.read_bytes(), policy=policy.default)
        for path in sorted(outbox_dir.glob("*.eml"))
    ]


def deliver_outbox_to_notify(client, kinds: tuple[str, ...] = ("org.eventmanager.user.",)) -> None:
    """What the dispatcher does: POST each recorded CloudEvent (of these type prefixes) to the
    consumer; those delivered before are skipped by the consumer itself."""
    with unit_of_work() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.created_at)).all()
    for row in rows:
        if not row.type.startswith(kinds):
            continue
        response = client.post(
            "/function/notify/",
            json=row.data,
            headers={
                **INTERNAL,
                "ce-specversion": "1.0",
                "ce-type": row.type,
                "ce-source": row.source,
                "ce-id": str(row.id),
            },
        )
        assert response.status_code in (204, 422), response.text


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
