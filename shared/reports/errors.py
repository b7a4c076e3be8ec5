"""The errors of requesting, building and fetching reports."""

from __future__ import annotations

from shared.errors import DomainError, Forbidden, NotFound


class ReportNotFound(NotFound):
    title = "Report not found"
    slug = "report-not-found"


class OrganizerNotFound(NotFound):
    title = "Organizer not found"
    slug = "organizer-not-found"


class NotYourReport(Forbidden):
    title = "Not yours to report on"
    slug = "not-your-report"


class ReportImpossible(DomainError):
    """The report cannot be built as asked (its event is gone): failed, with this reason."""

    status = 409
    title = "Report impossible"
    slug = "report-impossible"
