"""Who is told what in the community features: the people a discussion message answers or
names (the rule is shared.discussions.mentions), and a person who earned an achievement.
A message deleted withdraws its notices not yet read.

As everywhere in notify, current state decides, and the consumer's transaction holds every
notice and the record that the CloudEvent was handled: a redelivery tells nobody twice.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from shared.achievements.repository import choice_of
from shared.achievements.rules import RULES
from shared.catalog import AchievementAwarded
from shared.discussions import mentions
from shared.notifications import kinds, repository
from shared.notifications.preferences import reach_of
from shared.notifications.schemas import AchievementNotice, MentionNotice
from shared.notifications.service import notify_person
from shared.users.models import User

# How much of the message a notice quotes: the discussion holds the rest.
QUOTED = 500


def mention_news(session: Session, message_id: uuid.UUID) -> int:
    """Answers how many people were told."""
    found = mentions.told_of(session, message_id)
    if found is None or not found.told:
        return 0
    message, event = found.message, found.event
    author = session.get(User, message.author_id) if message.author_id else None
    text = message.text if len(message.text) <= QUOTED else message.text[:QUOTED] + "…"
    reach = reach_of(session, [entry.person.id for entry in found.told])
    for entry in found.told:
        person = entry.person
        kind = (
            kinds.DISCUSSION_REPLY if entry.why is mentions.Why.reply else kinds.DISCUSSION_MENTION
        )
        notice = MentionNotice(
            event_id=event.id,
            title=event.title,
            starts_at=event.starts_at.isoformat(),
            reader_timezone=person.timezone,
            message_id=message.id,
            author_name=author.full_name if author is not None else "",
            text=text,
        )
        ways = reach[person.id]
        notify_person(session, person, kind, notice, email=ways.email, push=ways.push)
    return len(found.told)


def withdraw_mention_news(session: Session, message_id: uuid.UUID) -> int:
    """The message was deleted: its reply and mention notices not yet read go, with their
    mail and push if not sent yet (their senders find no row). Those read stay: the reader
    saw them. Answers how many went; a redelivery finds none left."""
    return repository.delete_unread_quoting(session, message_id)


def award_news(session: Session, awarded: AchievementAwarded) -> bool:
    """An achievement (a rule with a name: points alone are not worth a notice) told in the
    app, unless its person turned achievements off since."""
    rule = RULES.get(awarded.rule)
    person = session.get(User, awarded.user_id)
    if rule is None or not rule.names or person is None or not person.is_active:
        return False
    if not choice_of(session, person.id).enabled:
        return False
    notice = AchievementNotice(rule=rule.code, points=awarded.points)
    notify_person(session, person, kinds.ACHIEVEMENT_AWARDED, notice, email=False, push=False)
    return True
