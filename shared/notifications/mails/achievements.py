"""The notice of an achievement earned, in English and Russian. It is shown in the app only
(no mail or push: points are never a reason to call someone back), so its footer is a
formality the mail would need."""

from __future__ import annotations

from shared.achievements.rules import RULES, name_of
from shared.config import get_settings
from shared.notifications.mails.rendering import Rendered, notice
from shared.notifications.models import Notification
from shared.notifications.schemas import AchievementNotice

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "subject": "New achievement: {name}",
        "body": "You earned “{name}” (+{points} points). All of yours are on your "
        "achievements page.",
        "footer": "You get this notice because you turned achievements on at Event Manager. "
        "Turn them off, or stop these mails: {link}",
    },
    "ru": {
        "subject": "Новое достижение: {name}",
        "body": "Вы получили достижение «{name}» (+{points} очков). Все ваши достижения — "
        "на странице достижений.",
        "footer": "Вы получили это уведомление, потому что включили достижения в Event "
        "Manager. Выключить их или отказаться от писем: {link}",
    },
}


def achievement_awarded(notification: Notification, payload: AchievementNotice) -> Rendered:
    words = WORDS.get(notification.locale, WORDS["en"])
    rule = RULES.get(payload.rule)
    name = name_of(rule, notification.locale) if rule is not None else payload.rule
    return notice(
        subject=words["subject"].format(name=name),
        paragraphs=[words["body"].format(name=name, points=payload.points)],
        footer=words["footer"],
        link=f"{get_settings().public_url.rstrip('/')}/api/v1/me/achievements",
    )
