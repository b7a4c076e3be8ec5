"""JSON logs on stdout, one object per line, with Elastic Common Schema field names.

The request context (request id, trace id, route) lives in context variables set by the kit,
so every line logged while serving a request carries it without being passed around.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from pythonjsonlogger.json import JsonFormatter

function_name: ContextVar[str] = ContextVar("function_name", default="eventmgr")
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
trace_id: ContextVar[str | None] = ContextVar("trace_id", default=None)
span_id: ContextVar[str | None] = ContextVar("span_id", default=None)


# Secrets must never reach a log, whoever wrote the line: these shapes are masked in every
# string field (messages, exception texts, stack traces, extras) as the last line of defence.
_SECRET_SHAPES = [
    # JWTs (access tokens, signed links): header.payload.signature, base64url.
    (re.compile(r"eyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]+"), "[redacted-jwt]"),
    (re.compile(r"(?i)\b(bearer|basic|token)(\s+)[\w.~+/=-]{8,}"), r"\1\2[redacted]"),
    (re.compile(r"\bSG\.[\w-]{10,}\.[\w-]{10,}"), "[redacted-sendgrid-key]"),
    # Secrets in query strings, form bodies, JSON and Python reprs: token=…, "password": "…",
    # 'refresh_token': '…', X-Amz-Signature=…
    (
        re.compile(
            r"(?i)\b([\w-]*(?:token|password|passwd|secret|signature|credential|api[_-]?key|cookie))"
            r"([\"']?\s*[=:]\s*)(\"[^\"]*\"|'[^']*'|[^&\s\"',}]+)"
        ),
        r"\1\2[redacted]",
    ),
    # What pydantic echoes of a refused input.
    (re.compile(r"(input_value=)('[^']*'|\"[^\"]*\"|\S+)"), r"\1[redacted]"),
    # Secrets in paths: calendar feed links and one-click unsubscribe links.
    (re.compile(r"(/(?:feeds|unsubscribe|verify|reset)/)[^/\s\"'?]{16,}"), r"\1[redacted]"),
    # Credentials in URLs: scheme://user:password@host, redis://:password@host
    (re.compile(r"(\w+://[^:/\s@]*:)[^@\s/]+@"), r"\1[redacted]@"),
]
# A word every shape above needs: a text without one (most access-line fields) is left as it
# is after one search instead of one pass per shape.
_MAY_HOLD_SECRET = re.compile(
    r"(?i)eyJ|bearer|basic|token|SG\.|password|passwd|secret|signature|credential|api[_-]?key"
    r"|cookie|input_value=|/feeds/|/unsubscribe/|/verify/|/reset/|://"
)
# Whole key names (or their last dotted/underscored segment) that only ever hold secrets;
# `token_id`, `token_type` and friends stay readable.
_SECRET_KEYS = re.compile(
    r"(?i)(?:^|[._-])(password|passwd|secret|authorization|api_key|cookie|set-cookie|"
    r"token|access_token|refresh_token|private_key)$"
)


# Field names are few (they are written in code): each is tested once, not on every line. Bounded
# all the same, and not settings-derived, so no process_state registration is needed.
_secret_keys_seen: dict[str, bool] = {}


def _secret_key(key: str) -> bool:
    secret = _secret_keys_seen.get(key)
    if secret is None:
        secret = _SECRET_KEYS.search(key) is not None
        if len(_secret_keys_seen) < 4096:
            _secret_keys_seen[key] = secret
    return secret


def _clean(key: str, value: Any) -> Any:
    """Mask secrets at any depth of a field: nested extras, lists, objects' reprs."""
    if _secret_key(key):
        return "[redacted]"
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {str(k): _clean(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_clean("", item) for item in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return scrub(str(value))


# Short texts found clean, remembered: most fields of most lines repeat (methods, routes,
# logger and function names, access-line messages), and the search costs more than the rest of
# the field. Bounded in number and length; emptied when full, so the frequent ones come back.
_clean_texts: set[str] = set()
_REMEMBERED_TEXTS = 1024
_REMEMBERED_LENGTH = 128


def scrub(text: str) -> str:
    if text in _clean_texts:
        return text
    if not _MAY_HOLD_SECRET.search(text):
        if len(text) <= _REMEMBERED_LENGTH:
            if len(_clean_texts) >= _REMEMBERED_TEXTS:
                _clean_texts.clear()
            _clean_texts.add(text)
        return text
    for shape, replacement in _SECRET_SHAPES:
        text = shape.sub(replacement, text)
    return text


class EcsFormatter(JsonFormatter):
    _second: tuple[int, str] = (-1, "")

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        log_data.pop("color_message", None)  # uvicorn's terminal copy of the message
        log_data["@timestamp"] = self.formatTime(record)
        log_data["log.level"] = record.levelname.lower()
        log_data["log.logger"] = record.name
        log_data["service.name"] = getattr(record, "function", None) or function_name.get()
        request = request_id.get()
        if request:
            log_data["http.request.id"] = request
        # Made here, or hex ids the kit generated or parsed (parse_traceparent): nothing to mask,
        # so not searched on every line.
        generated = {"@timestamp", "log.level"}
        for key, var in (
            ("trace.id", trace_id),
            ("span.id", span_id),
            # One request (or one CloudEvent, one task) is one ECS transaction.
            ("transaction.id", span_id),
        ):
            value = var.get()
            if value:
                log_data[key] = value
                generated.add(key)
        if record.exc_info:
            error = record.exc_info[1]
            log_data["error.type"] = type(error).__name__
            log_data["error.message"] = str(error)
            log_data["error.stack_trace"] = log_data.pop("exc_info", None)
        for key in list(log_data):
            if key not in generated:
                log_data[key] = _clean(key, log_data[key])

    def jsonify_log_record(self, log_data: dict[str, Any]) -> str:
        # Every value is plain JSON once cleaned: the standard encoder, not a custom one
        # built anew for every line.
        return json.dumps(log_data)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        # Every line of one second shares its date and time: made once, the milliseconds added.
        whole = int(record.created)
        second = self._second
        if second[0] != whole:
            moment = datetime.fromtimestamp(whole, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")
            second = self._second = (whole, moment)
        return f"{second[1]}.{int(record.msecs):03d}Z"


_configured = False


def configure_logging(level: str = "INFO") -> None:
    """Route every logger (ours, uvicorn's, alembic's, Celery's) and Python's warnings
    through one JSON handler on stdout: a log shipper can parse every line."""
    global _configured
    root = logging.getLogger()
    root.setLevel(level.upper())
    if _configured:
        return
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(EcsFormatter("%(message)s"))
    root.handlers[:] = [handler]
    for name in ("uvicorn", "uvicorn.error", "alembic"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    # httpx writes an INFO line per call the web function makes to the API: the called
    # function writes its own access line for it already.
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
    # The kit writes its own access line per request, with the route template.
    logging.getLogger("uvicorn.access").disabled = True
    logging.captureWarnings(True)
    _configured = True
