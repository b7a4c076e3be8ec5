"""The errors of account-level use cases."""

from __future__ import annotations

from shared.errors import Conflict, DomainError


class WrongPassword(DomainError):
    status = 400
    title = "Wrong password"
    slug = "wrong-password"


class SelfLockout(Conflict):
    title = "Admins cannot demote or block themselves"
    slug = "self-lockout"
