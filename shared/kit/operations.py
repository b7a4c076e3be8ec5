"""What every function answers besides its own routes: health, readiness, metrics, and `POST /`.

`POST /` is the internal entry for CloudEvents (HTTP binary or structured mode) and, with an
empty body, for a scheduled run. A Knative PingSource's CloudEvent (`dev.knative.sources.ping`)
is a scheduled run too. It answers 204 once handled; Knative replies are not used.

A consumed CloudEvent must carry the outbox's signature (shared.outbox.signing), on every
target. A scheduled run only ever runs the function's own idempotent job; one that the internal
token does not prove (`INTERNAL_AUTH=network`) starts at most once per
SCHEDULE_MIN_INTERVAL_SECONDS per function, so whoever reaches the function cannot make it
sweep in a loop.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from shared import logs, ratelimit
from shared.config import get_settings
from shared.db import ping
from shared.errors import DomainError, NotFound
from shared.kit.auth import Internal, is_unproven
from shared.kit.consuming import consume_once, read
from shared.kit.context import parse_traceparent
from shared.kit.problems import ProblemResponse, ProblemRoute, problem
from shared.metrics import SCRAPES, exposition

if TYPE_CHECKING:
    from shared.kit.function import Function


logger = logging.getLogger("eventmgr.consumer")

# What a Knative PingSource sends on the function's schedule.
SCHEDULE_CLOUDEVENT_TYPE = "dev.knative.sources.ping"


class MalformedCloudEvent(DomainError):
    status = 400
    title = "Malformed CloudEvent"
    slug = "malformed-cloudevent"


class NotConsumedHere(DomainError):
    # Permanent: retrying will not make this function consume the type.
    status = 422
    title = "CloudEvent type not consumed here"
    slug = "not-consumed"


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def operations_router(function: Function) -> APIRouter:
    router = APIRouter(include_in_schema=False, route_class=ProblemRoute)

    @router.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok", "function": function.name}

    @router.get("/readyz", response_model=None)
    def readyz() -> dict[str, str] | ProblemResponse:
        if ping():
            return {"status": "ready", "function": function.name}
        return problem(503, "PostgreSQL does not answer.", slug="not-ready")

    @router.get("/metrics")
    def metrics(_: Internal) -> Response:
        SCRAPES.labels(function.name).inc()
        body, content_type = exposition()
        return Response(body, media_type=content_type)

    async def scheduled_run(request: Request) -> Response:
        if function.scheduled_job is None:
            raise NotFound(f"{function.name} has no scheduled job.")
        if is_unproven(request):
            interval = get_settings().schedule_min_interval_seconds
            await run_in_threadpool(
                ratelimit.limit,
                f"schedule:{function.name}",
                1,
                interval,
                f"{function.name} ran its schedule less than {interval} s ago.",
            )
        counts = await run_in_threadpool(function.scheduled_job)
        # Only a caller that asks (`eventmgr invoke`) hears what the run did; schedulers and
        # Knative keep their bodiless 204.
        if counts and any(counts.values()) and _wants_json(request):
            return JSONResponse({"function": function.name, "counts": dict(counts)})
        return Response(status_code=204)

    @router.post("/", status_code=204)
    async def receive(request: Request, _: Internal) -> Response:
        body = await request.body()
        headers = {key.lower(): value for key, value in request.headers.items()}
        if not body and "ce-specversion" not in headers:
            return await scheduled_run(request)
        # Imported by the first CloudEvent, not at start: most functions never receive one.
        from cloudevents.core.bindings.http import HTTPMessage, from_http
        from cloudevents.core.formats.json import JSONFormat

        try:
            cloudevent = from_http(HTTPMessage(headers, body), JSONFormat())
        except Exception as error:
            raise MalformedCloudEvent(f"Not a CloudEvent 1.0 in HTTP mode: {error}") from error
        handler = function.cloudevent_handlers.get(cloudevent.get_type())
        if handler is None and cloudevent.get_type() == SCHEDULE_CLOUDEVENT_TYPE:
            return await scheduled_run(request)
        if handler is None:
            raise NotConsumedHere(f"{function.name} does not consume {cloudevent.get_type()}.")
        received = read(cloudevent)
        parent = parse_traceparent(received.traceparent)
        if parent:
            logs.trace_id.set(parent[0])
        try:
            await run_in_threadpool(consume_once, function.name, handler, received)
        except DomainError:
            raise
        except Exception:
            # Expected now and then (the sender retries), so answered here: an exception
            # escaping the app would also make the server drop the kept-alive connection.
            logger.exception("consumer failed", extra={"cloudevent.type": received.type})
            return problem(500, "The consumer failed; the CloudEvent will be retried.")
        return Response(status_code=204)

    return router
