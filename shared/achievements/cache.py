"""The leaderboards, cached briefly (`CACHE_LEADERBOARD_SECONDS`).

New points show up within the TTL; a changed choice (opting out, going private) forgets every
leaderboard as soon as it commits, so nobody stays shown after asking not to be.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from shared.cache.versioned import VersionedCache
from shared.config import get_settings
from shared.db import after_commit

LEADERBOARDS = VersionedCache("leaderboard", lambda: get_settings().cache_leaderboard_seconds)
ALL = "all"


def forget_after_commit(session: Session) -> None:
    after_commit(session, lambda: LEADERBOARDS.invalidate(ALL))
