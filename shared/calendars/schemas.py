from __future__ import annotations

import uuid

from pydantic import BaseModel


class LinkOut(BaseModel):
    url: str


class FeedLink(BaseModel):
    # https://…/api/v1/calendar/feeds/<token>.ics — whoever has it sees the feed.
    url: str
    # The same with the webcal:// scheme, which opens the subscribe dialog of Apple Calendar
    # and Outlook.
    webcal_url: str


class SkippedEntry(BaseModel):
    uid: str
    reason: str


class ImportResult(BaseModel):
    created: list[uuid.UUID]
    # Drafts an earlier import of the same entries made, brought up to date.
    updated: list[uuid.UUID]
    skipped: list[SkippedEntry]
