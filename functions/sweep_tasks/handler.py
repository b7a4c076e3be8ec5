"""Scheduled: hand Celery again the work rows whose task was lost (e.g. no broker at commit),
retry cache invalidations Redis refused, forget expired revocations, remove expired reports,
expire waitlist offers nobody claimed in time (their seats go to the next person waiting),
hand the worker webhooks whose deliveries are due (lost tasks, the schedule's long waits)."""

import logging

import redis
from mangum import Mangum

from shared.cache.versioned import retry_deferred
from shared.db import unit_of_work
from shared.kit import Function, RunCounts, Scaling
from shared.notifications.service import sweep_pending
from shared.registrations.offers import expire_due
from shared.reports.service import sweep as sweep_reports
from shared.security.revocation import forget_expired
from shared.webhooks.service import sweep as sweep_webhooks

fn = Function(
    "sweep_tasks",
    summary="Re-enqueue work still pending after its timeout and due webhook deliveries, retry "
    "deferred cache invalidations, forget expired revocations and reports, expire waitlist offers.",
    schedule="* * * * *",
    secrets=("rabbitmq_url", "s3_access_key", "s3_secret_key"),
    # Expired reports' files are removed from object storage.
    extras=("storage",),
    scaling=Scaling(min_scale=0, max_scale=1, concurrency=1),
)
logger = logging.getLogger("eventmgr.sweep")


@fn.on_schedule
def sweep() -> RunCounts:
    with unit_of_work() as session:
        forget_expired(session)
    offers = expire_due()
    if offers:
        logger.info("expired waitlist offers", extra={"offers": offers})
    mails = sweep_pending()
    if mails:
        logger.info("re-enqueued pending work", extra={"mails": mails})
    webhooks = sweep_webhooks()
    if webhooks:
        logger.info("re-enqueued webhooks with due deliveries", extra={"webhooks": webhooks})
    reports = sweep_reports()
    if any(reports.values()):
        logger.info("swept reports", extra={f"reports.{k}": v for k, v in reports.items()})
    bumped = 0
    try:
        bumped = retry_deferred()
    except redis.RedisError:
        logger.warning("Redis still unavailable; cache invalidations stay deferred")
    else:
        if bumped:
            logger.info("retried deferred cache invalidations", extra={"keys": bumped})
    return {
        "offers expired": offers,
        "mails re-enqueued": mails,
        "webhooks re-enqueued": webhooks,
        "reports re-enqueued": reports["requeued"],
        "reports given up": reports["gave_up"],
        "reports removed": reports["removed"],
        "cache invalidations retried": bumped,
    }


app = fn.app()
handler = Mangum(app, lifespan="off")
