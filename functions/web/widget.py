"""The embeddable widget: an organizer's upcoming events in a small page that any site may put
in an `<iframe>`, and the page where an organizer copies that snippet.

Only the widget may be framed: every other page still refuses (clickjacking). The widget
holds no form and reads no session, so a framing site can make it do nothing on anyone's
behalf; its register buttons open the event's own page in a new tab.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Request
from starlette.responses import Response

from functions.web.declaration import PAGE, fn
from functions.web.page import Page, is_uuid, not_found, page_status
from functions.web.people import organizer_profile
from shared.config import get_settings
from shared.web.api import ApiError

SHOWN = 10
ORGANIZING = ("organizer", "admin")


@fn.get("/widget/organizers/{organizer_id}", **PAGE)
def organizer_widget(request: Request, organizer_id: str) -> Response:
    page = Page.of(request)
    if not is_uuid(organizer_id):
        return not_found(page)
    error, status, events = None, 200, []
    try:
        events = page.api.get("/events", organizer_id=organizer_id, limit=SHOWN)["items"]
    except ApiError as failure:
        error, status = page.error_text(failure), page_status(failure)
    profile = organizer_profile(page, organizer_id) if error is None else None
    return page.render(
        "widget.html", status, framable=True, events=events, error=error, organizer=profile
    )


def widget_url(organizer_id: str, language: str) -> str:
    base = get_settings().public_url.rstrip("/")
    return f"{base}/widget/organizers/{organizer_id}?{urlencode({'lang': language})}"


@fn.get("/account/widget", **PAGE)
def widget_snippet(request: Request) -> Response:
    page = Page.of(request)
    if not page.signed_in or page.session is None:
        return page.redirect("/signin?next=/account/widget")
    user = page.session.user or {}
    if user.get("role") not in ORGANIZING:
        return page.render(
            "message.html",
            403,
            title=page.words("widget.organizers"),
            text=page.words("widget.organizers.text"),
        )
    url = widget_url(str(user["id"]), page.language)
    snippet = (
        f'<iframe src="{url}" title="{page.words("widget.title")}" '
        'width="100%" height="480" style="border:0" loading="lazy"></iframe>'
    )
    return page.render("widget_snippet.html", url=url, snippet=snippet)
