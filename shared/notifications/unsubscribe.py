"""One-click unsubscribe links (RFC 8058): a signed token naming one person, no login.

The token is signed, not stored: it never expires (a link in a year-old mail still works)
and it can do one thing only, turn that person's mail notices off.
"""

from __future__ import annotations

import uuid
from html import escape

from itsdangerous import BadSignature, URLSafeSerializer

from shared import process_state
from shared.config import get_settings
from shared.errors import NotFound
from shared.notifications.templates import Rendered
from shared.security.instance_keys import instance_key

# The contract's mail-link page, which is also the one-click address mail apps POST to
# (RFC 8058); the API's address does the same.
PATH = "/unsubscribe/"


class UnknownLink(NotFound):
    title = "Unsubscribe link not valid"
    slug = "unsubscribe-link-not-valid"


@process_state.cached
def _serializer() -> URLSafeSerializer:
    secret = instance_key("unsubscribe_secret", "unsubscribe links work only on this instance")
    return URLSafeSerializer(secret, salt="unsubscribe")


def token_for(user_id: uuid.UUID) -> str:
    return str(_serializer().dumps(user_id.hex))


def link_for(user_id: uuid.UUID) -> str:
    return f"{get_settings().public_url.rstrip('/')}{PATH}{token_for(user_id)}"


def person_of(token: str) -> uuid.UUID:
    try:
        return uuid.UUID(hex=str(_serializer().loads(token)))
    except (BadSignature, ValueError, TypeError) as error:
        raise UnknownLink("This unsubscribe link is not valid.") from error


def sign_off(rendered: Rendered, user_id: uuid.UUID) -> tuple[str, str | None, str]:
    """A notice's text and HTML with its footer and one-click link, and the link itself."""
    assert rendered.footer is not None
    link = link_for(user_id)
    text = f"{rendered.text}\n-- \n{rendered.footer.format(link=link)}\n"
    before, _, _ = rendered.footer.partition("{link}")
    html = (
        f'{rendered.html or ""}<hr><p style="font-size:small">{escape(before)}'
        f'<a href="{escape(link)}">{escape(link)}</a></p>'
    )
    return text, html, link
