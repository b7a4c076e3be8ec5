"""Scheduled: publish the CloudEvents their writers could not (a crash, a broker outage)."""

import logging

from mangum import Mangum

from shared.kit import Function, RunCounts, Scaling
from shared.outbox.relay import relay_once

fn = Function(
    "relay_outbox",
    summary="Sweep the outbox: publish what was left behind.",
    schedule="* * * * *",
    secrets=("rabbitmq_url",),
    scaling=Scaling(min_scale=0, max_scale=1, concurrency=1),
)
logger = logging.getLogger("eventmgr.relay")
# One run drains at most this many batches, so a run stays well under a minute.
MAX_BATCHES = 20


@fn.on_schedule
def relay() -> RunCounts:
    totals = {"claimed": 0, "published": 0, "deleted": 0}
    for _ in range(MAX_BATCHES):
        result = relay_once()
        totals["claimed"] += result.claimed
        totals["published"] += result.published
        totals["deleted"] += result.deleted
        if result.claimed or result.deleted:
            logger.info(
                "relayed outbox batch",
                extra={
                    "claimed": result.claimed,
                    "published": result.published,
                    "deleted": result.deleted,
                },
            )
        if result.claimed == 0 or result.published < result.claimed:
            break
    return totals


app = fn.app()
handler = Mangum(app, lifespan="off")
