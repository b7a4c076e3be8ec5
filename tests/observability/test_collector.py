"""The platform's figures come from PostgreSQL, whatever process asks."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest

from shared.stats.collector import NAMES, PlatformCollector
from tests.factories import bearer, create_event


def test_figures_are_read_from_postgresql(client):
    create_event(client, bearer(client, "organizer"))
    create_event(client, bearer(client, "organizer"), status="draft")
    registry = CollectorRegistry()
    collector = PlatformCollector()
    registry.register(collector)
    assert {family.name for family in collector.describe()} == set(NAMES)
    text = generate_latest(registry).decode()
    assert {family.name for family in collector.collect()} == set(NAMES)
    assert 'eventmgr_users{active="true",role="organizer"} 2.0' in text
    assert 'eventmgr_events{moderation="approved",status="published"} 1.0' in text
    assert 'eventmgr_events{moderation="hidden",status="cancelled"} 0.0' in text
    assert "eventmgr_outbox_pending" in text
    assert "eventmgr_platform_figures_up 1.0" in text
