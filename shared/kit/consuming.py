"""Handing a received CloudEvent to its consumer, exactly once per (consumer, CloudEvent id).

The record of handling is written in the consumer's own transaction: if the handler fails,
neither its change nor the record stays, and a redelivery is applied; if it succeeded, a
redelivery finds the record and is acknowledged without being applied again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from pydantic import ValidationError

from shared.db import unit_of_work
from shared.errors import DomainError, Forbidden, Unauthenticated
from shared.metrics import CLOUDEVENTS_CONSUMED
from shared.outbox.signing import SIGNATURE_EXTENSION, canonical, is_valid

if TYPE_CHECKING:
    from cloudevents.core.base import BaseCloudEvent
    from sqlalchemy.orm import Session

    from shared.catalog import CloudEventData


class UnsignedCloudEvent(Unauthenticated):
    title = "CloudEvent not signed"
    slug = "unsigned-cloudevent"


class BadCloudEventSignature(Forbidden):
    title = "CloudEvent signature does not match"
    slug = "bad-cloudevent-signature"


class UnreadableCloudEvent(DomainError):
    # Permanent: the same bytes will never parse; the dispatcher dead-letters it at once.
    status = 422
    title = "CloudEvent data does not match the catalog"
    slug = "unreadable-cloudevent"


# The catalog model a handler is given; covariant, so a handler of `ReceivedCloudEvent[Base]`
# also takes the CloudEvents of Base's subclasses.
Data = TypeVar("Data", bound="CloudEventData", covariant=True)


@dataclass(frozen=True)
class ReceivedCloudEvent(Generic[Data]):
    id: str
    type: str
    source: str
    subject: str | None
    time: datetime | None
    data: Data
    # W3C trace context of the request that caused it, to pass on (e.g. to a Celery task).
    traceparent: str | None = None


# What the kit calls: the handler of every CloudEvent type it was registered for (see Function.on).
CloudEventHandler = Callable[["Session", ReceivedCloudEvent[Any]], None]


def verify(cloudevent: BaseCloudEvent) -> None:
    """Only the platform's outbox signs: refuse a CloudEvent it did not publish, or one changed
    on the way (see shared.outbox.signing). A replay of a signed one is a duplicate per consumer.
    """
    signature = _extension(cloudevent, SIGNATURE_EXTENSION)
    if not signature:
        raise UnsignedCloudEvent(f"The CloudEvent carries no {SIGNATURE_EXTENSION} signature.")
    raw: Any = cloudevent.get_data()
    try:
        data = json.loads(raw) if isinstance(raw, str | bytes) else raw
    except ValueError:
        data = raw  # not JSON: the check below fails, as for any other change
    message = canonical(
        id=cloudevent.get_id(),
        type=cloudevent.get_type(),
        source=cloudevent.get_source(),
        subject=cloudevent.get_subject(),
        time=cloudevent.get_time(),
        data=data if not isinstance(data, bytes) else data.decode("utf-8", "replace"),
    )
    if not is_valid(message, signature):
        raise BadCloudEventSignature("The CloudEvent's signature does not match its content.")


def read(cloudevent: BaseCloudEvent) -> ReceivedCloudEvent[CloudEventData]:
    """The verified CloudEvent, its data validated by the catalog's model."""
    from shared.catalog import UnknownCloudEventType, model_for

    verify(cloudevent)
    try:
        model = model_for(cloudevent.get_type())
        raw: Any = cloudevent.get_data()
        data = (
            model.model_validate_json(raw)
            if isinstance(raw, str | bytes)
            else (model.model_validate(raw or {}))
        )
    except (UnknownCloudEventType, ValidationError) as error:
        raise UnreadableCloudEvent(str(error)) from error
    return ReceivedCloudEvent(
        id=cloudevent.get_id(),
        type=cloudevent.get_type(),
        source=cloudevent.get_source(),
        subject=cloudevent.get_subject(),
        time=cloudevent.get_time(),
        data=data,
        traceparent=_extension(cloudevent, "traceparent"),
    )


def _extension(cloudevent: BaseCloudEvent, name: str) -> str | None:
    value = cloudevent.get_extension(name)
    return value if isinstance(value, str) else None


def consume_once(
    consumer: str, handler: CloudEventHandler, received: ReceivedCloudEvent[CloudEventData]
) -> bool:
    """Apply the handler unless this consumer already did; True when it was applied now."""
    # Loaded by the first CloudEvent, as its parser is: a function starts without SQLAlchemy.
    from sqlalchemy import Table
    from sqlalchemy.dialects.postgresql import insert

    from shared.outbox.models import ProcessedCloudEvent

    # On the table, not the mapped class: a Core INSERT skips the ORM's bulk-insert machinery,
    # which was a tenth of a consumed CloudEvent's time in the profile.
    record = cast(Table, ProcessedCloudEvent.__table__)
    try:
        with unit_of_work() as session:
            first_time = session.execute(
                insert(record)
                .values(consumer=consumer, cloudevent_id=received.id)
                .on_conflict_do_nothing()
                .returning(record.c.cloudevent_id)
            ).first()
            if first_time is None:
                CLOUDEVENTS_CONSUMED.labels(consumer, received.type, "duplicate").inc()
                return False
            handler(session, received)
    except Exception:
        CLOUDEVENTS_CONSUMED.labels(consumer, received.type, "failed").inc()
        raise
    CLOUDEVENTS_CONSUMED.labels(consumer, received.type, "handled").inc()
    return True
