"""Signed CloudEvents: the platform's own CloudEvents carry an HMAC that consumers check.

Where deliveries cannot carry the internal token (Knative Triggers, `INTERNAL_AUTH=network`),
anything that reaches a function could otherwise post a CloudEvent. The outbox signs every
CloudEvent it publishes with `CLOUDEVENT_KEY`, in the extension attribute `eventmgrsig`, and the
kit refuses consumed CloudEvents without a valid one, on every target.

The signature covers id, type, source, subject, time and data as canonical bytes, so it
survives the re-encodings on the way: the dispatcher parses and re-serialises the CloudEvent,
and the Knative RabbitMQ broker turns it into AMQP headers and back (extensions pass through
as plain headers; `time` comes back in Go's RFC 3339 form). Time is compared to the
microsecond in UTC, data as JSON with sorted keys.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

from shared import process_state
from shared.config import get_settings

# A CloudEvents extension name: lower-case letters and digits only.
SIGNATURE_EXTENSION = "eventmgrsig"


class MissingCloudEventKey(RuntimeError):
    """Every publisher and consumer must share one key: a key of this process's own would
    refuse every CloudEvent another process signed, so there is none to fall back on."""


@process_state.cached
def _key() -> bytes:
    key = get_settings().cloudevent_key
    if not key:
        raise MissingCloudEventKey(
            "CLOUDEVENT_KEY is unset: set the same secret for every function and the worker "
            "(`eventmgr up` makes one in its data dir)"
        )
    return key.encode()


@process_state.cached
def _previous_key() -> bytes | None:
    previous = get_settings().cloudevent_key_previous
    return previous.encode() if previous else None


def _time(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def canonical(
    *,
    id: str,
    type: str,
    source: str,
    subject: str | None,
    time: datetime | None,
    data: Any,
) -> bytes:
    """One unambiguous byte string for the signed attributes (a JSON array, sorted keys)."""
    attributes = [id, type, source, subject or None, _time(time), data]
    return json.dumps(
        attributes, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()


def signature_of(
    *,
    id: str,
    type: str,
    source: str,
    subject: str | None,
    time: datetime | None,
    data: Any,
) -> str:
    """The `eventmgrsig` value of a CloudEvent with these attributes and data."""
    return sign(canonical(id=id, type=type, source=source, subject=subject, time=time, data=data))


def sign(message: bytes) -> str:
    return hmac.new(_key(), message, hashlib.sha256).hexdigest()


def is_valid(message: bytes, signature: str) -> bool:
    """Signed with the key, or with the previous one during a rotation."""
    given = signature.encode("utf-8", "replace")
    if hmac.compare_digest(sign(message).encode(), given):
        return True
    previous = _previous_key()
    if previous is None:
        return False
    return hmac.compare_digest(
        hmac.new(previous, message, hashlib.sha256).hexdigest().encode(), given
    )
