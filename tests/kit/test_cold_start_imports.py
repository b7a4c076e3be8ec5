"""A function starts without what only its first database request or CloudEvent needs
(README "Figures", start-up): SQLAlchemy, the models, the CloudEvent catalog, the Redis client."""

from __future__ import annotations

import os
import subprocess
import sys

LOADED_LATER = ("sqlalchemy", "shared.events.models", "shared.catalog", "redis", "cloudevents")


def test_browse_events_imports_none_of_what_its_first_requests_load() -> None:
    probe = (
        "import sys, functions.browse_events.handler\n"
        f"print(','.join(name for name in {LOADED_LATER!r} if name in sys.modules))"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "CURSOR_SECRET": "test-cursor-secret"},
    )
    assert run.stdout.strip() == "", f"imported at start: {run.stdout.strip()}"
