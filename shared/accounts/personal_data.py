"""A person's own data: everything we keep about them, and erasing it on request."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from shared.accounts.errors import WrongPassword
from shared.api_keys import service as api_keys
from shared.auth.models import LoginSession
from shared.auth.service import end_all_sessions
from shared.errors import NotFound
from shared.events.models import Event
from shared.events.withdrawn import WITHDRAWN_TITLE, withdrawn_among
from shared.follows import repository as follows
from shared.notifications.models import Notification, NotificationSettings, PushSubscription
from shared.notifications.preferences import preferences_of
from shared.registrations import repository as registrations
from shared.registrations.service import cancel
from shared.security.passwords import verify_password
from shared.teams import repository as teams
from shared.users import repository
from shared.users.models import OneTimeToken, User
from shared.users.schemas import UserProfile

ERASED_NAME = "Deleted user"


def export(session: Session, user_id: uuid.UUID) -> dict[str, Any]:
    user = repository.by_id(session, user_id)
    if user is None:
        raise NotFound("No such user.")
    own_registrations = registrations.of_user(session, user_id)
    event_ids = [r.event_id for r in own_registrations]
    titles = {
        row.id: row.title
        for row in session.execute(select(Event.id, Event.title).where(Event.id.in_(event_ids)))
    }
    withdrawn = withdrawn_among(session, event_ids, user_id)
    return {
        "exported_at": datetime.now(UTC).isoformat(),
        "profile": UserProfile.model_validate(user).model_dump(mode="json"),
        "registrations": [
            {
                "id": str(r.id),
                "event_id": str(r.event_id),
                "event_title": WITHDRAWN_TITLE
                if r.event_id in withdrawn
                else titles.get(r.event_id),
                "event_withdrawn": r.event_id in withdrawn,
                "status": r.status.value,
                "created_at": r.created_at.isoformat(),
                "cancelled_at": r.cancelled_at.isoformat() if r.cancelled_at else None,
                # What they answered to the event's questions, with the wording they saw.
                "answers": r.answers,
            }
            for r in own_registrations
        ],
        "organized_events": [
            {
                "id": str(e.id),
                "title": e.title,
                "starts_at": e.starts_at.isoformat(),
                "status": e.status.value,
            }
            for e in session.scalars(select(Event).where(Event.organizer_id == user_id))
        ],
        "event_teams": [
            {
                "event_id": str(m.event_id),
                "role": m.role.value,
                "added_at": m.added_at.isoformat(),
            }
            for m in teams.memberships_of(session, user_id)
        ],
        "following": [
            {
                "organizer_id": str(organizer_id),
                "full_name": full_name,
                "followed_at": followed_at.isoformat(),
            }
            for organizer_id, full_name, followed_at in follows.followed_by(session, user_id)
        ],
        "login_sessions": [
            {
                "id": str(s.id),
                "created_at": s.created_at.isoformat(),
                "last_used_at": s.last_used_at.isoformat(),
                "ended_at": s.revoked_at.isoformat() if s.revoked_at else None,
            }
            for s in session.scalars(
                select(LoginSession)
                .where(LoginSession.user_id == user_id)
                .order_by(LoginSession.created_at)
            )
        ],
        # The keys they made (names, scopes, use), never a key or its hash.
        "api_keys": api_keys.exported(session, user_id),
        "notifications": [
            {
                "id": str(n.id),
                "kind": n.kind,
                "status": n.email_status.value,
                "created_at": n.created_at.isoformat(),
            }
            for n in session.scalars(
                select(Notification)
                .where(Notification.user_id == user_id)
                .order_by(Notification.created_at)
            )
        ],
        "notification_settings": preferences_of(session, user_id).model_dump(),
        "push_subscriptions": [
            {"id": str(p.id), "endpoint": p.endpoint, "created_at": p.created_at.isoformat()}
            for p in session.scalars(
                select(PushSubscription)
                .where(PushSubscription.user_id == user_id)
                .order_by(PushSubscription.created_at)
            )
        ],
    }


def delete_account(session: Session, user_id: uuid.UUID, password: str) -> None:
    """Cancel what is active, erase what identifies the person, end every session.

    The row stays, anonymized, because events they organized and past registrations point to
    it; nothing left in it names them.
    """
    user = session.get(User, user_id, with_for_update=True)
    if user is None or not verify_password(user.password_hash, password):
        raise WrongPassword("The password is not right.")
    for registration in registrations.active_of_user(session, user_id):
        cancel(session, registration, by_user_id=user_id)
    user.email = f"deleted-{user.id}@invalid"
    user.full_name = ERASED_NAME
    user.password_hash = "!"  # noqa: S105 - not a hash: matches no password
    user.is_active = False
    user.email_verified = False
    teams.leave_every_team(session, user_id)
    api_keys.erase_all(session, user_id)
    follows.remove_all_of(session, user_id)
    session.execute(delete(OneTimeToken).where(OneTimeToken.user_id == user_id))
    session.execute(delete(Notification).where(Notification.user_id == user_id))
    session.execute(delete(PushSubscription).where(PushSubscription.user_id == user_id))
    session.execute(delete(NotificationSettings).where(NotificationSettings.user_id == user_id))
    end_all_sessions(session, user_id, "account-deleted")
