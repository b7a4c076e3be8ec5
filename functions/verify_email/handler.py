"""Email verification: the API calls and the page the mailed link opens (no login needed).

The page confirms with a button (a POST): a GET must change nothing, because mail scanners
open every link in a mail and would spend the token before its owner clicks.
"""

from html import escape
from typing import Annotated

from fastapi import Form, Header, Query, Request, Response
from fastapi.responses import HTMLResponse
from mangum import Mangum
from pydantic import EmailStr, Field

from shared.accounts.verification import request_verification, verify_email
from shared.auth import throttle
from shared.db import unit_of_work
from shared.errors import DomainError
from shared.kit import Function
from shared.kit.client import client_address
from shared.ratelimit import TooManyRequests
from shared.users.errors import InvalidOneTimeToken
from shared.users.pages import page
from shared.users.service import locale_from_accept_language
from shared.validation import RequestModel

fn = Function("verify_email", summary="Confirm an email address with the mailed link.")

WORDS = {
    "en": {
        "ask": "Confirm your email address",
        "ask.text": "Press the button to confirm this address for your Event Manager account.",
        "button": "Confirm my address",
        "done": "Email confirmed",
        "done.text": "Your email address is confirmed. You can close this page.",
        "bad": "This link is not valid",
        "bad.text": "It is unknown, already used or expired. Sign in and ask for a new one.",
    },
    "ru": {
        "ask": "Подтвердите адрес",
        "ask.text": "Нажмите кнопку, чтобы подтвердить этот адрес "
        "для учётной записи Event Manager.",
        "button": "Подтвердить адрес",
        "done": "Адрес подтверждён",
        "done.text": "Ваш адрес электронной почты подтверждён. Эту страницу можно закрыть.",
        "bad": "Ссылка недействительна",
        "bad.text": "Она неизвестна, уже использована или устарела. Войдите и запросите новую.",
    },
}
Language = Annotated[str | None, Header()]


class VerifyRequest(RequestModel):
    token: str = Field(min_length=1, max_length=256)


class ResendRequest(RequestModel):
    email: EmailStr = Field(max_length=320)


@fn.post("/api/v1/auth/verify-email", status_code=204, errors=(InvalidOneTimeToken,))
def verify(body: VerifyRequest) -> Response:
    with unit_of_work() as session:
        verify_email(session, body.token)
    return Response(status_code=204)


@fn.post(
    "/api/v1/auth/verify-email/resend",
    status_code=202,
    response_class=Response,
    errors=(TooManyRequests,),
)
def resend(body: ResendRequest, request: Request) -> Response:
    throttle.mail_request("resend", str(body.email), client_address(request))
    with unit_of_work() as session:
        request_verification(session, str(body.email))
    return Response(status_code=202)


@fn.get("/verify-email", response_class=HTMLResponse)
def verification_page(
    token: Annotated[str, Query(max_length=256)] = "",
    accept_language: Language = None,
) -> HTMLResponse:
    """Asks, changes nothing: the button posts the token to this same address."""
    locale = locale_from_accept_language(accept_language)
    words = WORDS[locale]
    form = (
        f"<p>{escape(words['ask.text'])}</p>"
        '<form method="post" action="/verify-email">'
        f'<input type="hidden" name="token" value="{escape(token)}">'
        f'<button type="submit">{escape(words["button"])}</button></form>'
    )
    return page(locale, words["ask"], form)


@fn.post("/verify-email", response_class=HTMLResponse, page_errors=(InvalidOneTimeToken,))
def confirm_from_page(
    token: Annotated[str, Form(max_length=256)] = "",
    accept_language: Language = None,
) -> HTMLResponse:
    """What the page's button posts (no JavaScript): the same service as the API."""
    locale = locale_from_accept_language(accept_language)
    words = WORDS[locale]
    try:
        with unit_of_work() as session:
            verify_email(session, token)
    except DomainError:
        return page(locale, words["bad"], f"<p>{escape(words['bad.text'])}</p>", 400)
    return page(locale, words["done"], f"<p>{escape(words['done.text'])}</p>")


app = fn.app()
handler = Mangum(app, lifespan="off")
