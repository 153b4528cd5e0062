"""Small bar charts drawn as SVG on the server: no chart library, readable at 360 px and on paper.

A chart only places bars; the numbers themselves go in a table beside it (`_chart_bars.html`), which
is what screen readers read.
"""
from __future__ import annotations

from dataclasses import dataclass

WIDTH = 320  # viewBox units; the SVG scales to its container
LABEL_HEIGHT = 14
BAR_HEIGHT = 12
ROW_HEIGHT = LABEL_HEIGHT + BAR_HEIGHT + 6


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    base: int  # how many households or villages the value rests on
    y: int
    x: float
    width: float

    @property
    def text_y(self) -> int:
        return self.y + LABEL_HEIGHT - 3


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    height: int
    goal: float | None
    goal_x: float | None
    zero_x: float


def bars(items: list[tuple[str, float | None, int]], *, goal: float | None = None,
         maximum: float | None = None) -> Chart:
    """Horizontal bars, one per (label, value, base); a value of None draws no bar. The scale runs
    from the smallest value (or 0) to the largest of the values, the goal and `maximum`."""
    values = [v for _l, v, _n in items if v is not None]
    low = min([0.0, *values])
    high = max([1.0, *values, *([goal] if goal is not None else []), *([maximum] if maximum is not None else [])])
    span = high - low

    def x(value: float) -> float:
        return round((value - low) * WIDTH / span, 1)

    zero = x(0.0)
    placed = []
    for index, (label, value, base) in enumerate(items):
        y = index * ROW_HEIGHT
        if value is None:
            placed.append(Bar(label, None, base, y, zero, 0.0))
        else:
            start, end = sorted((zero, x(value)))
            placed.append(Bar(label, value, base, y, start, round(end - start, 1)))
    return Chart(bars=placed, height=max(ROW_HEIGHT, len(items) * ROW_HEIGHT), goal=goal,
                 goal_x=x(goal) if goal is not None else None, zero_x=zero)
