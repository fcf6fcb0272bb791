"""The geometry of the reports page's stacked bar chart, drawn as SVG by the template (no JavaScript).

Plain numbers in SVG user units; the template adds the words and the colours (one CSS class per
request kind), so the chart follows the page's language and light or dark scheme.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from portal.models.requests import REQUEST_KINDS
from portal.services.reports import MONTHS, Report

WIDTH, HEIGHT = 640, 250
LEFT, RIGHT, TOP, BOTTOM = 40, 632, 10, 220  # the plot area; month names go below BOTTOM
BAR_SHARE = 0.62  # of each month's slot
MAX_TICKS = 5


@dataclass(frozen=True)
class Segment:
    """One kind's part of a month's bar."""

    kind: str
    count: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Bar:
    """One month: its total and its segments, bottom up in the order of REQUEST_KINDS."""

    month: int
    total: int
    centre: float
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class Tick:
    """A horizontal grid line with its value."""

    value: int
    y: float


@dataclass(frozen=True)
class Chart:
    """Everything the template draws."""

    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]


def scale(largest: int) -> tuple[int, int]:
    """The axis maximum and the grid step for bars up to `largest`: steps of 1, 2 or 5 × 10ⁿ."""
    if largest <= 0:
        return 1, 1
    exponent = 0
    while True:
        for multiple in (1, 2, 5):
            step = multiple * 10**exponent
            if largest <= step * MAX_TICKS:
                return math.ceil(largest / step) * step, step
        exponent += 1


def stacked_bars(report: Report) -> Chart:
    """Bars of the requests received per month, stacked by kind."""
    top_value, step = scale(max(report.month_total(month) for month in MONTHS))
    per_unit = (BOTTOM - TOP) / top_value
    slot = (RIGHT - LEFT) / len(MONTHS)
    width = round(slot * BAR_SHARE, 1)
    bars = []
    for index, month in enumerate(MONTHS):
        x = round(LEFT + slot * index + (slot - width) / 2, 1)
        base, segments = float(BOTTOM), []
        for kind in REQUEST_KINDS:
            count = report.cells[month, kind].received
            if count:
                height = count * per_unit
                base -= height
                segments.append(Segment(kind, count, x, round(base, 1), width, round(height, 1)))
        bars.append(Bar(month, report.month_total(month), round(LEFT + slot * (index + 0.5), 1),
                        tuple(segments)))
    ticks = tuple(Tick(value, round(BOTTOM - value * per_unit, 1)) for value in range(0, top_value + 1, step))
    return Chart(WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM, tuple(bars), ticks)
