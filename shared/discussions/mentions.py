"""Whom a message tells: the mention rule of discussions.

- A reply tells the author of the message it answers.
- `@Full Name` tells the person of that name who takes part in the discussion: the event's
  organizer, its team, its confirmed and checked-in participants (people can mention only
  whom they can see there). After one `@` the longest such name wins ("@Anna Smith, hi"
  tells Anna Smith, not Anna); two people of the same name are both told. An `@` right
  after a letter or digit (an email address) mentions nobody.
- Nobody is told of their own message, nor when they cannot read the discussion (any more),
  nor twice for one message (a reply that also names its author is one notice), and one
  message tells at most MAX_TOLD people.

The state when the CloudEvent is handled decides: a message deleted by then tells nobody.
A message deleted later withdraws its notices still unread (notify, on `message.deleted`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.discussions import repository
from shared.discussions.models import DiscussionMessage, MessageKind
from shared.discussions.service import joined_event
from shared.errors import DomainError
from shared.events.models import Event
from shared.users.models import Role, User

MAX_TOLD = 20
# A name is looked for in this many characters after its `@` (users' names are shorter).
LONGEST_NAME = 200


class Why(StrEnum):
    reply = "reply"
    mention = "mention"


@dataclass(frozen=True)
class Told:
    person: User
    why: Why


@dataclass(frozen=True)
class Mentions:
    message: DiscussionMessage
    event: Event
    told: list[Told]


def told_of(session: Session, message_id: uuid.UUID) -> Mentions | None:
    """The message as it stands and whom it tells, in the order of the rule; None for an
    announcement (it has its own notice) or a message gone since.

    The message's row stays share-locked until the caller commits: a deletion waits for the
    notices to be committed, so its `message.deleted` (written by that deletion) finds them."""
    row = session.scalar(
        select(DiscussionMessage)
        .where(DiscussionMessage.id == message_id)
        .with_for_update(read=True)
    )
    if row is None or row.deleted_at is not None or row.kind != MessageKind.message:
        return None
    event = session.get(Event, row.event_id)
    if event is None:
        return None
    people: list[Told] = []
    if row.reply_to is not None:
        parent = session.get(DiscussionMessage, row.reply_to)
        author = session.get(User, parent.author_id) if parent and parent.author_id else None
        if author is not None:
            people.append(Told(author, Why.reply))
    people += [Told(person, Why.mention) for person in _mentioned(session, event, row.text)]
    told: list[Told] = []
    seen = {row.author_id}
    for entry in people:
        if entry.person.id in seen or not may_read(session, event.id, entry.person):
            continue
        seen.add(entry.person.id)
        told.append(entry)
        if len(told) == MAX_TOLD:
            break
    return Mentions(row, event, told)


def may_read(session: Session, event_id: uuid.UUID, person: User) -> bool:
    if not person.is_active:
        return False
    try:
        joined_event(session, event_id, person.id, person.role == Role.admin)
    except DomainError:
        return False
    return True


def _mentioned(session: Session, event: Event, text: str) -> list[User]:
    after_each = mention_candidates(text)
    names = {name for candidates in after_each for name in candidates}
    named: dict[str, list[User]] = {}
    for person in repository.people_named(session, event.id, event.organizer_id, names):
        named.setdefault(person.full_name.lower(), []).append(person)
    people: list[User] = []
    for candidates in after_each:
        found = [name for name in candidates if name in named]
        if found:
            people += sorted(named[max(found, key=len)], key=lambda person: person.id)
    return people


def mention_candidates(text: str) -> list[list[str]]:
    """For each `@` that may start a mention, the lower-cased texts after it that end where
    a word does: the names it may stand for."""
    found = []
    for at, char in enumerate(text):
        if char != "@" or (at > 0 and text[at - 1].isalnum()):
            continue
        after = text[at + 1 : at + 1 + LONGEST_NAME]
        if not after[:1].isalnum():
            continue  # "@ " or "@@": a name starts right after its `@`
        ends = [
            end
            for end in range(1, len(after) + 1)
            if after[end - 1].isalnum() and (end == len(after) or not after[end].isalnum())
        ]
        if ends:
            found.append([after[:end].lower() for end in ends])
        if len(found) == MAX_TOLD:
            break  # a message naming more people tells only so many anyway
    return found
