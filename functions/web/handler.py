"""The web front end: HTML pages for people, rendered on the server from the public API.

It serves `/` and every path the platform does not keep for itself (the catch-all route,
declared last), calls only the public API through the gateway, and works without JavaScript.
"""

from __future__ import annotations

from fastapi import Request
from mangum import Mangum
from starlette.responses import Response

# The page modules declare their routes on `fn` when imported.
from functions.web import (  # noqa: F401
    account,
    account_achievements,
    account_keys,
    admin,
    admin_reviews,
    discussion,
    door,
    organize,
    organize_announce,
    organize_media,
    organize_numbers,
    organize_people,
    organize_series,
    people,
    public,
    settings,
    settings_push,
    tickets,
    widget,
)
from functions.web.declaration import PAGE, fn
from functions.web.page import ASSETS, CsrfRefused, Page, expired, not_found


@fn.get("/static/{name}", **PAGE)
def static(request: Request, name: str) -> Response:
    found = ASSETS.response(name)
    return found if found is not None else not_found(Page.of(request))


@fn.get("/{page_path:path}", **PAGE)
def any_other_page(request: Request) -> Response:
    return not_found(Page.of(request))


def _refused_form(request: Request, _refused: Exception) -> Response:
    # Every form checks its session's CSRF token first (`Page.check_csrf`); one without it
    # was sent from elsewhere or from an old page, and gets a page saying so.
    return expired(Page.of(request))


app = fn.app()
app.add_exception_handler(CsrfRefused, _refused_form)
handler = Mangum(app, lifespan="off")
