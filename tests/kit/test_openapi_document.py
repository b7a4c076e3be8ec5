"""The merged OpenAPI document lists what each route can answer: every error status with the
named Problem schema (problem+json), a description per operation; HEAD works where GET does."""

from __future__ import annotations

from starlette.testclient import TestClient

from shared.errors import Conflict
from shared.kit import PROBLEM_JSON, CurrentUser, Function

PROBLEM = {"$ref": "#/components/schemas/Problem"}


class SeatsGone(Conflict):
    title = "No seats left"


demo = Function("demo", summary="A demo function.")


@demo.post("/api/v1/demo/{thing_id}", status_code=201, errors=(SeatsGone,))
def take(thing_id: int, user: CurrentUser) -> dict[str, int]:
    """Take a thing."""
    raise SeatsGone("All taken.")


@demo.get("/api/v1/demo")
def listing() -> dict[str, str]:
    return {"hello": "world"}


def test_the_kit_documents_its_own_answers_and_the_routes_errors():
    document = demo.app().openapi()
    assert document["components"]["schemas"]["Problem"]["required"] == [
        "type",
        "title",
        "status",
        "detail",
    ]
    assert "HTTPValidationError" not in document["components"]["schemas"]
    take_op = document["paths"]["/api/v1/demo/{thing_id}"]["post"]
    assert take_op["description"] == "Take a thing."
    errors = {status: r for status, r in take_op["responses"].items() if status >= "400"}
    assert sorted(errors) == ["401", "403", "404", "409", "413", "422", "429", "500", "503"]
    for response in errors.values():
        assert response["content"] == {PROBLEM_JSON: {"schema": PROBLEM}}
    assert "No seats left" in errors["409"]["description"]
    # No rule of kit.scopes opens this path to API keys: a key is refused (403).
    assert "API keys may not be used here" in errors["403"]["description"]
    # No docstring: the function's summary describes it; no inputs, no 422; no auth, no 401.
    listing_op = document["paths"]["/api/v1/demo"]["get"]
    assert listing_op["description"] == "A demo function."
    assert sorted(listing_op["responses"]) == ["200", "500", "503"]


def test_head_answers_like_get_without_a_body():
    with TestClient(demo.app()) as client:
        get = client.get("/api/v1/demo")
        head = client.head("/api/v1/demo")
        assert (head.status_code, head.content) == (200, b"")
        assert head.headers["content-length"] == get.headers["content-length"]
        assert client.head("/healthz").status_code == 200


def test_the_gateway_document_has_problems_and_descriptions_everywhere(client):
    document = client.get("/openapi.json").json()
    assert "Problem" in document["components"]["schemas"]
    operations = [
        (path, method, operation)
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    ]
    assert len(operations) > 50
    for path, method, operation in operations:
        where = f"{method.upper()} {path}"
        assert operation.get("description"), where
        responses = operation["responses"]
        assert "500" in responses, where
        if operation.get("security") or any(
            p.get("name") == "Authorization" for p in operation.get("parameters", [])
        ):
            assert "401" in responses, where
        for status, response in responses.items():
            if status >= "400":
                kinds = set(response["content"])
                assert kinds <= {PROBLEM_JSON, "text/html"}, where
                if PROBLEM_JSON in kinds:
                    assert response["content"][PROBLEM_JSON]["schema"] == PROBLEM, where


def test_head_works_wherever_get_does_through_the_gateway(client):
    for path in ("/api/v1/events", "/api/v1/categories", "/healthz", "/docs", "/openapi.json"):
        get = client.get(path)
        head = client.head(path)
        assert head.status_code == get.status_code == 200, path
        assert head.content == b"", path
        assert head.headers["content-type"] == get.headers["content-type"], path
    refused = client.head("/api/v1/auth/login")
    assert refused.status_code == 405
    assert refused.headers["allow"] == "POST"
