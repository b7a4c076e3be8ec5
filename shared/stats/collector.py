"""A Prometheus collector that reads the platform's figures from PostgreSQL at scrape time.

Per-pod counters vanish with a pod that scaled to zero; how many users, events and
registrations there are, what waits in the outbox and what was dead-lettered are read from
the source of truth instead. One process exposes them (`platform_metrics`), so dashboards
never add up copies. Answers are kept a few seconds: several scrapers cost one set of queries.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select, text

from shared.db import unit_of_work
from shared.events.models import Event
from shared.events.statuses import EventStatus, Moderation
from shared.moderation.models import AbuseReport
from shared.notifications.models import DeliveryStatus, Notification
from shared.outbox.models import DeadLetter, OutboxMessage
from shared.registrations.models import Registration, RegistrationStatus
from shared.users.models import Role, User

logger = logging.getLogger("eventmgr.stats")
# Longer than a scrape interval (15 s): two Prometheis or a fast scrape cost one read.
KEEP_SECONDS = 30.0
STATEMENT_TIMEOUT_MS = 5000
NAMES = (
    "eventmgr_platform_figures_up",
    "eventmgr_users",
    "eventmgr_events",
    "eventmgr_registrations",
    "eventmgr_notifications",
    "eventmgr_abuse_reports_open",
    "eventmgr_outbox_pending",
    "eventmgr_outbox_oldest_pending_age_seconds",
    "eventmgr_dead_letters",
)


@dataclass
class Figures:
    users: dict[tuple[str, str], int] = field(default_factory=dict)
    events: dict[tuple[str, str], int] = field(default_factory=dict)
    registrations: dict[str, int] = field(default_factory=dict)
    notifications: dict[str, int] = field(default_factory=dict)
    open_reports: int = 0
    outbox_pending: int = 0
    outbox_oldest_age: float = 0.0
    dead_letters: int = 0


def read_figures() -> Figures:
    # Every known label set starts at zero: a series that exists at 0 beats one that appears
    # only once something happens (panels and alerts then see "none", not "no data").
    figures = Figures(
        users={(r.value, a): 0 for r in Role for a in ("true", "false")},
        events={(s.value, m.value): 0 for s in EventStatus for m in Moderation},
        registrations={s.value: 0 for s in RegistrationStatus},
        notifications={s.value: 0 for s in DeliveryStatus},
    )
    with unit_of_work() as session:
        # A slow count must fail this read (figures_up = 0), not the scrape.
        session.execute(text(f"SET LOCAL statement_timeout = {STATEMENT_TIMEOUT_MS}"))
        for role, active, count in session.execute(
            select(User.role, User.is_active, func.count()).group_by(User.role, User.is_active)
        ):
            figures.users[(role.value, "true" if active else "false")] = count
        for status, moderation, count in session.execute(
            select(Event.status, Event.moderation, func.count()).group_by(
                Event.status, Event.moderation
            )
        ):
            figures.events[(status.value, moderation.value)] = count
        for seat, count in session.execute(
            select(Registration.status, func.count()).group_by(Registration.status)
        ):
            figures.registrations[seat.value] = count
        for mail, count in session.execute(
            select(Notification.email_status, func.count()).group_by(Notification.email_status)
        ):
            figures.notifications[mail.value] = count
        figures.open_reports = (
            session.scalar(select(func.count()).where(AbuseReport.resolved_at.is_(None))) or 0
        )
        pending, oldest = session.execute(
            select(func.count(), func.min(OutboxMessage.created_at)).where(
                OutboxMessage.sent_at.is_(None)
            )
        ).one()
        figures.outbox_pending = pending
        if oldest is not None:
            figures.outbox_oldest_age = (datetime.now(UTC) - oldest).total_seconds()
        figures.dead_letters = session.scalar(select(func.count()).select_from(DeadLetter)) or 0
    return figures


class PlatformCollector(Collector):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: tuple[float, Figures] | None = None

    def _figures(self) -> Figures | None:
        with self._lock:
            now = time.monotonic()
            if self._kept is None or now - self._kept[0] > KEEP_SECONDS:
                try:
                    self._kept = (now, read_figures())
                except Exception:
                    # No figures beats wrong ones; the scrape still answers its other series.
                    logger.exception("could not read the platform's figures")
                    return None
            return self._kept[1]

    def describe(self) -> Iterator[GaugeMetricFamily]:
        # Names only: registering the collector must not query the database.
        for name in NAMES:
            yield GaugeMetricFamily(name, name)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        figures = self._figures()
        up = GaugeMetricFamily(
            "eventmgr_platform_figures_up", "1 when PostgreSQL answered the figures' queries."
        )
        up.add_metric([], 1 if figures else 0)
        yield up
        if figures is None:
            return
        users = GaugeMetricFamily(
            "eventmgr_users", "Accounts, by role and active.", labels=["role", "active"]
        )
        for (role, active), count in figures.users.items():
            users.add_metric([role, active], count)
        yield users
        events = GaugeMetricFamily(
            "eventmgr_events", "Events, by status and moderation.", labels=["status", "moderation"]
        )
        for (status, moderation), count in figures.events.items():
            events.add_metric([status, moderation], count)
        yield events
        registrations = GaugeMetricFamily(
            "eventmgr_registrations", "Registrations, by status.", labels=["status"]
        )
        for status, count in figures.registrations.items():
            registrations.add_metric([status], count)
        yield registrations
        notifications = GaugeMetricFamily(
            "eventmgr_notifications", "Notifications, by mail status.", labels=["status"]
        )
        for status, count in figures.notifications.items():
            notifications.add_metric([status], count)
        yield notifications
        yield GaugeMetricFamily(
            "eventmgr_abuse_reports_open",
            "Abuse reports awaiting an admin.",
            value=figures.open_reports,
        )
        yield GaugeMetricFamily(
            "eventmgr_outbox_pending",
            "CloudEvents written but not yet confirmed by the broker.",
            value=figures.outbox_pending,
        )
        yield GaugeMetricFamily(
            "eventmgr_outbox_oldest_pending_age_seconds",
            "Age of the oldest CloudEvent still waiting in the outbox (0 when none).",
            value=figures.outbox_oldest_age,
        )
        yield GaugeMetricFamily(
            "eventmgr_dead_letters",
            "CloudEvents a consumer refused after every retry (embedded delivery's table).",
            value=figures.dead_letters,
        )
