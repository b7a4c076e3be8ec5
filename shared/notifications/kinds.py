"""Every kind of notification, once: its name (stored in the row), its payload model, its
renderer, whether the app shows it, and the calendar entry its mail carries.

Everything else derives from this table: `notify()` refuses a kind or payload that is not
here, the in-app list shows the kinds marked `in_app`, the mail task renders and attaches by
it. Code names a kind by its constant (`kinds.EVENT_CANCELLED`), so a typo fails at import
or type-check time; tests check that every kind has a renderer and that every kind the code
emits is here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic

from shared.notifications.mails import accounts, achievements, events, messages, reports
from shared.notifications.mails.rendering import P, Rendered, Renderer
from shared.notifications.models import Notification
from shared.notifications.schemas import (
    AchievementNotice,
    AnnouncementNotice,
    EventChangeNotice,
    EventNotice,
    FollowedEventNotice,
    MentionNotice,
    Message,
    NoPayload,
    OfferNotice,
    ReasonedNotice,
    ReminderNotice,
    ReportNotice,
    ReviewNotice,
    SeatNotice,
    TeamNotice,
    WaitlistNotice,
)

if TYPE_CHECKING:
    # Only the worker attaches calendars: functions that notify need no calendar library.
    from shared.calendars.ics import Method


class UnknownKind(LookupError):
    pass


@dataclass(frozen=True)
class Kind(Generic[P]):
    name: str
    payload: type[P]
    renderer: Renderer[P]
    # Shown in the app's list: only kinds whose text holds no secret. A verification or
    # reset mail mints its link when it is sent; rendering it in the app would mint (and
    # show) another.
    in_app: bool = False
    # The calendar entry its mail carries (see delivery.invitations): an invitation naming
    # the reader, or its cancellation.
    calendar: Method | None = None
    # Its mail carries the seat's ticket as a QR picture (see delivery.tickets).
    ticket: bool = False
    # Its renderer reads only the payload and the locale (nothing minted, nothing personal):
    # a batch of mails renders it once per (locale, payload), e.g. a reminder once per time
    # zone of an event's 10,000 people rather than 10,000 times.
    same_for_every_reader: bool = False

    def stored(self, payload: P) -> dict[str, Any]:
        """The row's payload: what was given, as JSON (nothing added by defaults)."""
        if type(payload) is not self.payload:
            raise TypeError(f"{self.name} carries {self.payload.__name__}, not {payload!r}")
        return payload.model_dump(mode="json", exclude_unset=True)

    def render(self, notification: Notification) -> Rendered:
        return self.renderer(notification, self.payload.model_validate(notification.payload))


# Account mails: they go whatever the settings say (they are about the account's safety).
VERIFY_EMAIL = Kind("verify_email", NoPayload, accounts.verify_email)
RESET_PASSWORD = Kind("reset_password", NoPayload, accounts.reset_password)
PASSWORD_CHANGED = Kind("password_changed", NoPayload, accounts.password_changed, in_app=True)
MESSAGE = Kind("message", Message, messages.message)

# Seats. Confirmation and promotion carry the invitation and the ticket; a removal strikes
# the invitation out.
REGISTRATION_CONFIRMED = Kind(
    "registration_confirmed",
    SeatNotice,
    events.registration_confirmed,
    in_app=True,
    calendar="REQUEST",
    ticket=True,
)
REGISTRATION_WAITLISTED = Kind(
    "registration_waitlisted", WaitlistNotice, events.registration_waitlisted, in_app=True
)
REGISTRATION_PROMOTED = Kind(
    "registration_promoted",
    SeatNotice,
    events.registration_promoted,
    in_app=True,
    calendar="REQUEST",
    ticket=True,
)
# Offer mode: a seat held until a time (claiming it brings the confirmation and its ticket),
# and the offer running out.
REGISTRATION_OFFERED = Kind(
    "registration_offered", OfferNotice, events.registration_offered, in_app=True
)
REGISTRATION_OFFER_EXPIRED = Kind(
    "registration_offer_expired", EventNotice, events.registration_offer_expired, in_app=True
)
REGISTRATION_REMOVED = Kind(
    "registration_removed",
    EventNotice,
    events.registration_removed,
    in_app=True,
    # Removed by the organizer: the reader's calendar strikes out the invitation it had.
    calendar="CANCEL",
)

# Events. A change carries the updated invitation (same UID, higher SEQUENCE); a deleted
# event has no row left, and its mail no entry.
EVENT_CHANGED = Kind(
    "event_changed", EventChangeNotice, events.event_changed, in_app=True, calendar="REQUEST"
)
EVENT_CANCELLED = Kind(
    "event_cancelled", ReasonedNotice, events.event_cancelled, in_app=True, calendar="CANCEL"
)
EVENT_DELETED = Kind("event_deleted", EventNotice, events.event_deleted, in_app=True)
EVENT_REMINDER = Kind(
    "event_reminder",
    ReminderNotice,
    events.event_reminder,
    in_app=True,
    same_for_every_reader=True,
)
EVENT_HIDDEN = Kind("event_hidden", ReasonedNotice, events.event_hidden, in_app=True)
EVENT_RESTORED = Kind("event_restored", ReasonedNotice, events.event_restored, in_app=True)

# The team: the person added (or whose role changed) or removed hears of it.
TEAM_MEMBER_ADDED = Kind("team_member_added", TeamNotice, events.team_member_added, in_app=True)
TEAM_MEMBER_REMOVED = Kind(
    "team_member_removed", TeamNotice, events.team_member_removed, in_app=True
)

# An organizer the reader follows published an event: in the app always, by mail and push
# as the reader's settings say.
NEW_EVENT_FROM_FOLLOWED = Kind(
    "new_event_from_followed", FollowedEventNotice, events.new_event_from_followed, in_app=True
)

# Reviews: the organizer hears of a new one, its author of the organizer's reply.
REVIEW_RECEIVED = Kind("review_received", ReviewNotice, events.review_received, in_app=True)
REVIEW_REPLIED = Kind("review_replied", ReviewNotice, events.review_replied, in_app=True)

# Announcements: the organizers' words to everyone registered (also pinned in the discussion).
EVENT_ANNOUNCEMENT = Kind(
    "event_announcement", AnnouncementNotice, events.event_announcement, in_app=True
)

# Discussions: a reply tells the author of the message answered, an `@Name` the person named
# (see shared.discussions.mentions).
DISCUSSION_REPLY = Kind("discussion_reply", MentionNotice, events.discussion_reply, in_app=True)
DISCUSSION_MENTION = Kind(
    "discussion_mention", MentionNotice, events.discussion_mention, in_app=True
)

# Achievements: in the app only (notify sends it without mail or push).
ACHIEVEMENT_AWARDED = Kind(
    "achievement_awarded", AchievementNotice, achievements.achievement_awarded, in_app=True
)

# Reports: they point at the report's page, never at its file, so no secret in the text.
REPORT_READY = Kind("report_ready", ReportNotice, reports.report_ready, in_app=True)
REPORT_FAILED = Kind("report_failed", ReportNotice, reports.report_failed, in_app=True)


def _table(*kinds: Kind[Any]) -> Mapping[str, Kind[Any]]:
    table: dict[str, Kind[Any]] = {}
    for kind in kinds:
        if kind.name in table:
            raise ValueError(f"notification kind {kind.name} is in the table twice")
        table[kind.name] = kind
    return table


KINDS = _table(
    VERIFY_EMAIL,
    RESET_PASSWORD,
    PASSWORD_CHANGED,
    MESSAGE,
    REGISTRATION_CONFIRMED,
    REGISTRATION_WAITLISTED,
    REGISTRATION_PROMOTED,
    REGISTRATION_OFFERED,
    REGISTRATION_OFFER_EXPIRED,
    REGISTRATION_REMOVED,
    EVENT_CHANGED,
    EVENT_CANCELLED,
    EVENT_DELETED,
    EVENT_REMINDER,
    EVENT_HIDDEN,
    EVENT_RESTORED,
    TEAM_MEMBER_ADDED,
    TEAM_MEMBER_REMOVED,
    NEW_EVENT_FROM_FOLLOWED,
    REVIEW_RECEIVED,
    REVIEW_REPLIED,
    EVENT_ANNOUNCEMENT,
    DISCUSSION_REPLY,
    DISCUSSION_MENTION,
    ACHIEVEMENT_AWARDED,
    REPORT_READY,
    REPORT_FAILED,
)
IN_APP = tuple(name for name, kind in KINDS.items() if kind.in_app)


def kind_named(name: str) -> Kind[Any]:
    try:
        return KINDS[name]
    except KeyError:
        raise UnknownKind(name) from None


def render(notification: Notification) -> Rendered:
    """How a row reads now (its kind's renderer, its payload parsed by the kind's model)."""
    return kind_named(notification.kind).render(notification)


def batch_renderer() -> Callable[[Notification], Rendered]:
    """`render` for a batch of rows: a kind that reads the same for every reader is rendered
    once per (kind, locale, payload) of the batch."""
    rendered: dict[tuple[str, str, str], Rendered] = {}

    def render_row(notification: Notification) -> Rendered:
        kind = kind_named(notification.kind)
        if not kind.same_for_every_reader:
            return kind.render(notification)
        key = (kind.name, notification.locale, json.dumps(notification.payload, sort_keys=True))
        if key not in rendered:
            rendered[key] = kind.render(notification)
        return rendered[key]

    return render_row
