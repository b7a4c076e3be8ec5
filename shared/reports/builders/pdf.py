"""PDF: one A4 page drawn by matplotlib alone (no second layout library): title, the summary
figures, a chart of registrations per day, and the first rows of the table ("and N more").

The chart is drawn apart and placed on the page as an image, so it looks the same in every
viewer and is one image object in the file. Nothing here loads the whole table: the figures
and the chart are aggregates computed by PostgreSQL, the table is a LIMIT.
"""

from __future__ import annotations

import textwrap
import threading
from datetime import date, datetime
from typing import IO, Any

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import FigureCanvasPdf
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from sqlalchemy.orm import Session

from shared.reports.sources import Cell, Source

# TrueType fonts embedded whole: text stays selectable and extractable (the default Type 3
# glyphs are not). DejaVu Sans, matplotlib's own font, has Latin and Cyrillic.
matplotlib.rcParams["pdf.fonttype"] = 42
# matplotlib keeps global state (font caches, the text layout engine); the worker runs tasks
# in threads, so pages are drawn one at a time. A page takes well under a second.
_DRAWING = threading.Lock()
TABLE_ROWS = 30
A4 = (8.27, 11.69)
CHART_SIZE = (7.4, 2.5)
CHART_DPI = 200
# Page fractions: the chart keeps its own aspect, full width under the figures.
LEFT, WIDTH = 0.06, 0.88
CHART_TOP = 0.85
CHART_HEIGHT = WIDTH * A4[0] * CHART_SIZE[1] / CHART_SIZE[0] / A4[1]
TABLE_TOP, TABLE_BOTTOM = CHART_TOP - CHART_HEIGHT - 0.02, 0.03
INK = "#1f2937"
ACCENT = "#2563eb"
# Characters a table cell keeps before an ellipsis, per unit of the column's width, and the
# gap before a cell's text (a fraction of the table's width).
CLIP = 0.9
PAD = 0.004
RULE = "#e5e7eb"
CELL: dict[str, Any] = {"fontsize": 6.5, "va": "center", "color": INK}


def write_pdf(source: Source, session: Session, target: IO[bytes]) -> int:
    figures = source.figures(session)
    per_day = source.by_day(session)
    total = source.count(session)
    first = source.first(session, TABLE_ROWS)
    # Names and titles are people's text, never mathtext: "$x^$" is a name, not a formula.
    with _DRAWING, matplotlib.rc_context({"text.parse_math": False}):
        page = _page(source, figures, per_day, first, total)
        FigureCanvasPdf(page).print_pdf(
            target, metadata={"Title": source.title, "Creator": "Event Manager"}
        )
    return total


def _page(
    source: Source,
    figures: list[tuple[str, int]],
    per_day: list[tuple[date, int]],
    first: list[list[Cell]],
    total: int,
) -> Figure:
    page = Figure(figsize=A4)
    page.text(LEFT, 0.955, source.title, fontsize=16, weight="bold", color=INK)
    page.text(LEFT, 0.935, source.subtitle, fontsize=9, color="#6b7280")
    _figures(page, figures)
    chart = page.add_axes((LEFT, CHART_TOP - CHART_HEIGHT, WIDTH, CHART_HEIGHT))
    chart.imshow(_chart(per_day, source.words["per_day"], source), interpolation="none")
    chart.set_axis_off()
    _table(page, source, first, total)
    return page


def _figures(page: Figure, figures: list[tuple[str, int]]) -> None:
    """The summary: each figure big, its label small beneath, in one row."""
    step = WIDTH / len(figures)
    for number, (label, value) in enumerate(figures):
        left = LEFT + number * step
        page.text(left, 0.89, f"{value:,}", fontsize=18, weight="bold", color=ACCENT)
        page.text(left, 0.875, label, fontsize=8, color=INK)


def _chart(per_day: list[tuple[date, int]], title: str, source: Source) -> Any:
    """Registrations per day (bars) and in all (line), as an RGBA array."""
    chart = Figure(figsize=CHART_SIZE, dpi=CHART_DPI)
    canvas = FigureCanvasAgg(chart)
    axes = chart.add_subplot()
    axes.set_title(title, fontsize=10, loc="left", color=INK)
    if per_day:
        days = date2num([datetime.combine(day, datetime.min.time()) for day, _ in per_day])
        counts = [count for _, count in per_day]
        # x in days (matplotlib's date numbers): each bar 0.8 of a day wide.
        axes.bar(days, counts, width=0.8, color=ACCENT, alpha=0.8)
        locator = AutoDateLocator()
        axes.xaxis.set_major_locator(locator)
        axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))
        total = axes.twinx()
        total.plot(days, np.cumsum(counts), color=INK, linewidth=1.2)
        total.set_ylim(bottom=0)
        total.tick_params(labelsize=7)
    else:
        axes.text(
            0.5, 0.5, source.words["none"], ha="center", va="center", transform=axes.transAxes
        )
        axes.set_xticks([])
    axes.set_ylim(bottom=0)
    axes.tick_params(labelsize=7)
    axes.spines["top"].set_visible(False)
    chart.tight_layout()
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())


def _table(page: Figure, source: Source, first: list[list[Cell]], total: int) -> None:
    """Drawn cell by cell (rather than matplotlib's table): long headers wrap onto a second
    line, long values end in an ellipsis, so nothing spills into the next column."""
    area = page.add_axes((LEFT, TABLE_BOTTOM, WIDTH, TABLE_TOP - TABLE_BOTTOM))
    area.set_axis_off()
    area.set_xlim(0, 1)
    area.set_ylim(0, 1)
    if not first:
        area.text(0, 1, source.words["none"], fontsize=9, va="top", color=INK)
        return
    widths = [column.width for column in source.columns]
    lefts = [sum(widths[:number]) / sum(widths) for number in range(len(widths))]
    line = 1 / (TABLE_ROWS + 3)
    header = 1.7 * line
    area.add_patch(Rectangle((0, 1 - header), 1, header, color=RULE, linewidth=0))
    for left, label, width in zip(lefts, source.headers(), widths, strict=True):
        wrapped = textwrap.fill(label, width=max(6, int(width * CLIP)), max_lines=2)
        area.text(left + PAD, 1 - header / 2, wrapped, **CELL, weight="bold", linespacing=1.1)
    top = 1 - header
    for row in first:
        for left, value, width in zip(lefts, row, widths, strict=True):
            area.text(left + PAD, top - line / 2, _shown(value, width), **CELL)
        top -= line
        area.axhline(top, color=RULE, linewidth=0.6)
    if total > len(first):
        more = source.words["more"].format(count=f"{total - len(first):,}")
        area.text(0, top - line, more, fontsize=8, va="center", color=INK)


def _shown(value: Cell, width: int) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    text = f"{value:,}" if isinstance(value, int) else str(value)
    text = "".join(c for c in text if c.isprintable())  # no font draws a control character
    room = max(4, int(width * CLIP))
    return text if len(text) <= room else text[: room - 1] + "…"
