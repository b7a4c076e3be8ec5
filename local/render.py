"""`eventmgr render`: every file derived from the function declarations, written or checked."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from eventing.triggers import DEFAULT_FILE, Schedule, Trigger, dump_triggers
from local.architecture import ARCHITECTURE, with_domain_graph
from local.dashboards import rendered_dashboards
from local.gateway import Gateway
from local.registry import Deployed


@dataclass(frozen=True)
class Rendered:
    path: Path
    content: str


def triggers_of(deployed: dict[str, Deployed]) -> list[Trigger]:
    return [
        Trigger(name, cloudevent_type, item.function.source_filters.get(cloudevent_type))
        for name, item in deployed.items()
        for cloudevent_type in item.function.consumes
    ]


def schedules_of(deployed: dict[str, Deployed]) -> list[Schedule]:
    return [
        Schedule(name, item.function.schedule)
        for name, item in deployed.items()
        if item.function.schedule
    ]


def trigger_table(deployed: dict[str, Deployed]) -> Rendered:
    return Rendered(DEFAULT_FILE, dump_triggers(triggers_of(deployed), schedules_of(deployed)))


def dashboards(deployed: dict[str, Deployed]) -> list[Rendered]:
    return [Rendered(path, content) for path, content in rendered_dashboards(deployed)]


API_CONTRACT = Path("docs/openapi.json")


def api_contract(deployed: dict[str, Deployed]) -> Rendered:
    """The merged OpenAPI document the gateway serves at `/openapi.json`, committed so that
    `render --check` (and review) shows every change of the public contract. Sorted keys and
    no host, time or settings in it: the same bytes on every machine."""
    document = json.dumps(Gateway(deployed).openapi, indent=2, sort_keys=True, ensure_ascii=False)
    return Rendered(API_CONTRACT, document + "\n")


def architecture(deployed: dict[str, Deployed]) -> Rendered:
    """docs/ARCHITECTURE.md with its domain graph as the imports draw it (local/architecture.py)."""
    document = ARCHITECTURE.read_text() if ARCHITECTURE.exists() else ""
    return Rendered(ARCHITECTURE, with_domain_graph(document))


def deployment_files(deployed: dict[str, Deployed]) -> list[Rendered]:
    """Every module of `local/deploy/` with a `render(deployed)` (one per target)."""
    import importlib
    import pkgutil

    from local import deploy

    produced: list[Rendered] = []
    for module in pkgutil.iter_modules(deploy.__path__):
        target = importlib.import_module(f"local.deploy.{module.name}")
        if hasattr(target, "render"):
            produced.extend(target.render(deployed))
    return produced


RENDERERS: list[Callable[[dict[str, Deployed]], Rendered | list[Rendered]]] = [
    trigger_table,
    dashboards,
    api_contract,
    architecture,
    deployment_files,
]


def render(deployed: dict[str, Deployed], *, check: bool) -> list[Path]:
    """Write every derived file; with `check`, write nothing and answer the stale ones."""
    stale = []
    for renderer in RENDERERS:
        produced = renderer(deployed)
        for rendered in produced if isinstance(produced, list) else [produced]:
            current = rendered.path.read_text() if rendered.path.exists() else None
            if current != rendered.content:
                stale.append(rendered.path)
                if not check:
                    rendered.path.parent.mkdir(parents=True, exist_ok=True)
                    rendered.path.write_text(rendered.content)
    return stale
