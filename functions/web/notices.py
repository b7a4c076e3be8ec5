"""How the notifications page tells each kind of notification: its name in the reader's
language (`notice.kind.<kind>` in words.py, one for every kind in
shared/notifications/kinds.py) and where it leads: the message in the discussion for a reply
or a mention, the achievements page for an achievement, else the event it is about."""

from __future__ import annotations

from typing import Any

from functions.web.account_achievements import ACHIEVEMENTS
from functions.web.discussion import discussion_path
from functions.web.page import Page
from functions.web.words import WORDS

ABOUT_A_MESSAGE = ("discussion_reply", "discussion_mention")
# The event is gone: nothing to open.
NO_EVENT_LEFT = ("event_deleted",)


def readable(page: Page, item: dict[str, Any]) -> dict[str, Any]:
    """The API's inbox item with `kind_name` and `link`, `link_text` (None: no link)."""
    kind = item["kind"]
    key = f"notice.kind.{kind}"
    # A kind newer than this page's words is still listed, under its title alone.
    name = page.words(key) if key in WORDS["en"] else ""
    link, link_key = _link(item)
    return {
        **item,
        "kind_name": name,
        "link": link,
        "link_text": page.words(link_key) if link_key else None,
    }


def _link(item: dict[str, Any]) -> tuple[str | None, str | None]:
    kind, event_id = item["kind"], item.get("event_id")
    if item.get("withdrawn"):
        return None, None
    if kind in ABOUT_A_MESSAGE and event_id and item.get("message_id"):
        return f"{discussion_path(event_id)}#m-{item['message_id']}", "notice.open_message"
    if kind == "achievement_awarded":
        return ACHIEVEMENTS, "notice.open_achievements"
    if event_id and kind not in NO_EVENT_LEFT:
        return f"/events/{event_id}", "settings.open_event"
    return None, None
