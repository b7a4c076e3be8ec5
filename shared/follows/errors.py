"""The errors of organizer profiles and following."""

from __future__ import annotations

from shared.errors import InvalidInput, NotFound


class OrganizerNotFound(NotFound):
    title = "Organizer not found"
    slug = "organizer-not-found"


class CannotFollowYourself(InvalidInput):
    title = "You cannot follow yourself"
    slug = "cannot-follow-yourself"

    def __init__(self) -> None:
        super().__init__("You cannot follow yourself.", field="id", where="path")
