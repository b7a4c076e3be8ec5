"""The one shape every benchmark reports in, and its rendering to bench/results.md.

Each bench module `bench/<name>.py` exposes `def figures(repeats: int) -> list[Figure]`;
`python -m bench` runs them and writes the table. A figure carries every repeated measurement
(ours and its baseline, measured interleaved in the same run), so the ratio is computed per pair
of runs: on a shared, noisy machine only a ratio against a baseline measured alongside means much.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field

_GOAL = re.compile(r"^\s*(<=|>=|<|>)\s*([\d.]+)\s*(x|×)?\s*(.*)$")


@dataclass
class Figure:
    """One row of the target table.

    `goal` is "<op> <number>x" for a ratio to the baseline (e.g. ">= 0.5x", "<= 1.5x"), or
    "<op> <number> <unit>" for an absolute goal on our own figure (e.g. "<= 120 MiB"), or ""
    when the row is informative only. `baseline` may be empty for an absolute goal.
    """

    name: str
    unit: str
    ours: list[float]
    baseline: list[float] = field(default_factory=list)
    baseline_name: str = ""
    goal: str = ""
    higher_is_better: bool = True
    notes: str = ""

    def ratios(self) -> list[float]:
        """ours / baseline for each pair of interleaved runs (runs beyond the shorter list
        are left out of the pairing)."""
        return [o / b for o, b in zip(self.ours, self.baseline, strict=False) if b]

    def ratio(self) -> float | None:
        ratios = self.ratios()
        return statistics.median(ratios) if ratios else None

    def goal_value(self) -> float | None:
        """The figure the goal is checked against: the median ratio for "…x" goals, else
        the median of ours."""
        match = _GOAL.match(self.goal)
        if not match or not self.ours:
            return None
        return self.ratio() if match.group(3) else statistics.median(self.ours)

    def met(self) -> bool | None:
        """Whether the median meets the goal; None when there is no goal to check."""
        match = _GOAL.match(self.goal)
        value = self.goal_value()
        if not match or value is None:
            return None
        op, target = match.group(1), float(match.group(2))
        return {
            "<=": value <= target,
            ">=": value >= target,
            "<": value < target,
            ">": value > target,
        }[op]


def _spread(values: list[float]) -> str:
    if not values:
        return "—"
    return f"{_number(min(values))} / {_number(statistics.median(values))} / {_number(max(values))}"


def _number(value: float) -> str:
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def table(figures: list[Figure]) -> str:
    """A markdown table: each figure with its baseline, ratio and goal, min / median / max."""
    lines = [
        "| figure | ours (min / median / max) | baseline (min / median / max) "
        "| ratio (min / median / max) | goal | met |",
        "|---|---|---|---|---|---|",
    ]
    for figure in figures:
        baseline = (
            f"{figure.baseline_name}: {_spread(figure.baseline)} {figure.unit}"
            if figure.baseline
            else "—"
        )
        ratios = figure.ratios()
        ratio = f"{_spread(ratios)}×" if ratios else "—"
        met = {True: "yes", False: "**no**", None: "—"}[figure.met()]
        notes = f" ({figure.notes})" if figure.notes else ""
        lines.append(
            f"| {figure.name}{notes} | {_spread(figure.ours)} {figure.unit} | {baseline} "
            f"| {ratio} | {figure.goal or '—'} | {met} |"
        )
    return "\n".join(lines) + "\n"
