"""One HTTP delivery of a CloudEvent to a function's internal `POST /`, and what its answer means.

Shared by the RabbitMQ dispatcher and the embedded in-process one, so both retry the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import httpx
from cloudevents.core.base import BaseCloudEvent
from cloudevents.core.bindings.http import to_binary
from cloudevents.core.formats.json import JSONFormat

from shared.config import get_settings
from shared.kit.internal_token import internal_authorization

# Worth another try: not deployed yet, a token being rotated, timeouts, conflicts,
# throttling, server errors.
RETRYABLE = {401, 403, 404, 408, 409, 425, 429}


class Outcome(StrEnum):
    delivered = "delivered"
    retry = "retry"
    dead = "dead"


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    error: str | None = None


def function_url(function: str) -> str:
    """`{name}` is the function's name, `{service}` the same with dashes (DNS names in
    compose and Kubernetes cannot hold underscores)."""
    template = get_settings().function_url_template
    return template.format(name=function, service=function.replace("_", "-"))


def request_parts(cloudevent: BaseCloudEvent) -> tuple[dict[str, str], bytes]:
    message = to_binary(cloudevent, JSONFormat())
    headers = dict(message.headers)
    traceparent = cloudevent.get_extension("traceparent")
    if isinstance(traceparent, str):
        headers["traceparent"] = traceparent
    headers.update(internal_authorization())
    return headers, message.body


def judge(status: int) -> Result:
    if 200 <= status < 300:
        return Result(Outcome.delivered)
    error = f"HTTP {status}"
    if status in RETRYABLE or status >= 500:
        return Result(Outcome.retry, error)
    return Result(Outcome.dead, error)


async def deliver(http: httpx.AsyncClient, function: str, cloudevent: BaseCloudEvent) -> Result:
    headers, body = request_parts(cloudevent)
    try:
        response = await http.post(function_url(function), content=body, headers=headers)
    except httpx.HTTPError as error:
        return Result(Outcome.retry, f"{type(error).__name__}: {error}"[:1000])
    result = judge(response.status_code)
    if result.outcome is not Outcome.delivered:
        return Result(result.outcome, f"{result.error}: {response.text[:500]}")
    return result
