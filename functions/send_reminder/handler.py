"""Scheduled: remind confirmed participants before their events start (24 h and 1 h by
default, as each person chose), each reminder exactly once."""

import logging

from mangum import Mangum

from shared.kit import Function, RunCounts, Scaling
from shared.notifications import reminders

fn = Function(
    "send_reminder",
    summary="Send the event reminders that are due, each exactly once.",
    schedule="*/5 * * * *",
    secrets=("rabbitmq_url",),
    scaling=Scaling(min_scale=0, max_scale=1, concurrency=1),
)
logger = logging.getLogger("eventmgr.reminders")


@fn.on_schedule
def remind() -> RunCounts:
    sent = reminders.run()
    if sent:
        logger.info("reminders sent", extra={"reminders.count": sent})
    return {"reminders sent": sent}


app = fn.app()
handler = Mangum(app, lifespan="off")
