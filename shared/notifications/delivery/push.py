"""Web Push (RFC 8030 + VAPID, RFC 8292; payloads encrypted per RFC 8291) with `pywebpush`.

A subscription's endpoint is a URL the platform will POST to, so it is accepted only as an
https URL on a push service in `PUSH_ALLOWED_HOSTS`, checked when subscribing and again when
sending, and redirects are never followed: no one can make the platform call an address of
their choosing.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shared import process_state
from shared.config import get_settings
from shared.db import unit_of_work
from shared.errors import DomainError, InvalidInput, NotFound
from shared.metrics import PUSH_SENT
from shared.notifications.kinds import render
from shared.notifications.models import DeliveryStatus, Notification, PushSubscription
from shared.validation import Number, RequestModel

if TYPE_CHECKING:
    import requests

logger = logging.getLogger("eventmgr.push")
# A push message's encrypted payload must stay under 4 KiB (RFC 8291): the text is cut to
# this many UTF-8 bytes, which leaves room for the rest of the JSON and the encryption.
MAX_TEXT_BYTES = 2500
# Browsers one person receives push in; a new one beyond this replaces the oldest.
MAX_SUBSCRIPTIONS = 10
# How long a push service keeps a message for an offline browser.
TTL_SECONDS = 24 * 3600


class PushNotConfigured(DomainError):
    status = 503
    title = "Web Push is not configured"
    slug = "push-not-configured"


class SubscriptionNotFound(NotFound):
    title = "Push subscription not found"
    slug = "push-subscription-not-found"


class PushUnavailable(Exception):
    """The push service did not take the message this time (429, 5xx, network)."""


def allowed(endpoint: str) -> bool:
    parts = urlsplit(endpoint)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or not host or parts.username or parts.password:
        return False
    for pattern in get_settings().push_allowed_hosts:
        pattern = pattern.lower()
        if host == pattern or (pattern.startswith("*.") and host.endswith(pattern[1:])):
            return True
    return False


def _decoded(value: str, length: int) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError) as error:
        raise ValueError("must be base64url") from error
    if len(raw) != length:
        raise ValueError(f"must be {length} bytes")
    return raw


class SubscriptionKeys(RequestModel):
    p256dh: str = Field(max_length=200)
    auth: str = Field(max_length=100)

    @field_validator("p256dh")
    @classmethod
    def _point(cls, value: str) -> str:
        # The browser's P-256 public key, uncompressed (65 bytes): a point on the curve.
        try:
            ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _decoded(value, 65))
        except ValueError as error:
            raise ValueError("must be an uncompressed P-256 public key") from error
        return value

    @field_validator("auth")
    @classmethod
    def _secret(cls, value: str) -> str:
        _decoded(value, 16)  # the browser's 16-byte auth secret
        return value


class SubscriptionIn(RequestModel):
    """What the browser's `PushSubscription.toJSON()` gives."""

    endpoint: str = Field(max_length=2000)
    keys: SubscriptionKeys
    expirationTime: Number | None = None  # noqa: N815 - the browser's own field name

    @field_validator("endpoint")
    @classmethod
    def _ascii(cls, value: str) -> str:
        if not value.isascii():  # push services hand out plain URLs; no IRIs
            raise ValueError("must be an ASCII URL")
        return value


class SubscriptionOut(BaseModel):
    id: uuid.UUID
    endpoint_host: str


def subscribe(session: Session, user_id: uuid.UUID, body: SubscriptionIn) -> SubscriptionOut:
    if not allowed(body.endpoint):
        raise InvalidInput(
            "The endpoint must be an https URL of a known push service.", field="endpoint"
        )
    application_server_key()  # refuse early when push is not set up at all
    values = {"user_id": user_id, "p256dh": body.keys.p256dh, "auth": body.keys.auth}
    # One browser, one endpoint: a second sign-in in the same browser takes it over.
    subscription_id = session.scalars(
        insert(PushSubscription)
        .values(id=uuid.uuid4(), endpoint=body.endpoint, **values)
        .on_conflict_do_update(index_elements=["endpoint"], set_=values)
        .returning(PushSubscription.id)
    ).one()
    oldest_beyond_cap = (
        select(PushSubscription.id)
        .where(PushSubscription.user_id == user_id)
        .order_by(PushSubscription.created_at.desc(), PushSubscription.id)
        .offset(MAX_SUBSCRIPTIONS)
    )
    session.execute(
        delete(PushSubscription).where(PushSubscription.id.in_(oldest_beyond_cap.scalar_subquery()))
    )
    return SubscriptionOut(id=subscription_id, endpoint_host=urlsplit(body.endpoint).hostname or "")


def unsubscribe(session: Session, user_id: uuid.UUID, subscription_id: uuid.UUID) -> None:
    gone = session.execute(
        delete(PushSubscription)
        .where(PushSubscription.id == subscription_id, PushSubscription.user_id == user_id)
        .returning(PushSubscription.id)
    ).first()
    if gone is None:
        raise SubscriptionNotFound(f"No push subscription {subscription_id}.")


@process_state.cached
def _vapid() -> Any:
    from py_vapid import Vapid

    key = get_settings().vapid_private_key
    if not key:
        raise PushNotConfigured("VAPID_PRIVATE_KEY is not set.")
    if "BEGIN" in key:
        return Vapid.from_pem(key.encode())
    return Vapid.from_string(key)


def application_server_key() -> str:
    """The public key browsers pass to `pushManager.subscribe` (base64url, uncompressed)."""
    configured = get_settings().vapid_public_key
    if configured:
        return configured
    raw = _vapid().public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _no_redirects() -> requests.Session:
    """A push service answers; it never sends the platform elsewhere. requests is imported
    here, as pywebpush is in `send`: it comes with the `push` extra, and `notify` imports this
    module (through the Celery tasks) in an image without it."""
    import requests

    class NoRedirects(requests.Session):
        def request(self, *args: Any, **kwargs: Any) -> requests.Response:
            kwargs["allow_redirects"] = False
            return super().request(*args, **kwargs)

    return NoRedirects()


def _cut(text: str, limit: int) -> str:
    """At most `limit` UTF-8 bytes, never half a character."""
    return text.encode()[:limit].decode(errors="ignore")


def payload_of(row: Notification) -> str:
    rendered = render(row)
    return json.dumps(
        {
            "id": str(row.id),
            "kind": row.kind,
            "title": _cut(rendered.subject, 300),
            "body": _cut(rendered.summary, MAX_TEXT_BYTES),
            "url": rendered.link,
        },
        ensure_ascii=False,  # Cyrillic as 2 bytes, not as 6-byte escapes
    )


def subscriptions_of(rows: list[Notification]) -> dict[uuid.UUID | None, list[PushSubscription]]:
    """The browsers of everyone in a batch, in one query."""
    people = {row.user_id for row in rows if row.user_id}
    found: dict[uuid.UUID | None, list[PushSubscription]] = {}
    if not people:
        return found
    with unit_of_work() as session:
        for subscription in session.scalars(
            select(PushSubscription).where(PushSubscription.user_id.in_(people))
        ):
            found.setdefault(subscription.user_id, []).append(subscription)
    return found


def deliver(row: Notification, subscriptions: list[PushSubscription]) -> DeliveryStatus:
    """Push one notification to every browser its person subscribed.

    Sent when one browser took it. A subscription the service says is gone (404, 410) is
    removed. When no browser took it but one may later (429, 5xx, network), PushUnavailable
    asks the task to retry."""
    import requests
    from pywebpush import WebPushException, webpush

    try:
        vapid = _vapid()
    except PushNotConfigured:
        return DeliveryStatus.skipped
    data = payload_of(row)
    delivered, transient, refused, gone = 0, 0, 0, []
    with _no_redirects() as http:
        for subscription in subscriptions:
            if not allowed(subscription.endpoint):
                continue  # the allowlist changed since it subscribed
            info = {
                "endpoint": subscription.endpoint,
                "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
            }
            try:
                response = webpush(
                    info,
                    data,
                    vapid_private_key=vapid,
                    vapid_claims={"sub": get_settings().vapid_subject},
                    timeout=get_settings().push_timeout_seconds,
                    ttl=TTL_SECONDS,
                    requests_session=http,
                )
            except WebPushException as error:
                status = error.response.status_code if error.response is not None else 0
                if status in (404, 410):
                    gone.append(subscription.id)
                elif status == 429 or status >= 500 or status == 0:
                    transient += 1
                else:  # a redirect, or a 4xx: the service will not take it
                    refused += 1
                    logger.warning("push refused", extra={"http.status": status})
                continue
            except requests.RequestException:
                transient += 1
                continue
            except (ValueError, TypeError) as error:  # its keys cannot encrypt: never will
                refused += 1
                logger.warning("push subscription unusable", extra={"error.message": str(error)})
                continue
            if isinstance(response, requests.Response) and 200 <= response.status_code < 300:
                delivered += 1
    if gone:
        with unit_of_work() as session:
            session.execute(delete(PushSubscription).where(PushSubscription.id.in_(gone)))
        PUSH_SENT.labels("gone").inc(len(gone))
    if delivered:
        PUSH_SENT.labels("sent").inc(delivered)
        return DeliveryStatus.sent
    if transient:
        PUSH_SENT.labels("retried").inc(transient)
        raise PushUnavailable(f"{transient} push services did not answer")
    if refused:
        PUSH_SENT.labels("failed").inc(refused)
        return DeliveryStatus.failed
    return DeliveryStatus.skipped  # no browser left to push to
