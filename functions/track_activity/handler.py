"""Keeps the statistics rollups exact: every registration and event CloudEvent recounts what
it is about from the source tables, in the transaction that records it as handled."""

from mangum import Mangum
from sqlalchemy.orm import Session

from shared.analytics.service import refresh
from shared.catalog import (
    EventApproved,
    EventCancelled,
    EventCreated,
    EventDeleted,
    EventHidden,
    EventPublished,
    EventRestored,
    EventUpdated,
    RegistrationCancelled,
    RegistrationCheckedIn,
    RegistrationCreated,
    RegistrationPromoted,
)
from shared.kit import Function
from shared.kit.consuming import ReceivedCloudEvent

REGISTRATIONS = (
    RegistrationCreated,
    RegistrationCancelled,
    RegistrationPromoted,
    RegistrationCheckedIn,
)
# Whatever changes an event's category, start, visibility or existence moves its figures in
# the popular categories.
EVENTS = (
    EventCreated,
    EventPublished,
    EventUpdated,
    EventCancelled,
    EventHidden,
    EventRestored,
    EventApproved,
    EventDeleted,
)

fn = Function(
    "track_activity",
    summary="Keep the statistics rollups exact from registration and event CloudEvents.",
    consumes=tuple(model.cloudevent_type for model in (*REGISTRATIONS, *EVENTS)),
)


def registration_changed(session: Session, cloudevent: ReceivedCloudEvent) -> None:
    data = cloudevent.data
    assert isinstance(data, REGISTRATIONS)
    refresh(session, data.event_id, data.user_id)


def event_changed(session: Session, cloudevent: ReceivedCloudEvent) -> None:
    data = cloudevent.data
    assert isinstance(data, EVENTS)
    refresh(session, data.event_id)


for about_registration in REGISTRATIONS:
    fn.on(about_registration.cloudevent_type)(registration_changed)
for about_event in EVENTS:
    fn.on(about_event.cloudevent_type)(event_changed)

app = fn.app()
handler = Mangum(app, lifespan="off")
