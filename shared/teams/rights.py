"""What each kind of person may do to an event: the one table every "may they?" reads.

The organizer and admins hold every right; a team member holds their role's. A use case asks
for the right it needs (`events.service.owned_event(..., right=EventRight.check_in)`).
"""

from __future__ import annotations

from enum import StrEnum

from shared.teams.models import TeamRole


class EventRight(StrEnum):
    # Change, publish, cancel; media, statistics, reports; remove participants.
    manage = "manage"
    # See who is coming.
    participants = "participants"
    # Check people in at the door.
    check_in = "check_in"
    delete = "delete"
    # Add and remove team members.
    team = "team"


EVERY_RIGHT = frozenset(EventRight)
NO_RIGHT: frozenset[EventRight] = frozenset()

RIGHTS_OF_ROLE: dict[TeamRole, frozenset[EventRight]] = {
    TeamRole.co_organizer: EVERY_RIGHT - {EventRight.delete, EventRight.team},
    TeamRole.steward: frozenset({EventRight.participants, EventRight.check_in}),
}
