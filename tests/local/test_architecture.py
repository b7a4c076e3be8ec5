"""The domain graph of docs/ARCHITECTURE.md follows the imports: a new import between two
domains shows as a new arrow (and `render --check` fails until the document is re-rendered)."""

from __future__ import annotations

from pathlib import Path

import pytest

from local.architecture import (
    BEGIN,
    END,
    cycles,
    domains,
    edges,
    imported_packages,
    with_domain_graph,
)


def test_every_import_form_counts(tmp_path: Path):
    source = tmp_path / "module.py"
    source.write_text(
        "import shared.events.models\n"
        "from shared import users\n"
        "from shared.audit.service import record\n"
        "def later():\n"
        "    from shared.media import images\n"
        "from . import sibling\n"
    )
    assert imported_packages(source) == {"events", "users", "audit", "media"}


def test_the_graph_has_every_domain_and_none_of_the_infrastructure():
    found = domains()
    assert {"users", "events", "registrations", "notifications", "reports"} <= set(found)
    assert not {"kit", "db", "outbox", "migrations"} & set(found)
    assert ("registrations", "events") in edges(found)


def test_cycles_are_named():
    arrows = {("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")}
    assert cycles(["a", "b", "c", "d"], arrows) == [["a", "b", "c"]]
    assert cycles(["a", "b"], {("a", "b")}) == []


def test_the_section_is_replaced_and_the_rest_kept():
    document = f"# Title\n\nhand-written\n\n{BEGIN}\nstale\n{END}\n\nmore\n"
    rendered = with_domain_graph(document)
    assert rendered.startswith("# Title\n\nhand-written\n\n")
    assert rendered.endswith(f"{END}\n\nmore\n")
    assert "stale" not in rendered
    assert "graph LR" in rendered
    with pytest.raises(ValueError, match="lacks"):
        with_domain_graph("# no markers\n")
