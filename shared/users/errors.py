"""The errors of people's accounts as records: a taken address, a spent or unknown link."""

from __future__ import annotations

from shared.errors import Conflict, DomainError


class EmailTaken(Conflict):
    title = "Email already registered"
    slug = "email-taken"


class InvalidOneTimeToken(DomainError):
    status = 400
    title = "Invalid or expired link"
    slug = "invalid-token"
