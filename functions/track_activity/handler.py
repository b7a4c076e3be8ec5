"""Keeps the statistics rollups exact: every registration and event CloudEvent recounts what
it is about from the source tables, in the transaction that records it as handled; every
review CloudEvent recounts the event's rating from its reviews."""

from mangum import Mangum
from sqlalchemy.orm import Session

from shared.analytics.service import refresh
from shared.catalog import (
    AboutEvent,
    AboutRegistration,
    AboutReview,
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
    RegistrationClaimed,
    RegistrationCreated,
    RegistrationOffered,
    RegistrationOfferExpired,
    RegistrationPromoted,
    ReviewCreated,
    ReviewHidden,
    ReviewRestored,
    ReviewUpdated,
)
from shared.kit import Function
from shared.kit.consuming import ReceivedCloudEvent
from shared.reviews.service import refresh_rating

REGISTRATIONS = (
    RegistrationCreated,
    RegistrationCancelled,
    RegistrationPromoted,
    RegistrationCheckedIn,
    RegistrationOffered,
    RegistrationOfferExpired,
    RegistrationClaimed,
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
    summary="Keep the statistics rollups and ratings exact from registration, event and "
    "review CloudEvents.",
)


@fn.on(*REGISTRATIONS)
def registration_changed(
    session: Session, cloudevent: ReceivedCloudEvent[AboutRegistration]
) -> None:
    refresh(session, cloudevent.data.event_id, cloudevent.data.user_id)


@fn.on(*EVENTS)
def event_changed(session: Session, cloudevent: ReceivedCloudEvent[AboutEvent]) -> None:
    refresh(session, cloudevent.data.event_id)


# A reply changes no stars: review.replied is not consumed here.
@fn.on(ReviewCreated, ReviewUpdated, ReviewHidden, ReviewRestored)
def review_changed(session: Session, cloudevent: ReceivedCloudEvent[AboutReview]) -> None:
    refresh_rating(session, cloudevent.data.event_id)


app = fn.app()
handler = Mangum(app, lifespan="off")
