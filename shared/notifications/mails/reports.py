"""The mails saying a report is ready or failed, in English and Russian.

They never carry the download link itself (a presigned URL is a bearer capability for a file
of people's names and addresses): they point at the report's page, `GET /reports/{id}`
(shared.reports.page), where the requester signs in and the download starts. So the text
holds no secret and may show in the app too.
"""

from __future__ import annotations

from shared.config import get_settings
from shared.notifications.mails.rendering import Rendered, notice
from shared.notifications.models import Notification
from shared.notifications.schemas import ReportNotice

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "hello": "Hello,",
        "event_attendance": "the attendance list of “{title}” ({format})",
        "event_attendance.gone": "the attendance list of a deleted event ({format})",
        "organizer_summary": "the summary of your events ({format})",
        "ready.subject": "Your report is ready",
        "ready.body": "The report you asked for is ready: {what}.",
        "ready.fetch": "Open this page and sign in: the download starts at once (each visit "
        "gives a fresh link):\n{link}",
        "failed.subject": "Your report could not be built",
        "failed.body": "The report you asked for could not be built: {what}.",
        "reason": "Reason: {reason}",
        "again": "You can ask for it again.",
        "footer": "You get this mail because you asked for a report on Event Manager. Stop "
        "these mails: {link}",
    },
    "ru": {
        "hello": "Здравствуйте!",
        "event_attendance": "список участников «{title}» ({format})",
        "event_attendance.gone": "список участников удалённого события ({format})",
        "organizer_summary": "сводка по вашим событиям ({format})",
        "ready.subject": "Ваш отчёт готов",
        "ready.body": "Отчёт, который вы запросили, готов: {what}.",
        "ready.fetch": "Откройте эту страницу и войдите: скачивание начнётся сразу (каждый "
        "раз выдаётся свежая ссылка):\n{link}",
        "failed.subject": "Отчёт не удалось построить",
        "failed.body": "Отчёт, который вы запросили, построить не удалось: {what}.",
        "reason": "Причина: {reason}",
        "again": "Можно запросить его ещё раз.",
        "footer": "Вы получили это письмо, потому что запросили отчёт в Event Manager. "
        "Отказаться от таких писем: {link}",
    },
}


def _words(notification: Notification) -> dict[str, str]:
    return WORDS.get(notification.locale, WORDS["en"])


def _what(payload: ReportNotice, words: dict[str, str]) -> str:
    kind, title = payload.kind, payload.title
    if kind == "event_attendance" and not title:
        kind = "event_attendance.gone"
    return words[kind].format(title=title, format=payload.format.upper())


def report_link(payload: ReportNotice) -> str:
    """The report's page (sign in, then download), not its JSON route: a mail client has
    no token to send."""
    base = get_settings().public_url.rstrip("/")
    return f"{base}/reports/{payload.report_id}"


def report_ready(notification: Notification, payload: ReportNotice) -> Rendered:
    words = _words(notification)
    link = report_link(payload)
    return notice(
        subject=words["ready.subject"],
        paragraphs=[
            words["hello"],
            words["ready.body"].format(what=_what(payload, words)),
            words["ready.fetch"].format(link=link),
        ],
        footer=words["footer"],
        link=link,
    )


def report_failed(notification: Notification, payload: ReportNotice) -> Rendered:
    words = _words(notification)
    return notice(
        subject=words["failed.subject"],
        paragraphs=[
            words["hello"],
            words["failed.body"].format(what=_what(payload, words)),
            words["reason"].format(reason=payload.error or ""),
            words["again"],
        ],
        footer=words["footer"],
        link=report_link(payload),
    )
