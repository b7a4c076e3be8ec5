"""Consumes CloudEvents and tells the right people: each notification is a row, then mail."""

from mangum import Mangum
from sqlalchemy.orm import Session

from shared.catalog import UserRegistered, UserVerificationRequested
from shared.kit import Function
from shared.kit.consuming import ReceivedCloudEvent
from shared.notifications.service import notify_by_email
from shared.users import repository as users

REGISTERED = UserRegistered.cloudevent_type
VERIFICATION_REQUESTED = UserVerificationRequested.cloudevent_type

fn = Function(
    "notify",
    summary="Tell people what concerns them (mail now; in-app and push later).",
    consumes=(REGISTERED, VERIFICATION_REQUESTED),
    secrets=("rabbitmq_url",),
)


@fn.on(REGISTERED)
@fn.on(VERIFICATION_REQUESTED)
def send_verification(session: Session, cloudevent: ReceivedCloudEvent) -> None:
    data = cloudevent.data
    assert isinstance(data, UserRegistered | UserVerificationRequested)
    # Current state decides, not the CloudEvent: verified by now means nothing to send.
    user = users.by_id(session, data.user_id)
    if user is None or user.email_verified or not user.is_active:
        return
    notify_by_email(
        session,
        kind="verify_email",
        recipient=user.email,
        user_id=user.id,
        locale=user.locale,
        payload={"full_name": user.full_name},
    )


app = fn.app()
handler = Mangum(app, lifespan="off")
