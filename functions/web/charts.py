"""Small charts drawn on the server as inline SVG: no chart library and no script, so they show
without JavaScript and print. Each is an image with a title that says what it shows; the pages
put the same figures in a table beside it for people who do not see it."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

# Drawn for a phone's width first: the text stays readable when the picture is 360 px wide.
WIDTH, HEIGHT = 400, 240
LEFT, BOTTOM = 36, 24
LEGEND_ROW = 18
# Colours with at least 3:1 contrast on white (WCAG's non-text contrast), told apart by
# their legend and their order too, not by colour alone.
COLOURS = ("#1d4ed8", "#b91c1c", "#047857", "#7c3aed")


@dataclass(frozen=True)
class Series:
    name: str
    values: list[int]


def bar_chart(title: str, labels: list[str], series: list[Series]) -> Markup:
    """Grouped bars: one group per label, one bar per series."""
    top = _ceiling(max((v for s in series for v in s.values), default=0))
    plot_top = _plot_top(series)
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - plot_top
    group = plot_w / max(len(labels), 1)
    bar = group * 0.8 / max(len(series), 1)
    parts = [_axes(top, plot_top, plot_h)]
    for i, label in enumerate(labels):
        x0 = LEFT + i * group + group * 0.1
        for j, one in enumerate(series):
            value = one.values[i]
            h = plot_h * value / top
            parts.append(
                Markup(
                    '<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}">'
                    "<title>{}: {} {}</title></rect>"
                ).format(
                    x0 + j * bar,
                    plot_top + plot_h - h,
                    max(bar - 2, 1),
                    h,
                    COLOURS[j % 4],
                    label,
                    one.name,
                    value,
                )
            )
        if len(labels) <= 6 or i % max(len(labels) // 5, 1) == 0:
            parts.append(_label(x0 + group * 0.4, label))
    return _svg(title, parts, series)


def line_chart(title: str, labels: list[str], series: list[Series]) -> Markup:
    """Lines over the labels (days), for totals that grow."""
    top = _ceiling(max((v for s in series for v in s.values), default=0))
    plot_top = _plot_top(series)
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - plot_top
    step = plot_w / max(len(labels) - 1, 1)
    parts = [_axes(top, plot_top, plot_h)]
    for j, one in enumerate(series):
        base = plot_top + plot_h
        points = [(LEFT + i * step, base - plot_h * v / top) for i, v in enumerate(one.values)]
        parts.append(
            Markup('<polyline points="{}" fill="none" stroke="{}" stroke-width="3"/>').format(
                " ".join(f"{x:.1f},{y:.1f}" for x, y in points), COLOURS[j % 4]
            )
        )
        # A dot on each day, so a single day still shows.
        parts.extend(
            Markup('<circle cx="{:.1f}" cy="{:.1f}" r="4" fill="{}"/>').format(x, y, COLOURS[j % 4])
            for x, y in points
        )
    for i, label in enumerate(labels):
        if len(labels) <= 6 or i % max(len(labels) // 5, 1) == 0:
            parts.append(_label(LEFT + i * step, label))
    return _svg(title, parts, series)


def _svg(title: str, parts: list[Markup], series: list[Series]) -> Markup:
    legend = Markup("").join(
        Markup(
            '<g><rect x="{x}" y="{y}" width="12" height="12" fill="{colour}"/>'
            '<text x="{tx}" y="{ty}" font-size="14" fill="#1a1a1a">{name}</text></g>'
        ).format(
            x=LEFT,
            y=k * LEGEND_ROW,
            colour=COLOURS[k % 4],
            tx=LEFT + 18,
            ty=k * LEGEND_ROW + 12,
            name=one.name,
        )
        for k, one in enumerate(series)
    )
    return Markup(
        '<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{title}" '
        'xmlns="http://www.w3.org/2000/svg"><title>{title}</title>{legend}{body}</svg>'
    ).format(w=WIDTH, h=HEIGHT, title=title, legend=legend, body=Markup("").join(parts))


def _plot_top(series: list[Series]) -> int:
    """Below the legend, one row per series."""
    return LEGEND_ROW * len(series) + 12


def _axes(top: int, plot_top: int, plot_h: float) -> Markup:
    base = plot_top + plot_h
    return Markup(
        '<g stroke="#4a4a4a"><line x1="{l}" y1="{t}" x2="{l}" y2="{b}"/>'
        '<line x1="{l}" y1="{b}" x2="{r}" y2="{b}"/></g>'
        '<text x="{tx}" y="{ty}" font-size="14" text-anchor="end" fill="#1a1a1a">{top}</text>'
        '<text x="{tx}" y="{b}" font-size="14" text-anchor="end" fill="#1a1a1a">0</text>'
    ).format(l=LEFT, t=plot_top, b=base, r=WIDTH - 8, tx=LEFT - 4, ty=plot_top + 12, top=top)


def _label(x: float, text: str) -> Markup:
    return Markup(
        '<text x="{:.1f}" y="{}" font-size="13" text-anchor="middle" fill="#1a1a1a">{}</text>'
    ).format(x, HEIGHT - 6, text)


def _ceiling(value: int) -> int:
    """A round top for the axis, never zero (an event nobody joined yet still draws)."""
    for top in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000):
        if value <= top:
            return top
    return value
