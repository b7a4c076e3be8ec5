"""HMAC keys that every instance of a function must share (cursors, signed links).

Configured, they come from the settings. Unset, a process makes a random one and says so: its
links and cursors then work only on that process, until it restarts, which is acceptable for
one laptop and a mistake anywhere else.
"""

from __future__ import annotations

import logging
import secrets

from shared.config import get_settings

logger = logging.getLogger("eventmgr.security")


def instance_key(setting: str, consequence: str) -> bytes:
    configured = getattr(get_settings(), setting)
    if configured:
        return str(configured).encode()
    logger.warning("%s is unset: %s", setting.upper(), consequence)
    return secrets.token_bytes(32)
