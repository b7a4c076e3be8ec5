"""Admin pages: accounts (search, roles, blocking), the moderation queue and the audit log.

Only admins see them; the API checks the role on every call, these pages only say so
readably (a 403 page) instead of showing an empty table.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from starlette.responses import Response

from functions.web.declaration import MAX_TEXT, PAGE, FormText, Text, fn
from functions.web.page import Page, is_uuid, local_path, not_found, page_status
from shared.web.api import ApiError

ROLES = ("participant", "organizer", "admin")
QUEUES = ("pending", "flagged", "hidden")
ACTIONS = ("approve", "hide", "restore")


def admin_only(page: Page, here: str) -> Response | None:
    """The answer for anyone but an admin: sign in first, or a page saying it is not theirs."""
    if not page.signed_in:
        return page.redirect("/signin?" + urlencode({"next": here}))
    if ((page.session and page.session.user) or {}).get("role") != "admin":
        return refused(page)
    return None


def refused(page: Page) -> Response:
    return page.render(
        "message.html", 403, title=page.words("admin.refused"), text=page.words("admin.only")
    )


def failed(page: Page, failure: ApiError, back: str) -> Response:
    if failure.status == 401 and not page.signed_in:  # the refresh was refused
        return page.redirect("/signin?" + urlencode({"next": back}))
    if failure.status == 403:
        return refused(page)
    return page.render(
        "message.html",
        page_status(failure),
        title=page.words("error.title"),
        text=page.error_text(failure),
        back=back,
    )


def here_of(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


@fn.get("/admin", **PAGE)
def admin_home(request: Request) -> Response:
    return Page.of(request).redirect("/admin/users")


@fn.get("/admin/users", **PAGE)
def users(
    request: Request, q: Text = "", role: Text = "", is_active: Text = "", cursor: Text = ""
) -> Response:
    page = Page.of(request)
    here = here_of(request)
    if (answer := admin_only(page, here)) is not None:
        return answer
    filters = {
        "q": q[:MAX_TEXT],
        "role": role if role in ROLES else "",
        "is_active": is_active if is_active in ("true", "false") else "",
    }
    try:
        listing = page.api.get("/admin/users", **filters, cursor=cursor[:1000], limit=50)
    except ApiError as failure:
        return failed(page, failure, "/admin/users")
    return page.render(
        "admin_users.html",
        users=listing["items"],
        filters=filters,
        roles=ROLES,
        more=next_page(filters, listing),
        back=here,
    )


@fn.post("/admin/users/{user_id}", **PAGE)
def change_user(
    request: Request,
    user_id: str,
    csrf: FormText = "",
    role: FormText = "",
    is_active: FormText = "",
    back: FormText = "/admin/users",
) -> Response:
    page = Page.of(request)
    page.check_csrf(csrf)
    back = local_path(back, "/admin/users")
    if (answer := admin_only(page, back)) is not None:
        return answer
    if not is_uuid(user_id):
        return not_found(page)
    change: dict[str, Any] = {}
    if role:
        change["role"] = role
    if is_active in ("true", "false"):
        change["is_active"] = is_active == "true"
    try:
        page.api.call("PATCH", f"/admin/users/{user_id}", json=change)
    except ApiError as failure:
        return failed(page, failure, back)
    return page.redirect(back)


@fn.get("/admin/moderation", **PAGE)
def moderation(request: Request, queue: Text = "", cursor: Text = "") -> Response:
    page = Page.of(request)
    here = here_of(request)
    if (answer := admin_only(page, here)) is not None:
        return answer
    chosen = queue if queue in QUEUES else ""
    try:
        listing = page.api.get("/admin/events", moderation=chosen, cursor=cursor[:1000], limit=50)
    except ApiError as failure:
        return failed(page, failure, "/admin/moderation")
    return page.render(
        "admin_moderation.html",
        items=listing["items"],
        queue=chosen,
        queues=QUEUES,
        more=next_page({"queue": chosen}, listing),
        back=here,
    )


@fn.post("/admin/moderation", **PAGE)
def moderate(
    request: Request,
    csrf: FormText = "",
    event: FormText = "",
    action: FormText = "",
    reason: FormText = "",
    back: FormText = "/admin/moderation",
) -> Response:
    """One form for every action: a queue item's buttons, or an event's id or address typed
    by hand (an event nobody reported can be hidden too)."""
    page = Page.of(request)
    page.check_csrf(csrf)
    back = local_path(back, "/admin/moderation")
    if (answer := admin_only(page, back)) is not None:
        return answer
    event_id = event.strip().rstrip("/").rsplit("/", 1)[-1]
    if not is_uuid(event_id) or action not in ACTIONS:
        return page.render(
            "message.html",
            422,
            title=page.words("error.title"),
            text=page.words("admin.moderation.bad"),
            back=back,
        )
    body = {"action": action, "reason": reason.strip() or None}
    try:
        page.api.post(f"/admin/events/{event_id}/moderation", body)
    except ApiError as failure:
        return failed(page, failure, back)
    return page.redirect(back)


@fn.get("/admin/audit", **PAGE)
def audit(
    request: Request,
    actor_id: Text = "",
    action: Text = "",
    target_id: Text = "",
    cursor: Text = "",
) -> Response:
    page = Page.of(request)
    if (answer := admin_only(page, here_of(request))) is not None:
        return answer
    filters = {"actor_id": actor_id.strip(), "action": action.strip(), "target_id": target_id}
    filters = {key: value.strip()[:64] for key, value in filters.items()}
    error, status = None, 200
    listing: dict[str, Any] = {"items": [], "next_cursor": None}
    try:
        listing = page.api.get("/admin/audit", **filters, cursor=cursor[:1000], limit=50)
    except ApiError as failure:
        if failure.status in (401, 403):
            return failed(page, failure, "/admin/audit")
        error, status = page.error_text(failure), page_status(failure)
    return page.render(
        "admin_audit.html",
        status,
        entries=listing["items"],
        filters=filters,
        more=next_page(filters, listing),
        error=error,
    )


def next_page(filters: dict[str, str], listing: dict[str, Any]) -> str | None:
    """The query string of the next page, or None on the last one."""
    if not listing.get("next_cursor"):
        return None
    return urlencode({**{k: v for k, v in filters.items() if v}, "cursor": listing["next_cursor"]})
