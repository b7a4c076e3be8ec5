"""A person's own account: profile and password, notifications and their settings, the
personal calendar feed, exporting everything stored about them and deleting the account."""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Form, Request
from starlette.responses import Response

from functions.web.declaration import PAGE, FormText, Text, fn
from functions.web.notices import readable
from functions.web.page import Page, is_uuid, local_path, page_status
from functions.web.settings_push import public_key
from shared.web import sessions
from shared.web.api import ApiError

REMINDERS = ("24h", "1h")
# What push.js says, in the page's language.
PUSH_WORDS = ("on", "off", "is_on", "is_off", "denied", "unsupported", "failed")
EXPORT_NAME = "event-manager-my-data.json"


def _signin(page: Page, here: str) -> Response:
    return page.redirect("/signin?" + urlencode({"next": here}))


def _trouble(page: Page, failure: ApiError, here: str) -> Response:
    if not page.signed_in:  # the refresh was refused: the session is over
        return _signin(page, here)
    return page.render(
        "message.html",
        page_status(failure),
        title=page.words("error.title"),
        text=page.error_text(failure),
        back=here,
    )


@fn.get("/account", **PAGE)
def profile(request: Request, done: Text = "") -> Response:
    page = Page.of(request)
    if not page.signed_in:
        return _signin(page, "/account")
    try:
        me = page.api.get("/users/me")
    except ApiError as failure:
        return _trouble(page, failure, "/account")
    notice = page.words(f"settings.done.{done}") if done in ("profile", "password") else None
    return _profile_page(page, me, notice=notice)


def _profile_page(
    page: Page, me: dict[str, Any], status: int = 200, notice: str | None = None, **errors: Any
) -> Response:
    return page.render(
        "settings_profile.html",
        status,
        me=me,
        notice=notice,
        profile_error=errors.get("profile_error"),
        password_error=errors.get("password_error"),
    )


@fn.post("/account", **PAGE)
def edit_profile(
    request: Request,
    csrf: FormText = "",
    full_name: FormText = "",
    locale: FormText = "",
    timezone: FormText = "",
) -> Response:
    page = Page.of(request)
    page.check_csrf(csrf)
    if not page.signed_in:
        return _signin(page, "/account")
    change = {"full_name": full_name, "locale": locale, "timezone": timezone}
    try:
        me = page.api.call("PATCH", "/users/me", json=change)
    except ApiError as failure:
        if failure.status != 422:
            return _trouble(page, failure, "/account")
        return _profile_page(
            page, {**change, **_me(page)}, 422, profile_error=page.error_text(failure)
        )
    if page.session is not None:
        # The pages greet and speak to the person as their account now says.
        page.session.user = {key: me.get(key) for key in ("id", "full_name", "role", "locale")}
        sessions.save(page.session)
    return page.redirect("/account?done=profile")


@fn.post("/account/password", **PAGE)
def change_password(
    request: Request,
    csrf: FormText = "",
    current_password: FormText = "",
    new_password: FormText = "",
) -> Response:
    page = Page.of(request)
    page.check_csrf(csrf)
    if not page.signed_in:
        return _signin(page, "/account")
    body = {"current_password": current_password, "new_password": new_password}
    try:
        page.api.post("/users/me/password", body)
    except ApiError as failure:
        if failure.status not in (400, 422, 429):
            return _trouble(page, failure, "/account")
        text = page.words("settings.password.wrong") if failure.status == 400 else None
        return _profile_page(
            page, _me(page), page_status(failure), password_error=text or page.error_text(failure)
        )
    return page.redirect("/account?done=password")


def _me(page: Page) -> dict[str, Any]:
    try:
        found: dict[str, Any] = page.api.get("/users/me")
    except ApiError:
        return {}
    return found


@fn.get("/account/notifications", **PAGE)
def notifications(request: Request, cursor: Text = "") -> Response:
    page = Page.of(request)
    if not page.signed_in:
        return _signin(page, "/account/notifications")
    try:
        listing = page.api.get("/me/notifications", cursor=cursor[:1000], limit=30)
    except ApiError as failure:
        return _trouble(page, failure, "/account/notifications")
    more = urlencode({"cursor": listing["next_cursor"]}) if listing.get("next_cursor") else None
    items = [readable(page, item) for item in listing["items"]]
    return page.render("settings_notifications.html", items=items, more=more)


@fn.post("/account/notifications/{notification_id}/read", **PAGE)
def mark_read(
    request: Request, notification_id: str, csrf: FormText = "", back: FormText = ""
) -> Response:
    page = Page.of(request)
    page.check_csrf(csrf)
    back = local_path(back, "/account/notifications")
    if not page.signed_in:
        return _signin(page, back)
    if not is_uuid(notification_id):
        return _trouble(page, ApiError(404, "Not Found"), back)
    try:
        page.api.post(f"/me/notifications/{notification_id}/read")
    except ApiError as failure:
        return _trouble(page, failure, back)
    return page.redirect(back)


@fn.get("/account/settings", **PAGE)
def notification_settings(request: Request, done: Text = "") -> Response:
    page = Page.of(request)
    if not page.signed_in:
        return _signin(page, "/account/settings")
    try:
        chosen = page.api.get("/me/notification-settings")
        feed = page.api.get("/me/calendar-feed")["url"]
    except ApiError as failure:
        return _trouble(page, failure, "/account/settings")
    return page.render(
        "settings_notify.html",
        worker=True,  # push.js registers the Web Push worker
        chosen=chosen,
        reminders=REMINDERS,
        feed=feed,
        push_key=public_key(page),
        push_words={key: page.words(f"settings.push.{key}") for key in PUSH_WORDS},
        notice=page.words(f"settings.done.{done}") if done in ("saved", "rotated") else None,
    )


@fn.post("/account/settings", **PAGE)
def save_settings(
    request: Request,
    csrf: FormText = "",
    email: FormText = "",
    push: FormText = "",
    reminders: Annotated[list[str] | None, Form()] = None,
) -> Response:
    page = Page.of(request)
    page.check_csrf(csrf)
    if not page.signed_in:
        return _signin(page, "/account/settings")
    # Checkboxes: only the ticked ones are sent.
    body = {
        "email": email == "on",
        "push": push == "on",
        "reminders": [kind for kind in REMINDERS if kind in (reminders or ())],
    }
    try:
        page.api.call("PUT", "/me/notification-settings", json=body)
    except ApiError as failure:
        return _trouble(page, failure, "/account/settings")
    return page.redirect("/account/settings?done=saved")


@fn.post("/account/settings/feed", **PAGE)
def rotate_feed(request: Request, csrf: FormText = "") -> Response:
    page = Page.of(request)
    page.check_csrf(csrf)
    if not page.signed_in:
        return _signin(page, "/account/settings")
    try:
        page.api.post("/me/calendar-feed/rotate")
    except ApiError as failure:
        return _trouble(page, failure, "/account/settings")
    return page.redirect("/account/settings?done=rotated#feed")


@fn.get("/account/export", **PAGE)
def export(request: Request) -> Response:
    """Everything the API stores about the person, saved as a file: the browser never holds
    the API token, so this function fetches it with the session's."""
    page = Page.of(request)
    if not page.signed_in:
        return _signin(page, "/account")
    try:
        data = page.api.get("/users/me/export")
    except ApiError as failure:
        return _trouble(page, failure, "/account")
    content = json.dumps(data, ensure_ascii=False, indent=2).encode()
    return page.download(content, "application/json", EXPORT_NAME)


@fn.get("/account/delete", **PAGE)
def delete_form(request: Request) -> Response:
    page = Page.of(request)
    if not page.signed_in:
        return _signin(page, "/account/delete")
    return page.render("settings_delete.html", error=None)


@fn.post("/account/delete", **PAGE)
def delete_account(
    request: Request, csrf: FormText = "", password: FormText = "", confirm: FormText = ""
) -> Response:
    page = Page.of(request)
    page.check_csrf(csrf)
    if not page.signed_in or page.session is None:
        return _signin(page, "/account/delete")
    if confirm != "yes":
        return page.render("settings_delete.html", 422, error=page.words("settings.delete.tick"))
    try:
        page.api.call("DELETE", "/users/me", json={"password": password})
    except ApiError as failure:
        if failure.status not in (400, 422, 429):
            return _trouble(page, failure, "/account/delete")
        text = page.words("settings.password.wrong") if failure.status == 400 else None
        return page.render(
            "settings_delete.html",
            page_status(failure),
            error=text or page.error_text(failure),
        )
    # The API ended every session of the account; this one ends with it.
    sessions.end(page.session)
    page.session = None
    response = page.render(
        "message.html",
        title=page.words("settings.delete.done"),
        text=page.words("settings.delete.done.text"),
        back="/",
    )
    response.delete_cookie(sessions.COOKIE, path="/")
    return response
