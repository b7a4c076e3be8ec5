"""The domain graph in docs/ARCHITECTURE.md, drawn from the code by `eventmgr render`.

A domain is a package of `shared/` that is not infrastructure (the source modules of the
import-linter contract "Infrastructure never imports a domain", in pyproject.toml); an arrow
A --> B says a module of `shared.A` imports from `shared.B`, anywhere in the module (function
bodies and type-checking imports too, as import-linter counts them). The imports are read with
`ast`, not grimp: rendering runs where only the test extras are installed.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

ARCHITECTURE = Path("docs/ARCHITECTURE.md")
BEGIN = "<!-- domain graph: rendered by `eventmgr render` from the imports, do not edit -->"
END = "<!-- end of domain graph -->"
SHARED = Path("shared")
INFRASTRUCTURE_CONTRACT = "Infrastructure never imports a domain"
# The migrations hold every domain's schema: they import all domains by design.
NOT_DOMAINS = frozenset({"migrations"})


def infrastructure() -> set[str]:
    config = tomllib.loads(Path("pyproject.toml").read_text())
    for contract in config["tool"]["importlinter"]["contracts"]:
        if contract["name"] == INFRASTRUCTURE_CONTRACT:
            return {module.removeprefix("shared.") for module in contract["source_modules"]}
    raise LookupError(f"no import-linter contract named {INFRASTRUCTURE_CONTRACT!r}")


def domains() -> list[str]:
    excluded = infrastructure() | NOT_DOMAINS
    return sorted(
        path.parent.name
        for path in SHARED.glob("*/__init__.py")
        if path.parent.name not in excluded
    )


def imported_packages(source: Path) -> set[str]:
    """The `shared.<package>` names a module imports."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(), str(source))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "shared" and len(parts) > 1:
                found.add(parts[1])
    return found


def edges(packages: list[str]) -> set[tuple[str, str]]:
    known = set(packages)
    return {
        (package, target)
        for package in packages
        for source in (SHARED / package).rglob("*.py")
        for target in imported_packages(source)
        if target in known and target != package
    }


def cycles(nodes: list[str], arrows: set[tuple[str, str]]) -> list[list[str]]:
    """Groups of domains that reach each other (Tarjan's strongly connected components)."""
    following = {node: sorted(b for a, b in arrows if a == node) for node in nodes}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in following[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in nodes:
        if node not in index:
            visit(node)
    return sorted(found)


def domain_graph() -> str:
    nodes = domains()
    arrows = edges(nodes)
    lines = ["```mermaid", "graph LR"]
    lines += [f"  {node}" for node in nodes if not any(node in arrow for arrow in arrows)]
    lines += [f"  {a} --> {b}" for a, b in sorted(arrows)]
    lines.append("```")
    groups = cycles(nodes, arrows)
    if groups:
        listed = "; ".join(", ".join(group) for group in groups)
        lines += ["", f"Cycles (domains that reach one another through their imports): {listed}."]
    else:
        lines += ["", "No cycles: every domain can be read without the ones that import it."]
    return "\n".join(lines)


def with_domain_graph(document: str) -> str:
    """The document with its marked section replaced by the graph as the code is now."""
    head, begin, rest = document.partition(BEGIN)
    _, end, tail = rest.partition(END)
    if not begin or not end:
        raise ValueError(f"{ARCHITECTURE} lacks the lines {BEGIN!r} ... {END!r}")
    return f"{head}{BEGIN}\n{domain_graph()}\n{END}{tail}"
