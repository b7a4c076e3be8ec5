"""People made straight in the database for a bench: verified, active, no real password."""

from __future__ import annotations

import uuid

from shared.users.models import Role


def person_row(role: Role, timezone: str = "UTC") -> dict[str, object]:
    """A `users` row to insert in bulk (a bench needs thousands; sign-up would be the bench)."""
    return {
        "id": uuid.uuid4(),
        "email": f"{role.value}-{uuid.uuid4().hex}@bench.example",
        "password_hash": "not-a-real-hash",
        "full_name": "Bench Person",
        "role": role,
        "email_verified": True,
        "is_active": True,
        "locale": "en",
        "timezone": timezone,
    }
