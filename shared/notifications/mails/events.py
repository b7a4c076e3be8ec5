"""The mails about events and seats, in English and Russian, times in the reader's zone.

A row's payload holds raw values (ISO times, the reader's IANA zone; see schemas); the wording
and the local times are made when the mail is sent, so a template fix reaches rows still
pending.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.config import get_settings
from shared.notifications.mails.rendering import Rendered, notice
from shared.notifications.models import Notification
from shared.notifications.schemas import (
    AnnouncementNotice,
    EventChangeNotice,
    EventNotice,
    FollowedEventNotice,
    MentionNotice,
    OfferNotice,
    ReasonedNotice,
    ReminderNotice,
    ReviewNotice,
    SeatNotice,
    TeamNotice,
    WaitlistNotice,
)

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "hello": "Hello,",
        "confirmed.subject": "You are registered: {title}",
        "confirmed.body": "Your seat for “{title}” on {starts} is confirmed.",
        "waitlisted.subject": "On the waitlist: {title}",
        "waitlisted.body": "“{title}” on {starts} is full; you are number {position} on the "
        "waitlist. We will write as soon as a seat is yours.",
        "promoted.subject": "A seat is yours: {title}",
        "promoted.body": "A seat came free for “{title}” on {starts}: it is yours now.",
        "offered.subject": "A seat is held for you until {until}: {title}",
        "offered.body": "A seat came free for “{title}” on {starts}. It is held for you until "
        "{until}; after that it goes to the next person waiting.",
        "offered.claim": "To take it, claim it before then: the “Claim” button on the event's "
        "page, or POST {claim}",
        "offer_expired.subject": "Your offer ran out: {title}",
        "offer_expired.body": "The seat offered to you for “{title}” on {starts} was not "
        "claimed in time and went to the next person waiting; you are no longer on the "
        "waitlist. You may register again, at the end of the line.",
        "changed.subject": "Changed: {title}",
        "changed.body": "“{title}”, which you registered for, has changed:",
        "cancelled.subject": "Cancelled: {title}",
        "cancelled.body": "“{title}” on {starts} is cancelled.",
        "deleted.subject": "No longer taking place: {title}",
        "deleted.body": "“{title}” on {starts} was removed by its organizer; your "
        "registration ends with it.",
        "removed.subject": "Your registration was cancelled: {title}",
        "removed.body": "The organizer of “{title}” on {starts} cancelled your registration: "
        "no seat is held for you any more. If you think this is a mistake, write to them.",
        "reason": "Reason: {reason}",
        "field.starts_at": "Starts",
        "field.ends_at": "Ends",
        "field.timezone": "Time zone",
        "field.venue": "Place",
        "field.online_url": "Online link",
        "field.status": "Status",
        "none": "none",
        "was": "was",
        "reminder_24h.subject": "Reminder: {title}",
        "reminder_24h.body": "A reminder: “{title}” starts on {starts}.",
        "reminder_1h.subject": "Starting soon: {title}",
        "reminder_1h.body": "“{title}” starts within the hour, at {starts}.",
        "hidden.subject": "Your event was hidden: {title}",
        "hidden.body": "A moderator hid “{title}” ({starts}): it is no longer listed and "
        "nobody can register.",
        "restored.subject": "Your event is visible again: {title}",
        "restored.body": "A moderator restored “{title}” ({starts}): it is listed again.",
        "team_added.subject": "You are on the team of {title}",
        "team_added.body": "You are now {role} of “{title}” ({starts}).",
        "team_removed.subject": "You are no longer on the team of {title}",
        "team_removed.body": "You are no longer {role} of “{title}” ({starts}).",
        "announcement.subject": "{title}: {announcement}",
        "announcement.body": "The organizers of “{title}” ({starts}) announce:",
        "role.co_organizer": "a co-organizer: you may do everything its organizer does except "
        "delete it and change its team",
        "role.steward": "a steward: you may see who is coming and check people in",
        "role.co_organizer.short": "a co-organizer",
        "role.steward.short": "a steward",
        "where": "Where: {where}",
        "ticket": "Your ticket: {code} (show the QR code of this mail at the door).",
        "ticket.html": "Your ticket: show this QR code at the door.",
        "review.subject": "New review of {title}: {rating} of 5",
        "review.body": "Someone who was at “{title}” ({starts}) rated it {rating} of 5. You "
        "may reply once, on the event's reviews.",
        "replied.subject": "The organizer replied to your review: {title}",
        "replied.body": "The organizer of “{title}” ({starts}) replied to your review.",
        "unsubscribe": "You get this mail because you registered for an event on Event "
        "Manager. Stop these mails: {link}",
        "unsubscribe.organizer": "You get this mail because you organize an event on Event "
        "Manager. Stop these mails: {link}",
        "unsubscribe.team": "You get this mail because an organizer changed your place on an "
        "event's team on Event Manager. Stop these mails: {link}",
        "followed.subject": "New from {organizer}: {title}",
        "followed.body": "{organizer}, whom you follow, published “{title}” on {starts}.",
        "unsubscribe.followed": "You get this mail because you follow {organizer} on Event "
        "Manager. Stop these mails: {link}",
        "reply.subject": "{author} replied to you: {title}",
        "reply.body": "{author} replied to your message in the discussion of “{title}” ({starts}):",
        "mention.subject": "{author} mentioned you: {title}",
        "mention.body": "{author} mentioned you in the discussion of “{title}” ({starts}):",
        "unsubscribe.discussion": "You get this mail because you take part in an event's "
        "discussion on Event Manager. Stop these mails: {link}",
    },
    "ru": {
        "hello": "Здравствуйте!",
        "confirmed.subject": "Вы зарегистрированы: {title}",
        "confirmed.body": "Ваше место на «{title}» ({starts}) подтверждено.",
        "waitlisted.subject": "Вы в листе ожидания: {title}",
        "waitlisted.body": "На «{title}» ({starts}) мест нет; вы номер {position} в листе "
        "ожидания. Мы напишем, как только место освободится.",
        "promoted.subject": "Место ваше: {title}",
        "promoted.body": "На «{title}» ({starts}) освободилось место — теперь оно ваше.",
        "offered.subject": "Место за вами до {until}: {title}",
        "offered.body": "На «{title}» ({starts}) освободилось место. Оно закреплено за вами "
        "до {until}; потом оно перейдёт следующему в листе ожидания.",
        "offered.claim": "Чтобы занять его, подтвердите до этого времени: кнопка "
        "«Занять место» на странице события или POST {claim}",
        "offer_expired.subject": "Время на подтверждение вышло: {title}",
        "offer_expired.body": "Место на «{title}» ({starts}) не было подтверждено вовремя и "
        "перешло следующему в листе ожидания; вас больше нет в листе. Вы можете "
        "зарегистрироваться снова — в конец очереди.",
        "changed.subject": "Изменения: {title}",
        "changed.body": "В «{title}», куда вы зарегистрированы, есть изменения:",
        "cancelled.subject": "Отменено: {title}",
        "cancelled.body": "«{title}» ({starts}) отменено.",
        "deleted.subject": "Не состоится: {title}",
        "deleted.body": "Организатор удалил «{title}» ({starts}); ваша регистрация "
        "закрыта вместе с ним.",
        "removed.subject": "Ваша регистрация отменена: {title}",
        "removed.body": "Организатор «{title}» ({starts}) отменил вашу регистрацию: место за "
        "вами больше не закреплено. Если это ошибка, напишите организатору.",
        "reason": "Причина: {reason}",
        "field.starts_at": "Начало",
        "field.ends_at": "Окончание",
        "field.timezone": "Часовой пояс",
        "field.venue": "Место",
        "field.online_url": "Ссылка",
        "field.status": "Статус",
        "none": "нет",
        "was": "было",
        "reminder_24h.subject": "Напоминание: {title}",
        "reminder_24h.body": "Напоминаем: «{title}» начнётся {starts}.",
        "reminder_1h.subject": "Скоро начало: {title}",
        "reminder_1h.body": "«{title}» начнётся меньше чем через час, в {starts}.",
        "hidden.subject": "Ваше событие скрыто: {title}",
        "hidden.body": "Модератор скрыл «{title}» ({starts}): его больше не видно в списках, "
        "и регистрация закрыта.",
        "restored.subject": "Ваше событие снова видно: {title}",
        "restored.body": "Модератор вернул «{title}» ({starts}): оно снова в списках.",
        "team_added.subject": "Вы в команде «{title}»",
        "team_added.body": "Теперь вы {role} события «{title}» ({starts}).",
        "team_removed.subject": "Вы больше не в команде «{title}»",
        "team_removed.body": "Вы больше не {role} события «{title}» ({starts}).",
        "announcement.subject": "{title}: {announcement}",
        "announcement.body": "Организаторы события «{title}» ({starts}) сообщают:",
        "role.co_organizer": "соорганизатор: вам доступно всё, что и организатору, кроме "
        "удаления события и изменения команды",
        "role.steward": "распорядитель: вы видите список участников и отмечаете их на входе",
        "role.co_organizer.short": "соорганизатор",
        "role.steward.short": "распорядитель",
        "where": "Где: {where}",
        "ticket": "Ваш билет: {code} (покажите QR-код из этого письма на входе).",
        "ticket.html": "Ваш билет: покажите этот QR-код на входе.",
        "review.subject": "Новый отзыв о «{title}»: {rating} из 5",
        "review.body": "Участник «{title}» ({starts}) оценил событие на {rating} из 5. Вы "
        "можете один раз ответить на отзыв на странице отзывов события.",
        "replied.subject": "Организатор ответил на ваш отзыв: {title}",
        "replied.body": "Организатор «{title}» ({starts}) ответил на ваш отзыв.",
        "unsubscribe": "Вы получили это письмо, потому что зарегистрировались на событие в "
        "Event Manager. Отказаться от таких писем: {link}",
        "unsubscribe.organizer": "Вы получили это письмо как организатор события в Event "
        "Manager. Отказаться от таких писем: {link}",
        "unsubscribe.team": "Вы получили это письмо, потому что организатор изменил ваше место "
        "в команде события в Event Manager. Отказаться от таких писем: {link}",
        "followed.subject": "Новое от {organizer}: {title}",
        "followed.body": "{organizer}, на кого вы подписаны, опубликовал(а) «{title}» ({starts}).",
        "unsubscribe.followed": "Вы получили это письмо, потому что подписаны на {organizer} в "
        "Event Manager. Отказаться от таких писем: {link}",
        "reply.subject": "{author} ответил(а) вам: {title}",
        "reply.body": "{author} ответил(а) на ваше сообщение в обсуждении «{title}» ({starts}):",
        "mention.subject": "{author} упомянул(а) вас: {title}",
        "mention.body": "{author} упомянул(а) вас в обсуждении «{title}» ({starts}):",
        "unsubscribe.discussion": "Вы получили это письмо, потому что участвуете в обсуждении "
        "события в Event Manager. Отказаться от таких писем: {link}",
    },
}
TIME_FIELDS = {"starts_at", "ends_at"}
# The order a change notice lists its fields in: when, then where (others after, by name).
FIELD_ORDER = ("starts_at", "ends_at", "timezone", "venue", "online_url", "status")


def local_time(value: str, zone: str) -> str:
    """An ISO time as the reader reads it: in their zone, with the zone's abbreviation."""
    try:
        where = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        where = ZoneInfo("UTC")
    return datetime.fromisoformat(value).astimezone(where).strftime("%Y-%m-%d %H:%M %Z")


def _words(notification: Notification) -> dict[str, str]:
    return WORDS.get(notification.locale, WORDS["en"])


def _facts(payload: EventNotice) -> dict[str, Any]:
    return {
        "title": payload.title,
        "starts": local_time(payload.starts_at, payload.reader_timezone),
        "position": getattr(payload, "position", None) or "?",
        "reason": getattr(payload, "reason", None) or "",
        "role": getattr(payload, "role", None) or "",
        "organizer": getattr(payload, "organizer_name", None) or "",
        "rating": getattr(payload, "rating", None) or "",
        "announcement": getattr(payload, "announcement", None) or "",
        "author": getattr(payload, "author_name", None) or "",
        "until": local_time(payload.offer_expires_at, payload.reader_timezone)
        if isinstance(payload, OfferNotice)
        else "",
    }


def _mail(
    notification: Notification,
    payload: EventNotice,
    kind: str,
    extra: list[str] | None = None,
    *,
    footer: str = "unsubscribe",
) -> Rendered:
    """A notice about an event, in the reader's words."""
    words, facts = _words(notification), _facts(payload)
    return notice(
        subject=words[f"{kind}.subject"].format(**facts),
        paragraphs=[words["hello"], words[f"{kind}.body"].format(**facts), *(extra or [])],
        footer=words[footer],
        link=_event_link(payload),
    )


def _event_link(payload: EventNotice) -> str:
    base = get_settings().public_url.rstrip("/")
    return f"{base}/api/v1/events/{payload.event_id}"


def _reason(notification: Notification, reason: str | None) -> list[str]:
    return [_words(notification)["reason"].format(reason=reason)] if reason else []


def registration_confirmed(notification: Notification, payload: SeatNotice) -> Rendered:
    return _mail(notification, payload, "confirmed")


def registration_waitlisted(notification: Notification, payload: WaitlistNotice) -> Rendered:
    return _mail(notification, payload, "waitlisted")


def registration_promoted(notification: Notification, payload: SeatNotice) -> Rendered:
    return _mail(notification, payload, "promoted")


def registration_offered(notification: Notification, payload: OfferNotice) -> Rendered:
    words = _words(notification)
    claim = f"{_event_link(payload)}/registrations/me/claim"
    return _mail(notification, payload, "offered", [words["offered.claim"].format(claim=claim)])


def registration_offer_expired(notification: Notification, payload: EventNotice) -> Rendered:
    return _mail(notification, payload, "offer_expired")


def with_ticket(notification: Notification, rendered: Rendered, code: str, cid: str) -> Rendered:
    """The notice with the seat's ticket: its code in the text, its QR picture in the HTML
    (the inline attachment `cid`). Only the mail shows it, never the app or a push."""
    words = _words(notification)
    line = words["ticket"].format(code=code)
    picture = (
        f"<p>{escape(words['ticket.html'])}<br>"
        f'<img src="cid:{escape(cid)}" alt="{escape(code)}" width="222" height="222"><br>'
        f"<code>{escape(code)}</code></p>"
    )
    return replace(
        rendered, text=f"{rendered.text}\n{line}\n", html=f"{rendered.html or ''}{picture}"
    )


def registration_removed(notification: Notification, payload: EventNotice) -> Rendered:
    return _mail(notification, payload, "removed")


def event_changed(notification: Notification, payload: EventChangeNotice) -> Rendered:
    words, zone = _words(notification), payload.reader_timezone
    lines = []
    for field in sorted(payload.changes, key=_field_place):
        old, new = payload.changes[field]
        lines.append(
            f"{words.get(f'field.{field}', field)}: {_value(field, new, zone, words)} "
            f"({words['was']}: {_value(field, old, zone, words)})"
        )
    return _mail(notification, payload, "changed", ["\n".join(lines)])


def _field_place(field: str) -> tuple[int, str]:
    return (FIELD_ORDER.index(field) if field in FIELD_ORDER else len(FIELD_ORDER), field)


def _value(field: str, value: Any, zone: str, words: dict[str, str]) -> str:
    if value is None:
        return words["none"]
    if field in TIME_FIELDS:
        return local_time(str(value), zone)
    if isinstance(value, dict):  # a venue
        return ", ".join(str(value[k]) for k in ("name", "address") if value.get(k))
    return str(value)


def event_cancelled(notification: Notification, payload: ReasonedNotice) -> Rendered:
    return _mail(notification, payload, "cancelled", _reason(notification, payload.reason))


def event_deleted(notification: Notification, payload: EventNotice) -> Rendered:
    return _mail(notification, payload, "deleted")


def event_reminder(notification: Notification, payload: ReminderNotice) -> Rendered:
    words, where = _words(notification), payload.where
    extra = [words["where"].format(where=where)] if where else []
    return _mail(notification, payload, f"reminder_{payload.reminder}", extra)


def event_hidden(notification: Notification, payload: ReasonedNotice) -> Rendered:
    extra = _reason(notification, payload.reason)
    return _mail(notification, payload, "hidden", extra, footer="unsubscribe.organizer")


def event_restored(notification: Notification, payload: ReasonedNotice) -> Rendered:
    return _mail(notification, payload, "restored", footer="unsubscribe.organizer")


def review_received(notification: Notification, payload: ReviewNotice) -> Rendered:
    return _mail(notification, payload, "review", footer="unsubscribe.organizer")


def review_replied(notification: Notification, payload: ReviewNotice) -> Rendered:
    return _mail(notification, payload, "replied")


def team_member_added(notification: Notification, payload: TeamNotice) -> Rendered:
    # The role with what it may do: the reader learns what they can now do.
    return _team_mail(notification, payload, "team_added", f"role.{payload.role}")


def team_member_removed(notification: Notification, payload: TeamNotice) -> Rendered:
    return _team_mail(notification, payload, "team_removed", f"role.{payload.role}.short")


def _team_mail(notification: Notification, payload: TeamNotice, kind: str, role: str) -> Rendered:
    worded = payload.model_copy(update={"role": _words(notification)[role]})
    return _mail(notification, worded, kind, footer="unsubscribe.team")


def new_event_from_followed(notification: Notification, payload: FollowedEventNotice) -> Rendered:
    words, where = _words(notification), payload.where
    extra = [words["where"].format(where=where)] if where else []
    # The footer names the organizer: the reader knows which follow brought the mail.
    # Braces in a name are doubled: the footer is formatted again with its link.
    name = payload.organizer_name.replace("{", "{{").replace("}", "}}")
    footer = words["unsubscribe.followed"].replace("{organizer}", name)
    rendered = _mail(notification, payload, "followed", extra)
    return replace(rendered, footer=footer)


def event_announcement(notification: Notification, payload: AnnouncementNotice) -> Rendered:
    # The organizers' words as they wrote them; the mail's HTML part escapes them.
    return _mail(notification, payload, "announcement", [payload.announcement, payload.text])


def discussion_reply(notification: Notification, payload: MentionNotice) -> Rendered:
    return _mail(notification, payload, "reply", [payload.text], footer="unsubscribe.discussion")


def discussion_mention(notification: Notification, payload: MentionNotice) -> Rendered:
    # The message as its author wrote it; the mail's HTML part escapes it.
    return _mail(notification, payload, "mention", [payload.text], footer="unsubscribe.discussion")
