"""The CloudEvent catalog: every type the platform emits, with a pydantic schema for its data.

Emitters and consumers go through this module: `emit()` refuses a type that is not here, and
a consumer's handler receives the data parsed into the type's model. Adding a field is fine;
removing or renaming one makes a new type (`...v2`).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

PREFIX = "org.eventmanager."


class CloudEventData(BaseModel):
    """The `data` of one CloudEvent type; subclasses name the type they carry."""

    model_config = ConfigDict(extra="allow", frozen=True)
    cloudevent_type: ClassVar[str]

    def subject(self) -> str | None:
        """The id of the thing it is about (the CloudEvent `subject`)."""
        return None


CATALOG: dict[str, type[CloudEventData]] = {}


def cloudevent(name: str) -> Any:
    """Class decorator: register a data model under `org.eventmanager.<name>`."""

    def register(model: type[CloudEventData]) -> type[CloudEventData]:
        full = PREFIX + name
        if full in CATALOG:
            raise ValueError(f"{full} is in the catalog twice")
        model.cloudevent_type = full
        CATALOG[full] = model
        return model

    return register


class UnknownCloudEventType(KeyError):
    pass


def model_for(cloudevent_type: str) -> type[CloudEventData]:
    try:
        return CATALOG[cloudevent_type]
    except KeyError:
        raise UnknownCloudEventType(cloudevent_type) from None


# --- users ---------------------------------------------------------------------------------


# The common bases are public: a handler registered for several models takes their base
# (`ReceivedCloudEvent[AboutEvent]`).
class AboutUser(CloudEventData):
    user_id: uuid.UUID

    def subject(self) -> str | None:
        return str(self.user_id)


@cloudevent("user.registered")
class UserRegistered(AboutUser):
    email: str
    full_name: str
    role: str
    locale: str


@cloudevent("user.verification_requested")
class UserVerificationRequested(AboutUser):
    pass


@cloudevent("user.verified")
class UserVerified(AboutUser):
    pass


@cloudevent("user.password_reset_requested")
class UserPasswordResetRequested(AboutUser):
    pass


@cloudevent("user.password_changed")
class UserPasswordChanged(AboutUser):
    pass


class _AdminChange(AboutUser):
    by_user_id: uuid.UUID
    old: str | bool | None
    new: str | bool | None


@cloudevent("user.role_changed")
class UserRoleChanged(_AdminChange):
    pass


@cloudevent("user.blocked")
class UserBlocked(_AdminChange):
    pass


@cloudevent("user.unblocked")
class UserUnblocked(_AdminChange):
    pass


# --- events --------------------------------------------------------------------------------


class AboutEvent(CloudEventData):
    event_id: uuid.UUID

    def subject(self) -> str | None:
        return str(self.event_id)


class _EventSummary(AboutEvent):
    organizer_id: uuid.UUID
    title: str
    category: str
    starts_at: datetime
    status: str


@cloudevent("event.created")
class EventCreated(_EventSummary):
    pass


@cloudevent("event.published")
class EventPublished(_EventSummary):
    pass


@cloudevent("event.updated")
class EventUpdated(AboutEvent):
    changes: dict[str, tuple[Any, Any]]
    # A change of time, place or status: registered people are told.
    notice_worthy: bool


@cloudevent("event.cancelled")
class EventCancelled(AboutEvent):
    reason: str | None = None


class _Moderation(AboutEvent):
    by_user_id: uuid.UUID
    reason: str | None = None


@cloudevent("event.hidden")
class EventHidden(_Moderation):
    pass


@cloudevent("event.restored")
class EventRestored(_Moderation):
    pass


@cloudevent("event.approved")
class EventApproved(_Moderation):
    """A pending event (`MODERATION_MODE=pre`) may now be listed."""


class DeletedRegistration(BaseModel):
    registration_id: uuid.UUID
    user_id: uuid.UUID
    status: str


@cloudevent("event.deleted")
class EventDeleted(_EventSummary):
    """The row is gone when this arrives, so it carries what consumers need: who was
    registered (to tell them when the event was published) and what it was."""

    by_user_id: uuid.UUID
    ends_at: datetime
    timezone: str
    registrations: list[DeletedRegistration]


# --- registrations -------------------------------------------------------------------------


class AboutRegistration(CloudEventData):
    registration_id: uuid.UUID
    event_id: uuid.UUID
    user_id: uuid.UUID

    def subject(self) -> str | None:
        return str(self.registration_id)


@cloudevent("registration.created")
class RegistrationCreated(AboutRegistration):
    status: str
    waitlist_position: int | None = None


@cloudevent("registration.cancelled")
class RegistrationCancelled(AboutRegistration):
    by_user_id: uuid.UUID
    # What it was before ("confirmed", "waitlisted", ...): whether a seat was given back.
    previous_status: str | None = None


@cloudevent("registration.promoted")
class RegistrationPromoted(AboutRegistration):
    pass


@cloudevent("registration.offered")
class RegistrationOffered(AboutRegistration):
    """Offer mode: a freed seat is held for this person until `offer_expires_at`."""

    offer_expires_at: datetime


@cloudevent("registration.offer_expired")
class RegistrationOfferExpired(AboutRegistration):
    """Not claimed in time: the registration is cancelled and the seat offered to the next."""


@cloudevent("registration.claimed")
class RegistrationClaimed(AboutRegistration):
    """An offered seat taken: the registration is confirmed."""


@cloudevent("registration.checked_in")
class RegistrationCheckedIn(AboutRegistration):
    pass


# --- event teams ---------------------------------------------------------------------------


class AboutTeamMember(AboutEvent):
    user_id: uuid.UUID
    # "co_organizer" or "steward" (shared.teams.models.TeamRole).
    role: str
    by_user_id: uuid.UUID


@cloudevent("team.member_added")
class TeamMemberAdded(AboutTeamMember):
    """Someone joined the team, or a member's role changed (`previous_role` then says from
    what)."""

    previous_role: str | None = None


@cloudevent("team.member_removed")
class TeamMemberRemoved(AboutTeamMember):
    pass


# --- series ---------------------------------------------------------------------------------


class AboutSeries(CloudEventData):
    series_id: uuid.UUID
    organizer_id: uuid.UUID

    def subject(self) -> str | None:
        return str(self.series_id)


@cloudevent("series.created")
class SeriesCreated(AboutSeries):
    rrule: str
    timezone: str
    event_ids: list[uuid.UUID]


@cloudevent("series.updated")
class SeriesUpdated(AboutSeries):
    """The fields changed on every future occurrence (`event_ids`); each of them also has
    its own `event.updated`, which is what tells its registered people."""

    changes: list[str]
    event_ids: list[uuid.UUID]


# --- following -----------------------------------------------------------------------------


@cloudevent("organizer.followed")
class OrganizerFollowed(CloudEventData):
    """Someone began following an organizer (following again emits nothing)."""

    organizer_id: uuid.UUID
    user_id: uuid.UUID

    def subject(self) -> str | None:
        return str(self.organizer_id)


# --- reviews -------------------------------------------------------------------------------


class AboutReview(CloudEventData):
    review_id: uuid.UUID
    event_id: uuid.UUID
    # The review's author.
    user_id: uuid.UUID

    def subject(self) -> str | None:
        return str(self.review_id)


@cloudevent("review.created")
class ReviewCreated(AboutReview):
    rating: int


@cloudevent("review.updated")
class ReviewUpdated(AboutReview):
    rating: int


class _ReviewModeration(AboutReview):
    by_user_id: uuid.UUID
    reason: str | None = None


@cloudevent("review.hidden")
class ReviewHidden(_ReviewModeration):
    pass


@cloudevent("review.restored")
class ReviewRestored(_ReviewModeration):
    pass


@cloudevent("review.replied")
class ReviewReplied(AboutReview):
    """The organizer (or a co-organizer, `by_user_id`) answered; the author is told."""

    by_user_id: uuid.UUID


# --- discussions ---------------------------------------------------------------------------


class AboutMessage(AboutEvent):
    """A message of an event's discussion. The text is not carried: consumers read the row,
    which says whether it still stands (a deletion keeps only a tombstone)."""

    message_id: uuid.UUID
    # Who wrote it (None: the account was removed since).
    author_id: uuid.UUID | None

    def subject(self) -> str | None:
        return str(self.message_id)


@cloudevent("message.posted")
class MessagePosted(AboutMessage):
    """Someone wrote in the discussion; `reply_to` is the message answered, if any. `notify`
    tells the people it mentions (see shared.discussions.mentions)."""

    reply_to: uuid.UUID | None = None


@cloudevent("message.deleted")
class MessageDeleted(AboutMessage):
    """Its author, the event's team or an admin (`by_user_id`) deleted it; `kind` says
    whether it was a message or an announcement."""

    by_user_id: uuid.UUID
    kind: str


@cloudevent("announcement.published")
class AnnouncementPosted(AboutEvent):
    """The owner or a co-organizer announced something: every active registrant is told."""

    message_id: uuid.UUID
    by_user_id: uuid.UUID
    title: str
    text: str


# --- achievements --------------------------------------------------------------------------


@cloudevent("achievement.awarded")
class AchievementAwarded(AboutUser):
    """A rule fired for a person who opted in (once per person, rule and scope): `notify`
    tells them in the app. `scope` is the event's id for once-per-event rules, else empty."""

    rule: str
    scope: str
    points: int
    awarded_at: datetime


# --- media and reports ---------------------------------------------------------------------


class AboutMedia(CloudEventData):
    media_id: uuid.UUID
    event_id: uuid.UUID
    content_type: str
    size: int

    def subject(self) -> str | None:
        return str(self.media_id)


@cloudevent("media.uploaded")
class MediaUploaded(AboutMedia):
    pass


@cloudevent("media.deleted")
class MediaDeleted(AboutMedia):
    pass


class AboutReport(CloudEventData):
    report_id: uuid.UUID
    requester_id: uuid.UUID
    kind: str

    def subject(self) -> str | None:
        return str(self.report_id)


@cloudevent("report.ready")
class ReportReady(AboutReport):
    pass


@cloudevent("report.failed")
class ReportFailed(AboutReport):
    error: str
