"""A mail is a `Mail`: what every backend is handed. SMTP and the file outbox send it as an
RFC 5322 message; SendGrid reads its fields straight into its JSON (building RFC 5322 text for
it would cost more than everything else a mail takes)."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, make_msgid


class MailDeliveryError(Exception):
    """The backend did not take the message. `retryable` says whether trying later may help."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    content_type: str  # e.g. "text/calendar"
    # A picture the HTML shows (`<img src="cid:...">`): sent inline, related to the HTML part.
    # Mail apps show these (Gmail and Outlook block `data:` images); without HTML it is a
    # plain attachment.
    content_id: str | None = None


@dataclass(frozen=True)
class Mail:
    sender: str
    to: str
    subject: str
    text: str
    html: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    attachments: tuple[Attachment, ...] = ()

    def header(self, name: str) -> str | None:
        return next((v for n, v in self.headers if n.lower() == name.lower()), None)

    def recipients(self) -> list[tuple[str, str]]:
        """(display name, address) of each recipient."""
        return getaddresses([self.to])

    def as_message(self) -> EmailMessage:
        """The RFC 5322 message, with its Date and Message-ID."""
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = self.to
        message["Subject"] = self.subject
        message["Date"] = formatdate(localtime=False, usegmt=True)
        message["Message-ID"] = make_msgid(domain=_domain_of(self.sender))
        for name, value in self.headers:
            message[name] = value
        message.set_content(self.text)
        inline = [a for a in self.attachments if a.content_id and self.html is not None]
        if self.html is not None:
            message.add_alternative(self.html, subtype="html")
            html_part = list(message.iter_parts())[-1]
            for attachment in inline:
                maintype, _, subtype = attachment.content_type.partition("/")
                html_part.add_related(
                    attachment.content,
                    maintype=maintype,
                    subtype=subtype,
                    cid=f"<{attachment.content_id}>",
                    filename=attachment.filename,
                    disposition="inline",
                )
        for attachment in self.attachments:
            if attachment in inline:
                continue
            maintype, _, subtype = attachment.content_type.partition("/")
            message.add_attachment(
                attachment.content,
                maintype=maintype,
                subtype=subtype,
                filename=attachment.filename,
            )
        return message


class Mailer:
    """A backend sends one mail, or many: `send_many` answers, per mail, None (taken) or
    the error. Backends that can send many at once (SendGrid) override it."""

    def send(self, mail: Mail) -> None:
        raise NotImplementedError

    def send_many(self, mails: list[Mail]) -> list[MailDeliveryError | None]:
        """Every mail gets its own outcome: one that cannot be sent never stops the others."""
        outcomes: list[MailDeliveryError | None] = []
        for mail in mails:
            try:
                self.send(mail)
                outcomes.append(None)
            except MailDeliveryError as error:
                outcomes.append(error)
            except OSError as error:  # e.g. a full disk for the file outbox: may pass
                outcomes.append(
                    MailDeliveryError(f"{type(error).__name__}: {error}", retryable=True)
                )
            except (ValueError, TypeError) as error:  # this mail cannot be made: never will
                outcomes.append(
                    MailDeliveryError(f"{type(error).__name__}: {error}", retryable=False)
                )
        return outcomes


def _named(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"


def one_line(text: str) -> str:
    """A header value on one line: a title holding a line break must not end the header."""
    return " ".join(text.split())


def compose(
    *,
    sender: str,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    headers: dict[str, str] | None = None,
    attachments: tuple[Attachment, ...] = (),
) -> Mail:
    return Mail(
        sender, to, one_line(subject), text, html, tuple((headers or {}).items()), attachments
    )


def _domain_of(sender: str) -> str:
    address = sender.rsplit("<", 1)[-1].rstrip(">")
    return address.rpartition("@")[2] or "eventmanager.local"
