"""Password reset: ask for a link, redeem it through the API or the page the link opens."""

from html import escape
from typing import Annotated

from fastapi import Form, Header, Query, Request, Response
from fastapi.responses import HTMLResponse
from mangum import Mangum
from pydantic import EmailStr, Field, ValidationError

from shared.accounts.verification import request_password_reset, reset_password
from shared.auth import throttle
from shared.db import unit_of_work
from shared.errors import DomainError
from shared.kit import Function
from shared.kit.client import client_address
from shared.ratelimit import TooManyRequests
from shared.users.errors import InvalidOneTimeToken
from shared.users.pages import page
from shared.users.schemas import Password
from shared.users.service import locale_from_accept_language
from shared.validation import RequestModel

fn = Function("reset_password", summary="Reset a forgotten password with a mailed link.")

WORDS = {
    "en": {
        "title": "Choose a new password",
        "label": "New password (at least 10 characters)",
        "button": "Save the new password",
        "done": "Your password is changed. Sign in with the new one; other sessions ended.",
        "done_title": "Password changed",
        "bad_title": "This link is not valid",
        "bad": "It is unknown, already used or expired. Ask for a new one.",
        "weak": "The password must have at least 10 characters.",
    },
    "ru": {
        "title": "Новый пароль",
        "label": "Новый пароль (не короче 10 символов)",
        "button": "Сохранить пароль",
        "done": "Пароль изменён. Войдите с новым паролем; остальные сеансы завершены.",
        "done_title": "Пароль изменён",
        "bad_title": "Ссылка недействительна",
        "bad": "Она неизвестна, уже использована или устарела. Запросите новую.",
        "weak": "Пароль должен быть не короче 10 символов.",
    },
}


class ResetRequest(RequestModel):
    email: EmailStr = Field(max_length=320)


class ResetConfirm(RequestModel):
    token: str = Field(min_length=1, max_length=256)
    new_password: Password


@fn.post(
    "/api/v1/auth/password-reset",
    status_code=202,
    response_class=Response,
    errors=(TooManyRequests,),
)
def ask(body: ResetRequest, request: Request) -> Response:
    throttle.mail_request("reset", str(body.email), client_address(request))
    with unit_of_work() as session:
        request_password_reset(session, str(body.email))
    return Response(status_code=202)


def _reset(token: str, new_password: str) -> None:
    with unit_of_work() as session:
        email = reset_password(session, token, new_password).email
    # The owner proved themself: guessing before the reset no longer slows them down.
    throttle.account_recovered("login", email)


@fn.post("/api/v1/auth/password-reset/confirm", status_code=204, errors=(InvalidOneTimeToken,))
def confirm(body: ResetConfirm) -> Response:
    _reset(body.token, body.new_password)
    return Response(status_code=204)


def _form(words: dict[str, str], token: str, error: str | None = None) -> str:
    note = f'<p role="alert">{escape(error)}</p>' if error else ""
    return (
        f'{note}<form method="post" action="/reset-password">'
        f'<input type="hidden" name="token" value="{escape(token)}">'
        f'<label>{escape(words["label"])}<br><input type="password" name="new_password" '
        f'minlength="10" required autocomplete="new-password"></label>'
        f'<p><button type="submit">{escape(words["button"])}</button></p></form>'
    )


@fn.get("/reset-password", response_class=HTMLResponse)
def form(
    token: Annotated[str, Query(max_length=256)] = "",
    accept_language: Annotated[str | None, Header()] = None,
) -> HTMLResponse:
    locale = locale_from_accept_language(accept_language)
    words = WORDS[locale]
    return page(locale, words["title"], _form(words, token))


@fn.post("/reset-password", response_class=HTMLResponse, page_errors=(InvalidOneTimeToken,))
def submit(
    token: Annotated[str, Form(max_length=256)] = "",
    new_password: Annotated[str, Form(max_length=256)] = "",
    accept_language: Annotated[str | None, Header()] = None,
) -> HTMLResponse:
    """What the page's form posts (no JavaScript): the same service as the API."""
    locale = locale_from_accept_language(accept_language)
    words = WORDS[locale]
    try:
        checked = ResetConfirm(token=token or "-", new_password=new_password)
    except ValidationError:
        return page(locale, words["title"], _form(words, token, words["weak"]), 400)
    try:
        _reset(checked.token, checked.new_password)
    except DomainError:
        return page(locale, words["bad_title"], f"<p>{escape(words['bad'])}</p>", 400)
    return page(locale, words["done_title"], f"<p>{escape(words['done'])}</p>")


app = fn.app()
handler = Mangum(app, lifespan="off")
