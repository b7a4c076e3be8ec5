"""The mails about accounts, in English and Russian, with their secrets minted at send time."""

from __future__ import annotations

from datetime import timedelta
from html import escape

from shared.config import get_settings
from shared.db import unit_of_work
from shared.notifications.models import Notification
from shared.notifications.templates import Rendered, renderer
from shared.users.models import TokenPurpose
from shared.users.one_time_tokens import RESET_PASSWORD_TTL, VERIFY_EMAIL_TTL, mint

VERIFY = {
    "en": {
        "subject": "Confirm your email address",
        "hello": "Hello,",
        "body": "Please confirm your email address for Event Manager by opening this link "
        "(valid for 24 hours):",
        "button": "Confirm my email",
        "ignore": "If you did not sign up, you can ignore this message.",
    },
    "ru": {
        "subject": "Подтвердите адрес электронной почты",
        "hello": "Здравствуйте!",
        "body": "Подтвердите адрес электронной почты для Event Manager, открыв ссылку "
        "(действует 24 часа):",
        "button": "Подтвердить адрес",
        "ignore": "Если вы не регистрировались, просто проигнорируйте это письмо.",
    },
}


RESET = {
    "en": {
        "subject": "Reset your password",
        "hello": "Hello,",
        "body": "Someone (we hope you) asked to reset your Event Manager password. Open this "
        "link to choose a new one (valid for 1 hour, once):",
        "button": "Choose a new password",
        "ignore": "If it was not you, ignore this message: your password stays as it is.",
    },
    "ru": {
        "subject": "Сброс пароля",
        "hello": "Здравствуйте!",
        "body": "Кто-то (надеемся, вы) попросил сбросить пароль Event Manager. Откройте "
        "ссылку, чтобы задать новый (действует 1 час, один раз):",
        "button": "Задать новый пароль",
        "ignore": "Если это были не вы, проигнорируйте письмо: пароль останется прежним.",
    },
}

CHANGED = {
    "en": {
        "subject": "Your password was changed",
        "hello": "Hello,",
        "body": "The password of your Event Manager account was just changed, and your other "
        "sessions were signed out.",
        "ignore": "If it was not you, reset your password at once and write to us.",
    },
    "ru": {
        "subject": "Ваш пароль изменён",
        "hello": "Здравствуйте!",
        "body": "Пароль вашей учётной записи Event Manager только что изменён, остальные "
        "сеансы завершены.",
        "ignore": "Если это были не вы, немедленно сбросьте пароль и напишите нам.",
    },
}


def _link_mail(
    notification: Notification, words: dict[str, str], path: str, link_secret: str
) -> Rendered:
    link = f"{get_settings().public_url.rstrip('/')}{path}?token={link_secret}"
    # No name: whoever signs up chooses it, and it would reach the address's real owner.
    hello = words["hello"]
    text = f"{hello}\n\n{words['body']}\n{link}\n\n{words['ignore']}\n"
    html = (
        f"<p>{escape(hello)}</p><p>{escape(words['body'])}</p>"
        f'<p><a href="{escape(link)}">{escape(words["button"])}</a></p>'
        f"<p>{escape(words['ignore'])}</p>"
    )
    return Rendered(subject=words["subject"], text=text, html=html)


def _mint(notification: Notification, purpose: TokenPurpose, ttl: timedelta) -> str:
    assert notification.user_id is not None
    with unit_of_work() as session:
        return mint(session, notification.user_id, purpose, ttl)


@renderer("verify_email")
def verify_email(notification: Notification) -> Rendered:
    secret = _mint(notification, TokenPurpose.verify_email, VERIFY_EMAIL_TTL)
    words = VERIFY.get(notification.locale, VERIFY["en"])
    return _link_mail(notification, words, "/verify-email", secret)


@renderer("reset_password")
def reset_password(notification: Notification) -> Rendered:
    secret = _mint(notification, TokenPurpose.reset_password, RESET_PASSWORD_TTL)
    words = RESET.get(notification.locale, RESET["en"])
    return _link_mail(notification, words, "/reset-password", secret)


@renderer("password_changed")
def password_changed(notification: Notification) -> Rendered:
    words = CHANGED.get(notification.locale, CHANGED["en"])
    # No name: whoever signs up chooses it, and it would reach the address's real owner.
    hello = words["hello"]
    text = f"{hello}\n\n{words['body']}\n\n{words['ignore']}\n"
    html = f"<p>{escape(hello)}</p><p>{escape(words['body'])}</p><p>{escape(words['ignore'])}</p>"
    return Rendered(subject=words["subject"], text=text, html=html)
