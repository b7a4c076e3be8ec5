"""Addresses not to mail again, fed by SendGrid's signed Event Webhook.

Bounces, spam reports and drops put an address on the list; the mail task skips it. Only a
signed request is believed: anyone could otherwise stop mail to any address.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shared.db import unit_of_work
from shared.errors import InvalidInput, Unauthenticated
from shared.notifications.models import MailSuppression

# SendGrid events that mean "stop mailing this address".
SUPPRESSING = {"bounce", "dropped", "spamreport"}
# A signed request older than this is a replay.
MAX_AGE_SECONDS = 600


class BadSignature(Unauthenticated):
    title = "Webhook signature not valid"
    slug = "webhook-signature-not-valid"


def suppressed(addresses: Iterable[str]) -> set[str]:
    wanted = {address.lower() for address in addresses}
    with unit_of_work() as session:
        return set(
            session.scalars(
                select(MailSuppression.address).where(MailSuppression.address.in_(wanted))
            )
        )


def verify(public_key: str, body: bytes, signature: str | None, timestamp: str | None) -> None:
    """SendGrid's ECDSA signature over timestamp + body, by the official client's helper."""
    from sendgrid.helpers.eventwebhook import EventWebhook

    if not signature or not timestamp:
        raise BadSignature("The request is not signed.")
    try:
        fresh = abs(time.time() - int(timestamp)) <= MAX_AGE_SECONDS
        text = body.decode("utf-8")
        verifier = EventWebhook()
        key = verifier.convert_public_key_to_ecdsa(public_key)
        valid = fresh and verifier.verify_signature(text, signature, timestamp, key)
    except (ValueError, TypeError):
        valid = False
    if not valid:
        raise BadSignature("The signature does not match.")


def record(session: Session, body: bytes) -> int:
    """Suppress the addresses the batch of events says to; answers how many rows it wrote."""
    try:
        events: Any = json.loads(body)
    except ValueError as error:
        raise InvalidInput("The body is not JSON.") from error
    if not isinstance(events, list):
        raise InvalidInput("The body must be a list of events.")
    rows: dict[str, dict[str, Any]] = {}
    for event in events:
        if not isinstance(event, dict):
            continue
        kind, address = event.get("event"), event.get("email")
        if kind == "bounce" and event.get("type") == "blocked":
            continue  # a temporary block by the receiving server, not a dead address
        if kind in SUPPRESSING and isinstance(address, str) and "@" in address:
            detail = event.get("reason") or event.get("type") or None
            rows[address.lower()[:320]] = {
                "address": address.lower()[:320],
                "reason": str(kind),
                "detail": str(detail)[:500] if detail else None,
            }
    if rows:
        session.execute(
            insert(MailSuppression).values(list(rows.values())).on_conflict_do_nothing()
        )
    return len(rows)
