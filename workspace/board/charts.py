"""Geometry for the small server-rendered SVG charts of the reports page (no JavaScript, no CDN).

The template draws what these functions compute: rectangles with positions in the SVG's own units.
"""

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    css_class: str
    title: str


@dataclass(frozen=True)
class Tick:
    x: float
    y: float
    label: str


def _nice_ceiling(value: float) -> int:
    """The smallest of 1, 2, 3, 4, 5, 6, 8 × 10^n that is >= value, so the axis reads well and stays tight."""
    if value <= 0:
        return 1
    step = 1
    while True:
        for factor in (1, 2, 3, 4, 5, 6, 8):
            if step * factor >= value:
                return step * factor
        step *= 10


def volume_chart(days: list[tuple[dt.date, int, int]], *, width: int = 720, height: int = 220) -> dict:
    """Grouped bars per day: messages in and out."""
    left, bottom, top = 40, 28, 10
    plot_w, plot_h = width - left - 10, height - bottom - top
    peak = _nice_ceiling(1.05 * max([max(i, o) for _, i, o in days] or [0]))  # a little headroom
    slot = plot_w / max(len(days), 1)
    bar_w = max(min(slot * 0.38, 24), 1)
    bars, labels = [], []
    every = max(1, round(len(days) / 10))  # at most ~10 date labels
    for index, (day, inbound, outbound) in enumerate(days):
        x0 = left + index * slot + (slot - 2 * bar_w) / 2
        for offset, value, css, word in ((0, inbound, "bar-in", "in"), (bar_w, outbound, "bar-out", "out")):
            h = plot_h * value / peak
            bars.append(Bar(x0 + offset, top + plot_h - h, bar_w, h, css, f"{day:%a %d %b}: {value} {word}"))
        if index % every == 0:
            labels.append(Tick(left + index * slot + slot / 2, height - 10, f"{day:%d %b}"))
    grid = [
        Tick(left - 6, top + plot_h - plot_h * fraction, str(round(peak * fraction)))
        for fraction in (0, 0.5, 1)
        if peak * fraction == int(peak * fraction)
    ]
    return {
        "width": width,
        "height": height,
        "bars": bars,
        "labels": labels,
        "grid": grid,
        "plot_left": left,
        "plot_right": width - 10,
    }


def sentiment_chart(negative: int, neutral: int, positive: int, *, width: int = 720, height: int = 36) -> dict:
    """One stacked bar: the share of negative, neutral and positive interactions."""
    total = negative + neutral + positive
    bars, x = [], 0.0
    for value, css, word in ((negative, "bar-negative", "negative"), (neutral, "bar-neutral", "neutral"),
                             (positive, "bar-positive", "positive")):  # fmt: skip
        if not total or not value:
            continue
        w = width * value / total
        share = round(100 * value / total)
        bars.append(Bar(x, 0, w, height, css, f"{word}: {value} ({share}%)"))
        x += w
    return {"width": width, "height": height, "bars": bars, "total": total}
