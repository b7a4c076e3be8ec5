"""Organizers in public: their profile and .ics feed, following them, and telling their
followers of each new published event (after the publish, a page of followers at a time)."""

import logging
import uuid

from fastapi import Request, Response
from mangum import Mangum
from sqlalchemy.orm import Session

from shared.calendars.ics import CONTENT_TYPE
from shared.catalog import AboutEvent, EventApproved, EventPublished, EventRestored
from shared.db import unit_of_work
from shared.follows import service
from shared.follows.errors import CannotFollowYourself, OrganizerNotFound
from shared.follows.schemas import FollowingList, OrganizerProfile
from shared.kit import CurrentUser, Function, RunCounts, Scaling
from shared.kit.conditional import conditional_response
from shared.kit.consuming import ReceivedCloudEvent

fn = Function(
    "follow_organizers",
    summary="Organizer profiles and feeds; following them, and telling followers.",
    # Resumes a fan-out that a crash left half done.
    schedule="*/5 * * * *",
    secrets=("rabbitmq_url",),
    extras=("calendar",),
    scaling=Scaling(max_scale=10, concurrency=50),
)
logger = logging.getLogger("eventmgr.follows")
ORGANIZER = "/api/v1/organizers/{organizer_id}"
ICS = {"content": {"text/calendar": {"schema": {"type": "string"}}}}


@fn.get(ORGANIZER, response_model=OrganizerProfile, errors=(OrganizerNotFound,))
def profile(organizer_id: uuid.UUID) -> OrganizerProfile:
    with unit_of_work() as session:
        return service.profile(session, organizer_id)


@fn.get(
    f"{ORGANIZER}/calendar.ics",
    response_class=Response,
    responses={200: ICS},
    errors=(OrganizerNotFound,),
)
def organizer_ics(organizer_id: uuid.UUID, request: Request) -> Response:
    with unit_of_work() as session:
        body = service.feed(session, organizer_id)
    # No Last-Modified: a deleted event or a renamed organizer changes the feed without a
    # newer row to date it by; the ETag (the body's hash) sees every change.
    return conditional_response(
        request, body, CONTENT_TYPE, last_modified=None, headers={"Cache-Control": "no-cache"}
    )


@fn.post(f"{ORGANIZER}/follow", status_code=204, errors=(OrganizerNotFound, CannotFollowYourself))
def follow(organizer_id: uuid.UUID, user: CurrentUser) -> Response:
    """Idempotent: following again changes nothing."""
    with unit_of_work() as session:
        service.follow(session, user.user_id, organizer_id)
    return Response(status_code=204)


@fn.delete(f"{ORGANIZER}/follow", status_code=204)
def unfollow(organizer_id: uuid.UUID, user: CurrentUser) -> Response:
    """Idempotent: not following (any more) is 204 too."""
    with unit_of_work() as session:
        service.unfollow(session, user.user_id, organizer_id)
    return Response(status_code=204)


@fn.get("/api/v1/me/following", response_model=FollowingList)
def my_following(user: CurrentUser) -> FollowingList:
    with unit_of_work() as session:
        return service.following(session, user.user_id)


@fn.on(EventPublished, EventApproved, EventRestored)
def tell_followers(session: Session, cloudevent: ReceivedCloudEvent[AboutEvent]) -> None:
    service.event_went_public(session, cloudevent.data.event_id)


@fn.on_schedule
def resume() -> RunCounts:
    told = service.resume_unfinished()
    if told:
        logger.info("followers told", extra={"followers.count": told})
    return {"followers told": told}


app = fn.app()
handler = Mangum(app, lifespan="off")
