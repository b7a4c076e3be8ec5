"""A person's notification settings and the browsers they receive Web Push in."""

import uuid

from fastapi import Response
from mangum import Mangum
from pydantic import BaseModel

from shared.db import unit_of_work
from shared.errors import InvalidInput
from shared.kit import CurrentUser, Function
from shared.notifications import preferences
from shared.notifications.delivery import push
from shared.notifications.preferences import Preferences, PreferencesUpdate

fn = Function(
    "notification_settings",
    summary="Notification settings and Web Push subscriptions.",
    extras=("push",),
)


class PublicKey(BaseModel):
    public_key: str


@fn.get("/api/v1/me/notification-settings", response_model=Preferences)
def read_settings(user: CurrentUser) -> Preferences:
    with unit_of_work() as session:
        return preferences.preferences_of(session, user.user_id)


@fn.put("/api/v1/me/notification-settings", response_model=Preferences)
def write_settings(body: PreferencesUpdate, user: CurrentUser) -> Preferences:
    with unit_of_work() as session:
        return preferences.save(session, user.user_id, body)


@fn.get("/api/v1/push/public-key", response_model=PublicKey, errors=(push.PushNotConfigured,))
def public_key() -> PublicKey:
    """The VAPID key a browser passes to `pushManager.subscribe` as applicationServerKey."""
    return PublicKey(public_key=push.application_server_key())


@fn.post(
    "/api/v1/me/push-subscriptions",
    status_code=201,
    response_model=push.SubscriptionOut,
    errors=(InvalidInput,),
)
def subscribe(body: push.SubscriptionIn, user: CurrentUser) -> push.SubscriptionOut:
    with unit_of_work() as session:
        return push.subscribe(session, user.user_id, body)


@fn.delete(
    "/api/v1/me/push-subscriptions/{subscription_id}",
    status_code=204,
    errors=(push.SubscriptionNotFound,),
)
def unsubscribe(subscription_id: uuid.UUID, user: CurrentUser) -> Response:
    with unit_of_work() as session:
        push.unsubscribe(session, user.user_id, subscription_id)
    return Response(status_code=204)


app = fn.app()
handler = Mangum(app, lifespan="off")
