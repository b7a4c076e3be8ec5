"""Statistics served from the rollups: an event's figures, popular categories, a person's
activity (cached briefly in Redis)."""

import uuid
from datetime import date
from typing import Annotated

from fastapi import Query, Response
from mangum import Mangum

from shared.analytics import service
from shared.analytics.errors import NotYourActivity
from shared.analytics.schemas import EventStatistics, PopularCategories, UserActivity
from shared.errors import NotFound
from shared.events.errors import EventNotFound, NotEventOwner
from shared.kit import CurrentUser, Function, Scaling

fn = Function(
    "analytics",
    summary="Statistics: an event's figures, popular categories, a person's activity.",
    scaling=Scaling(min_scale=0, max_scale=10, concurrency=100),
)


@fn.get(
    "/api/v1/analytics/events/{event_id}",
    response_model=EventStatistics,
    errors=(EventNotFound, NotEventOwner),
)
def event_statistics(event_id: uuid.UUID, user: CurrentUser) -> Response:
    return _json(service.event_statistics(event_id, user.user_id, user.is_admin))


@fn.get("/api/v1/analytics/categories/popular", response_model=PopularCategories)
def popular_categories(
    first: Annotated[
        date | None, Query(alias="from", description="UTC start date, included")
    ] = None,
    last: Annotated[date | None, Query(alias="to", description="UTC start date, included")] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> Response:
    return _json(service.popular_categories(first, last, limit))


@fn.get(
    "/api/v1/analytics/users/{user_id}/activity",
    response_model=UserActivity,
    errors=(NotFound, NotYourActivity),
)
def user_activity(
    user_id: uuid.UUID,
    user: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=100, description="latest events listed")] = 50,
) -> Response:
    return _json(service.user_activity(user_id, user.user_id, user.is_admin, limit))


def _json(body: bytes) -> Response:
    # Answers are JSON already (and cached as such): sent as they are.
    return Response(body, media_type="application/json")


app = fn.app()
handler = Mangum(app, lifespan="off")
