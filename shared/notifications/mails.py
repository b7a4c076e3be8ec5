"""The mails about accounts, in English and Russian, with their secrets minted at send time."""

from __future__ import annotations

from html import escape

from shared.config import get_settings
from shared.db import unit_of_work
from shared.notifications.models import Notification
from shared.notifications.templates import Rendered, renderer
from shared.users.models import TokenPurpose
from shared.users.verification import VERIFY_EMAIL_TTL, mint

VERIFY = {
    "en": {
        "subject": "Confirm your email address",
        "hello": "Hello {name},",
        "body": "Please confirm your email address for Event Manager by opening this link "
        "(valid for 24 hours):",
        "button": "Confirm my email",
        "ignore": "If you did not sign up, you can ignore this message.",
    },
    "ru": {
        "subject": "Подтвердите адрес электронной почты",
        "hello": "Здравствуйте, {name}!",
        "body": "Подтвердите адрес электронной почты для Event Manager, открыв ссылку "
        "(действует 24 часа):",
        "button": "Подтвердить адрес",
        "ignore": "Если вы не регистрировались, просто проигнорируйте это письмо.",
    },
}


@renderer("verify_email")
def verify_email(notification: Notification) -> Rendered:
    assert notification.user_id is not None
    with unit_of_work() as session:
        secret = mint(session, notification.user_id, TokenPurpose.verify_email, VERIFY_EMAIL_TTL)
    link = f"{get_settings().public_url.rstrip('/')}/verify-email?token={secret}"
    words = VERIFY.get(notification.locale, VERIFY["en"])
    hello = words["hello"].format(name=notification.payload.get("full_name", ""))
    text = f"{hello}\n\n{words['body']}\n{link}\n\n{words['ignore']}\n"
    html = (
        f"<p>{escape(hello)}</p><p>{escape(words['body'])}</p>"
        f'<p><a href="{escape(link)}">{escape(words["button"])}</a></p>'
        f"<p>{escape(words['ignore'])}</p>"
    )
    return Rendered(subject=words["subject"], text=text, html=html)
