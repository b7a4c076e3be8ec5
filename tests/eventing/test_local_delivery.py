"""Embedded delivery without RabbitMQ: PostgreSQL rows are the queue, HTTP is the transport."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from eventing.local import LocalDispatcher, LocalPublisher
from eventing.triggers import Trigger
from shared.db import unit_of_work
from shared.outbox.background import wait_idle
from shared.outbox.models import DeadLetter, LocalDelivery
from shared.outbox.publishing import install_publisher
from shared.outbox.relay import pending_count
from tests.support.consumers import CONSUMERS, side_effects, wait_until
from tests.support.factories import sign_up

TRIGGERS = [Trigger(name, t) for name, f in CONSUMERS.items() for t in f.consumes]


@pytest.fixture
def local_delivery(consumers):
    wake = threading.Event()
    install_publisher(LocalPublisher(TRIGGERS, wake))
    dispatcher = LocalDispatcher(wake)
    yield dispatcher
    dispatcher.stop()
    install_publisher(None)


def test_delivered_once_retried_and_dead_lettered(local_delivery, client):
    local_delivery.start()
    sign_up(client, 3)
    assert wait_idle()  # fanned out by the background publisher, right after the commit
    assert pending_count() == 0
    wait_until(lambda: Counter(e[0] for e in side_effects()) == {"recorder": 3, "flaky": 3})
    wait_until(lambda: _dead_letters() == 3)
    with unit_of_work() as session:
        dead = session.scalars(select(DeadLetter)).all()
        left = session.scalar(select(func.count()).select_from(LocalDelivery))
    assert {d.consumer for d in dead} == {"broken"}
    assert all(d.attempts == 5 and "HTTP 500" in d.error for d in dead)
    assert left == 0
    assert set(Counter((e[0], e[1]) for e in side_effects()).values()) == {1}


def test_nothing_committed_is_lost_while_the_dispatcher_is_stopped(local_delivery, client):
    # Committed while nothing delivers (as after Ctrl-C): the rows wait in PostgreSQL...
    sign_up(client, 4)
    assert wait_idle()
    with unit_of_work() as session:
        waiting = session.scalar(select(func.count()).select_from(LocalDelivery))
    assert waiting == 12  # 4 CloudEvents x 3 consumers
    assert side_effects() == []
    # ...and are delivered when delivery runs again.
    local_delivery.start()
    wait_until(lambda: Counter(e[0] for e in side_effects()) == {"recorder": 4, "flaky": 4})


def _dead_letters() -> int:
    with unit_of_work() as session:
        return int(session.scalar(select(func.count()).select_from(DeadLetter)) or 0)
