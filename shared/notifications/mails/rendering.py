"""What a rendered notification is, and the shape every notice mail shares.

The renderers themselves live per area (accounts, events, reports, messages) and are named
by the kinds table (shared.notifications.kinds): nothing registers itself on import.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from typing import TypeVar

from shared.notifications.models import Notification
from shared.notifications.schemas import Payload


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


P = TypeVar("P", bound=Payload)
# How one kind reads: the row (its locale, its user) and its payload, parsed into the kind's model.
Renderer = Callable[[Notification, P], Rendered]


def notice(*, subject: str, paragraphs: list[str], footer: str, link: str | None) -> Rendered:
    """A notice: its paragraphs in text and HTML; `footer` says why the mail came, with
    `{link}` where the mail puts its one-click unsubscribe link."""
    text = "\n\n".join(paragraphs) + "\n"
    html = "".join(f"<p>{escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)
    return Rendered(subject=subject, text=text, html=html, footer=footer, link=link)
