"""Signatures as the Standard Webhooks spec defines them (standardwebhooks.com): the secret is
`whsec_` + base64 of random bytes; the signature is `v1,` + base64 of HMAC-SHA256, keyed by
the secret's decoded bytes, over `{webhook-id}.{webhook-timestamp}.{body}`."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

PREFIX = "whsec_"
SECRET_BYTES = 24


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
