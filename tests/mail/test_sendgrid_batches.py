"""The mail task against a SendGrid stand-in: 2,500 reminders go in requests of at most 1,000
personalizations, each recipient with their own unsubscribe link; a 429 is waited out as its
rate-limit headers say, a 5xx is retried later; nothing is lost and nothing is sent twice."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from shared.db import unit_of_work
from shared.mail.sendgrid import UNSUBSCRIBE_TAG
from shared.notifications.delivery.tasks import deliver_mails
from shared.notifications.models import DeliveryStatus, Notification
from tests.support.factories import pending_reminders
from tests.support.sendgrid import SendGridStandIn

PEOPLE = 2500


def _accepted() -> list[dict]:
    """The requests SendGrid took (answered 202)."""
    return [request for request in SendGridStandIn.received if request["status"] == 202]


def _statuses() -> dict[DeliveryStatus, int]:
    with unit_of_work() as session:
        found: dict[DeliveryStatus, int] = {}
        for status in session.scalars(select(Notification.email_status)):
            found[status] = found.get(status, 0) + 1
        return found


def test_batches_of_1000_with_personal_unsubscribe_links_and_a_429_waited_out(sendgrid):
    ids = pending_reminders(PEOPLE)
    SendGridStandIn.answers = [429]
    SendGridStandIn.reset_in = 1
    tally, retry = deliver_mails(ids)
    assert tally == {"sent": PEOPLE, "failed": 0, "skipped": 0}
    assert retry == []
    assert [r["status"] for r in SendGridStandIn.received] == [429, 202, 202, 202]
    sizes = [len(r["body"]["personalizations"]) for r in _accepted()]
    assert sizes == [1000, 1000, 500]
    recipients = []
    for request in _accepted():
        body = request["body"]
        assert UNSUBSCRIBE_TAG in body["content"][0]["value"]
        for personal in body["personalizations"]:
            [to] = personal["to"]
            recipients.append(to["email"])
            link = personal["substitutions"][UNSUBSCRIBE_TAG]
            assert personal["headers"]["List-Unsubscribe"] == f"<{link}>"
            assert personal["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert len(recipients) == len(set(recipients)) == PEOPLE
    assert _statuses() == {DeliveryStatus.sent: PEOPLE}
    assert deliver_mails(ids) == ({"sent": 0, "failed": 0, "skipped": 0}, [])  # a duplicate


def test_a_batch_sendgrid_keeps_refusing_is_retried_later_and_sent_once(sendgrid):
    ids = pending_reminders(1500)
    SendGridStandIn.answers = [503] * 4  # the first request, and all its quick retries
    tally, retry = deliver_mails(ids)
    assert tally["sent"] == 500
    assert len(retry) == 1000
    assert _statuses() == {DeliveryStatus.sent: 500, DeliveryStatus.pending: 1000}
    tally, retry = deliver_mails([row.id for row in retry])  # the task's own retry, later
    assert (tally["sent"], retry) == (1000, [])
    recipients = [
        personal["to"][0]["email"]
        for request in _accepted()
        for personal in request["body"]["personalizations"]
    ]
    assert len(recipients) == len(set(recipients)) == 1500


def test_a_refused_request_fails_its_mails_for_good(sendgrid):
    ids = pending_reminders(3)
    SendGridStandIn.answers = [400]
    tally, retry = deliver_mails(ids)
    assert (tally["failed"], retry) == (3, [])
    assert _statuses() == {DeliveryStatus.failed: 3}


def test_a_batch_renders_a_reminder_once_per_language_and_time_zone_not_per_person(sendgrid):
    """Readers of one event in one batch: those alike share one rendering (and one request
    body), each language and time zone still reads its own words and local time."""
    from shared.notifications.service import notify
    from tests.support.factories import many_users

    readers = [("en", "UTC"), ("en", "UTC"), ("en", "America/New_York"), ("ru", "UTC")]
    people = many_users(len(readers))
    event = str(uuid.uuid4())
    with unit_of_work() as session:
        ids = [
            notify(
                session,
                kind="event_reminder",
                recipient=f"{person}@example.org",
                user_id=person,
                locale=locale,
                payload={
                    "event_id": event,
                    "title": "Conference",
                    "starts_at": "2031-05-01T16:00:00+00:00",
                    "reminder": "24h",
                    "reader_timezone": timezone,
                },
            ).id
            for person, (locale, timezone) in zip(people, readers, strict=True)
        ]
    assert deliver_mails(ids)[0]["sent"] == len(readers)
    subjects: dict[str, str] = {}
    texts: dict[str, str] = {}
    for request in _accepted():
        for personal in request["body"]["personalizations"]:
            [to] = personal["to"]
            subjects[to["email"]] = request["body"]["subject"]
            texts[to["email"]] = request["body"]["content"][0]["value"]
    mail = [f"{person}@example.org" for person in people]
    assert len(_accepted()) == 3  # the two alike share one request
    assert texts[mail[0]] == texts[mail[1]]
    assert "16:00" in texts[mail[0]]
    assert "12:00" in texts[mail[2]]
    assert subjects[mail[0]] == "Reminder: Conference"
    assert subjects[mail[3]] == "Напоминание: Conference"
