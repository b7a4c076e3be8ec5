"""SMTP backend. `SMTP_URL`: smtp://[user:password@]host[:port][?starttls=true] or smtps://…"""

from __future__ import annotations

import smtplib
import ssl
from urllib.parse import parse_qs, unquote, urlsplit

from shared.mail.message import Mail, MailDeliveryError, Mailer


class SmtpMailer(Mailer):
    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError("SMTP_URL must start with smtp:// or smtps://")
        self.implicit_tls = parts.scheme == "smtps"
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (465 if self.implicit_tls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        query = parse_qs(parts.query)
        self.starttls = query.get("starttls", ["false"])[0].lower() in ("1", "true", "yes")
        self.timeout = timeout

    def send(self, mail: Mail) -> None:
        (error,) = self.send_many([mail])
        if error is not None:
            raise error

    def send_many(self, mails: list[Mail]) -> list[MailDeliveryError | None]:
        """One connection for the whole batch; a refused message does not stop the rest."""
        outcomes: list[MailDeliveryError | None] = []
        try:
            with self._connect() as client:
                for mail in mails:
                    outcomes.append(_send_one(client, mail))
        except (OSError, smtplib.SMTPException) as error:
            failure = MailDeliveryError(f"SMTP unavailable: {error}", retryable=True)
            outcomes.extend([failure] * (len(mails) - len(outcomes)))
        return outcomes

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        client: smtplib.SMTP
        if self.implicit_tls:
            client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.starttls:
                client.starttls(context=context)
            if self.username and self.password:
                client.login(self.username, self.password)
        except BaseException:
            client.close()
            raise
        return client


def _send_one(client: smtplib.SMTP, mail: Mail) -> MailDeliveryError | None:
    try:
        message = mail.as_message()
    except (ValueError, TypeError) as error:  # this mail cannot be made: never will
        return MailDeliveryError(f"{type(error).__name__}: {error}", retryable=False)
    try:
        client.send_message(message)
    except smtplib.SMTPRecipientsRefused as error:
        # 4xx (greylisting, a full mailbox, too many connections) is worth another try.
        codes = [code for code, _ in error.recipients.values()]
        temporary = bool(codes) and all(400 <= code < 500 for code in codes)
        return MailDeliveryError(f"recipients refused: {error}", retryable=temporary)
    except smtplib.SMTPResponseException as error:
        # 4xx replies are temporary by definition; 5xx are final.
        if error.smtp_code == 421:  # the server is closing the connection
            raise
        return MailDeliveryError(
            f"SMTP {error.smtp_code}: {error.smtp_error!r}", retryable=error.smtp_code < 500
        )
    return None
