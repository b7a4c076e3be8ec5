"""The errors of logging in and refreshing tokens."""

from __future__ import annotations

import uuid

from shared.errors import Forbidden, Unauthenticated


class InvalidCredentials(Unauthenticated):
    title = "Invalid credentials"
    slug = "invalid-credentials"


class UserBlocked(Forbidden):
    title = "Account blocked"
    slug = "user-blocked"


class InvalidRefreshToken(Unauthenticated):
    title = "Invalid refresh token"
    slug = "invalid-refresh-token"


class RefreshTokenReused(InvalidRefreshToken):
    """Carries the session to revoke; the caller revokes it in a transaction of its own."""

    def __init__(self, session_id: uuid.UUID) -> None:
        super().__init__("This refresh token was already used; the login session is now closed.")
        self.session_id = session_id
