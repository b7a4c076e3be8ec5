"""The web front end: HTML pages for people, rendered on the server from the public API.

It serves `/` and every path the platform does not keep for itself (the catch-all route),
calls only the public API through the gateway, and works without JavaScript. Pages are
left out of the OpenAPI document: they are for browsers, not API clients.
"""

from __future__ import annotations

import uuid
from contextlib import suppress
from typing import Annotated, Any

from fastapi import Form, Query, Request
from mangum import Mangum
from starlette.responses import Response

from functions.web.page import ASSETS, CsrfRefused, Page
from shared.kit import Function, Scaling
from shared.web import sessions
from shared.web.api import ApiError

fn = Function(
    "web",
    summary="The web front end: pages for people, from the public API.",
    extras=("web",),
    scaling=Scaling(max_scale=10, concurrency=50),
)
PAGE: dict[str, Any] = {"include_in_schema": False}
# Inputs are taken as they come and checked here or by the API: a person gets a page that
# says what is wrong, never a 422 document (bodies stay within MAX_BODY_BYTES).
Text = Annotated[str, Query()]
FormText = Annotated[str, Form()]
MAX_TEXT = 200


@fn.get("/", **PAGE)
def events(
    request: Request,
    q: Text = "",
    category: Text = "",
    tag: Text = "",
    from_: Annotated[str, Query(alias="from")] = "",
    to: Text = "",
    cursor: Text = "",
) -> Response:
    page = Page.of(request)
    filters = {
        key: value[:MAX_TEXT]
        for key, value in {
            "q": q,
            "category": category,
            "tag": tag,
            "from": from_,
            "to": to,
        }.items()
    }
    error, status = None, 200
    listing: dict[str, Any] = {"items": [], "next_cursor": None}
    categories: list[dict[str, str]] = []
    try:
        categories = page.api.get("/categories")["items"]
        listing = page.api.get("/events", **filters, cursor=cursor[:1000], limit=20)
    except ApiError as failure:
        error, status = page.error_text(failure), _page_status(failure)
    more = None
    if listing.get("next_cursor"):
        more = {**{k: v for k, v in filters.items() if v}, "cursor": listing["next_cursor"]}
    return page.render(
        "events.html",
        status,
        events=listing["items"],
        categories=categories,
        filters=filters,
        more=more,
        error=error,
    )


@fn.get("/events/{event_id}", **PAGE)
def event(request: Request, event_id: str) -> Response:
    page = Page.of(request)
    if not _is_uuid(event_id):
        return _not_found(page)
    try:
        found = page.api.get(f"/events/{event_id}")
    except ApiError as failure:
        return page.render(
            "message.html",
            _page_status(failure),
            title=page.words("error.title"),
            text=page.error_text(failure),
        )
    mine = None
    if page.signed_in:
        mine = _my_registration(page, event_id)
    try:
        google = page.api.get(f"/events/{event_id}/calendar/google")["url"]
    except ApiError:
        google = None  # the page still offers the .ics file
    return page.render("event.html", event=found, mine=mine, google=google)


def _my_registration(page: Page, event_id: str) -> dict[str, Any] | None:
    try:
        items = page.api.get("/me/registrations", limit=100)["items"]
    except ApiError:
        return None
    active = [
        item
        for item in items
        if str(item.get("event_id")) == str(event_id) and item.get("status") != "cancelled"
    ]
    return active[0] if active else None


@fn.post("/events/{event_id}/register", **PAGE)
def register(request: Request, event_id: str, csrf: FormText = "") -> Response:
    return _act(request, csrf, event_id, "POST", f"/events/{event_id}/registrations")


@fn.post("/events/{event_id}/leave", **PAGE)
def leave(request: Request, event_id: str, csrf: FormText = "") -> Response:
    return _act(request, csrf, event_id, "DELETE", f"/events/{event_id}/registrations/me")


def _act(request: Request, csrf: str, event_id: str, method: str, path: str) -> Response:
    page = Page.of(request)
    if not _is_uuid(event_id):
        return _not_found(page)
    try:
        page.check_csrf(csrf)
    except CsrfRefused:
        return _expired(page)
    if not page.signed_in:
        return page.redirect(f"/signin?next=/events/{event_id}")
    try:
        page.api.call(method, path)
    except ApiError as failure:
        return page.render(
            "message.html",
            _page_status(failure),
            title=page.words("error.title"),
            text=page.error_text(failure),
            back=f"/events/{event_id}",
        )
    return page.redirect(f"/events/{event_id}")


@fn.get("/signin", **PAGE)
def signin_form(request: Request, next: Text = "/") -> Response:
    page = Page.of(request)
    page.form_session()
    return page.render("signin.html", next=_local(next), error=None, email="")


@fn.post("/signin", **PAGE)
def signin(
    request: Request,
    csrf: FormText = "",
    email: FormText = "",
    password: FormText = "",
    next: FormText = "/",
) -> Response:
    page = Page.of(request)
    try:
        page.check_csrf(csrf)
    except CsrfRefused:
        return _expired(page)
    target = _local(next)
    try:
        pair = page.api.post("/auth/login", {"email": email, "password": password})
    except ApiError as failure:
        return page.render(
            "signin.html",
            _page_status(failure),
            next=target,
            error=page.error_text(failure),
            email=email,
        )
    # A new session id at sign-in: a session fixed before it cannot be taken over.
    if page.session is not None:
        sessions.end(page.session)
    page.session = sessions.start()
    page.session.access_token = pair["access_token"]
    page.session.refresh_token = pair["refresh_token"]
    profile = page.api.get("/users/me")
    page.session.user = {key: profile.get(key) for key in ("id", "full_name", "role", "locale")}
    sessions.save(page.session)
    return page.redirect(target)


@fn.post("/signout", **PAGE)
def signout(request: Request, csrf: FormText = "") -> Response:
    page = Page.of(request)
    try:
        page.check_csrf(csrf)
    except CsrfRefused:
        return _expired(page)
    session = page.session
    if session is not None and session.signed_in:
        # Ends the API session too: the tokens stop working, not only the cookie. An
        # error means it had already ended (expired or revoked): nothing left to end.
        with suppress(ApiError):
            page.api.post("/auth/logout", {"refresh_token": session.refresh_token})
        sessions.end(session)
    page.session = None
    response = page.redirect("/")
    response.delete_cookie(sessions.COOKIE, path="/")
    return response


@fn.get("/signup", **PAGE)
def signup_form(request: Request) -> Response:
    page = Page.of(request)
    page.form_session()
    return page.render("signup.html", error=None, values={})


@fn.post("/signup", **PAGE)
def signup(
    request: Request,
    csrf: FormText = "",
    email: FormText = "",
    full_name: FormText = "",
    password: FormText = "",
) -> Response:
    page = Page.of(request)
    try:
        page.check_csrf(csrf)
    except CsrfRefused:
        return _expired(page)
    values = {"email": email, "full_name": full_name}
    try:
        page.api.post("/auth/register", {**values, "password": password})
    except ApiError as failure:
        return page.render(
            "signup.html", _page_status(failure), error=page.error_text(failure), values=values
        )
    return page.render(
        "message.html",
        title=page.words("signup.done"),
        text=page.words("signup.done.text"),
        back="/signin",
    )


@fn.get("/forgot-password", **PAGE)
def forgot_form(request: Request) -> Response:
    page = Page.of(request)
    page.form_session()
    return page.render("forgot.html", error=None)


@fn.post("/forgot-password", **PAGE)
def forgot(request: Request, csrf: FormText = "", email: FormText = "") -> Response:
    page = Page.of(request)
    try:
        page.check_csrf(csrf)
    except CsrfRefused:
        return _expired(page)
    try:
        page.api.post("/auth/password-reset", {"email": email})
    except ApiError as failure:
        return page.render("forgot.html", _page_status(failure), error=page.error_text(failure))
    return page.render(
        "message.html",
        title=page.words("reset.title"),
        text=page.words("reset.done"),
        back="/signin",
    )


@fn.get("/account/registrations", **PAGE)
def my_registrations(request: Request) -> Response:
    page = Page.of(request)
    if not page.signed_in:
        return page.redirect("/signin?next=/account/registrations")
    try:
        items = page.api.get("/me/registrations", limit=100)["items"]
        for item in items:
            if item.get("status") == "confirmed":
                item["ticket"] = page.api.get(f"/me/registrations/{item['id']}/ticket")
    except ApiError as failure:
        if not page.signed_in:  # the refresh was refused: the session is over
            return page.redirect("/signin?next=/account/registrations")
        return page.render(
            "message.html",
            _page_status(failure),
            title=page.words("error.title"),
            text=page.error_text(failure),
        )
    return page.render("registrations.html", registrations=items)


@fn.get("/static/{name}", **PAGE)
def static(request: Request, name: str) -> Response:
    found = ASSETS.response(name)
    return found if found is not None else _not_found(Page.of(request))


@fn.get("/{page_path:path}", **PAGE)
def not_found(request: Request) -> Response:
    return _not_found(Page.of(request))


def _not_found(page: Page) -> Response:
    return page.render(
        "message.html",
        404,
        title=page.words("notfound.title"),
        text=page.words("notfound.text"),
        back="/",
    )


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _expired(page: Page) -> Response:
    return page.render(
        "message.html", 403, title=page.words("csrf.title"), text=page.words("csrf.text"), back="/"
    )


def _page_status(failure: ApiError) -> int:
    # The API's 4xx stays a 4xx on the page; its outage is ours to tell as 503.
    return failure.status if failure.status < 500 else 503


def _local(target: str) -> str:
    """Only a path of this site after sign-in: never an open redirect to another one."""
    return target if target.startswith("/") and not target.startswith(("//", "/\\")) else "/"


app = fn.app()
handler = Mangum(app, lifespan="off")
