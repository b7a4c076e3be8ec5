"""Opaque, tamper-proof keyset cursors: the position is signed so a client cannot forge one."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import datetime
from typing import Any

from shared import process_state
from shared.errors import InvalidInput
from shared.security.instance_keys import instance_key

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


@process_state.cached
def _key() -> bytes:
    return instance_key("cursor_secret", "cursors are valid only on this instance")


def encode_cursor(position: list[Any]) -> str:
    payload = json.dumps(position, separators=(",", ":")).encode()
    mac = hmac.new(_key(), payload, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(mac + payload).rstrip(b"=").decode()


def decode_cursor(cursor: str) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        mac, payload = raw[:16], raw[16:]
        expected = hmac.new(_key(), payload, hashlib.sha256).digest()[:16]
        if not hmac.compare_digest(mac, expected):
            raise ValueError("bad signature")
        position = json.loads(payload)
        if not isinstance(position, list):
            raise ValueError("not a position")
    except ValueError as error:
        raise InvalidInput("The cursor is not valid.", field="cursor", where="query") from error
    return position


def time_and_id(cursor: str) -> tuple[datetime, uuid.UUID]:
    """The most common position: a timestamp and an id breaking its ties."""
    position = decode_cursor(cursor)
    try:
        moment, row_id = position
        return datetime.fromisoformat(moment), uuid.UUID(row_id)
    except (ValueError, TypeError) as error:
        raise InvalidInput("The cursor is not valid.", field="cursor", where="query") from error


def cursor_at(moment: datetime, row_id: uuid.UUID) -> str:
    return encode_cursor([moment.isoformat(), str(row_id)])
