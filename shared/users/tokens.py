"""Minting the one-time secrets mailed links carry (verify an address, reset a password).

A person-level primitive: the mail that carries a link mints it when it is sent (see
shared.notifications.mails.accounts), and the use case that redeems it lives with accounts.
Only the secret's hash is kept.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from shared.security.secrets import digest, new_secret
from shared.users.models import OneTimeToken, TokenPurpose

VERIFY_EMAIL_TTL = timedelta(hours=24)
RESET_PASSWORD_TTL = timedelta(hours=1)


def mint(session: Session, user_id: uuid.UUID, purpose: TokenPurpose, ttl: timedelta) -> str:
    """A new secret for the user; only its hash is kept."""
    secret = new_secret()
    session.add(
        OneTimeToken(
            user_id=user_id,
            purpose=purpose,
            token_hash=digest(secret),
            expires_at=datetime.now(UTC) + ttl,
        )
    )
    return secret
