"""Opt-in achievements: a person's choice, their points, badges and attendance record, the
leaderboards, and the consumers that award points for verified actions exactly once."""

from typing import Annotated

from fastapi import Query, Response
from mangum import Mangum
from sqlalchemy.orm import Session

from shared.achievements import service
from shared.achievements.schemas import (
    Gamification,
    GamificationUpdate,
    Leaderboard,
    MyAchievements,
    Period,
)
from shared.catalog import (
    RegistrationCancelled,
    RegistrationCheckedIn,
    ReviewCreated,
    TeamMemberAdded,
)
from shared.db import unit_of_work
from shared.kit import CurrentUser, Function
from shared.kit.consuming import ReceivedCloudEvent

fn = Function(
    "achievements",
    summary="Opt-in achievements: points for verified actions, attendance record, leaderboards.",
)


@fn.get("/api/v1/me/gamification", response_model=Gamification)
def read_choice(user: CurrentUser) -> Gamification:
    with unit_of_work() as session:
        return service.gamification(session, user.user_id)


@fn.put("/api/v1/me/gamification", response_model=Gamification)
def write_choice(body: GamificationUpdate, user: CurrentUser) -> Gamification:
    """Off until enabled; `public` shows the person on the leaderboards. Nothing done before
    opting in is awarded, and opting out hides them from every leaderboard at once."""
    with unit_of_work() as session:
        return service.choose(session, user.user_id, body)


@fn.get("/api/v1/me/achievements", response_model=MyAchievements)
def my_achievements(user: CurrentUser) -> MyAchievements:
    return service.my_achievements(user.user_id)


@fn.get("/api/v1/leaderboard", response_model=Leaderboard)
def leaderboard(period: Annotated[Period, Query()] = Period.month) -> Response:
    """The top 50 of the people who opted in and chose to be public."""
    return Response(service.leaderboard(period), media_type="application/json")


@fn.on(RegistrationCheckedIn)
def checked_in(session: Session, cloudevent: ReceivedCloudEvent[RegistrationCheckedIn]) -> None:
    service.checked_in(session, cloudevent.data.registration_id)


@fn.on(RegistrationCancelled)
def cancelled(session: Session, cloudevent: ReceivedCloudEvent[RegistrationCancelled]) -> None:
    data = cloudevent.data
    service.cancelled(session, data.registration_id, data.by_user_id, data.previous_status)


@fn.on(ReviewCreated)
def reviewed(session: Session, cloudevent: ReceivedCloudEvent[ReviewCreated]) -> None:
    data = cloudevent.data
    service.reviewed(session, data.event_id, data.user_id, cloudevent.time)


@fn.on(TeamMemberAdded)
def joined_team(session: Session, cloudevent: ReceivedCloudEvent[TeamMemberAdded]) -> None:
    service.joined_team(session, cloudevent.data.event_id, cloudevent.data.user_id)


app = fn.app()
handler = Mangum(app, lifespan="off")
