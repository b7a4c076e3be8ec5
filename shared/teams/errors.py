"""The errors of event teams."""

from __future__ import annotations

from shared.errors import Conflict, NotFound


class AccountNotFound(NotFound):
    title = "Account not found"
    slug = "account-not-found"


class TeamMemberNotFound(NotFound):
    title = "Not on the team"
    slug = "team-member-not-found"


class OrganizerNotTeamMember(Conflict):
    title = "The organizer is not a team member"
    slug = "organizer-not-team-member"
