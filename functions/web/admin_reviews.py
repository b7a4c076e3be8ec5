"""Admin pages: reviews moderation. Every event's reviews, newest first; a visible one is
hidden (with a reason kept in the audit log) and leaves the event page and its rating, a
hidden one is restored. Through the public API's /admin/reviews like the other admin pages."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import Response

from functions.web.admin import admin_only, failed, here_of, next_page
from functions.web.declaration import PAGE, FormText, Text, fn
from functions.web.page import Page, is_uuid, local_path
from shared.web.api import ApiError

STATES = ("visible", "hidden")
ACTIONS = ("hide", "restore")


@fn.get("/admin/reviews", **PAGE)
def reviews(request: Request, state: Text = "", cursor: Text = "") -> Response:
    page = Page.of(request)
    here = here_of(request)
    if (answer := admin_only(page, here)) is not None:
        return answer
    chosen = state if state in STATES else "visible"
    try:
        listing = page.api.get("/admin/reviews", state=chosen, cursor=cursor[:512], limit=50)
    except ApiError as failure:
        return failed(page, failure, "/admin/reviews")
    return page.render(
        "admin_reviews.html",
        reviews=listing["items"],
        state=chosen,
        states=STATES,
        more=next_page({"state": chosen}, listing),
        back=here,
    )


@fn.post("/admin/reviews", **PAGE)
def moderate_review(
    request: Request,
    csrf: FormText = "",
    review: FormText = "",
    action: FormText = "",
    reason: FormText = "",
    back: FormText = "/admin/reviews",
) -> Response:
    page = Page.of(request)
    page.check_csrf(csrf)
    back = local_path(back, "/admin/reviews")
    if (answer := admin_only(page, back)) is not None:
        return answer
    if not is_uuid(review) or action not in ACTIONS:
        return page.render(
            "message.html",
            422,
            title=page.words("error.title"),
            text=page.words("admin.reviews.bad"),
            back=back,
        )
    body = {"action": action, "reason": reason.strip() or None}
    try:
        page.api.post(f"/admin/reviews/{review}/moderation", body)
    except ApiError as failure:
        return failed(page, failure, back)
    return page.redirect(back)
