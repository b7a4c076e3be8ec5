"""Every function in the tree, found by its folder: functions/<name>/handler.py."""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import TYPE_CHECKING

import functions

if TYPE_CHECKING:
    from fastapi import FastAPI

    from shared.kit import Function


@dataclass(frozen=True)
class Deployed:
    function: Function
    app: FastAPI


def function_names() -> list[str]:
    return sorted(
        module.name for module in pkgutil.iter_modules(functions.__path__) if module.ispkg
    )


def load_functions() -> dict[str, Deployed]:
    """Import every handler (this builds its app) and check the declarations agree."""
    from shared.kit import declared

    loaded: dict[str, Deployed] = {}
    for name in function_names():
        module = importlib.import_module(f"functions.{name}.handler")
        function, app = module.fn, module.app
        if function.name != name:
            raise ValueError(f"functions/{name}/handler.py declares {function.name!r}")
        loaded[name] = Deployed(function, app)
    declared(deployed.function for deployed in loaded.values())
    return loaded
