"""A person's one-time link secrets (verify an address, reset a password): minted at send
time, stored hashed, used once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from shared.security.secrets import digest, new_secret
from shared.users import repository
from shared.users.errors import InvalidOneTimeToken
from shared.users.models import OneTimeToken, TokenPurpose, User

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


def redeem(session: Session, secret: str, purpose: TokenPurpose) -> User:
    """The user the secret was minted for; the secret is spent. Unknown, used or expired: 400."""
    now = datetime.now(UTC)
    token = session.scalar(
        select(OneTimeToken)
        .where(OneTimeToken.token_hash == digest(secret), OneTimeToken.purpose == purpose)
        .with_for_update()
    )
    if token is None or token.used_at is not None or token.expires_at <= now:
        raise InvalidOneTimeToken("This link is not valid (unknown, already used or expired).")
    token.used_at = now
    user = repository.for_update(session, token.user_id)
    if user is None:
        raise InvalidOneTimeToken("This link is not valid.")
    return user


def spend_all(session: Session, user_id: uuid.UUID, purpose: TokenPurpose) -> None:
    """Links of this kind still in the user's mailbox stop working too."""
    session.execute(
        update(OneTimeToken)
        .where(
            OneTimeToken.user_id == user_id,
            OneTimeToken.purpose == purpose,
            OneTimeToken.used_at.is_(None),
        )
        .values(used_at=datetime.now(UTC))
    )
