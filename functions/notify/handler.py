"""Consumes CloudEvents and tells the right people: each notification is a row, then mail."""

from mangum import Mangum
from sqlalchemy.orm import Session

from shared.catalog import (
    AboutUser,
    AchievementAwarded,
    AnnouncementPosted,
    EventCancelled,
    EventDeleted,
    EventHidden,
    EventRestored,
    EventUpdated,
    MessageDeleted,
    MessagePosted,
    RegistrationCancelled,
    RegistrationClaimed,
    RegistrationCreated,
    RegistrationOffered,
    RegistrationOfferExpired,
    RegistrationPromoted,
    ReportFailed,
    ReportReady,
    ReviewCreated,
    ReviewReplied,
    TeamMemberAdded,
    TeamMemberRemoved,
    UserPasswordChanged,
    UserPasswordResetRequested,
    UserRegistered,
    UserVerificationRequested,
)
from shared.kit import Function
from shared.kit.consuming import ReceivedCloudEvent as Received
from shared.notifications import (
    account_notices,
    announcements,
    community_notices,
    event_notices,
    kinds,
    report_notices,
)
from shared.reports.models import ReportStatus

fn = Function(
    "notify",
    summary="Tell people what concerns them: in-app, by mail and by Web Push.",
    secrets=("rabbitmq_url",),
)


@fn.on(UserRegistered, UserVerificationRequested)
def send_verification(session: Session, cloudevent: Received[AboutUser]) -> None:
    account_notices.verification_requested(session, cloudevent.data.user_id)


@fn.on(UserPasswordResetRequested)
def send_reset_link(session: Session, cloudevent: Received[UserPasswordResetRequested]) -> None:
    account_notices.password_reset_requested(session, cloudevent.data.user_id)


@fn.on(UserPasswordChanged)
def send_password_notice(session: Session, cloudevent: Received[UserPasswordChanged]) -> None:
    account_notices.password_changed(session, cloudevent.data.user_id)


@fn.on(RegistrationCreated)
def confirm_registration(session: Session, cloudevent: Received[RegistrationCreated]) -> None:
    event_notices.registration_news(session, cloudevent.data.registration_id, promoted=False)


@fn.on(RegistrationPromoted)
def announce_promotion(session: Session, cloudevent: Received[RegistrationPromoted]) -> None:
    event_notices.registration_news(session, cloudevent.data.registration_id, promoted=True)


@fn.on(RegistrationOffered)
def announce_offer(session: Session, cloudevent: Received[RegistrationOffered]) -> None:
    event_notices.offer_news(session, cloudevent.data.registration_id, expired=False)


@fn.on(RegistrationOfferExpired)
def announce_offer_expired(
    session: Session, cloudevent: Received[RegistrationOfferExpired]
) -> None:
    event_notices.offer_news(session, cloudevent.data.registration_id, expired=True)


@fn.on(RegistrationClaimed)
def confirm_claim(session: Session, cloudevent: Received[RegistrationClaimed]) -> None:
    # A claimed seat is confirmed like any other: the confirmation mail with its ticket.
    event_notices.registration_news(session, cloudevent.data.registration_id, promoted=False)


@fn.on(RegistrationCancelled)
def tell_removed_participant(session: Session, cloudevent: Received[RegistrationCancelled]) -> None:
    data = cloudevent.data
    event_notices.registration_removed(session, data.registration_id, data.by_user_id)


@fn.on(EventUpdated)
def announce_change(session: Session, cloudevent: Received[EventUpdated]) -> None:
    if cloudevent.data.notice_worthy:
        event_notices.event_changed(session, cloudevent.data.event_id, cloudevent.data.changes)


@fn.on(EventCancelled)
def announce_cancellation(session: Session, cloudevent: Received[EventCancelled]) -> None:
    event_notices.event_cancelled(session, cloudevent.data.event_id, cloudevent.data.reason)


@fn.on(EventDeleted)
def announce_deletion(session: Session, cloudevent: Received[EventDeleted]) -> None:
    event_notices.event_deleted(session, cloudevent.data)


@fn.on(EventHidden)
def tell_organizer_hidden(session: Session, cloudevent: Received[EventHidden]) -> None:
    data = cloudevent.data
    event_notices.moderation_news(session, data.event_id, kinds.EVENT_HIDDEN, data.reason)


@fn.on(EventRestored)
def tell_organizer_restored(session: Session, cloudevent: Received[EventRestored]) -> None:
    event_notices.moderation_news(session, cloudevent.data.event_id, kinds.EVENT_RESTORED, None)


@fn.on(TeamMemberAdded)
def tell_team_member_added(session: Session, cloudevent: Received[TeamMemberAdded]) -> None:
    data = cloudevent.data
    event_notices.team_news(session, data.event_id, data.user_id, data.role, added=True)


@fn.on(TeamMemberRemoved)
def tell_team_member_removed(session: Session, cloudevent: Received[TeamMemberRemoved]) -> None:
    data = cloudevent.data
    event_notices.team_news(session, data.event_id, data.user_id, data.role, added=False)


@fn.on(AnnouncementPosted)
def tell_announcement(session: Session, cloudevent: Received[AnnouncementPosted]) -> None:
    announcements.announce(session, cloudevent.data)


@fn.on(MessagePosted)
def tell_mentioned(session: Session, cloudevent: Received[MessagePosted]) -> None:
    community_notices.mention_news(session, cloudevent.data.message_id)


@fn.on(MessageDeleted)
def withdraw_mentions(session: Session, cloudevent: Received[MessageDeleted]) -> None:
    if cloudevent.data.kind == "message":  # an announcement's notices are not mentions
        community_notices.withdraw_mention_news(session, cloudevent.data.message_id)


@fn.on(AchievementAwarded)
def tell_achievement(session: Session, cloudevent: Received[AchievementAwarded]) -> None:
    community_notices.award_news(session, cloudevent.data)


@fn.on(ReportReady)
def tell_report_ready(session: Session, cloudevent: Received[ReportReady]) -> None:
    report_notices.report_finished(session, cloudevent.data.report_id, ReportStatus.ready)


@fn.on(ReportFailed)
def tell_report_failed(session: Session, cloudevent: Received[ReportFailed]) -> None:
    report_notices.report_finished(session, cloudevent.data.report_id, ReportStatus.failed)


@fn.on(ReviewCreated)
def tell_organizer_reviewed(session: Session, cloudevent: Received[ReviewCreated]) -> None:
    event_notices.review_news(session, cloudevent.data.review_id, replied=False)


@fn.on(ReviewReplied)
def tell_author_replied(session: Session, cloudevent: Received[ReviewReplied]) -> None:
    event_notices.review_news(session, cloudevent.data.review_id, replied=True)


app = fn.app()
handler = Mangum(app, lifespan="off")
