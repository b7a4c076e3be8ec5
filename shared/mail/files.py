"""The embedded backend: each message becomes an `.eml` file in the outbox directory."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from email.policy import SMTP
from pathlib import Path

from shared.mail.message import Mail, Mailer


class FileMailer(Mailer):
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def send(self, mail: Mail) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        final = self.directory / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
        partial = final.with_suffix(".part")
        # Written aside and renamed: a reader never sees half a message. Owner-only: mails
        # carry live sign-in, reset and unsubscribe links.
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(mail.as_message().as_bytes(policy=SMTP))
        partial.replace(final)
