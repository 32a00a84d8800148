"""Charts drawn by the server as inline SVG: a line chart (plain or in steps) and a bar chart of parts of a whole.

Pure functions from numbers to markup, no I/O and no plotting library. Every chart is an ``<svg role="img">``
with a ``<title>`` and a ``<desc>`` that states its data in words (screen readers read them); series differ by
dash pattern as well as colour, so they are told apart without colour; every label is escaped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape as _escape
from itertools import count
from math import ceil, floor, log10

WIDTH, HEIGHT = 640, 220
"""The drawing's size in SVG units (it scales to its container); a bar chart is as tall as its bars need."""
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 64, 16, 12, 40
TICKS = 4
"""Most intervals on the value axis (ticks fall on 1, 2 or 5 times a power of ten)."""
BAR_ROW = 30
"""Height of one bar's row."""
LEGEND_ROW, LEGEND_CHARS, CHAR_WIDTH = 16, 40, 7
"""Height of a legend row, the longest label it shows whole (the line's title and the description keep the rest),
and the width of a label's character (an estimate for the 11-unit font, generous for digits and Latin letters)."""
STROKES = (("#1f4e8c", ""), ("#8c3b1f", "6 3"), ("#2e6b30", "2 3"), ("#5b3a8c", "8 3 2 3"), ("#6b5d12", "1 1"))
"""Colour and dash pattern of the 1st, 2nd, ... series (all at least 4.5:1 against white)."""
_ids = count(1)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
"""Characters XML 1.0 cannot hold at all, escaped or not (a label comes from a listing title, i.e. anyone)."""

Format = Callable[[float], str]


@dataclass(frozen=True)
class Series:
    """One line: a label and its points ``(x, y)``, x ascending."""

    label: str
    points: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Bar:
    """One bar: ``part`` of ``whole`` (e.g. ε spent of the budget)."""

    label: str
    part: float
    whole: float


def escape(text: str) -> str:
    """``text`` as SVG character data: markup escaped, characters XML cannot hold dropped."""
    return _escape(_NOT_XML.sub("", text))


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _frame(title: str, description: str, body: list[str], height: float = HEIGHT) -> str:
    ident = next(_ids)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {_number(height)}" role="img" class="chart" '
        f'aria-labelledby="chart-{ident}-title chart-{ident}-desc">'
        f'<title id="chart-{ident}-title">{escape(title)}</title>'
        f'<desc id="chart-{ident}-desc">{escape(description)}</desc>' + "".join(body) + "</svg>"
    )


def _empty(title: str, message: str) -> str:
    text = f'<text x="{WIDTH / 2}" y="24" text-anchor="middle" class="chart-empty">{escape(message)}</text>'
    return _frame(title, message, [text], 40)


def _scale(low: float, high: float, start: float, end: float) -> Callable[[float], float]:
    span = high - low
    return (lambda _: (start + end) / 2) if span == 0 else (lambda v: start + (v - low) / span * (end - start))


def line_chart(
    series: Sequence[Series],
    *,
    title: str,
    x_format: Format,
    y_format: Format,
    step: bool = False,
    y_min: float | None = None,
    y_max: float | None = None,
    x_end: float | None = None,
) -> str:
    """A line chart of ``series`` on shared axes.

    Args:
        series: The lines; empty ones are left out.
        title: What the chart shows (its accessible name).
        x_format: Text of an x value (e.g. a timestamp as a date). y_format: Text of a y value.
        step: Draw each value as holding until the next point (counts that change at events).
        y_min: Bottom of the value axis (default: the smallest value). y_max: Top (default: the largest).
        x_end: Extend every line flat to this x (e.g. now), if it is past its last point.

    Returns:
        The ``<svg>`` markup.
    """
    lines = [s for s in series if s.points]
    if not lines:
        return _empty(title, "no data yet")
    xs = [x for s in lines for x, _ in s.points] + ([x_end] if x_end is not None else [])
    ys = [y for s in lines for _, y in s.points]
    low = min(ys) if y_min is None else min(y_min, *ys)
    high = max(ys) if y_max is None else max(y_max, *ys)
    sx = _scale(min(xs), max(xs), MARGIN_LEFT, WIDTH - MARGIN_RIGHT)
    sy = _scale(low, high, HEIGHT - MARGIN_BOTTOM, MARGIN_TOP)
    body = _y_axis(low, high, sy, y_format) + _x_axis(min(xs), max(xs), sx, x_format)
    for number, line in enumerate(lines):
        colour, dash = STROKES[number % len(STROKES)]
        points = list(line.points)
        if x_end is not None and x_end > points[-1][0]:
            points.append((x_end, points[-1][1]))
        path = _path(points, sx, sy, step)
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        body.append(
            f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="2"{dashed}>'
            f"<title>{escape(line.label)}</title></path>"
        )
    legend, height = _legend(lines)
    last = "; ".join(f"{s.label}: {y_format(s.points[-1][1])} at {x_format(s.points[-1][0])}" for s in lines)
    return _frame(title, f"{title}. Latest values: {last}.", body + legend, height)


def _path(
    points: list[tuple[float, float]], sx: Callable[[float], float], sy: Callable[[float], float], step: bool
) -> str:
    parts = [f"M{_number(sx(points[0][0]))},{_number(sy(points[0][1]))}"]
    for x, y in points[1:]:
        parts.append(f"H{_number(sx(x))}V{_number(sy(y))}" if step else f"L{_number(sx(x))},{_number(sy(y))}")
    return "".join(parts)


def ticks(low: float, high: float) -> list[float]:
    """Values for the axis between ``low`` and ``high``: multiples of 1, 2 or 5 times a power of ten, at most
    ``TICKS + 1`` of them (just ``low`` when the range is empty)."""
    if high <= low:
        return [low]
    exponent = floor(log10((high - low) / TICKS))
    step = next(m * 10.0**exponent for m in (1, 2, 5, 10) if m * 10.0**exponent * TICKS >= high - low)
    first = ceil(low / step - 1e-9)
    last = floor(high / step + 1e-9)
    return [round(k * step, -exponent + 1) for k in range(first, last + 1)]


def _y_axis(low: float, high: float, sy: Callable[[float], float], fmt: Format) -> list[str]:
    axis = f'<line x1="{MARGIN_LEFT}" y1="{MARGIN_TOP}" x2="{MARGIN_LEFT}" y2="{HEIGHT - MARGIN_BOTTOM}" '
    out = [axis + 'class="chart-axis"/>']
    for value in ticks(low, high):
        y = _number(sy(value))
        out.append(
            f'<line x1="{MARGIN_LEFT}" y1="{y}" x2="{WIDTH - MARGIN_RIGHT}" y2="{y}" class="chart-grid"/>'
            f'<text x="{MARGIN_LEFT - 6}" y="{y}" text-anchor="end" dominant-baseline="middle" '
            f'class="chart-label">{escape(fmt(value))}</text>'
        )
    return out


def _x_axis(low: float, high: float, sx: Callable[[float], float], fmt: Format) -> list[str]:
    bottom = HEIGHT - MARGIN_BOTTOM
    out = [f'<line x1="{MARGIN_LEFT}" y1="{bottom}" x2="{WIDTH - MARGIN_RIGHT}" y2="{bottom}" class="chart-axis"/>']
    ends = [(low, "start")] if low == high else [(low, "start"), (high, "end")]
    for value, anchor in ends:
        out.append(
            f'<text x="{_number(sx(value))}" y="{bottom + 16}" text-anchor="{anchor}" '
            f'class="chart-label">{escape(fmt(value))}</text>'
        )
    return out


def _legend(lines: Sequence[Series]) -> tuple[list[str], float]:
    """The legend under the axes, wrapped onto as many rows as it needs; returns it and the drawing's height."""
    out = []
    x, row = MARGIN_LEFT, 0
    for number, line in enumerate(lines):
        colour, dash = STROKES[number % len(STROKES)]
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        label = line.label if len(line.label) <= LEGEND_CHARS else line.label[: LEGEND_CHARS - 1] + "…"
        width = 40 + CHAR_WIDTH * len(label)
        if x > MARGIN_LEFT and x + width > WIDTH - MARGIN_RIGHT:
            x, row = MARGIN_LEFT, row + 1
        y = HEIGHT - 8 + row * LEGEND_ROW
        out.append(
            f'<line x1="{x}" y1="{y - 4}" x2="{x + 24}" y2="{y - 4}" stroke="{colour}" stroke-width="2"'
            f'{dashed}/><text x="{x + 30}" y="{y}" class="chart-label">{escape(label)}</text>'
        )
        x += width
    return out, HEIGHT + row * LEGEND_ROW


def bar_chart(bars: Sequence[Bar], *, title: str, part_name: str, rest_name: str, fmt: Format) -> str:
    """Horizontal bars, each split into ``part`` and the rest of its ``whole``.

    Args:
        bars: The bars (a whole of 0 draws an empty bar).
        title: What the chart shows. part_name: What the filled part is (``spent``). rest_name: The rest (``left``).
        fmt: Text of a value.

    Returns:
        The ``<svg>`` markup.
    """
    if not bars:
        return _empty(title, "nothing to show yet")
    row = BAR_ROW
    widest = max(max(b.whole, b.part) for b in bars) or 1.0
    span = WIDTH - MARGIN_LEFT - MARGIN_RIGHT - 120
    body = []
    words = []
    for number, bar in enumerate(bars):
        y = MARGIN_TOP + number * row + row * 0.2
        height = row * 0.6
        whole = max(bar.whole, bar.part) / widest * span
        part = bar.part / widest * span
        body.append(
            f'<text x="{MARGIN_LEFT - 6}" y="{_number(y + height / 2)}" text-anchor="end" dominant-baseline="middle" '
            f'class="chart-label">{escape(bar.label)}</text>'
            f'<rect x="{MARGIN_LEFT}" y="{_number(y)}" width="{_number(whole)}" height="{_number(height)}" '
            f'class="chart-rest"/>'
            f'<rect x="{MARGIN_LEFT}" y="{_number(y)}" width="{_number(part)}" height="{_number(height)}" '
            f'class="chart-part"/>'
            f'<text x="{_number(MARGIN_LEFT + whole + 6)}" y="{_number(y + height / 2)}" dominant-baseline="middle" '
            f'class="chart-label">{escape(fmt(bar.part))} {escape(part_name)}, '
            f"{escape(fmt(max(0.0, bar.whole - bar.part)))} {escape(rest_name)}</text>"
        )
        words.append(f"{bar.label}: {fmt(bar.part)} {part_name} of {fmt(bar.whole)}")
    return _frame(title, f"{title}. " + "; ".join(words) + ".", body, MARGIN_TOP * 2 + row * len(bars))
