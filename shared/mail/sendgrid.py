"""SendGrid backend, through the official client (v3 Mail Send API)."""

from __future__ import annotations

import base64
from email.message import EmailMessage
from email.utils import getaddresses

from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import (
    Attachment,
    Content,
    Disposition,
    FileContent,
    FileName,
    FileType,
    From,
    Header,
    Mail,
    To,
)

from shared.mail.message import MailDeliveryError

# Headers SendGrid sets itself and refuses to be given.
_RESERVED = {
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "content-type",
    "mime-version",
    "content-transfer-encoding",
    "cc",
    "bcc",
    "reply-to",
}


class SendGridMailer:
    def __init__(self, api_key: str, api_url: str, *, timeout: float = 20.0) -> None:
        self.client = SendGridAPIClient(api_key=api_key, host=api_url.rstrip("/"))
        # The official client has no timeout knob of its own; its HTTP client does.
        self.client.client.timeout = timeout

    def send(self, message: EmailMessage) -> None:
        try:
            response = self.client.send(to_sendgrid(message))
        except HTTPError as error:
            status = int(getattr(error, "status_code", 0) or 0)
            retryable = status == 429 or status >= 500
            raise MailDeliveryError(f"SendGrid answered {status}", retryable=retryable) from error
        except OSError as error:
            raise MailDeliveryError(f"SendGrid unreachable: {error}", retryable=True) from error
        if response.status_code >= 300:
            raise MailDeliveryError(
                f"SendGrid answered {response.status_code}",
                retryable=response.status_code >= 500,
            )


def to_sendgrid(message: EmailMessage) -> Mail:
    sender_name, sender_address = getaddresses([message["From"]])[0]
    mail = Mail(from_email=From(sender_address, sender_name or None))
    mail.subject = str(message["Subject"])
    for name, address in getaddresses(message.get_all("To", [])):
        mail.add_to(To(address, name or None))
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    if text is not None:
        mail.add_content(Content("text/plain", text.get_content()))
    if html is not None:
        mail.add_content(Content("text/html", html.get_content()))
    for name, value in message.items():
        if name.lower() not in _RESERVED:
            mail.add_header(Header(name, str(value)))
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        mail.add_attachment(
            Attachment(
                FileContent(base64.b64encode(payload).decode()),
                FileName(part.get_filename() or "attachment"),
                FileType(part.get_content_type()),
                Disposition("attachment"),
            )
        )
    return mail
