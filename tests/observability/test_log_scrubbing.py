"""Whatever a line says, secrets in it are masked before it is printed."""

from __future__ import annotations

import json
import logging

import pytest

from shared.logs import EcsFormatter

JWT = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"


def formatted(message: str, **extra: object) -> dict:
    record = logging.LogRecord("t", logging.INFO, __file__, 1, message, None, None)
    for key, value in extra.items():
        setattr(record, key, value)
    return json.loads(EcsFormatter("%(message)s").format(record))


@pytest.mark.parametrize(
    ("message", "secret"),
    [
        (f"Authorization: Bearer {JWT}", JWT),
        (f"token in body {JWT}", JWT),
        ("GET /verify-email?token=s3cr3t-s3cr3t&x=1", "s3cr3t-s3cr3t"),
        ('{"password": "correct horse battery", "email": "a@b.c"}', "correct horse"),
        ("GET /api/v1/calendar/feeds/AbCdEf0123456789xyzXYZ.ics", "AbCdEf0123456789xyzXYZ"),
        ("connecting to amqp://guest:hunter22@rabbit:5672/", "hunter22"),
        ("refresh_token=abcdefabcdef", "abcdefabcdef"),
    ],
)
def test_secrets_in_messages_are_masked(message, secret):
    line = formatted(message)
    assert secret not in json.dumps(line)
    assert "[redacted" in line["message"]


def test_secret_named_fields_are_masked_and_others_kept():
    line = formatted(
        "login", password="pw-pw-pw", **{"user.id": "42", "http.request.method": "POST"}
    )
    assert line["password"] == "[redacted]"
    assert (line["user.id"], line["http.request.method"]) == ("42", "POST")


def test_nested_extras_reprs_and_pydantic_echoes_are_masked():
    line = formatted(
        "refused {'refresh_token': 'opaque-refresh-value'}; input_value='hunter2 hunter2'",
        body={"password": "pw-in-body", "items": ["token=abcdefgh"]},
        error=ValueError("redis://:redispass@cache:6379/0"),
    )
    text = json.dumps(line)
    for secret in ("opaque-refresh-value", "hunter2", "pw-in-body", "abcdefgh", "redispass"):
        assert secret not in text


def test_ordinary_words_and_id_fields_are_kept():
    line = formatted("basic setup done", token_type="bearer", **{"token_id": "abc"})
    assert line["message"] == "basic setup done"
    assert (line["token_type"], line["token_id"]) == ("bearer", "abc")
