"""How each kind of notification reads, by locale. Secrets a mail carries are minted here,
at send time, by the kind's renderer (never stored in the row)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from shared.notifications.models import Notification


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str | None = None
    # Notices: why the mail came, with `{link}` where its one-click unsubscribe link goes
    # (RFC 8058). The mail adds it when it is sent; the app and push never show it. Account
    # mails have none.
    footer: str | None = None
    # Web Push: where a click on the notification leads.
    link: str | None = None

    @property
    def summary(self) -> str:
        """What the in-app list and push show."""
        return self.text.strip()


Renderer = Callable[[Notification], Rendered]
RENDERERS: dict[str, Renderer] = {}


def renderer(kind: str) -> Callable[[Renderer], Renderer]:
    def register(function: Renderer) -> Renderer:
        RENDERERS[kind] = function
        return function

    return register


class UnknownKind(LookupError):
    pass


def render(notification: Notification) -> Rendered:
    # The account mails register themselves on import.
    import shared.notifications.event_mails
    import shared.notifications.mails
    import shared.notifications.report_mails  # noqa: F401

    try:
        return RENDERERS[notification.kind](notification)
    except KeyError:
        raise UnknownKind(notification.kind) from None


@renderer("message")
def _message(notification: Notification) -> Rendered:
    """A plain message: subject and text given by whoever created the notification."""
    payload = notification.payload
    return Rendered(subject=str(payload["subject"]), text=str(payload["text"]))
