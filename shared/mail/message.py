"""A mail is an RFC 5322 `EmailMessage`; every backend sends exactly that."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid


class MailDeliveryError(Exception):
    """The backend did not take the message. `retryable` says whether trying later may help."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class Mailer:
    """A backend sends one message, or many: `send_many` answers, per message, None (taken)
    or the error. Backends that can send many at once (SendGrid) override it."""

    def send(self, message: EmailMessage) -> None:
        raise NotImplementedError

    def send_many(self, messages: list[EmailMessage]) -> list[MailDeliveryError | None]:
        outcomes: list[MailDeliveryError | None] = []
        for message in messages:
            try:
                self.send(message)
                outcomes.append(None)
            except MailDeliveryError as error:
                outcomes.append(error)
        return outcomes


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    content_type: str  # e.g. "text/calendar"


def compose(
    *,
    sender: str,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    headers: dict[str, str] | None = None,
    attachments: tuple[Attachment, ...] = (),
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=_domain_of(sender))
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for attachment in attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        message.add_attachment(
            attachment.content, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    return message


def _domain_of(sender: str) -> str:
    address = sender.rsplit("<", 1)[-1].rstrip(">")
    return address.rpartition("@")[2] or "eventmanager.local"
