"""What every page of the web front end starts from: the visitor's session, language and API
client, and the one way pages are rendered (Jinja2, autoescaped) and forms are checked."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import Response

from functions.web.showing import local_time, map_url, svg_image
from functions.web.words import WORDS
from shared.kit.client import client_address
from shared.web import language, sessions
from shared.web.api import Api, ApiError
from shared.web.assets import Assets

HERE = Path(__file__).parent
ASSETS = Assets(HERE / "static")
TEMPLATES = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
TEMPLATES.globals["asset"] = ASSETS.url
TEMPLATES.filters["local_time"] = local_time
TEMPLATES.filters["map_url"] = map_url
TEMPLATES.filters["svg_image"] = svg_image
YEAR = 365 * 86_400
# Its own stylesheet, images and small script modules only (every page works without them);
# scripts fetch only from here; forms post only here; no framing (clickjacking), except the
# widget made to be framed.
POLICY = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:{images}; "
    "connect-src 'self'; form-action 'self'; frame-ancestors {framing}; base-uri 'none'{extra}"
)
# A page that registers a service worker of this site: the door (offline), the notification
# settings (Web Push).
WORKER = "; worker-src 'self'"
# A page working as a device (the door): its offline worker, and the camera.
DEVICE = WORKER + "; media-src 'self' mediastream: blob:"


def policy(
    framable: bool = False,
    image_origins: Iterable[str] = (),
    device: bool = False,
    worker: bool = False,
) -> str:
    """The page's Content-Security-Policy: media pictures come from storage, whose origin is
    the one in their links (the gateway, or S3's public address)."""
    images = "".join(f" {origin}" for origin in sorted(set(image_origins)))
    framing = "*" if framable else "'none'"
    extra = DEVICE if device else WORKER if worker else ""
    return POLICY.format(images=images, framing=framing, extra=extra)


class CsrfRefused(Exception):
    """A form posted without its session's CSRF token (another site, or an old page)."""


@dataclass
class Page:
    request: Request
    session: sessions.Session | None
    language: str
    picked: str | None

    @classmethod
    def of(cls, request: Request) -> Page:
        session = sessions.load(request.cookies.get(sessions.COOKIE))
        picked = language.supported(request.query_params.get("lang"))
        account = (session.user or {}).get("locale") if session else None
        chosen = language.choose(
            picked or request.cookies.get(language.COOKIE),
            account,
            request.headers.get("accept-language"),
        )
        return cls(request, session, chosen, picked)

    @property
    def api(self) -> Api:
        return Api(self.session, self.language, client_address(self.request))

    @property
    def signed_in(self) -> bool:
        return self.session is not None and self.session.signed_in

    def words(self, key: str) -> str:
        return WORDS[self.language].get(key) or WORDS["en"][key]

    def form_session(self) -> sessions.Session:
        """The session a form's CSRF token belongs to, started if the visitor has none."""
        if self.session is None:
            self.session = sessions.start()
        return self.session

    def check_csrf(self, token: str) -> None:
        """Raises CsrfRefused, which the app answers with the expired-form page (handler.py)."""
        if not sessions.csrf_matches(self.session, token):
            raise CsrfRefused

    def error_text(self, error: ApiError) -> str:
        """An API answer as a sentence for people: our words for the usual statuses, the
        API's own detail otherwise (it never holds a stack trace)."""
        known = WORDS[self.language].get(f"error.{error.status}")
        if error.status == 422 and error.fields:
            return f"{self.words('error.422')} ({', '.join(sorted(set(error.fields)))})"
        return known or error.detail or error.title

    def switch_url(self, to: str) -> str:
        query = {k: v for k, v in self.request.query_params.items() if k != "lang"}
        return f"{self.request.url.path}?{urlencode({**query, 'lang': to})}"

    def render(
        self,
        template: str,
        status: int = 200,
        *,
        framable: bool = False,
        image_origins: Iterable[str] = (),
        device: bool = False,
        worker: bool = False,
        **context: Any,
    ) -> Response:
        html = TEMPLATES.get_template(template).render(
            t=self.words,
            lang=self.language,
            other_languages=[
                (code, self.switch_url(code))
                for code in language.LANGUAGES
                if code != self.language
            ],
            user=self.session.user if self.signed_in and self.session else None,
            csrf=self.session.csrf if self.session else "",
            path=self.request.url.path,
            **context,
        )
        response = HTMLResponse(html, status_code=status)
        return self._finish(response, framable, image_origins, device, worker)

    def download(self, content: bytes, media_type: str, filename: str) -> Response:
        """A file the API answered, handed to the browser to save (never shown in the page)."""
        disposition = f'attachment; filename="{filename}"'
        response = Response(content, media_type=media_type)
        response.headers["Content-Disposition"] = disposition
        return self._finish(response)

    def redirect(self, to: str) -> Response:
        # 303: the browser follows a form's POST with a GET.
        return self._finish(RedirectResponse(to, status_code=303))

    def _finish(
        self,
        response: Response,
        framable: bool = False,
        image_origins: Iterable[str] = (),
        device: bool = False,
        worker: bool = False,
    ) -> Response:
        response.headers["Content-Security-Policy"] = policy(
            framable, image_origins, device, worker
        )
        if not framable:
            response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Cache-Control"] = "no-store" if self.session else "private, max-age=0"
        if self.session is not None:
            response.set_cookie(
                sessions.COOKIE,
                self.session.id,
                max_age=None,
                **sessions.cookie_options(),
            )
        if self.picked:
            response.set_cookie(
                language.COOKIE, self.picked, max_age=YEAR, **sessions.cookie_options()
            )
        return response


def not_found(page: Page) -> Response:
    return page.render(
        "message.html",
        404,
        title=page.words("notfound.title"),
        text=page.words("notfound.text"),
        back="/",
    )


def expired(page: Page) -> Response:
    """A form without its session's CSRF token: sent from elsewhere, or from an old page."""
    return page.render(
        "message.html", 403, title=page.words("csrf.title"), text=page.words("csrf.text"), back="/"
    )


def failure_page(
    page: Page,
    failure: ApiError,
    text: str | None = None,
    *,
    back: str | None = None,
    back_label: str | None = None,
) -> Response:
    """An API refusal told as the message page: the status page_status gives it, our words
    for it unless the page has a better sentence (`text`), and a link back if given."""
    return page.render(
        "message.html",
        page_status(failure),
        title=page.words("error.title"),
        text=text or page.error_text(failure),
        back=back,
        back_label=back_label,
    )


def problem(page: Page, failure: ApiError) -> Response:
    """A page's JSON call answered with an API error: problem+json in the person's words."""
    status = page_status(failure)
    return JSONResponse(
        {
            "type": "about:blank",
            "title": failure.title,
            "status": status,
            "detail": page.error_text(failure),
        },
        status,
        media_type="application/problem+json",
        headers={"Cache-Control": "no-store"},
    )


def page_status(failure: ApiError) -> int:
    # The API's 4xx stays a 4xx on the page; its outage is ours to tell as 503.
    return failure.status if failure.status < 500 else 503


def local_path(target: str, default: str = "/") -> str:
    """Only a path of this site as a place to go back to: never an open redirect."""
    if target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return default


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
