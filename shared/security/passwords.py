"""Argon2id password hashing (argon2-cffi's defaults follow RFC 9106's recommended profile)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from shared import process_state

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


@process_state.cached
def _dummy_hash() -> str:
    return _hasher.hash("not-a-real-password-just-for-timing")


def burn_verification_time(password: str) -> None:
    """Spend the time of one verification, so an unknown email answers as slowly as a known one."""
    verify_password(_dummy_hash(), password)
