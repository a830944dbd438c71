"""Charts for the results page (SVG) and the emailed scorecard (PNG), laid out here and drawn by
survey.results.canvas, so pages need no JavaScript and emails need no remote images.

Plain data in, a `Chart` out: building one is cheap (its text alternative is computed from the data),
drawing happens in `svg()` / `png()`. Charts are frozen dataclasses of tuples, so identical data is an
equal, hashable chart (callers memoise the drawing) and identical data draws identical bytes, which
suits caching and ETags. Drawing keeps no shared state, so threads of one server draw at once.

Text from customers and managers (segment values, option labels, titles) is untrusted: it is cleaned of
characters XML cannot carry and of bidirectional overrides, shortened, and written as escaped XML text,
never markup ("$5 off" is just text: nothing here reads maths).

The layout is in points on a 6.4-inch-wide figure (shown 640 pixels wide), its margins computed from the
labels' measured widths. Until 2026-12 matplotlib drew these charts, at 30–130 ms each; the layout keeps
its look (spines, ticks, grid, colours, sizes) at about a millisecond a chart.
"""
from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from survey.results.canvas import MIDDLE, TOP, Canvas, text_width
from survey.wording import format_tick, format_value, plural

# Okabe–Ito: distinguishable with the common forms of colour blindness.
BLUE, ORANGE, GREEN, VERMILION, GREY, SKY = "#0072B2", "#E69F00", "#009E73", "#D55E00", "#6b7280", "#56B4E9"
INK = "#1d2330"
MARKER_STYLES = {"alert_drop": (VERMILION, "--", "drop alert"), "alert_rise": (GREEN, "--", "rise alert"),
                 "change": (BLUE, ":", "published change")}
OTHER_MARKER = (GREY, ":", "event")
MAX_LABEL = 40
MAX_TICKS = 12
MAX_ROWS = 30
WIDTH = 6.4  # inches: 640 px at 100 dpi, the width the page shows
GRID = "#e5e7eb"
# matplotlib's dash patterns, in multiples of the line's width.
DASHES = {"--": (3.7, 1.6), ":": (1, 1.65)}
TICK = 3.5  # tick marks' length, and the gap between a tick and its label
# XML 1.0 cannot carry C0 controls (bar tab/newline), surrogates or U+FFFE/U+FFFF; C1 controls are
# invisible; bidirectional overrides would reorder the text around a label (also in the alt attribute).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class TrendPoint:
    label: str
    value: float | None  # None: not enough responses that period (a gap, never zero)
    low: float | None
    high: float | None
    n: int


@dataclass(frozen=True)
class Marker:
    label: str  # the period it belongs to
    kind: str  # alert_drop | alert_rise | change
    text: str


@dataclass(frozen=True)
class Bar:
    label: str
    count: int


@dataclass(frozen=True)
class SegmentRow:
    label: str
    value: float | None  # None: hidden, too few responses
    low: float | None
    high: float | None
    n: int


def plain(text: str) -> str:
    """One line of text that is safe to draw and to put in XML or an alt attribute."""
    return _UNSAFE.sub("", " ".join(str(text).split()))


def short(text: str, limit: int = MAX_LABEL) -> str:
    text = plain(text)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _known(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def _formatted(value: float | None, percent: bool) -> str:
    # A chart draws a share (any share metric reads alike) or the NPS, written as the page's tables write them.
    return format_value(value, "top_box" if percent else "nps")


def _named(title: str) -> str:
    # The title opens the text alternative; the page shows it in full elsewhere.
    return short(title, 120)


@dataclass(frozen=True)
class Chart:
    """One chart: what it shows in words (`alt`), and how to draw it."""

    kind: str  # trend | distribution | segments
    title: str
    alt: str
    data: tuple
    options: tuple = field(default_factory=tuple)

    def svg(self, *, labelled: bool = False) -> bytes:
        """`labelled`: named by its text alternative, to be placed in a page as it is."""
        return self._canvas().svg(label=self.alt if labelled else None)

    def png(self, dpi: int = 100) -> bytes:
        return self._canvas().png(dpi)

    def _canvas(self) -> Canvas:
        return DRAW[self.kind](self.title, self.data, dict(self.options))


# --- trend ---------------------------------------------------------------------------------------------------

def trend_chart(title: str, points: Sequence[TrendPoint], markers: Sequence[Marker] = (), *, y_label: str = "",
                percent: bool = True, y_range: tuple[float, float] | None = None) -> Chart:
    """A line per period with its interval band; periods without a value are gaps. `y_range` is in the
    values' units (fractions when `percent`, e.g. (-100, 100) for NPS); by default 0–100 % or automatic."""
    points, labels = tuple(points), {p.label for p in points}
    markers = tuple(m for m in markers if m.label in labels)
    known = [p for p in points if _known(p.value)]
    if not points:
        alt = f"{_named(title)}: no responses yet."
    elif not known:
        alt = f"{_named(title)}: no period has enough responses to show."
    else:
        first, last = known[0], known[-1]
        latest = f"{_formatted(last.value, percent)} in {short(last.label)} (latest, n = {last.n})"
        if first is not last:
            latest = f"from {_formatted(first.value, percent)} in {short(first.label)} to {latest}"
        alt = f"{_named(title)}: {latest}."
        if gaps := len(points) - len(known):
            alt += f" {plural(gaps, 'period')} had too few responses."
    if markers:
        alt += " Marked: " + "; ".join(f"{short(m.text)} ({short(m.label)})" for m in markers) + "."
    return Chart("trend", title, alt, (points, markers),
                 (("y_label", y_label), ("percent", percent), ("y_range", tuple(y_range) if y_range else None)))


def _draw_trend(title: str, data, options) -> Canvas:
    points, markers = data
    percent, y_label = options["percent"], short(options["y_label"])
    canvas = Canvas(WIDTH * 72, _inches("trend", data) * 72)
    if not points:
        return _empty(canvas, title, "No responses yet")
    scale = 100 if percent else 1
    values, lows, highs = ([getattr(p, name) * scale if _known(getattr(p, name)) else None for p in points]
                           for name in ("value", "low", "high"))
    y_range = _y_range(options["y_range"], scale, [v for v in values + lows + highs if v is not None])

    # At most MAX_TICKS labels, counted back from the latest period so that one is always named.
    step = max(1, -(-len(points) // MAX_TICKS))
    ticks = list(range(len(points)))[::-1][::step][::-1]
    tick_labels = [short(points[i].label, 12) for i in ticks]
    rotate = len(points) > 6
    widest_tick = max(text_width(label, 8) for label in tick_labels)
    bottom = 7 + (widest_tick * 0.5 + 9 * 0.87 if rotate else 10)  # sin/cos 30° of the rotated labels
    top = 40 if markers else 26  # the legend's row under the title
    left = text_width("100 %" if percent else "−000.0", 10) + 7 + (16 if y_label else 0)
    plot = _Plot(canvas, *_place(canvas, title, left=left, bottom=bottom, top=top), (-0.5, len(points) - 0.5),
                 y_range)

    y_ticks = _ticks(*y_range, most=6)
    plot.grid(y_ticks, across=False)
    _draw_series(plot, values, lows, highs)
    _draw_markers(plot, markers, {p.label: i for i, p in enumerate(points)})

    plot.left_axis(y_ticks, [format_tick(value, percent) for value in y_ticks], 10)
    plot.bottom_axis(ticks, tick_labels, 8, rotate=rotate)
    if y_label := _fitted(y_label, 10, canvas.height - top - bottom):
        canvas.text(8 + TOP * 10, (plot.top + plot.bottom) / 2, y_label, 10, INK, anchor="middle", rotate=90)
    return canvas


def _draw_series(plot: _Plot, values: list, lows: list, highs: list) -> None:
    """The interval band, the line through the periods' values (broken at gaps) and their dots."""
    canvas, count = plot.canvas, len(values)
    for run in _runs([i for i in range(count) if lows[i] is not None and highs[i] is not None]):
        if len(run) > 1:
            canvas.polygon([(plot.x(i), plot.y(highs[i])) for i in run]
                           + [(plot.x(i), plot.y(lows[i])) for i in reversed(run)], SKY, 0.35)
    # A period between two gaps has no line to it and no band width: give it a dot and a whisker.
    known = [i for i in range(count) if values[i] is not None]
    alone = [i for i in known if not any(j in known for j in (i - 1, i + 1))]
    for i in alone:
        if lows[i] is not None and highs[i] is not None:
            canvas.line([(plot.x(i), plot.y(lows[i])), (plot.x(i), plot.y(highs[i]))], SKY, 3)
    for run in _runs(known):
        if len(run) > 1:
            canvas.line([(plot.x(i), plot.y(values[i])) for i in run], BLUE, 2)
    for i in known if count <= 60 else alone:  # dots on every period only while they stay apart
        canvas.circle(plot.x(i), plot.y(values[i]), 2.5, BLUE)
    if not known:
        canvas.text((plot.left + plot.right) / 2, (plot.top + plot.bottom) / 2 + MIDDLE * 11,
                    "Too few responses in every period", 11, GREY, anchor="middle")


def _y_range(asked: tuple[float, float] | None, scale: int, drawn: list[float]) -> tuple[float, float]:
    """The asked range (in the values' units); otherwise 0–100 % for shares, and for scores the data with a
    margin (the NPS's whole scale when there is none)."""
    if asked:
        return asked[0] * scale, asked[1] * scale
    if scale == 100:
        return 0, 100
    if not drawn:
        return -100, 100
    low, high = min(drawn), max(drawn)
    pad = (high - low) * 0.05 or 1
    return low - pad, high + pad


def _runs(indexes: list[int]) -> list[list[int]]:
    """Consecutive indexes, in runs: a line or band is broken where a period has no value."""
    runs: list[list[int]] = []
    for i in indexes:
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


def _draw_markers(plot: _Plot, markers: Sequence[Marker], position: dict[str, int]) -> None:
    shown: list[tuple[str, str, str]] = []
    for marker in markers:
        colour, style, name = MARKER_STYLES.get(marker.kind, OTHER_MARKER)
        x = plot.x(position[marker.label])
        plot.canvas.line([(x, plot.top), (x, plot.bottom)], colour, 1.5, _dash(style, 1.5))
        if (colour, style, name) not in shown:
            shown.append((colour, style, name))
    # The legend: a row of its own between the title and the plot, so it never hides the line.
    x, baseline = plot.left, plot.top - 5
    for colour, style, name in shown:
        plot.canvas.line([(x, baseline - 2.5), (x + 20, baseline - 2.5)], colour, 1.5, _dash(style, 1.5))
        plot.canvas.text(x + 26, baseline, name, 8, INK)
        x += 26 + text_width(name, 8) + 16


def _dash(style: str, width: float) -> tuple[float, ...]:
    return tuple(length * width for length in DASHES[style])


# --- distribution --------------------------------------------------------------------------------------------

def distribution_chart(title: str, bars: Sequence[Bar], *, highlight_last: int = 0) -> Chart:
    """Horizontal bars in the order given (worst first for scales) with count and share written on them;
    the last `highlight_last` bars (the top boxes) in a stronger colour."""
    bars = tuple(bars)
    total = sum(b.count for b in bars)
    if not total:
        alt = f"{_named(title)}: no answers yet."
    else:
        parts = [f"{short(b.label)} {b.count} ({b.count / total:.0%})" for b in bars[:MAX_ROWS]]
        alt = f"{_named(title)} ({plural(total, 'answer')}): " + ", ".join(parts) + "."
        if len(bars) > MAX_ROWS:
            alt += f" And {len(bars) - MAX_ROWS} more in the table."
    return Chart("distribution", title, alt, bars, (("highlight_last", highlight_last),))


def _draw_distribution(title: str, bars, options) -> Canvas:
    total = sum(b.count for b in bars)  # shares of all answers, also when only the first MAX_ROWS are drawn
    canvas = Canvas(WIDTH * 72, _inches("distribution", bars) * 72)
    more, bars = max(0, len(bars) - MAX_ROWS), bars[:MAX_ROWS]
    if not total:
        return _empty(canvas, title, "No answers yet")
    labels, left = _row_labels([short(b.label, 28) for b in bars])
    notes = [f"{b.count:,} ({b.count / total:.0%})" for b in bars]
    widest = max(max(b.count for b in bars), 1)
    # Room to the right of the longest bar for its note: the axes end where the widest note ends.
    plot_width = WIDTH * 72 - left - 10
    room = max(text_width(note, 8) for note in notes) + 6
    x_range = (0, widest * plot_width / max(plot_width - room, plot_width / 3))
    plot = _Plot(canvas, *_place(canvas, title, left=left, bottom=6 + (14 if more else 0)), x_range,
                 (-0.6, len(bars) - 0.4))
    rows = range(len(bars))[::-1]  # the first bar on top
    highlight = options["highlight_last"]
    for i, (row, bar, note) in enumerate(zip(rows, bars, notes, strict=True)):
        top, bottom, end = plot.y(row + 0.35), plot.y(row - 0.35), plot.x(max(bar.count, 0))
        canvas.rect(plot.left, top, end - plot.left, bottom - top, BLUE if i >= len(bars) - highlight else SKY)
        canvas.text(plot.x(max(bar.count, 0) + widest * 0.01), plot.y(row) + MIDDLE * 8, note, 8, INK)
    plot.left_axis(rows, labels, 9)
    _more(canvas, more, "answer")
    return canvas


# --- segments ------------------------------------------------------------------------------------------------

def segment_chart(title: str, rows: Sequence[SegmentRow], *, min_n: int, percent: bool = True) -> Chart:
    """A dot with its interval per segment value, in the order given; groups with fewer than `min_n`
    responses (value None) are named but not drawn."""
    rows = tuple(rows)
    shown = [r for r in rows if _known(r.value)]
    hidden = len(rows) - len(shown)
    if not shown:
        alt = f"{_named(title)}: no group has {min_n} or more responses."
    else:
        parts = [f"{short(r.label)} {_formatted(r.value, percent)} (n = {r.n})" for r in shown[:MAX_ROWS]]
        alt = f"{_named(title)}: " + ", ".join(parts) + "."
        if len(shown) > MAX_ROWS:
            alt += f" And {len(shown) - MAX_ROWS} more in the table."
    if hidden:
        alt += f" {plural(hidden, 'group')} {'has' if hidden == 1 else 'have'} fewer than {min_n} responses."
    return Chart("segments", title, alt, rows, (("min_n", min_n), ("percent", percent)))


def _draw_segments(title: str, rows, options) -> Canvas:
    canvas = Canvas(WIDTH * 72, _inches("segments", rows) * 72)
    more, rows = max(0, len(rows) - MAX_ROWS), rows[:MAX_ROWS]
    if not rows:
        return _empty(canvas, title, "No groups yet")
    percent = options["percent"]
    scale = 100 if percent else 1
    x_range = _zoomed([r for r in rows if _known(r.value)], scale, percent)
    labels, left = _row_labels([f"{short(r.label, 24)} (n = {r.n:,})" for r in rows])
    plot = _Plot(canvas, *_place(canvas, title, left=left, bottom=24 + (14 if more else 0)), x_range,
                 (-0.6, len(rows) - 0.4))
    x_ticks = _ticks(*x_range, most=8)
    plot.grid(x_ticks, across=True)
    positions = list(range(len(rows))[::-1])  # the first row on top
    for y, row in zip(positions, rows, strict=True):
        if not _known(row.value):
            canvas.text(plot.x(x_range[0] + (x_range[1] - x_range[0]) * 0.01), plot.y(y) + MIDDLE * 8,
                        f"fewer than {options['min_n']} responses", 8, GREY, italic=True)
        elif _known(row.low) and _known(row.high):
            canvas.line([(plot.x(row.low * scale), plot.y(y)), (plot.x(row.high * scale), plot.y(y))], SKY, 3)
    for y, row in zip(positions, rows, strict=True):
        if _known(row.value):
            canvas.circle(plot.x(row.value * scale), plot.y(y), 3.5, BLUE)
    plot.left_axis(positions, labels, 9)
    plot.bottom_axis(x_ticks, [format_tick(value, percent) for value in x_ticks], 9)
    _more(canvas, more, "group")
    return canvas


def _zoomed(rows, scale: int, percent: bool) -> tuple[float, float]:
    """An x range around the intervals (a dot plot needs no zero baseline), within the metric's bounds."""
    bounds = (0, 100) if percent else (-100, 100)
    ends = [edge * scale for r in rows for edge in (r.low, r.high, r.value) if _known(edge)]
    if not ends:
        return bounds
    low, high = min(ends), max(ends)
    pad = max((high - low) * 0.15, 5)
    return max(bounds[0], low - pad), min(bounds[1], high + pad)


# --- priority ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PriorityPoint:
    label: str
    importance: float  # LMG, in R² units (0–1)
    low: float | None  # its bootstrap interval
    high: float | None
    score: float  # the share at the top of the scale (0–1)


def priority_chart(title: str, points: Sequence[PriorityPoint], *, x_split: float, y_split: float) -> Chart:
    """Key drivers: each attribute's importance (x, with its interval) against its score today (y), the plane
    cut at an equal share of R² and at the attributes' mean score; "fix first" is important and low (bottom
    right)."""
    points = tuple(points)
    fix = [p for p in points if p.importance > x_split and p.score < y_split]
    parts = [f"{short(p.label)} importance {p.importance:.1%} of variance, top box {p.score:.0%}"
             for p in points[:MAX_ROWS]]
    alt = f"{_named(title)}: " + "; ".join(parts) + ". "
    alt += ("Fix first (more important than average, scored below average): "
            + ", ".join(short(p.label) for p in fix) + ".") if fix else "No attribute is both important and low."
    return Chart("priority", title, alt, points, (("x_split", x_split), ("y_split", y_split)))


def _draw_priority(title: str, points, options) -> Canvas:
    canvas = Canvas(WIDTH * 72, 4.4 * 72)
    if not points:
        return _empty(canvas, title, "No attributes")
    x_split, y_split = options["x_split"] * 100, options["y_split"] * 100
    widest = max([p.high or p.importance for p in points] + [options["x_split"]]) * 100
    x_range = (0.0, max(widest * 1.15, 1.0))
    y_values = [p.score * 100 for p in points]
    y_range = (max(0.0, min(y_values) - 15) // 10 * 10, min(100.0, -(-(max(y_values) + 10) // 10) * 10))
    left = text_width("100 %", 10) + 7 + 16
    plot = _Plot(canvas, *_place(canvas, title, left=left, bottom=40), x_range, y_range)
    x_ticks, y_ticks = _ticks(*x_range, most=8), _ticks(*y_range, most=6)
    # The quadrant: important (right of an equal share) and low (below the mean score) is "fix first".
    canvas.rect(plot.x(x_split), plot.y(y_split), plot.right - plot.x(x_split), plot.bottom - plot.y(y_split),
                "#fbe9dd")
    plot.grid(x_ticks, across=True)
    plot.grid(y_ticks, across=False)
    for line in ([(plot.x(x_split), plot.top), (plot.x(x_split), plot.bottom)],
                 [(plot.left, plot.y(y_split)), (plot.right, plot.y(y_split))]):
        canvas.line(line, GREY, 1, _dash("--", 1))
    canvas.text(plot.right - 4, plot.bottom - 5, "fix first", 9, VERMILION, anchor="end", italic=True)
    for point in points:
        y = plot.y(point.score * 100)
        if _known(point.low) and _known(point.high):
            canvas.line([(plot.x(point.low * 100), y), (plot.x(point.high * 100), y)], SKY, 3)
    for point in points:
        x, y = plot.x(point.importance * 100), plot.y(point.score * 100)
        important_and_low = point.importance * 100 > x_split and point.score * 100 < y_split
        canvas.circle(x, y, 4, VERMILION if important_and_low else BLUE)
        label = short(point.label, 30)
        if x + 6 + text_width(label, 8) > plot.right:
            canvas.text(x - 6, y - 5, label, 8, INK, anchor="end")
        else:
            canvas.text(x + 6, y - 5, label, 8, INK)
    plot.left_axis(y_ticks, [format_tick(value, True) for value in y_ticks], 10)
    plot.bottom_axis(x_ticks, [format_tick(value, False) + " %" for value in x_ticks], 9)
    canvas.text((plot.left + plot.right) / 2, canvas.height - 8, "Importance: share of the overall rating's variance "
                "it explains", 9, INK, anchor="middle")
    canvas.text(8 + TOP * 10, (plot.top + plot.bottom) / 2, "Top-box share today", 10, INK, anchor="middle",
                rotate=90)
    return canvas


# --- shared drawing ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Plot:
    """The plotting area of a canvas (its edges in points) and the data ranges it shows; values outside
    the ranges are drawn at their edge."""

    canvas: Canvas
    left: float
    top: float
    right: float
    bottom: float
    x_range: tuple[float, float]
    y_range: tuple[float, float]

    def x(self, value: float) -> float:
        low, high = self.x_range
        return self.left + (min(max(value, low), high) - low) / (high - low) * (self.right - self.left)

    def y(self, value: float) -> float:
        low, high = self.y_range
        return self.bottom - (min(max(value, low), high) - low) / (high - low) * (self.bottom - self.top)

    def grid(self, ticks: Sequence[float], *, across: bool) -> None:
        """Light lines at the ticks: vertical when `across` (values along x), else horizontal."""
        for tick in ticks:
            if across:
                self.canvas.line([(self.x(tick), self.top), (self.x(tick), self.bottom)], GRID, 0.8)
            else:
                self.canvas.line([(self.left, self.y(tick)), (self.right, self.y(tick))], GRID, 0.8)

    def left_axis(self, ticks: Sequence[float], labels: Sequence[str], size: float) -> None:
        self.canvas.line([(self.left, self.top), (self.left, self.bottom)], GREY, 0.8)
        for tick, label in zip(ticks, labels, strict=True):
            y = self.y(tick)
            self.canvas.line([(self.left - TICK, y), (self.left, y)], INK, 0.8)
            self.canvas.text(self.left - 2 * TICK, y + MIDDLE * size, label, size, INK, anchor="end")

    def bottom_axis(self, ticks: Sequence[float], labels: Sequence[str], size: float, *, rotate: bool = False) -> None:
        self.canvas.line([(self.left, self.bottom), (self.right, self.bottom)], GREY, 0.8)
        top = self.bottom + 2 * TICK
        for tick, label in zip(ticks, labels, strict=True):
            x = self.x(tick)
            self.canvas.line([(x, self.bottom), (x, self.bottom + TICK)], INK, 0.8)
            if rotate:  # turned 30° about its end, so that the top of its last letter meets the tick
                self.canvas.text(x + TOP * size * 0.5, top + TOP * size * 0.87, label, size, INK, anchor="end",
                                 rotate=30)
            else:
                self.canvas.text(x, top + TOP * size, label, size, INK, anchor="middle")


def _ticks(low: float, high: float, *, most: int) -> list[float]:
    """Round values from `low` to `high`, a step of 1, 2, 2.5 or 5 times a power of ten apart, about
    `most` of them at most."""
    raw = (high - low) / most
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw * (1 - 1e-9))
    first, last = math.ceil(low / step - 1e-9), math.floor(high / step + 1e-9)
    return [round(k * step, 9) for k in range(first, last + 1)]


def _inches(kind: str, data) -> float:
    """A chart's height: fixed for a trend; for horizontal charts a frame plus a third of an inch per row
    drawn (at most MAX_ROWS, and a line saying how many more), the segments' also an axis."""
    if kind == "trend":
        return 3.0
    rows, more = min(len(data), MAX_ROWS), max(0, len(data) - MAX_ROWS)
    return 0.45 + (0.35 if kind == "segments" else 0.1) + (0.2 if more else 0) + 0.32 * max(rows, 2)


def _fitted(text: str, size: float, room: float) -> str:
    """`text`, shortened further if wide letters would still overflow `room` points."""
    while len(text) > 2 and text_width(text, size) > room:
        text = text[:max(1, len(text) * 4 // 5 - 1)].rstrip("…") + "…"
    return text


def _row_labels(labels: list[str]) -> tuple[list[str], float]:
    """The rows' labels of a horizontal chart, fitted to two fifths of the width, and the left margin
    (points) they need."""
    room = WIDTH * 72 * 0.4 - 13
    labels = [_fitted(label, 9, room) for label in labels]
    return labels, 13 + max(text_width(label, 9) for label in labels)


def _more(canvas: Canvas, more: int, word: str) -> None:
    if more:
        canvas.text(canvas.width * 0.01, canvas.height * 0.99, f"… and {more} more {word}s in the table", 8, GREY)


def _place(canvas: Canvas, title: str, *, left: float, bottom: float, top: float = 26,
           right: float = 12) -> tuple[float, float, float, float]:
    """Title the canvas from its left edge (the row labels take the plot's left), and return the plot's
    edges (left, top, right, bottom) for margins given in points."""
    canvas.text(8, 6 + TOP * 11, _fitted(short(title, 80), 11, canvas.width - 16), 11, INK)
    return (min(left + 4, canvas.width * 0.45), top, canvas.width - right,
            canvas.height - min(bottom + 4, canvas.height * 0.4))


def _empty(canvas: Canvas, title: str, message: str) -> Canvas:
    left, top, right, bottom = _place(canvas, title, left=12, bottom=6)
    canvas.text((left + right) / 2, (top + bottom) / 2 + MIDDLE * 12, message, 12, GREY, anchor="middle")
    return canvas


DRAW = {"trend": _draw_trend, "distribution": _draw_distribution, "segments": _draw_segments,
        "priority": _draw_priority}
