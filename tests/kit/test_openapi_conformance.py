"""The merged OpenAPI document tells the truth: schemathesis generates requests for every
operation (anonymous, then with a participant's and an admin's real token) against the running
gateway, and every answer must be no server error, with a documented status and content type."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import content_type_conformance, status_code_conformance

from tests.support.factories import new_user, token_for

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance]
# Few examples per operation: a bounded run in `make test`, not a fuzzing campaign.
EXAMPLES = 6


def undocumented(base_url: str, headers: dict[str, str]) -> list[str]:
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
            response = case.call(base_url=base_url, headers=headers, timeout=30)
            case.validate_response(response, checks=CHECKS)

        try:
            check()
        except (Exception, BaseExceptionGroup) as failure:
            found.append(f"{operation.method.upper()} {operation.path}: {failure}"[:600])
    return found


@pytest.mark.timeout(900)
def test_every_answer_is_documented(live_url: str):
    anonymous = undocumented(live_url, {})
    assert not anonymous, "\n\n".join(anonymous)
    # A participant meets the role refusals, an admin gets past them to the domain's errors.
    for role in ("participant", "admin"):
        signed_in = {"Authorization": f"Bearer {token_for(new_user(role))}"}
        found = undocumented(live_url, signed_in)
        assert not found, f"as {role}:\n" + "\n\n".join(found)
