"""Account pages: sign in and out, sign up, a forgotten password, my registrations and
their tickets. Mailed links open the API's own pages (`/verify-email`, `/reset-password`)."""

from __future__ import annotations

from contextlib import suppress

from fastapi import Request
from starlette.responses import Response

from functions.web.declaration import PAGE, FormText, Text, fn
from functions.web.page import Page, failure_page, local_path, page_status
from shared.web import sessions
from shared.web.api import ApiError


@fn.get("/signin", **PAGE)
def signin_form(request: Request, next: Text = "/") -> Response:
    page = Page.of(request)
    page.form_session()
    return page.render("signin.html", next=local_path(next), error=None, email="")


@fn.post("/signin", **PAGE)
def signin(
    request: Request,
    csrf: FormText = "",
    email: FormText = "",
    password: FormText = "",
    next: FormText = "/",
) -> Response:
    page = Page.of(request)
    page.check_csrf(csrf)
    target = local_path(next)
    # A new session id at sign-in: a session fixed before it cannot be taken over.
    before, page.session = page.session, sessions.start()
    try:
        pair = page.api.post("/auth/login", {"email": email, "password": password})
        page.session.access_token = pair["access_token"]
        page.session.refresh_token = pair["refresh_token"]
        profile = page.api.get("/users/me")
    except ApiError as failure:
        sessions.end(page.session)
        page.session = before
        return page.render(
            "signin.html",
            page_status(failure),
            next=target,
            error=page.error_text(failure),
            email=email,
        )
    if before is not None:
        sessions.end(before)
    page.session.user = {key: profile.get(key) for key in ("id", "full_name", "role", "locale")}
    sessions.save(page.session)
    return page.redirect(target)


@fn.post("/signout", **PAGE)
def signout(request: Request, csrf: FormText = "") -> Response:
    page = Page.of(request)
    page.check_csrf(csrf)
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
    page.check_csrf(csrf)
    values = {"email": email, "full_name": full_name}
    try:
        page.api.post("/auth/register", {**values, "password": password})
    except ApiError as failure:
        return page.render(
            "signup.html", page_status(failure), error=page.error_text(failure), values=values
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
    page.check_csrf(csrf)
    try:
        page.api.post("/auth/password-reset", {"email": email})
    except ApiError as failure:
        return page.render("forgot.html", page_status(failure), error=page.error_text(failure))
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
        return failure_page(page, failure)
    return page.render("registrations.html", registrations=items)
