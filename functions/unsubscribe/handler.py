"""One-click unsubscribe (RFC 8058): the link in every notice mail, working without login.

Mail apps POST to it without asking (`List-Unsubscribe-Post: List-Unsubscribe=One-Click`); a
person who opens it in a browser gets a page with one button, because a GET must change
nothing (link scanners open every link in a mail). Mails link the contract's page,
`/unsubscribe/{token}`, in `List-Unsubscribe` and their footer; `/api/v1/unsubscribe/{token}`
does the same.
"""

from html import escape
from typing import Annotated

from fastapi import Header, Path
from fastapi.responses import HTMLResponse
from mangum import Mangum

from shared.db import unit_of_work
from shared.kit import Function
from shared.notifications import preferences
from shared.notifications.delivery.unsubscribe import UnknownLink, person_of
from shared.users.pages import page
from shared.users.service import locale_from_accept_language

fn = Function(
    "unsubscribe",
    summary="One-click unsubscribe from notice mails.",
    secrets=("unsubscribe_secret",),
)
Token = Annotated[str, Path(max_length=512)]
Language = Annotated[str | None, Header()]

WORDS = {
    "en": {
        "ask": "Stop notice mails?",
        "ask.text": "You will no longer get mails about your events (confirmations, changes, "
        "reminders). Account mails, such as password resets, still come. You can turn mails "
        "back on in your notification settings.",
        "button": "Unsubscribe",
        "done": "You are unsubscribed",
        "done.text": "You will no longer get notice mails. Notifications stay in the app.",
        "bad": "This link is not valid",
        "bad.text": "Open the link from a recent mail, or change your notification settings.",
    },
    "ru": {
        "ask": "Отписаться от писем?",
        "ask.text": "Вы больше не будете получать письма о ваших событиях (подтверждения, "
        "изменения, напоминания). Письма об учётной записи, например сброс пароля, "
        "по-прежнему придут. Письма можно снова включить в настройках уведомлений.",
        "button": "Отписаться",
        "done": "Вы отписались",
        "done.text": "Писем-уведомлений больше не будет. Уведомления в приложении остаются.",
        "bad": "Ссылка недействительна",
        "bad.text": "Откройте ссылку из недавнего письма или измените настройки уведомлений.",
    },
}


def _invalid(locale: str) -> HTMLResponse:
    words = WORDS[locale]
    return page(locale, words["bad"], f"<p>{escape(words['bad.text'])}</p>", 404)


def _ask(token: str, accept_language: str | None) -> HTMLResponse:
    locale = locale_from_accept_language(accept_language)
    words = WORDS[locale]
    try:
        person_of(token)
    except UnknownLink:
        return _invalid(locale)
    form = (
        f"<p>{escape(words['ask.text'])}</p>"
        # Posts to this same address, the body a mail app's one-click POST carries.
        '<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">'
        f'<button type="submit">{escape(words["button"])}</button></form>'
    )
    return page(locale, words["ask"], form)


@fn.get("/unsubscribe/{token}", response_class=HTMLResponse, page_errors=(UnknownLink,))
def unsubscribe_page(token: Token, accept_language: Language = None) -> HTMLResponse:
    """The page mails link: asks, changes nothing."""
    return _ask(token, accept_language)


@fn.get("/api/v1/unsubscribe/{token}", response_class=HTMLResponse, page_errors=(UnknownLink,))
def confirmation_page(token: Token, accept_language: Language = None) -> HTMLResponse:
    return _ask(token, accept_language)


def _stop(token: str, locale: str) -> HTMLResponse:
    """Whatever the body: RFC 8058 says it is `List-Unsubscribe=One-Click`, and nothing
    but the signed token decides whose mail stops."""
    user_id = person_of(token)
    with unit_of_work() as session:
        if not preferences.stop_email(session, user_id):
            raise UnknownLink("This unsubscribe link is not valid.")
    words = WORDS[locale]
    return page(locale, words["done"], f"<p>{escape(words['done.text'])}</p>")


@fn.post("/unsubscribe/{token}", response_class=HTMLResponse, page_errors=(UnknownLink,))
def one_click_page(token: Token, accept_language: Language = None) -> HTMLResponse:
    """The mails' one-click address, and the page's button: a link that is not ours gets
    the page that says so."""
    locale = locale_from_accept_language(accept_language)
    try:
        return _stop(token, locale)
    except UnknownLink:
        return _invalid(locale)


@fn.post("/api/v1/unsubscribe/{token}", response_class=HTMLResponse, errors=(UnknownLink,))
def one_click(token: Token, accept_language: Language = None) -> HTMLResponse:
    """The API's one-click address: a link that is not ours is a 404 problem+json."""
    return _stop(token, locale_from_accept_language(accept_language))


app = fn.app()
handler = Mangum(app, lifespan="off")
