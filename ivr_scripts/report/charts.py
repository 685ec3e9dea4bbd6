"""Charts as inline SVG, drawn here on the server: no script, no network, nothing to load.

Each chart is an `<svg role="img">` with a `<title>` and `aria-labelledby`, axes with ticks and labels,
and one element per figure: `<rect class="bar">` or `<circle class="point">`, each carrying its label
and value (`data-label`, `data-value`) and a `<title>` tooltip. The page puts the same figures in a
table under each chart. Every text is escaped here; the result is Markup for the template.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from markupsafe import Markup, escape

WIDTH: Final = 720
HEIGHT: Final = 260
LEFT: Final = 56  # room for the y axis' tick labels
RIGHT: Final = 16
TOP: Final = 28
BOTTOM: Final = 44  # room for the x labels and the axis name


@dataclass(frozen=True)
class Chart:
    """What any chart needs: an id (for aria), a title, the axes' names, and the figures' unit."""

    chart_id: str
    title: str
    x_name: str
    y_name: str
    unit: str = ""


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten at or above `value` (1 for nothing)."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value)


def _text(css: str, x: float, y: float, content: str, extra: str = "") -> str:
    return f'<text class="{css}" x="{x:.1f}" y="{y:.1f}"{extra}>{escape(content)}</text>'


def _open(chart: Chart, height: int) -> list[str]:
    ident = escape(chart.chart_id)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{ident}" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" aria-labelledby="{ident}-title">',
        f'<title id="{ident}-title">{escape(chart.title)}</title>',
    ]


def _markup(parts: list[str]) -> Markup:
    # Every text and attribute above went through escape() or is a number we formatted.
    return Markup("\n".join(parts))  # noqa: S704


def _number(value: float) -> str:
    return f"{value:.0f}" if value == round(value) else f"{value:.1f}"


def _frame(chart: Chart, top_value: float, x_labels: Sequence[str], body: list[str]) -> Markup:
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    parts = [*_open(chart, HEIGHT), _text("chart-title", LEFT, 18, chart.title)]
    for tick in range(5):
        value = top_value * tick / 4
        y = TOP + plot_h - plot_h * tick / 4
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(_text("tick y", LEFT - 6, y + 4, _number(value)))
    slot = plot_w / max(len(x_labels), 1)
    for i, label in enumerate(x_labels):
        x = LEFT + slot * (i + 0.5)
        parts.append(_text("tick x", x, TOP + plot_h + 14, label))
    parts += [
        f'<line class="axis" x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{TOP + plot_h}"/>',
        f'<line class="axis" x1="{LEFT}" x2="{LEFT + plot_w}" y1="{TOP + plot_h}" y2="{TOP + plot_h}"/>',
        _text("axis-name x", LEFT + plot_w / 2, HEIGHT - 6, chart.x_name),
        _text("axis-name y", -(TOP + plot_h / 2), 14, chart.y_name, ' transform="rotate(-90)"'),
        *body,
        "</svg>",
    ]
    return _markup(parts)


def _figure(label: str, value: float, unit: str) -> str:
    tip = escape(f"{label}: {_number(value)}{unit}")
    return f'data-label="{escape(label)}" data-value="{value:g}"><title>{tip}</title>'


def bar_chart(chart: Chart, labels: Sequence[str], values: Sequence[float]) -> Markup:
    """One vertical bar per label; a zero is a bar of no height (it still counts as a bar)."""
    top = nice_ceiling(max(values, default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(labels), 1)
    body = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        height = plot_h * value / top
        x, y = LEFT + slot * i + slot * 0.15, TOP + plot_h - height
        body.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{height:.1f}" '
            f"{_figure(label, value, chart.unit)}</rect>"
        )
    return _frame(chart, top, labels, body)


def line_chart(
    chart: Chart, labels: Sequence[str], values: Sequence[float | None], *, top: float | None = None
) -> Markup:
    """A point per label with a value (None: no point, and the line breaks there)."""
    ceiling = top if top is not None else nice_ceiling(max((v for v in values if v is not None), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(labels), 1)
    body: list[str] = []
    segment: list[str] = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        if value is None:
            body += _polyline(segment)
            segment = []
            continue
        x, y = LEFT + slot * (i + 0.5), TOP + plot_h - plot_h * value / ceiling
        segment.append(f"{x:.1f},{y:.1f}")
        point = f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="4" '
        body.append(f"{point}{_figure(label, value, chart.unit)}</circle>")
    body += _polyline(segment)
    return _frame(chart, ceiling, labels, body)


def _polyline(points: list[str]) -> list[str]:
    return [f'<polyline class="line" points="{" ".join(points)}"/>'] if len(points) > 1 else []


def horizontal_bars(chart: Chart, labels: Sequence[str], values: Sequence[float]) -> Markup:
    """One horizontal bar per label, labels on the left: a funnel's steps, top to bottom."""
    top = nice_ceiling(max(values, default=0))
    label_w, row_h = 220, 30
    height = TOP + row_h * len(labels) + 30
    plot_w = WIDTH - label_w - RIGHT
    parts = [
        *_open(chart, height),
        _text("chart-title", 8, 18, chart.title),
        f'<line class="axis" x1="{label_w}" x2="{label_w}" y1="{TOP}" y2="{TOP + row_h * len(labels)}"/>',
    ]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = TOP + row_h * i
        width = plot_w * value / top
        parts += [
            _text("tick y", label_w - 6, y + row_h / 2 + 4, label),
            f'<rect class="bar" x="{label_w}" y="{y + 4}" width="{width:.1f}" height="{row_h - 8}" '
            f"{_figure(label, value, chart.unit)}</rect>",
            _text("value", label_w + width + 6, y + row_h / 2 + 4, _number(value)),
        ]
    parts += [
        _text("axis-name x", label_w + plot_w / 2, height - 8, chart.x_name),
        "</svg>",
    ]
    return _markup(parts)
