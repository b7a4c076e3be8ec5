"""The organizer (or an admin) manages the event's team: co-organizers and stewards."""

import uuid

from fastapi import Response
from mangum import Mangum

from shared.db import unit_of_work
from shared.events.errors import EventNotFound, NotEventOwner
from shared.kit import CurrentUser, Function
from shared.organizing.team import add_member, members, remove_member
from shared.teams.errors import AccountNotFound, OrganizerNotTeamMember, TeamMemberNotFound
from shared.teams.schemas import TeamList, TeamMemberIn, TeamMemberPublic

fn = Function("manage_team", summary="Organizers add, list and remove their event's team.")
TEAM = "/api/v1/events/{event_id}/team"


@fn.post(
    TEAM,
    status_code=201,
    response_model=TeamMemberPublic,
    errors=(EventNotFound, NotEventOwner, AccountNotFound, OrganizerNotTeamMember),
)
def add(event_id: uuid.UUID, body: TeamMemberIn, user: CurrentUser) -> TeamMemberPublic:
    """Adds the account with this email to the team, or gives a member the role asked for."""
    with unit_of_work() as session:
        return add_member(session, event_id, user.user_id, user.is_admin, body)


@fn.get(TEAM, response_model=TeamList, errors=(EventNotFound, NotEventOwner))
def list_team(event_id: uuid.UUID, user: CurrentUser) -> TeamList:
    with unit_of_work() as session:
        return members(session, event_id, user.user_id, user.is_admin)


@fn.delete(
    f"{TEAM}/{{user_id}}",
    status_code=204,
    errors=(EventNotFound, NotEventOwner, TeamMemberNotFound),
)
def remove(event_id: uuid.UUID, user_id: uuid.UUID, user: CurrentUser) -> Response:
    with unit_of_work() as session:
        remove_member(session, event_id, user_id, user.user_id, user.is_admin)
    return Response(status_code=204)


app = fn.app()
handler = Mangum(app, lifespan="off")
