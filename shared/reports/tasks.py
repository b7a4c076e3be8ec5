"""The Celery task that builds a report: `reports.build(report_id)`.

It claims the row first (pending → running, with a lease), so a duplicate task finds nothing
to do; a worker that dies leaves a lease that runs out, and the sweep hands the report to
Celery again. Storage or database trouble is retried with backoff, up to the attempts allowed.
"""

from __future__ import annotations

import uuid
from typing import Any

from celery import shared_task

from shared.reports.building import Outcome, build_report
from shared.reports.models import BUILD_TASK, MAX_REPORT_ATTEMPTS


@shared_task(name=BUILD_TASK, bind=True, max_retries=MAX_REPORT_ATTEMPTS)
def build(self: Any, report_id: str) -> str:
    outcome, attempts = build_report(uuid.UUID(report_id))
    if outcome is Outcome.retry:
        raise self.retry(countdown=int(min(300, 10 * 2**attempts)))
    return outcome.value
