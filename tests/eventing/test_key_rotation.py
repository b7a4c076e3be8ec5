"""A consumer's 401/403 is retried, not dead-lettered at once: during a key rotation the
publishers and the consumers roll one after the other, and a consumer not yet rolled refuses
CloudEvents signed with the new key until it has rolled too. Both dispatchers (RabbitMQ and
the embedded one) judge an answer with `eventing.delivery`, exercised here against a real
consumer on a real port."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from eventing.delivery import Outcome, Result, deliver
from shared import process_state
from tests.support.consumers import REGISTERED, side_effects
from tests.support.delivery import signed_cloudevent

OLD_KEY = "cloudevent-test-key"  # the suite's CLOUDEVENT_KEY
NEW_KEY = "cloudevent-rotated-key"
DATA = {
    "user_id": "7d1f6a9e-5b1c-4c44-9a55-0a2f8b8e2b10",
    "email": "rotated@example.org",
    "full_name": "R",
    "role": "participant",
    "locale": "en",
}


def deliver_once(cloudevent) -> Result:
    async def post() -> Result:
        async with httpx.AsyncClient(timeout=10) as http:
            return await deliver(http, "recorder", cloudevent)

    return asyncio.run(post())


def test_a_consumer_not_yet_rolled_gets_the_cloudevent_on_a_retry(
    consumers: str, monkeypatch: pytest.MonkeyPatch
):
    # A publisher already on the new key signs...
    monkeypatch.setenv("CLOUDEVENT_KEY", NEW_KEY)
    process_state.reset()
    cloudevent = signed_cloudevent(type=REGISTERED, id="rotated", data=DATA)
    # ...a consumer still on the old one refuses: worth another try, not a dead letter.
    monkeypatch.setenv("CLOUDEVENT_KEY", OLD_KEY)
    process_state.reset()
    refused = deliver_once(cloudevent)
    assert refused.outcome is Outcome.retry
    assert str(refused.error).startswith("HTTP 403")
    assert side_effects() == []
    # The consumer rolls (new key, old one as previous): the retry is applied, once.
    monkeypatch.setenv("CLOUDEVENT_KEY", NEW_KEY)
    monkeypatch.setenv("CLOUDEVENT_KEY_PREVIOUS", OLD_KEY)
    process_state.reset()
    assert deliver_once(cloudevent).outcome is Outcome.delivered
    assert [(e[0], e[1]) for e in side_effects()] == [("recorder", "rotated")]
