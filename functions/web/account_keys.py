"""A person's API keys: the list, making one (its key shown once, on the answer page) and
revoking one after a confirmation. Every step goes through the public API (/me/api-keys)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Form, Request
from starlette.responses import Response

from functions.web.declaration import MAX_TEXT, PAGE, FormText, fn
from functions.web.page import Page, failure_page, is_uuid, not_found, page_status
from shared.kit.scopes import SCOPES
from shared.web.api import ApiError

KEYS = "/account/api-keys"


def _signin(page: Page) -> Response:
    return page.redirect("/signin?" + urlencode({"next": KEYS}))


def _listed(page: Page) -> list[dict[str, Any]] | ApiError:
    try:
        items: list[dict[str, Any]] = page.api.get("/me/api-keys")["items"]
    except ApiError as failure:
        return failure
    return items


def _keys_page(
    page: Page,
    status: int = 200,
    *,
    created: dict[str, Any] | None = None,
    error: str | None = None,
    name: str = "",
    chosen: tuple[str, ...] = (),
) -> Response:
    keys = _listed(page)
    if isinstance(keys, ApiError):
        if not page.signed_in:  # the refresh was refused: the session is over
            return _signin(page)
        return _trouble(page, keys)
    return page.render(
        "account_keys.html",
        status,
        keys=keys,
        scopes=list(SCOPES),
        created=created,
        error=error,
        name=name,
        chosen=chosen,
        done=page.request.query_params.get("done") == "revoked",
    )


def _trouble(page: Page, failure: ApiError) -> Response:
    return failure_page(page, failure, back=KEYS)


@fn.get(KEYS, **PAGE)
def api_keys(request: Request) -> Response:
    page = Page.of(request)
    if not page.signed_in:
        return _signin(page)
    return _keys_page(page)


@fn.post(KEYS, **PAGE)
def make_key(
    request: Request,
    csrf: FormText = "",
    name: FormText = "",
    expires_on: FormText = "",
    scopes: Annotated[list[str] | None, Form()] = None,
) -> Response:
    page = Page.of(request)
    page.check_csrf(csrf)
    if not page.signed_in:
        return _signin(page)
    # Only the boxes the form shows count; the API refuses an empty choice by itself.
    chosen = tuple(scope for scope in SCOPES if scope in (scopes or ()))
    expires_at = _end_of_day(expires_on)
    if not chosen or expires_at is False:
        error = page.words("keys.no_scopes" if not chosen else "keys.bad_date")
        return _keys_page(page, 422, error=error, name=name[:MAX_TEXT], chosen=chosen)
    body = {"name": name.strip(), "scopes": list(chosen), "expires_at": expires_at}
    try:
        created = page.api.post("/me/api-keys", body)
    except ApiError as failure:
        if failure.status not in (400, 409, 422, 429):
            return _trouble(page, failure)
        return _keys_page(
            page,
            page_status(failure),
            error=page.error_text(failure),
            name=name[:MAX_TEXT],
            chosen=chosen,
        )
    # Answered here, never redirected to: the key is in this page only, and nowhere stored.
    return _keys_page(page, created=created)


def _end_of_day(value: str) -> str | bool | None:
    """The date field as the API's instant (the end of that day, UTC); None when left empty
    (the key lasts until revoked), False when it is no date."""
    if not value.strip():
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        return False
    return datetime.combine(day, time(23, 59, 59), tzinfo=UTC).isoformat()


@fn.get(KEYS + "/{key_id}/revoke", **PAGE)
def confirm_revoke(request: Request, key_id: str) -> Response:
    page = Page.of(request)
    if not page.signed_in:
        return _signin(page)
    keys = _listed(page)
    if isinstance(keys, ApiError):
        return _trouble(page, keys)
    key = next((k for k in keys if k["id"] == key_id), None)
    if key is None:
        return not_found(page)
    return page.render("account_key_revoke.html", key=key)


@fn.post(KEYS + "/{key_id}/revoke", **PAGE)
def revoke_key(request: Request, key_id: str, csrf: FormText = "") -> Response:
    page = Page.of(request)
    page.check_csrf(csrf)
    if not page.signed_in:
        return _signin(page)
    if not is_uuid(key_id):
        return not_found(page)
    try:
        page.api.delete(f"/me/api-keys/{key_id}")
    except ApiError as failure:
        return _trouble(page, failure)
    return page.redirect(KEYS + "?done=revoked")
