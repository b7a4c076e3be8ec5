"""A function image holds only its own extras (`Dockerfile`, EXTRAS): what such an image
imports must load without the other extras' packages. Found by `make rehearse`: `notify` (no
extras) hands mail to the Celery tasks, whose module imported `requests` (the `push` extra's),
so every hand-over failed in its image and waited for the sweeps."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The top-level modules the extras bring (pyproject.toml), `requests` with pywebpush.
EXTRAS_ONLY = ("sendgrid", "minio", "PIL", "icalendar", "pywebpush", "requests", "matplotlib")
BLOCK = (
    "import importlib.abc, sys\n"
    "class Block(importlib.abc.MetaPathFinder):\n"
    "    def find_spec(self, name, path, target=None):\n"
    f"        if name.split('.')[0] in {EXTRAS_ONLY!r}:\n"
    "            raise ModuleNotFoundError(name)\n"
    "sys.meta_path.insert(0, Block())\n"
)


def test_notify_hands_mail_to_celery_without_any_extra():
    code = BLOCK + (
        "import functions.notify.handler\n"
        "from shared.notifications.delivery.tasks import send_emails\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
