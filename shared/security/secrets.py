"""Opaque secrets (refresh tokens, links): handed out once, stored only as their SHA-256."""

from __future__ import annotations

import hashlib
import secrets


def new_secret() -> str:
    """256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()
