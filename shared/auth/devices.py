"""Known devices: a signed token given at a successful sign-in, presented at the next ones.

A client holding one for an account is not slowed down when someone else guesses that
account's password from elsewhere (OWASP's device cookies), and its own failures are counted
for it alone. The token names no one: it carries a hash of the account's address and a random
device id, signed with a key derived from the signing key of access tokens (held by `login`
only), so rotating that key forgets every device.
"""

from __future__ import annotations

import hashlib
import secrets

from itsdangerous import BadSignature, URLSafeTimedSerializer

from shared import process_state
from shared.config import get_settings

DEVICE_DAYS = 180
COOKIE = "eventmgr_device"
COOKIE_PATH = "/api/v1/auth"


@process_state.cached
def _serializer() -> URLSafeTimedSerializer | None:
    pem = get_settings().jwt_private_key
    if not pem:
        return None
    key = hashlib.sha256(b"eventmgr known devices\0" + pem.encode()).digest()
    return URLSafeTimedSerializer(key, salt="device")


def _account(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


def issue(email: str) -> str | None:
    serializer = _serializer()
    if serializer is None:
        return None
    return str(serializer.dumps([_account(email), secrets.token_hex(12)]))


def known_device(token: str | None, email: str) -> str | None:
    """The device id when the token is a live one given to this account, else None."""
    serializer = _serializer()
    if not token or serializer is None:
        return None
    try:
        account, device = serializer.loads(token, max_age=DEVICE_DAYS * 86400)
    except (BadSignature, ValueError, TypeError):
        return None
    if account != _account(email) or not isinstance(device, str):
        return None
    return device
