"""Charts as inline SVG, drawn here on the server: no chart library, no script, so the
console's Content-Security-Policy stays strict. Text is escaped; sizes are integers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

WIDTH = 720
BAR_HEIGHT = 22
LABEL_WIDTH = 230
VALUE_WIDTH = 130
PLOT_HEIGHT = 180
AXIS_HEIGHT = 36
LABEL_CHAR_WIDTH = 9
"""A column chart names each group when its labels fit; otherwise the first and last."""
COLOURS = ("#2b6cb0", "#38a169", "#d69e2e", "#c53030", "#6b46c1")


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    values: Sequence[int]


def bar_chart(title: str, bars: Sequence[tuple[str, int]], shown: Callable[[int], str]) -> Markup:
    """Horizontal bars, one per (label, value), each with its value written beside it."""
    top = max((value for _, value in bars), default=0) or 1
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    height = BAR_HEIGHT * max(len(bars), 1) + 8
    parts = [_open(title, height)]
    for row, (label, value) in enumerate(bars):
        y = 4 + row * BAR_HEIGHT
        length = max(value, 0) * span // top
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 15}" text-anchor="end">{escape(label)}</text>'
            f'<rect class="bar" x="{LABEL_WIDTH}" y="{y + 3}" width="{length}" '
            f'height="{BAR_HEIGHT - 6}" fill="{COLOURS[row % len(COLOURS)]}">'
            f"<title>{escape(label)}: {escape(shown(value))}</title></rect>"
            f'<text x="{LABEL_WIDTH + length + 6}" y="{y + 15}">{escape(shown(value))}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it went through escape()


def column_chart(title: str, days: Sequence[str], series: Sequence[Series]) -> Markup:
    """Grouped columns: for each day (or band), one column per series; a legend below."""
    top = max((v for s in series for v in s.values), default=0) or 1
    height = PLOT_HEIGHT + AXIS_HEIGHT
    slot = WIDTH // max(len(days), 1)
    column = max((slot - 2) // max(len(series), 1), 1)
    parts = [_open(title, height)]
    parts.append(
        f'<line x1="0" y1="{PLOT_HEIGHT}" x2="{WIDTH}" y2="{PLOT_HEIGHT}" stroke="#718096"/>'
    )
    for d, day in enumerate(days):
        for s, one in enumerate(series):
            value = max(one.values[d], 0)
            bar = value * (PLOT_HEIGHT - 4) // top
            x = d * slot + 1 + s * column
            parts.append(
                f'<rect class="bar" x="{x}" y="{PLOT_HEIGHT - bar}" width="{column}" '
                f'height="{bar}" fill="{COLOURS[s % len(COLOURS)]}">'
                f"<title>{escape(day)} {escape(one.name)}: {value}</title></rect>"
            )
    if days and slot >= LABEL_CHAR_WIDTH * max(len(day) for day in days):
        for d, day in enumerate(days):
            x = d * slot + slot // 2
            parts.append(
                f'<text x="{x}" y="{PLOT_HEIGHT + 14}" text-anchor="middle">{escape(day)}</text>'
            )
    elif days:
        parts.append(f'<text x="0" y="{PLOT_HEIGHT + 14}">{escape(days[0])}</text>')
        parts.append(
            f'<text x="{WIDTH}" y="{PLOT_HEIGHT + 14}" text-anchor="end">{escape(days[-1])}</text>'
        )
    for s, one in enumerate(series):
        x = 8 + s * 200
        parts.append(
            f'<rect x="{x}" y="{PLOT_HEIGHT + 22}" width="10" height="10" '
            f'fill="{COLOURS[s % len(COLOURS)]}"/>'
            f'<text x="{x + 14}" y="{PLOT_HEIGHT + 31}">{escape(one.name)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it went through escape()


def _open(title: str, height: int) -> str:
    return (
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}">'
        f"<title>{escape(title)}</title>"
    )
