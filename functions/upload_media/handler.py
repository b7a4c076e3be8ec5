"""Pictures and documents of an event: upload (streamed, checked by content), list, delete;
the local storage backend's signed downloads; and the objects of deleted events removed."""

import uuid
from typing import Annotated

from fastapi import Path, Query, Request, Response
from mangum import Mangum
from sqlalchemy.orm import Session

from shared.catalog import EventDeleted
from shared.config import get_settings
from shared.db import unit_of_work
from shared.errors import NotFound
from shared.events.errors import EventNotFound, NotEventOwner
from shared.kit import Function, OptionalUser, Organizer, Scaling
from shared.kit.consuming import ReceivedCloudEvent
from shared.media import service
from shared.media.errors import (
    ImageTooBig,
    MediaNotFound,
    MediaTooLarge,
    NoFile,
    TooManyMedia,
    UnsupportedMedia,
)
from shared.media.schemas import MediaList, MediaPublic
from shared.storage.base import StorageUnavailable
from shared.storage.downloads import local_download
from shared.storage.links import DOWNLOAD_PATH, LinkRefused

EVENT_DELETED = EventDeleted.cloudevent_type
# Room for the multipart envelope around the largest file; the file itself is held to
# MEDIA_MAX_BYTES while it streams.
ENVELOPE_BYTES = 64 * 1024

fn = Function(
    "upload_media",
    summary="Media of events: upload, list, delete; signed local downloads.",
    consumes=(EVENT_DELETED,),
    secrets=("storage_url_secret", "s3_access_key", "s3_secret_key"),
    extras=("media",),
    max_body_bytes=get_settings().media_max_bytes + ENVELOPE_BYTES,
    # Pictures are re-encoded one at a time per instance: more uploads, more instances.
    scaling=Scaling(concurrency=8),
)
MEDIA = "/api/v1/events/{event_id}/media"
MULTIPART = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}


@fn.post(
    MEDIA,
    status_code=201,
    response_model=MediaPublic,
    openapi_extra=MULTIPART,
    errors=(
        EventNotFound,
        NotEventOwner,
        MediaTooLarge,
        UnsupportedMedia,
        ImageTooBig,
        NoFile,
        TooManyMedia,
        StorageUnavailable,
    ),
)
async def upload(event_id: uuid.UUID, request: Request, user: Organizer) -> MediaPublic:
    return await service.upload(
        event_id, user.user_id, user.is_admin, request.headers.get("content-type"), request.stream()
    )


@fn.get(MEDIA, response_model=MediaList, errors=(EventNotFound,))
def list_media(event_id: uuid.UUID, user: OptionalUser) -> MediaList:
    with unit_of_work() as session:
        viewer = user.user_id if user else None
        return service.list_media(session, event_id, viewer, bool(user and user.is_admin))


@fn.delete(
    MEDIA + "/{media_id}",
    status_code=204,
    errors=(EventNotFound, NotEventOwner, MediaNotFound, StorageUnavailable),
)
def delete_media(event_id: uuid.UUID, media_id: uuid.UUID, user: Organizer) -> Response:
    with unit_of_work() as session:
        service.delete_media(session, event_id, media_id, user.user_id, user.is_admin)
    return Response(status_code=204)


@fn.get(DOWNLOAD_PATH, response_class=Response, errors=(NotFound, LinkRefused))
def download(
    name: Annotated[str, Path(max_length=1024)],
    expires: Annotated[str, Query(max_length=12)],
    signature: Annotated[str, Query(max_length=128)],
    filename: Annotated[str | None, Query(max_length=255)] = None,
) -> Response:
    return local_download(name, expires, signature, filename)


@fn.on(EVENT_DELETED)
def remove_objects(session: Session, cloudevent: ReceivedCloudEvent) -> None:
    assert isinstance(cloudevent.data, EventDeleted)
    service.remove_event_objects(cloudevent.data.event_id)


app = fn.app()
handler = Mangum(app, lifespan="off")
