"""Consumes CloudEvents and tells the right people: each notification is a row, then mail."""

from mangum import Mangum
from sqlalchemy.orm import Session

from shared.catalog import (
    EventCancelled,
    EventDeleted,
    EventHidden,
    EventRestored,
    EventUpdated,
    RegistrationCancelled,
    RegistrationCreated,
    RegistrationPromoted,
    ReportFailed,
    ReportReady,
    UserPasswordChanged,
    UserPasswordResetRequested,
    UserRegistered,
    UserVerificationRequested,
)
from shared.kit import Function
from shared.kit.consuming import ReceivedCloudEvent
from shared.notifications import event_notices, report_notices
from shared.notifications.service import notify
from shared.reports.models import ReportStatus
from shared.users import repository as users
from shared.users.models import User

REGISTERED = UserRegistered.cloudevent_type
VERIFICATION_REQUESTED = UserVerificationRequested.cloudevent_type
RESET_REQUESTED = UserPasswordResetRequested.cloudevent_type
PASSWORD_CHANGED = UserPasswordChanged.cloudevent_type
JOINED = RegistrationCreated.cloudevent_type
PROMOTED = RegistrationPromoted.cloudevent_type
LEFT = RegistrationCancelled.cloudevent_type
EVENT_UPDATED = EventUpdated.cloudevent_type
EVENT_CANCELLED = EventCancelled.cloudevent_type
EVENT_DELETED = EventDeleted.cloudevent_type
EVENT_HIDDEN = EventHidden.cloudevent_type
EVENT_RESTORED = EventRestored.cloudevent_type
REPORT_READY = ReportReady.cloudevent_type
REPORT_FAILED = ReportFailed.cloudevent_type

fn = Function(
    "notify",
    summary="Tell people what concerns them: in-app, by mail and by Web Push.",
    consumes=(
        REGISTERED,
        VERIFICATION_REQUESTED,
        RESET_REQUESTED,
        PASSWORD_CHANGED,
        JOINED,
        PROMOTED,
        LEFT,
        EVENT_UPDATED,
        EVENT_CANCELLED,
        EVENT_DELETED,
        EVENT_HIDDEN,
        EVENT_RESTORED,
        REPORT_READY,
        REPORT_FAILED,
    ),
    secrets=("rabbitmq_url",),
)


def _account_holder(session: Session, cloudevent: ReceivedCloudEvent) -> User | None:
    # Current state decides, not the CloudEvent: it may arrive late or twice.
    user_id = getattr(cloudevent.data, "user_id", None)
    user = users.by_id(session, user_id) if user_id else None
    return user if user is not None and user.is_active else None


def _mail(session: Session, user: User, kind: str) -> None:
    """Account mails go whatever the settings say: they are about the account's safety."""
    notify(
        session,
        kind=kind,
        recipient=user.email,
        user_id=user.id,
        locale=user.locale,
        payload={},
    )


@fn.on(REGISTERED)
@fn.on(VERIFICATION_REQUESTED)
def send_verification(session: Session, cloudevent: ReceivedCloudEvent) -> None:
    user = _account_holder(session, cloudevent)
    if user is not None and not user.email_verified:
        _mail(session, user, "verify_email")


@fn.on(RESET_REQUESTED)
def send_reset_link(session: Session, cloudevent: ReceivedCloudEvent) -> None:
    user = _account_holder(session, cloudevent)
    if user is not None:
        _mail(session, user, "reset_password")


@fn.on(PASSWORD_CHANGED)
def send_password_notice(session: Session, cloudevent: ReceivedCloudEvent) -> None:
    user = _account_holder(session, cloudevent)
    if user is not None:
        _mail(session, user, "password_changed")


@fn.on(JOINED)
def confirm_registration(session: Session, cloudevent: ReceivedCloudEvent) -> None:
    assert isinstance(cloudevent.data, RegistrationCreated)
    event_notices.registration_news(session, cloudevent.data.registration_id, promoted=False)


@fn.on(PROMOTED)
def announce_promotion(session: Session, cloudevent: ReceivedCloudEvent) -> None:
    assert isinstance(cloudevent.data, RegistrationPromoted)
    event_notices.registration_news(session, cloudevent.data.registration_id, promoted=True)


@fn.on(LEFT)
def tell_removed_participant(session: Session, cloudevent: ReceivedCloudEvent) -> None:
    assert isinstance(cloudevent.data, RegistrationCancelled)
    data = cloudevent.data
    event_notices.registration_removed(session, data.registration_id, data.by_user_id)


@fn.on(EVENT_UPDATED)
def announce_change(session: Session, cloudevent: ReceivedCloudEvent) -> None:
    assert isinstance(cloudevent.data, EventUpdated)
    if cloudevent.data.notice_worthy:
        event_notices.event_changed(session, cloudevent.data.event_id, cloudevent.data.changes)


@fn.on(EVENT_CANCELLED)
def announce_cancellation(session: Session, cloudevent: ReceivedCloudEvent) -> None:
    assert isinstance(cloudevent.data, EventCancelled)
    event_notices.event_cancelled(session, cloudevent.data.event_id, cloudevent.data.reason)


@fn.on(EVENT_DELETED)
def announce_deletion(session: Session, cloudevent: ReceivedCloudEvent) -> None:
    assert isinstance(cloudevent.data, EventDeleted)
    event_notices.event_deleted(session, cloudevent.data)


@fn.on(EVENT_HIDDEN)
def tell_organizer_hidden(session: Session, cloudevent: ReceivedCloudEvent) -> None:
    assert isinstance(cloudevent.data, EventHidden)
    data = cloudevent.data
    event_notices.moderation_news(session, data.event_id, "event_hidden", data.reason)


@fn.on(EVENT_RESTORED)
def tell_organizer_restored(session: Session, cloudevent: ReceivedCloudEvent) -> None:
    assert isinstance(cloudevent.data, EventRestored)
    event_notices.moderation_news(session, cloudevent.data.event_id, "event_restored", None)


@fn.on(REPORT_READY)
def tell_report_ready(session: Session, cloudevent: ReceivedCloudEvent) -> None:
    assert isinstance(cloudevent.data, ReportReady)
    report_notices.report_finished(session, cloudevent.data.report_id, ReportStatus.ready)


@fn.on(REPORT_FAILED)
def tell_report_failed(session: Session, cloudevent: ReceivedCloudEvent) -> None:
    assert isinstance(cloudevent.data, ReportFailed)
    report_notices.report_finished(session, cloudevent.data.report_id, ReportStatus.failed)


app = fn.app()
handler = Mangum(app, lifespan="off")
