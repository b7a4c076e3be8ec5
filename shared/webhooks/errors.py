from __future__ import annotations

from shared.errors import Conflict, InvalidInput, NotFound


class WebhookNotFound(NotFound):
    # Also what someone else's webhook answers: its existence is not theirs to learn.
    title = "Webhook not found"
    slug = "webhook-not-found"


class DeliveryNotFound(NotFound):
    title = "Webhook delivery not found"
    slug = "webhook-delivery-not-found"


class TooManyWebhooks(Conflict):
    title = "Too many webhooks"
    slug = "too-many-webhooks"


class UnsafeTarget(InvalidInput):
    """A URL the platform will not call: not https, or resolving to an address inside a
    network (private, loopback, link-local, ...) that a stranger must not reach through us."""

    title = "Webhook URL refused"
    slug = "webhook-url-refused"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, field="url")
