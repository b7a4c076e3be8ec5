"""Keeping the catalog clean: people report abuse; admins work the queue, hide, restore and
approve events, and curate the categories."""

import uuid
from typing import Annotated, Literal

from fastapi import Query
from mangum import Mangum
from pydantic import Field, StringConstraints

from shared.db import unit_of_work
from shared.events.errors import CategoryExists, EventNotFound
from shared.events.schemas import CategoryPublic, EventPublic
from shared.events.service import create_category
from shared.kit import Admin, CurrentUser, Function
from shared.moderation.errors import ModerationConflict
from shared.moderation.service import Action, Queue, QueuePage, moderate, queue, report_abuse
from shared.pagination import DEFAULT_LIMIT, MAX_LIMIT
from shared.validation import RequestModel, SingleLine

fn = Function(
    "moderate_events",
    summary="Abuse reports, the moderation queue and actions, categories.",
    secrets=("cursor_secret",),
)

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class AbuseReportRequest(RequestModel):
    reason: Reason


class Received(RequestModel):
    status: Literal["received"] = "received"


class ModerationRequest(RequestModel):
    action: Action
    reason: Reason | None = None


class CategoryCreate(RequestModel):
    slug: str = Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=40)
    name: Annotated[SingleLine, StringConstraints(min_length=1, max_length=80)]


@fn.post(
    "/api/v1/events/{event_id}/reports-abuse",
    status_code=202,
    response_model=Received,
    errors=(EventNotFound,),
)
def report(event_id: uuid.UUID, body: AbuseReportRequest, user: CurrentUser) -> Received:
    with unit_of_work() as session:
        report_abuse(session, event_id, user.user_id, user.is_admin, body.reason)
    return Received()


@fn.get("/api/v1/admin/events", response_model=QueuePage)
def moderation_queue(
    admin: Admin,
    moderation: Queue | None = None,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> QueuePage:
    with unit_of_work() as session:
        return queue(session, moderation, cursor=cursor, limit=limit)


@fn.post(
    "/api/v1/admin/events/{event_id}/moderation",
    response_model=EventPublic,
    errors=(EventNotFound, ModerationConflict),
)
def act(event_id: uuid.UUID, body: ModerationRequest, admin: Admin) -> EventPublic:
    with unit_of_work() as session:
        event = moderate(session, event_id, admin.user_id, body.action, body.reason)
        return EventPublic.of(event)


@fn.post(
    "/api/v1/categories", status_code=201, response_model=CategoryPublic, errors=(CategoryExists,)
)
def add_category(body: CategoryCreate, admin: Admin) -> CategoryPublic:
    with unit_of_work() as session:
        return CategoryPublic.model_validate(
            create_category(session, admin.user_id, body.slug, body.name)
        )


app = fn.app()
handler = Mangum(app, lifespan="off")
