"""SMTP backend. `SMTP_URL`: smtp://[user:password@]host[:port][?starttls=true] or smtps://…"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

from shared.mail.message import MailDeliveryError


class SmtpMailer:
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

    def send(self, message: EmailMessage) -> None:
        context = ssl.create_default_context()
        try:
            client: smtplib.SMTP
            if self.implicit_tls:
                client = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=context
                )
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with client:
                if self.starttls:
                    client.starttls(context=context)
                if self.username and self.password:
                    client.login(self.username, self.password)
                client.send_message(message)
        except smtplib.SMTPResponseException as error:
            # 4xx replies are temporary by definition; 5xx are final.
            raise MailDeliveryError(
                f"SMTP {error.smtp_code}: {error.smtp_error!r}", retryable=error.smtp_code < 500
            ) from error
        except smtplib.SMTPRecipientsRefused as error:
            raise MailDeliveryError(f"recipients refused: {error}", retryable=False) from error
        except (OSError, smtplib.SMTPException) as error:
            raise MailDeliveryError(f"SMTP unavailable: {error}", retryable=True) from error
