"""Series of events: one rule makes a dated event per occurrence; the series is changed for
its coming dates at once and read back as one calendar entry with its exceptions."""

import uuid
from typing import Annotated

from fastapi import Query, Request, Response
from mangum import Mangum

from shared.calendars.ics import CONTENT_TYPE
from shared.db import unit_of_work
from shared.errors import InvalidInput
from shared.events.errors import (
    CapacityBelowConfirmed,
    EmailNotVerified,
    EventNotEditable,
    NotEventOwner,
)
from shared.kit import Function, OptionalUser, Organizer
from shared.kit.conditional import conditional_response
from shared.pagination import DEFAULT_LIMIT, MAX_LIMIT
from shared.series.errors import InvalidRule, NotSeriesOwner, SeriesNotFound
from shared.series.ics import series_calendar
from shared.series.schemas import SeriesCreate, SeriesList, SeriesPublic, SeriesUpdate
from shared.series.service import (
    create_series,
    get_series,
    my_series,
    update_series,
    visible_series,
)

fn = Function(
    "manage_series",
    summary="Series of events: create, read, change the coming dates, .ics; one's own series.",
    secrets=("cursor_secret",),
    extras=("calendar",),
)
ICS = {"content": {"text/calendar": {"schema": {"type": "string"}}}}


@fn.post(
    "/api/v1/series",
    status_code=201,
    response_model=SeriesPublic,
    errors=(EmailNotVerified, InvalidRule, InvalidInput),
)
def create(body: SeriesCreate, user: Organizer) -> SeriesPublic:
    with unit_of_work() as session:
        return create_series(session, user.user_id, body)


@fn.get("/api/v1/me/series", response_model=SeriesList)
def mine(
    user: Organizer,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> SeriesList:
    """The series the caller organizes, newest first; each one's dates: GET /series/{id}."""
    with unit_of_work() as session:
        return my_series(session, user.user_id, cursor=cursor, limit=limit)


@fn.get("/api/v1/series/{series_id}", response_model=SeriesPublic, errors=(SeriesNotFound,))
def read(series_id: uuid.UUID, user: OptionalUser) -> SeriesPublic:
    with unit_of_work() as session:
        viewer = user.user_id if user else None
        return get_series(session, series_id, viewer, bool(user and user.is_admin))


@fn.patch(
    "/api/v1/series/{series_id}",
    response_model=SeriesPublic,
    errors=(
        SeriesNotFound,
        NotSeriesOwner,
        NotEventOwner,
        EmailNotVerified,
        EventNotEditable,
        CapacityBelowConfirmed,
        InvalidInput,
    ),
)
def change(series_id: uuid.UUID, body: SeriesUpdate, user: Organizer) -> SeriesPublic:
    with unit_of_work() as session:
        return update_series(session, series_id, user.user_id, user.is_admin, body)


@fn.get(
    "/api/v1/series/{series_id}/calendar.ics",
    response_class=Response,
    responses={200: ICS},
    errors=(SeriesNotFound,),
)
def series_ics(series_id: uuid.UUID, request: Request, user: OptionalUser) -> Response:
    with unit_of_work() as session:
        viewer = user.user_id if user else None
        series, dates = visible_series(session, series_id, viewer, bool(user and user.is_admin))
        body = series_calendar(series, dates)
    disposition = {"Content-Disposition": f'attachment; filename="series-{series_id}.ics"'}
    # ETag only: a deleted date changes the file but no row's updated_at.
    return conditional_response(
        request, body, CONTENT_TYPE, last_modified=None, headers=disposition
    )


app = fn.app()
handler = Mangum(app, lifespan="off")
