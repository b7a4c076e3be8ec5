"""Email verification: the API calls and the page the mailed link opens (no login needed)."""

from html import escape
from typing import Annotated

from fastapi import Header, Query, Request, Response
from fastapi.responses import HTMLResponse
from mangum import Mangum
from pydantic import EmailStr, Field

from shared.auth import throttle
from shared.db import unit_of_work
from shared.errors import DomainError
from shared.kit import Function
from shared.kit.client import client_address
from shared.ratelimit import TooManyRequests
from shared.users.pages import page
from shared.users.service import locale_from_accept_language
from shared.users.verification import InvalidOneTimeToken, request_verification, verify_email
from shared.validation import RequestModel

fn = Function("verify_email", summary="Confirm an email address with the mailed link.")

PAGE = {
    "en": (
        "Email confirmed",
        "Your email address is confirmed. You can close this page.",
        "This link is not valid",
        "It is unknown, already used or expired. Sign in and ask for a new one.",
    ),
    "ru": (
        "Адрес подтверждён",
        "Ваш адрес электронной почты подтверждён. Эту страницу можно закрыть.",
        "Ссылка недействительна",
        "Она неизвестна, уже использована или устарела. Войдите и запросите новую.",
    ),
}


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


@fn.get("/verify-email", response_class=HTMLResponse, page_errors=(InvalidOneTimeToken,))
def verification_page(
    token: Annotated[str, Query(max_length=256)] = "",
    accept_language: Annotated[str | None, Header()] = None,
) -> HTMLResponse:
    locale = locale_from_accept_language(accept_language)
    done_title, done_text, bad_title, bad_text = PAGE[locale]
    try:
        with unit_of_work() as session:
            verify_email(session, token)
    except DomainError:
        return page(locale, bad_title, f"<p>{escape(bad_text)}</p>", 400)
    return page(locale, done_title, f"<p>{escape(done_text)}</p>")


app = fn.app()
handler = Mangum(app, lifespan="off")
