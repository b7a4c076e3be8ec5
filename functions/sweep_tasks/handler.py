"""Scheduled: hand Celery again the work rows whose task was lost (e.g. no broker at commit)."""

import logging

from mangum import Mangum

from shared.kit import Function, Scaling
from shared.notifications.service import sweep_pending

fn = Function(
    "sweep_tasks",
    summary="Re-enqueue work still pending after its timeout.",
    schedule="* * * * *",
    secrets=("rabbitmq_url",),
    scaling=Scaling(min_scale=0, max_scale=1, concurrency=1),
)
logger = logging.getLogger("eventmgr.sweep")


@fn.on_schedule
def sweep() -> None:
    mails = sweep_pending()
    if mails:
        logger.info("re-enqueued pending work", extra={"mails": mails})


app = fn.app()
handler = Mangum(app, lifespan="off")
