"""Rendered Kubernetes manifests as the cluster targets' tests read them."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from local.render import Rendered


def files_under(rendered: Iterable[Rendered], root: str) -> dict[str, str]:
    """Each rendered file's content by its path under the target's directory."""
    return {str(item.path.relative_to(root)): item.content for item in rendered}


def is_kustomization(path: str) -> bool:
    return Path(path).name == "kustomization.yaml"


def documents_of(files: dict[str, str]) -> list[tuple[str, dict[str, Any]]]:
    """Every Kubernetes document with the file it is in (kustomizations are not resources)."""
    return [
        (path, document)
        for path, content in files.items()
        if not is_kustomization(path)
        for document in yaml.safe_load_all(content)
        if document is not None
    ]
