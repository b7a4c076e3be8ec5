"""The README's pictures, taken by the browser tests when asked:
`EVENTMGR_SCREENSHOTS=1 make test PYTEST_ARGS=tests/browser` renews them."""

from __future__ import annotations

import os
from pathlib import Path

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def shot(page, name: str) -> None:
    if os.environ.get("EVENTMGR_SCREENSHOTS") != "1":
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
