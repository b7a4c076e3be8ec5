"""SendGrid backend, through the official client (v3 Mail Send API).

Many messages go in few requests: messages alike but for their recipient (and their own
unsubscribe link) share one request with a personalization each, up to 1,000. A 429 waits as
long as SendGrid's rate-limit headers say, a 5xx backs off; both are retried a few times here,
then left to the task's retry. SendGrid takes a request whole or not at all, so a refusal never
sends part of it; only a request whose answer was lost (a network error after SendGrid took it)
may go twice, which is the at-least-once the mail task promises.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import time
from collections.abc import Callable
from email.utils import getaddresses
from typing import Any

from python_http_client.exceptions import HTTPError
from sendgrid import SendGridAPIClient

from shared.mail.message import Attachment, Mail, MailDeliveryError, Mailer

logger = logging.getLogger("eventmgr.mail")

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
# Headers that differ per recipient: they go in the recipient's personalization.
_PERSONAL = {"list-unsubscribe", "list-unsubscribe-post"}
# Where a recipient's unsubscribe link sits in the shared body (SendGrid substitutes it).
UNSUBSCRIBE_TAG = "%unsubscribe_url%"
PERSONALIZATIONS_PER_REQUEST = 1000
ATTEMPTS = 4
LONGEST_WAIT = 30.0


class SendGridMailer(Mailer):
    def __init__(
        self,
        api_key: str,
        api_url: str,
        *,
        timeout: float = 20.0,
        batch: int = PERSONALIZATIONS_PER_REQUEST,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = SendGridAPIClient(api_key=api_key, host=api_url.rstrip("/"))
        # The official client has no timeout knob of its own; its HTTP client does.
        self.client.client.timeout = timeout
        self.batch = min(batch, PERSONALIZATIONS_PER_REQUEST)
        self.sleep = sleep

    def send(self, mail: Mail) -> None:
        (error,) = self.send_many([mail])
        if error is not None:
            raise error

    def send_many(self, mails: list[Mail]) -> list[MailDeliveryError | None]:
        outcomes: list[MailDeliveryError | None] = [None] * len(mails)
        groups: dict[str, tuple[dict[str, Any], list[int]]] = {}
        for index, mail in enumerate(mails):
            shared_part = _shared_part(mail)
            key = hashlib.sha256(json.dumps(shared_part, sort_keys=True).encode()).hexdigest()
            groups.setdefault(key, (shared_part, []))[1].append(index)
        for shared_part, indexes in groups.values():
            for start in range(0, len(indexes), self.batch):
                chunk = indexes[start : start + self.batch]
                body = {
                    **shared_part,
                    "personalizations": [_personalization(mails[i]) for i in chunk],
                }
                error = self._post(body)
                for i in chunk:
                    outcomes[i] = error
        return outcomes

    def _post(self, body: dict[str, Any]) -> MailDeliveryError | None:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                response = self.client.send(body)
            except HTTPError as error:
                status = int(getattr(error, "status_code", 0) or 0)
                retryable = status == 429 or status >= 500
                failure = MailDeliveryError(f"SendGrid answered {status}", retryable=retryable)
                if not retryable:
                    logger.warning("SendGrid refused a request", extra={"http.status": status})
                    return failure
                if attempt < ATTEMPTS:
                    self.sleep(_wait(status, getattr(error, "headers", None), attempt))
                    continue
                return failure
            except OSError as error:
                failure = MailDeliveryError(f"SendGrid unreachable: {error}", retryable=True)
                if attempt < ATTEMPTS:
                    self.sleep(_wait(0, None, attempt))
                    continue
                return failure
            if response.status_code >= 300:
                return MailDeliveryError(
                    f"SendGrid answered {response.status_code}",
                    retryable=response.status_code >= 500,
                )
            return None
        raise AssertionError("unreachable")


def _wait(status: int, headers: Any, attempt: int) -> float:
    """How long to wait before trying again: until the rate limit resets, when SendGrid
    says so (X-RateLimit-Reset is a Unix time), else an exponential backoff."""
    if status == 429 and headers is not None:
        reset = headers.get("X-RateLimit-Reset")
        if reset:
            try:
                return min(LONGEST_WAIT, max(0.0, float(reset) - time.time()) + 0.1)
            except ValueError:
                pass
        after = headers.get("Retry-After")
        if after and after.isdigit():
            return min(LONGEST_WAIT, float(after))
    return float(min(LONGEST_WAIT, 2 ** (attempt - 1)))


def _unsubscribe_url(mail: Mail) -> str | None:
    value = mail.header("List-Unsubscribe")
    return value.strip().strip("<>") if value else None


def _shared_part(mail: Mail) -> dict[str, Any]:
    """Everything but the recipient: two mails with equal shared parts share a request."""
    url = _unsubscribe_url(mail)

    def generic(text: str) -> str:
        return text.replace(url, UNSUBSCRIBE_TAG) if url else text

    sender_name, sender_address = getaddresses([mail.sender])[0]
    part: dict[str, Any] = {
        "from": {"email": sender_address, **({"name": sender_name} if sender_name else {})},
        "subject": mail.subject,
        "content": [{"type": "text/plain", "value": generic(mail.text)}],
    }
    if mail.html is not None:
        part["content"].append({"type": "text/html", "value": generic(mail.html)})
    headers = {
        name: value for name, value in mail.headers if name.lower() not in _RESERVED | _PERSONAL
    }
    if headers:
        part["headers"] = headers
    if mail.attachments:
        part["attachments"] = [_attachment(attachment) for attachment in mail.attachments]
    return part


def _attachment(attachment: Attachment) -> dict[str, Any]:
    """An attachment, or a picture the HTML shows by `cid:` (inline, with its content id)."""
    found: dict[str, Any] = {
        "content": base64.b64encode(attachment.content).decode(),
        "filename": attachment.filename,
        "type": attachment.content_type,
        "disposition": "inline" if attachment.content_id else "attachment",
    }
    if attachment.content_id:
        found["content_id"] = attachment.content_id
    return found


def _personalization(mail: Mail) -> dict[str, Any]:
    to = [
        {"email": address, **({"name": name} if name else {})}
        for name, address in mail.recipients()
    ]
    personal: dict[str, Any] = {"to": to}
    headers = {name: value for name, value in mail.headers if name.lower() in _PERSONAL}
    if headers:
        personal["headers"] = headers
    url = _unsubscribe_url(mail)
    if url:
        personal["substitutions"] = {UNSUBSCRIBE_TAG: url}
    return personal
