"""The internal token, asked for and presented in one place.

The platform's own callers (dispatcher, scheduler, Prometheus, `eventmgr invoke`) prove
themselves with `Authorization: Bearer <INTERNAL_TOKEN>`. The kit's internal endpoints and the
local gateway's `/function/<name>/` paths both check it here: a security check that exists
twice drifts apart (an empty token, a timing leak) in one of the copies.
"""

from __future__ import annotations

import hmac

from shared.config import get_settings


def is_internal_token(credentials: str | None) -> bool:
    """The configured internal token, compared in constant time; never true when none is set."""
    expected = get_settings().internal_token
    if not expected or credentials is None:
        return False
    return hmac.compare_digest(credentials.encode(), expected.encode())


def bears_internal_token(authorization: str) -> bool:
    """An `Authorization` header value of `Bearer <internal token>` (the scheme in any case)."""
    scheme, _, credentials = authorization.partition(" ")
    return scheme.lower() == "bearer" and is_internal_token(credentials)


def internal_authorization() -> dict[str, str]:
    """The header an internal call carries, or none when no token is configured."""
    token = get_settings().internal_token
    return {"authorization": f"Bearer {token}"} if token else {}
