"""The merged OpenAPI document tells the truth: schemathesis generates requests for every
operation against the running gateway — anonymous, then with the real tokens of a participant,
another organizer, the organizer who owns the data and an admin — and every answer must be no
server error, with a documented status and content type, a body valid against its schema, and
every error an `application/problem+json` document (or, on a page for people, HTML).

Path ids are replaced by the owner's real data (an event with a registration, a file, a report),
so generated bodies reach the domain's rules, not only "not found". `make test` runs a few
examples per operation; `make fuzz` sets FUZZ_EXAMPLES for a deep run.
"""

from __future__ import annotations

import os
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from shared import process_state
from shared.users.models import User
from tests.support import files
from tests.support.factories import create_event, event_body, new_user, token_for

PROBLEM_JSON = "application/problem+json"
REGISTRATION_CREATED = "org.eventmanager.registration.created"
# Few examples per operation in `make test`: a bounded run, not a fuzzing campaign.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "4"))


class NotAProblem(Failure):
    """An error answer that is neither a problem document nor a page for people."""

    def __init__(self, status: int, content_type: str) -> None:
        super().__init__(
            operation="",
            title="Error answer is not application/problem+json",
            message=f"{status} answered as {content_type!r}",
        )


def errors_are_problems(ctx: Any, response: Any, case: Any) -> bool | None:
    content_type = response.headers.get("content-type", [""])[0]
    if response.status_code >= 400 and not content_type.startswith((PROBLEM_JSON, "text/html")):
        raise NotAProblem(response.status_code, content_type)
    return None


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    errors_are_problems,
]


def owned_data(base_url: str, owner: User, participant: User) -> dict[str, str]:
    """The owner's event with the participant registered, a file, a report and a webhook: real
    ids for the path parameters of the same names."""
    as_owner = {"Authorization": f"Bearer {token_for(owner)}"}
    as_participant = {"Authorization": f"Bearer {token_for(participant)}"}
    with httpx.Client(base_url=base_url, timeout=30) as http:
        event = create_event(http, as_owner)
        joined = http.post(f"/api/v1/events/{event['id']}/registrations", headers=as_participant)
        assert joined.status_code == 201, joined.text
        media = http.post(
            f"/api/v1/events/{event['id']}/media",
            headers=as_owner,
            files={"file": ("p.png", files.png(), "image/png")},
        )
        assert media.status_code == 201, media.text
        report = http.post(
            "/api/v1/reports",
            headers=as_owner,
            json={"kind": "event_attendance", "event_id": event["id"], "format": "csv"},
        )
        assert report.status_code == 202, report.text
        series = http.post(
            "/api/v1/series", headers=as_owner, json=event_body(rrule="FREQ=DAILY;COUNT=3")
        )
        assert series.status_code == 201, series.text
        webhook = http.post(
            "/api/v1/webhooks",
            headers=as_owner,
            json={"url": "https://93.184.215.14/hook", "types": [REGISTRATION_CREATED]},
        )
        assert webhook.status_code == 201, webhook.text
    return {
        "series_id": series.json()["id"],
        "event_id": event["id"],
        "registration_id": joined.json()["id"],
        "media_id": media.json()["id"],
        "report_id": report.json()["id"],
        "webhook_id": webhook.json()["id"],
        "user_id": str(participant.id),
    }


def undocumented(base_url: str, caller: User | None, ids: dict[str, str]) -> list[str]:
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    found: list[str] = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result  # the document itself is valid OpenAPI
        operation = result.ok()

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def check(case: Any) -> None:
            for name in case.path_parameters or {}:
                if name in ids:
                    case.path_parameters[name] = ids[name]
            # A fresh token each time: a generated logout or password change must not leave
            # the rest of the run anonymous.
            headers = {} if caller is None else {"Authorization": f"Bearer {token_for(caller)}"}
            response = case.call(base_url=base_url, headers=headers, timeout=30)
            case.validate_response(response, checks=CHECKS)

        try:
            check()
        except (Exception, BaseExceptionGroup) as failure:
            found.append(f"{operation.method.upper()} {operation.path}: {failure}"[:600])
    return found


@pytest.mark.timeout(1800)
def test_every_answer_is_documented(live_url: str, monkeypatch: pytest.MonkeyPatch):
    # A discussion's stream ends by itself, soon: each generated call waits for its end.
    monkeypatch.setenv("DISCUSSION_STREAM_SECONDS", "0.5")
    process_state.reset()
    owner, participant = new_user("organizer"), new_user("participant")
    ids = owned_data(live_url, owner, participant)
    # The owner goes last but one, the admin last: what they change (a deleted event, a
    # blocked account) would otherwise hide the others' answers.
    callers: dict[str, User | None] = {
        "anonymous": None,
        "participant": participant,
        "another organizer": new_user("organizer"),
        "owner": owner,
        "admin": new_user("admin"),
    }
    for role, caller in callers.items():
        found = undocumented(live_url, caller, ids)
        assert not found, f"as {role}:\n" + "\n\n".join(found)


def test_a_problem_check_that_can_fail():
    """The problem+json check refuses an error answered as plain JSON."""

    class Answer:
        status_code = 400
        headers = {"content-type": ["application/json"]}

    with pytest.raises(NotAProblem):
        errors_are_problems(None, Answer(), None)
    Answer.headers = {"content-type": [PROBLEM_JSON]}
    assert errors_are_problems(None, Answer(), None) is None
