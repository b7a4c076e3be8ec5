"""Web Push in this browser, for `push.js` on the notification settings page: the browser's
subscription handed to the API (turned on) or taken back from it (turned off).

Both are JSON calls of the signed-in session with its CSRF token in a header, as the door's
are: another site cannot subscribe or unsubscribe a visitor's browser."""

from __future__ import annotations

from typing import Annotated

from fastapi import Body, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.responses import Response

from functions.web.declaration import PAGE, fn
from functions.web.page import Page, problem
from shared.web import sessions
from shared.web.api import ApiError

PUSH = "/account/settings/push"
CSRF_HEADER = "X-CSRF-Token"


class Keys(BaseModel):
    # The API checks them (a P-256 point, a 16-byte secret); these are only its bounds.
    p256dh: Annotated[str, Field(min_length=1, max_length=200)]
    auth: Annotated[str, Field(min_length=1, max_length=100)]


class Subscription(BaseModel):
    """What the browser's `PushSubscription.toJSON()` gives."""

    endpoint: Annotated[str, Field(min_length=1, max_length=2000)]
    keys: Keys
    expirationTime: float | None = None  # noqa: N815 - the browser's own field name


def public_key(page: Page) -> str | None:
    """The VAPID public key the browser subscribes with; None when push is not set up."""
    try:
        found: str = page.api.get("/push/public-key")["public_key"]
    except ApiError:
        return None
    return found


@fn.post(PUSH, **PAGE)
def push_on(request: Request, body: Annotated[Subscription, Body()]) -> Response:
    """This browser receives push: its subscription is stored, and the push channel of the
    person's settings is turned on with it (a browser subscribed to nothing would wait)."""
    page = Page.of(request)
    refused = _refused(page, request)
    if refused is not None:
        return refused
    try:
        stored = page.api.post("/me/push-subscriptions", body.model_dump(mode="json"))
        chosen = page.api.get("/me/notification-settings")
        if not chosen["push"]:
            page.api.call("PUT", "/me/notification-settings", json={**chosen, "push": True})
    except ApiError as failure:
        return problem(page, failure)
    return JSONResponse(stored, 201, headers={"Cache-Control": "no-store"})


@fn.post(f"{PUSH}/off", **PAGE)
def push_off(request: Request, body: Annotated[Subscription, Body()]) -> Response:
    """This browser stops receiving push. The API finds a subscription by its endpoint when
    it is given again (one browser, one endpoint), which names the one to delete: the page
    keeps no id of its own that a cleared storage could lose."""
    page = Page.of(request)
    refused = _refused(page, request)
    if refused is not None:
        return refused
    try:
        stored = page.api.post("/me/push-subscriptions", body.model_dump(mode="json"))
        page.api.delete(f"/me/push-subscriptions/{stored['id']}")
    except ApiError as failure:
        return problem(page, failure)
    return Response(status_code=204, headers={"Cache-Control": "no-store"})


def _refused(page: Page, request: Request) -> Response | None:
    if not page.signed_in:
        return problem(page, ApiError(401, "Not signed in"))
    if not sessions.csrf_matches(page.session, request.headers.get(CSRF_HEADER, "")):
        return problem(page, ApiError(403, "CSRF token missing or wrong"))
    return None
