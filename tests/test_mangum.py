"""Every handler also runs on AWS Lambda behind API Gateway, through Mangum."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from functions.browse_events.handler import handler as browse_events
from functions.register.handler import handler as register


def http_api_event(method: str, path: str, body: dict | None = None) -> dict:
    """An API Gateway HTTP API (payload format 2.0) event."""
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"content-type": "application/json", "host": "api.example.org"},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api-id",
            "domainName": "api.example.org",
            "domainPrefix": "api",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "198.51.100.7",
                "userAgent": "test",
            },
            "requestId": "request-id",
            "routeKey": "$default",
            "stage": "$default",
            "time": "27/Nov/2026:10:00:00 +0000",
            "timeEpoch": 1795774400000,
        },
        "body": json.dumps(body) if body is not None else None,
        "isBase64Encoded": False,
    }


class FakeLambdaContext:
    function_name = "eventmanager"
    aws_request_id = "request-id"


CONTEXT: Any = FakeLambdaContext()


@pytest.fixture(autouse=True)
def fresh_event_loop():
    """Mangum runs on the thread's event loop, as a Lambda runtime provides one."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield
    asyncio.set_event_loop(None)
    loop.close()


def test_read_through_api_gateway(db_url):
    answer = browse_events(http_api_event("GET", "/api/v1/categories"), CONTEXT)
    assert answer["statusCode"] == 200
    slugs = {item["slug"] for item in json.loads(answer["body"])["items"]}
    assert "meetup" in slugs


def test_write_and_problem_through_api_gateway(db_url):
    body = {"email": "lambda@example.org", "password": "0123456789", "full_name": "Lambda"}
    created = register(http_api_event("POST", "/api/v1/auth/register", body), CONTEXT)
    assert created["statusCode"] == 201
    taken = register(http_api_event("POST", "/api/v1/auth/register", body), CONTEXT)
    assert taken["statusCode"] == 409
    assert taken["headers"]["content-type"] == "application/problem+json"
