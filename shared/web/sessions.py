"""Browser sessions: an HttpOnly, SameSite=Lax cookie names a session kept in Redis that holds
the visitor's API tokens and the CSRF token of their forms. The browser never sees a token.

A session starts when a page shows a form (sign-in, sign-up, an event's register button), so
reading public pages writes nothing.
"""

from __future__ import annotations

import hmac
import json
import secrets
from dataclasses import asdict, dataclass
from typing import Any

from shared.cache import get_redis
from shared.config import get_settings

COOKIE = "em_session"
_KEY = "web:session:"


class SessionsUnavailable(Exception):
    """Sessions need Redis; without it the pages that sign in say so."""


@dataclass
class Session:
    id: str
    csrf: str
    access_token: str | None = None
    refresh_token: str | None = None
    # What the pages show of the signed-in person: `{id, full_name, role, locale}`.
    user: dict[str, Any] | None = None

    @property
    def signed_in(self) -> bool:
        return self.access_token is not None


def _redis() -> Any:
    client = get_redis()
    if client is None:
        raise SessionsUnavailable("Sessions of the web front end need REDIS_URL.")
    return client


def load(session_id: str | None) -> Session | None:
    if not session_id or len(session_id) > 64:
        return None
    client = get_redis()
    if client is None:
        return None
    raw = client.get(_KEY + session_id)
    if raw is None:
        return None
    client.expire(_KEY + session_id, get_settings().web_session_idle_seconds)
    return Session(**json.loads(raw))


def start() -> Session:
    session = Session(id=secrets.token_urlsafe(32), csrf=secrets.token_urlsafe(32))
    save(session)
    return session


def save(session: Session) -> None:
    ttl = get_settings().web_session_idle_seconds
    _redis().set(_KEY + session.id, json.dumps(asdict(session)), ex=ttl)


def end(session: Session) -> None:
    _redis().delete(_KEY + session.id)


def csrf_matches(session: Session | None, token: str) -> bool:
    return session is not None and hmac.compare_digest(session.csrf, token)


def cookie_options() -> dict[str, Any]:
    """Secure wherever the site is served over HTTPS (its public URL says so)."""
    return {
        "httponly": True,
        "samesite": "lax",
        "secure": get_settings().public_url.startswith("https://"),
        "path": "/",
    }
