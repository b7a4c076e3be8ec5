"""Door check-in on a phone, for the event's owner and team (stewards included).

Without JavaScript the page searches people by name and checks them in with a button, or
takes a typed (or handheld-scanned) ticket code. With it, `door.js` scans QR codes with the
camera, keeps the API's check-in snapshot on the device so scans are answered offline, and
sends the scans it queued with the batch endpoint when the connection returns: the JSON
endpoints below, same-origin, with the session's CSRF token in a header.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Body, Request
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, Field
from starlette.responses import Response

from functions.web.declaration import MAX_TEXT, PAGE, FormText, Text, fn
from functions.web.page import (
    ASSETS,
    HERE,
    Page,
    failure_page,
    is_uuid,
    not_found,
    page_status,
    problem,
)
from shared.web import sessions
from shared.web.api import ApiError

DOOR = "/organize/events/{event_id}/door"
# The API's bounds (shared/registrations/door.py): a ticket code, and scans per batch.
MAX_CODE = 100
MAX_BATCH = 500
CSRF_HEADER = "X-CSRF-Token"
WORKER = (HERE / "static" / "door-worker.js").read_text()
# What the worker keeps for a reload offline: the page's own assets.
WORKER_ASSETS = ("app.css", "door.css", "door.js", "jsQR.min.js", "favicon.svg")


@fn.get(DOOR, **PAGE)
def door(request: Request, event_id: str, q: Text = "") -> Response:
    page = Page.of(request)
    if (away := _turned_away(page, event_id)) is not None:
        return away
    return _door_page(page, event_id, q[:MAX_TEXT])


@fn.post(f"{DOOR}/check-in", **PAGE)
def check_in_person(
    request: Request,
    event_id: str,
    csrf: FormText = "",
    registration_id: FormText = "",
    q: FormText = "",
) -> Response:
    """The no-JavaScript button beside a name found by the search."""
    page = Page.of(request)
    if (away := _turned_away(page, event_id, csrf)) is not None:
        return away
    q = q[:MAX_TEXT]
    if not is_uuid(registration_id):
        return _door_page(page, event_id, q, status=404, error=page.words("error.404"))
    try:
        page.api.post(f"/events/{event_id}/registrations/{registration_id}/check-in")
    except ApiError as failure:
        return _door_page(page, event_id, q, page_status(failure), page.error_text(failure))
    # The search again, which now shows the person as checked in (with the time).
    query = f"?{urlencode({'q': q})}" if q else ""
    return page.redirect(DOOR.format(event_id=event_id) + query)


@fn.post(f"{DOOR}/code", **PAGE)
def check_in_code(
    request: Request, event_id: str, csrf: FormText = "", code: FormText = ""
) -> Response:
    """A ticket code typed, or sent by a handheld scanner that types it with Enter."""
    page = Page.of(request)
    if (away := _turned_away(page, event_id, csrf)) is not None:
        return away
    try:
        outcome = _scan(page, event_id, code)
    except ApiError as failure:
        return _door_page(page, event_id, "", page_status(failure), page.error_text(failure))
    return _door_page(page, event_id, "", outcome=outcome)


@fn.get(f"{DOOR}/worker.js", **PAGE)
def worker(request: Request, event_id: str) -> Response:
    """The offline worker, per event: its scope is the door page itself (the header lets a
    script below the page control it), and it knows the assets to keep by their names."""
    if not is_uuid(event_id):
        return not_found(Page.of(request))
    scope = DOOR.format(event_id=event_id)
    assets = [ASSETS.url(name) for name in WORKER_ASSETS]
    version = hashlib.sha256(" ".join(assets).encode()).hexdigest()[:12]
    setup = {"page": scope, "assets": assets, "version": version}
    return Response(
        f"self.DOOR = {json.dumps(setup)};\n{WORKER}",
        media_type="text/javascript",
        headers={"Service-Worker-Allowed": scope, "Cache-Control": "no-cache"},
    )


@fn.get(f"{DOOR}/snapshot", **PAGE)
def snapshot(request: Request, event_id: str) -> Response:
    """The API's check-in snapshot (hashes, names, statuses) for the device to keep."""
    page = Page.of(request)
    refused = _json_refused(page, event_id, csrf=None)
    if refused is not None:
        return refused
    try:
        return _json(page.api.get(f"/events/{event_id}/check-in/snapshot"))
    except ApiError as failure:
        return problem(page, failure)


class ScanBody(BaseModel):
    code: Annotated[str, Field(min_length=1, max_length=MAX_CODE)]


@fn.post(f"{DOOR}/scan", **PAGE)
def scan(request: Request, event_id: str, body: Annotated[ScanBody, Body()]) -> Response:
    """A scan made online: `{outcome, name, checked_in_at}` at once."""
    page = Page.of(request)
    refused = _json_refused(page, event_id, csrf=request.headers.get(CSRF_HEADER, ""))
    if refused is not None:
        return refused
    try:
        return _json(_scan(page, event_id, body.code))
    except ApiError as failure:
        return problem(page, failure)


class QueuedScan(BaseModel):
    code: Annotated[str, Field(min_length=1, max_length=MAX_CODE)]
    scanned_at: AwareDatetime


class QueuedScans(BaseModel):
    scans: Annotated[list[QueuedScan], Field(min_length=1, max_length=MAX_BATCH)]


@fn.post(f"{DOOR}/sync", **PAGE)
def sync(request: Request, event_id: str, body: Annotated[QueuedScans, Body()]) -> Response:
    """The scans queued offline, sent in one batch: the API's result for each, in order."""
    page = Page.of(request)
    refused = _json_refused(page, event_id, csrf=request.headers.get(CSRF_HEADER, ""))
    if refused is not None:
        return refused
    try:
        return _json(
            page.api.post(f"/events/{event_id}/check-in/batch", body.model_dump(mode="json"))
        )
    except ApiError as failure:
        return problem(page, failure)


Outcome = Literal["checked_in", "already", "invalid"]


def _scan(page: Page, event_id: str, code: str) -> dict[str, Any]:
    """One ticket code checked in online, as the door shows it. An outcome the door expects
    (already in, not a ticket of this event, waitlisted or cancelled) is an answer, not an
    error; anything else (no right, the API unreachable) raises ApiError."""
    text = code.strip().upper()
    if not 0 < len(text) <= MAX_CODE:
        return {"outcome": "invalid", "name": None, "checked_in_at": None}
    try:
        person = page.api.post(f"/events/{event_id}/check-in", {"code": text})
    except ApiError as failure:
        if failure.status == 409 and failure.extra.get("checked_in_at"):
            return _outcome("already", None, failure.extra["checked_in_at"])
        if failure.status in (409, 422):
            return _outcome("invalid", None, None)
        raise
    return _outcome("checked_in", person.get("full_name"), person.get("checked_in_at"))


def _outcome(outcome: Outcome, name: str | None, at: str | None) -> dict[str, Any]:
    return {"outcome": outcome, "name": name, "checked_in_at": at}


def _turned_away(page: Page, event_id: str, csrf: str | None = None) -> Response | None:
    """Who may not come to the door, checked in this order: an event id that is none (404), a
    form whose token has expired (CsrfRefused), a visitor who must sign in first (coming back
    to the door after); None for everyone else."""
    if not is_uuid(event_id):
        return not_found(page)
    if csrf is not None:
        page.check_csrf(csrf)
    if not page.signed_in:
        return page.redirect(f"/signin?next={DOOR.format(event_id=event_id)}")
    return None


def _door_page(
    page: Page,
    event_id: str,
    q: str,
    status: int = 200,
    error: str | None = None,
    outcome: dict[str, Any] | None = None,
) -> Response:
    try:
        event = page.api.get(f"/events/{event_id}")
        # The participant list is the team's (stewards included): it answers who may be here.
        found = page.api.get(f"/events/{event_id}/registrations", q=q, limit=50 if q else 1)
    except ApiError as failure:
        if not page.signed_in:  # the refresh was refused: the session is over
            return page.redirect(f"/signin?next={DOOR.format(event_id=event_id)}")
        return failure_page(page, failure)
    zone = event.get("timezone")
    people = [
        {**person, "clock": clock(person.get("checked_in_at"), zone)}
        for person in (found["items"] if q else [])
    ]
    if outcome is not None:
        outcome = {**outcome, "clock": clock(outcome.get("checked_in_at"), zone)}
    return page.render(
        "door.html",
        status,
        event=event,
        q=q,
        people=people,
        error=error,
        outcome=outcome,
        door=DOOR.format(event_id=event_id),
        words=_script_words(page),
        device=True,
    )


def clock(value: str | None, zone: str | None) -> str:
    """`HH:MM` on the clocks where the event happens: what the door says of a check-in."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value)
    try:
        moment = moment.astimezone(ZoneInfo(zone or "UTC"))
    except (KeyError, ValueError):
        moment = moment.astimezone(UTC)
    return moment.strftime("%H:%M")


def _script_words(page: Page) -> dict[str, str]:
    return {
        key.removeprefix("door."): page.words(key)
        for key in (
            "door.ok",
            "door.already",
            "door.invalid",
            "door.unknown",
            "door.queued",
            "door.synced",
            "door.online",
            "door.offline",
            "door.snapshot",
            "door.waiting",
            "door.camera",
            "door.camera_stop",
            "door.camera_error",
            "door.no_qr",
        )
    }


def _json_refused(page: Page, event_id: str, csrf: str | None) -> Response | None:
    """A JSON call needs a signed-in session and, when it changes something, the session's
    CSRF token in its header: another site cannot check people in through a visitor."""
    if not is_uuid(event_id):
        return problem(page, ApiError(404, "Not found"))
    if not page.signed_in:
        return problem(page, ApiError(401, "Not signed in"))
    if csrf is not None and not sessions.csrf_matches(page.session, csrf):
        return problem(page, ApiError(403, "CSRF token missing or wrong"))
    return None


def _json(body: Any, status: int = 200) -> Response:
    return JSONResponse(body, status, headers={"Cache-Control": "no-store"})
