"""Ticket codes: what the QR at the door says, signed so that nobody can make one up.

A code is `KKKK` + base32(registration id, 16 bytes + HMAC-SHA256 truncated to 10 bytes) in
upper case, 46 characters of QR's alphanumeric set: a version-3 QR (29x29 modules) at error
correction M or better, dense but easy to scan from a phone's screen or paper. The MAC covers
the event and the registration, so a code is valid for its own event only; 80 bits of MAC are
not guessable. `KKKK` names the key that signed it (derived from the key, so configuring a key
is all there is): during a rotation `TICKET_KEY` signs and `TICKET_KEYS_PREVIOUS` still check
the codes already mailed. A code is derived, never stored: the same registration always gets
the same code from the same key.

The door's offline snapshot carries `code_hash` = SHA-256 (hex) of the code's ASCII text, so a
leaked snapshot lets nobody make a ticket.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import uuid
from dataclasses import dataclass

import segno
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from shared import process_state
from shared.config import get_settings
from shared.events.models import Event
from shared.events.statuses import EventStatus
from shared.registrations.errors import NoTicket, RegistrationNotFound
from shared.registrations.models import CONFIRMED_STATUSES, Registration

KEY_ID_LENGTH = 4
MAC_BYTES = 10
CODE_LENGTH = KEY_ID_LENGTH + 42  # base32 of 26 bytes, unpadded
MIN_KEY_LENGTH = 32
_DOMAIN = b"eventmgr-ticket/v1"


class MissingTicketKey(RuntimeError):
    """Every function that shows or checks tickets, and the worker, must share one key: a key
    of this process's own would refuse the codes every other process made."""


class InvalidCode(ValueError):
    """Not a code of this event: malformed, forged, of another event or of a retired key."""


@dataclass(frozen=True)
class _Keys:
    signing_id: str
    by_id: dict[str, bytes]


def _key_id(key: bytes) -> str:
    digest = hashlib.sha256(b"eventmgr-ticket-key-id:" + key).digest()
    return base64.b32encode(digest).decode()[:KEY_ID_LENGTH]


@process_state.cached
def _keys() -> _Keys:
    settings = get_settings()
    if not settings.ticket_key:
        raise MissingTicketKey(
            "TICKET_KEY is unset: set the same secret (32 characters or more, e.g. "
            "`openssl rand -hex 32`) for the functions that show or check tickets and the "
            "worker (`eventmgr up` makes one in its data dir)"
        )
    keys = [settings.ticket_key, *settings.ticket_keys_previous]
    if any(len(key) < MIN_KEY_LENGTH for key in keys):
        # The message names the setting, never the key.
        raise MissingTicketKey(
            f"TICKET_KEY and each of TICKET_KEYS_PREVIOUS must be {MIN_KEY_LENGTH} characters "
            "or more"
        )
    by_id: dict[str, bytes] = {}
    for key in keys:
        by_id.setdefault(_key_id(key.encode()), key.encode())
    return _Keys(_key_id(settings.ticket_key.encode()), by_id)


def _mac(key: bytes, key_id: str, event_id: uuid.UUID, registration_id: uuid.UUID) -> bytes:
    message = _DOMAIN + key_id.encode() + event_id.bytes + registration_id.bytes
    return hmac.new(key, message, hashlib.sha256).digest()[:MAC_BYTES]


def _code(key_id: str, key: bytes, event_id: uuid.UUID, registration_id: uuid.UUID) -> str:
    body = registration_id.bytes + _mac(key, key_id, event_id, registration_id)
    return key_id + base64.b32encode(body).decode().rstrip("=")


def code_for(event_id: uuid.UUID, registration_id: uuid.UUID) -> str:
    """The code of a registration's ticket, signed with the current key."""
    keys = _keys()
    return _code(keys.signing_id, keys.by_id[keys.signing_id], event_id, registration_id)


def every_code_for(event_id: uuid.UUID, registration_id: uuid.UUID) -> list[str]:
    """Its code under each key still accepted (the door's snapshot knows them all)."""
    return [_code(key_id, key, event_id, registration_id) for key_id, key in _keys().by_id.items()]


def registration_of(event_id: uuid.UUID, code: str) -> uuid.UUID:
    """The registration a code of this event names; InvalidCode for anything else."""
    text = code.strip().upper()
    if len(text) != CODE_LENGTH or not text.isascii():
        raise InvalidCode("not a ticket code")
    key_id, encoded = text[:KEY_ID_LENGTH], text[KEY_ID_LENGTH:]
    key = _keys().by_id.get(key_id)
    try:
        body = base64.b32decode(encoded + "======")
    except (binascii.Error, ValueError):
        raise InvalidCode("not a ticket code") from None
    registration_id = uuid.UUID(bytes=body[:16])
    if key is None:
        raise InvalidCode("signed with a key no longer accepted")
    expected = _code(key_id, key, event_id, registration_id)
    if not hmac.compare_digest(expected.encode(), text.encode()):
        raise InvalidCode("forged, or a ticket of another event")
    return registration_id


def code_hash(code: str) -> str:
    """What the door's snapshot lists instead of the code: SHA-256 of its text, in hex."""
    return hashlib.sha256(code.strip().upper().encode("ascii", "replace")).hexdigest()


def _qr(code: str) -> segno.QRCode:
    # Error correction M at least (segno raises it when the version has room to spare).
    return segno.make_qr(code, error="m")


def qr_svg(code: str) -> str:
    """The QR as a standalone SVG document (no XML declaration), 4 px per module."""
    out = io.BytesIO()
    _qr(code).save(out, kind="svg", scale=4, xmldecl=False, title="Ticket")
    return out.getvalue().decode()


def qr_png(code: str) -> bytes:
    """The QR as a PNG for mail, 6 px per module (about 220 px wide with its quiet zone)."""
    out = io.BytesIO()
    _qr(code).save(out, kind="png", scale=6)
    return out.getvalue()


class Ticket(BaseModel):
    registration_id: uuid.UUID
    event_id: uuid.UUID
    code: str = Field(description="The signed ticket code (46 characters, A-Z and 2-7)")
    qr_svg: str = Field(description="The code as a QR code, a standalone SVG document")


def my_ticket(session: Session, user_id: uuid.UUID, registration_id: uuid.UUID) -> Ticket:
    """The ticket of one's own seat: someone else's registration does not exist for the
    caller (404); a waitlisted or cancelled one, or one of a cancelled event, has none (409)."""
    registration = session.get(Registration, registration_id)
    if registration is None or registration.user_id != user_id:
        raise RegistrationNotFound(f"You have no registration {registration_id}.")
    if registration.status not in CONFIRMED_STATUSES:
        raise NoTicket(
            f"Only a confirmed seat has a ticket; this registration is {registration.status.value}."
        )
    event = session.get(Event, registration.event_id)
    if event is None or event.status == EventStatus.cancelled:
        raise NoTicket("The event is cancelled.")
    code = code_for(registration.event_id, registration.id)
    return Ticket(
        registration_id=registration.id,
        event_id=registration.event_id,
        code=code,
        qr_svg=qr_svg(code),
    )
