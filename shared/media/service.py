"""Uploading, listing and removing the media of an event.

An upload is authorized before a byte of the body is read, streamed into a temporary file
(type by content, size limit while streaming), images are decoded and re-encoded without
metadata, then the object is written and only then the row (with `media.uploaded`) is
committed; if that commit fails, the object is removed again. Objects are keyed
`events/<event id>/<media id>`, so an event's deletion removes them by prefix.
"""

from __future__ import annotations

import contextlib
import logging
import os
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import IO

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from shared.catalog import MediaDeleted, MediaUploaded
from shared.config import get_settings
from shared.db import unit_of_work
from shared.errors import DomainError
from shared.events.service import owned_event, visible_event
from shared.media import repository
from shared.media.errors import (
    ImageTooBig,
    MediaNotFound,
    MediaTooLarge,
    TooManyMedia,
    UnsupportedMedia,
)
from shared.media.filenames import safe_filename
from shared.media.images import clean_image
from shared.media.models import Media, storage_key, storage_prefix
from shared.media.multipart import ReceivedFile, receive_file
from shared.media.schemas import MediaList, MediaPublic
from shared.metrics import MEDIA_STORED_BYTES, MEDIA_UPLOADS
from shared.outbox.writer import emit
from shared.storage import get_storage
from shared.teams.rights import EventRight

logger = logging.getLogger("eventmgr.media")
OUTCOMES: dict[type[DomainError], str] = {
    MediaTooLarge: "too_large",
    UnsupportedMedia: "unsupported_type",
    ImageTooBig: "too_many_pixels",
}


async def upload(
    event_id: uuid.UUID,
    actor_id: uuid.UUID,
    actor_is_admin: bool,
    content_type: str | None,
    body: AsyncIterator[bytes],
) -> MediaPublic:
    try:
        await run_in_threadpool(_may_upload, event_id, actor_id, actor_is_admin)
        limit = get_settings().media_max_bytes
        received = await receive_file(content_type, body, limit=limit)
        with received.file:
            stored = await run_in_threadpool(_store, event_id, actor_id, actor_is_admin, received)
    except DomainError as error:
        MEDIA_UPLOADS.labels(OUTCOMES.get(type(error), "refused")).inc()
        raise
    MEDIA_UPLOADS.labels("stored").inc()
    MEDIA_STORED_BYTES.inc(stored.size)
    return stored


def _may_upload(event_id: uuid.UUID, actor_id: uuid.UUID, actor_is_admin: bool) -> None:
    with unit_of_work() as session:
        event = owned_event(
            session, event_id, actor_id, actor_is_admin, right=EventRight.manage, lock=False
        )
        _room_for_one_more(session, event.id)


def _room_for_one_more(session: Session, event_id: uuid.UUID) -> None:
    most = get_settings().media_max_per_event
    if repository.count_of_event(session, event_id) >= most:
        raise TooManyMedia(f"An event holds at most {most} files; delete one first.")


def _store(
    event_id: uuid.UUID, actor_id: uuid.UUID, actor_is_admin: bool, received: ReceivedFile
) -> MediaPublic:
    kind = received.kind
    width = height = None
    content: IO[bytes] = received.file
    if kind.image_format:
        clean = clean_image(received.file, kind, get_settings().media_max_pixels)
        content, width, height = clean.file, clean.width, clean.height
    with content:
        size = _length(content)
        media_id = uuid.uuid4()
        key = storage_key(event_id, media_id)
        storage = get_storage()
        storage.put(key, content, size, kind.content_type)
    try:
        with unit_of_work() as session:
            # Locked: a concurrent deletion of the event waits for us, or wins and we fail.
            owned_event(session, event_id, actor_id, actor_is_admin, right=EventRight.manage)
            _room_for_one_more(session, event_id)
            media = Media(
                id=media_id,
                event_id=event_id,
                uploaded_by=actor_id,
                filename=safe_filename(received.filename, kind),
                content_type=kind.content_type,
                size=size,
                width=width,
                height=height,
                storage_key=key,
            )
            session.add(media)
            session.flush()
            session.refresh(media)
            emit(session, MediaUploaded(**_about(media)))
            return _public(media)
    except BaseException:
        with contextlib.suppress(Exception):
            storage.delete(key)
        raise


def list_media(
    session: Session, event_id: uuid.UUID, viewer_id: uuid.UUID | None, viewer_is_admin: bool
) -> MediaList:
    event = visible_event(session, event_id, viewer_id, viewer_is_admin)
    return MediaList(items=[_public(media) for media in repository.of_event(session, event.id)])


def delete_media(
    session: Session,
    event_id: uuid.UUID,
    media_id: uuid.UUID,
    actor_id: uuid.UUID,
    actor_is_admin: bool,
) -> None:
    """The row and the object go together: the object is removed inside the transaction, so
    a storage outage refuses the request (503) and leaves both in place."""
    owned_event(session, event_id, actor_id, actor_is_admin, right=EventRight.manage)
    media = repository.one_of_event(session, event_id, media_id)
    if media is None:
        raise MediaNotFound(f"Event {event_id} has no file {media_id}.")
    emit(session, MediaDeleted(**_about(media)))
    session.delete(media)
    session.flush()
    get_storage().delete(media.storage_key)


def remove_event_objects(event_id: uuid.UUID) -> int:
    """Every object of a deleted event (its rows went with it); safe to repeat."""
    removed = get_storage().delete_prefix(storage_prefix(event_id))
    if removed:
        logger.info("removed %d objects of deleted event %s", removed, event_id)
    return removed


def _public(media: Media) -> MediaPublic:
    ttl = timedelta(seconds=get_settings().media_url_ttl_seconds)
    url = get_storage().presigned_url(media.storage_key, ttl, filename=media.filename)
    return MediaPublic(
        id=media.id,
        event_id=media.event_id,
        filename=media.filename,
        content_type=media.content_type,
        size=media.size,
        width=media.width,
        height=media.height,
        created_at=media.created_at,
        url=url,
    )


def _about(media: Media) -> dict[str, object]:
    return {
        "media_id": media.id,
        "event_id": media.event_id,
        "content_type": media.content_type,
        "size": media.size,
    }


def _length(content: IO[bytes]) -> int:
    size = content.seek(0, os.SEEK_END)
    content.seek(0)
    return size
