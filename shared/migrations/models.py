"""Every table, for Alembic: the migrations are the only module that knows them all."""

from shared.achievements.models import Award, GamificationChoice
from shared.analytics.models import CategoryDay, EventDay, EventTotals, PersonEvent
from shared.audit.models import AuditEntry
from shared.auth.models import LoginSession, RefreshToken
from shared.cache.models import PendingInvalidation
from shared.calendars.models import CalendarFeed, ImportedEntry
from shared.db.base import Base
from shared.discussions.models import DiscussionCounter, DiscussionMessage
from shared.events.models import Category, Event, Tag
from shared.events.series_models import Series, SeriesOccurrence
from shared.follows.models import Follow, FollowerFanout
from shared.media.models import Media
from shared.moderation.models import AbuseReport
from shared.notifications.models import (
    MailSuppression,
    Notification,
    NotificationSettings,
    PushSubscription,
    ReminderSent,
)
from shared.outbox.models import (
    DeadLetter,
    LocalDelivery,
    OutboxMessage,
    ProcessedCloudEvent,
)
from shared.registrations.models import Registration
from shared.reports.models import Report
from shared.reviews.models import Review
from shared.security.models import ApiKey, RevokedAccessToken, RevokedSession, TokenFloor
from shared.teams.models import TeamMember
from shared.users.models import OneTimeToken, User
from shared.webhooks.models import Webhook, WebhookAttempt, WebhookDelivery

__all__ = [
    "AbuseReport",
    "ApiKey",
    "AuditEntry",
    "Award",
    "Base",
    "CalendarFeed",
    "Category",
    "CategoryDay",
    "DeadLetter",
    "DiscussionCounter",
    "DiscussionMessage",
    "Event",
    "EventDay",
    "EventTotals",
    "Follow",
    "FollowerFanout",
    "GamificationChoice",
    "ImportedEntry",
    "LocalDelivery",
    "LoginSession",
    "MailSuppression",
    "Media",
    "Notification",
    "NotificationSettings",
    "OneTimeToken",
    "OutboxMessage",
    "PendingInvalidation",
    "PersonEvent",
    "ProcessedCloudEvent",
    "PushSubscription",
    "RefreshToken",
    "Registration",
    "ReminderSent",
    "Report",
    "Review",
    "RevokedAccessToken",
    "RevokedSession",
    "Series",
    "SeriesOccurrence",
    "Tag",
    "TeamMember",
    "TokenFloor",
    "User",
    "Webhook",
    "WebhookAttempt",
    "WebhookDelivery",
]
