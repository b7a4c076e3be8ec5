"""Every table, for Alembic: the migrations are the only module that knows them all."""

from shared.auth.models import LoginSession, RefreshToken
from shared.db.base import Base
from shared.events.models import Category, Event, Tag
from shared.outbox.models import OutboxMessage
from shared.registrations.models import Registration
from shared.users.models import User

__all__ = [
    "Base",
    "Category",
    "Event",
    "LoginSession",
    "OutboxMessage",
    "RefreshToken",
    "Registration",
    "Tag",
    "User",
]
