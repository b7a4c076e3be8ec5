"""The trigger table: which function consumes which CloudEvent type (and from which source).

Rendered from the functions' declarations by `eventmgr render` into `triggers.yaml` beside
this file; the dispatcher reads the file and never imports a function.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from shared.config import get_settings

DEFAULT_FILE = Path(__file__).with_name("triggers.yaml")


@dataclass(frozen=True, order=True)
class Trigger:
    function: str
    type: str
    source: str | None = None


@dataclass(frozen=True, order=True)
class Schedule:
    function: str
    cron: str


def triggers_file() -> Path:
    return get_settings().triggers_file or DEFAULT_FILE


def _document(path: Path | None) -> dict[str, Any]:
    loaded = yaml.safe_load((path or triggers_file()).read_text())
    return loaded if isinstance(loaded, dict) else {}


def load_triggers(path: Path | None = None) -> list[Trigger]:
    return [
        Trigger(item["function"], item["type"], item.get("source"))
        for item in _document(path).get("triggers") or []
    ]


def load_schedules(path: Path | None = None) -> list[Schedule]:
    return [
        Schedule(item["function"], item["cron"]) for item in _document(path).get("schedules") or []
    ]


def by_function(triggers: list[Trigger]) -> dict[str, list[Trigger]]:
    grouped: dict[str, list[Trigger]] = defaultdict(list)
    for trigger in triggers:
        grouped[trigger.function].append(trigger)
    return dict(grouped)


def consumers_of(triggers: list[Trigger], cloudevent_type: str, source: str) -> list[str]:
    return sorted(
        {
            t.function
            for t in triggers
            if t.type == cloudevent_type and (t.source is None or t.source == source)
        }
    )


def dump_triggers(triggers: list[Trigger], schedules: list[Schedule]) -> str:
    document = {
        "triggers": [
            {"function": t.function, "type": t.type, "source": t.source} for t in sorted(triggers)
        ],
        "schedules": [{"function": s.function, "cron": s.cron} for s in sorted(schedules)],
    }
    return (
        "# Rendered by `eventmgr render` from the functions' declarations; do not edit.\n"
        "# The dispatcher reads the triggers (one queue per function, bound to its types),\n"
        "# `eventmgr scheduler` the schedules.\n" + yaml.safe_dump(document, sort_keys=False)
    )
