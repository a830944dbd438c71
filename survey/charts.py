"""Charts for the results page (SVG) and the emailed scorecard (PNG), drawn on the server with matplotlib
so pages need no JavaScript and emails need no remote images.

Plain data in, a `Chart` out: building one is cheap (its text alternative is computed from the data),
drawing happens in `svg()` / `png()`. Charts are frozen dataclasses of tuples, so identical data is an
equal, hashable chart — callers memoise the drawing — and identical data draws identical bytes (fixed SVG
hash salt, no dates in metadata), which suits caching and ETags. Drawing uses `Figure` directly (no
pyplot global state) under a lock, which is safe in threaded servers.

Text from customers and managers (segment values, option labels, titles) is untrusted: it is cleaned of
characters XML cannot carry and of bidirectional overrides, shortened, and kept literal — mathtext is off,
so "$5 off" is not parsed as TeX — and matplotlib writes it as escaped XML text, never markup.

Margins are computed from measured label widths rather than by constrained layout, which draws every
figure twice and costs about 40 % of the render time.
"""
from __future__ import annotations

import io
import math
import re
import threading
from collections.abc import Sequence
from dataclasses import astuple, dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from survey.wording import plural

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

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
STYLE = {"svg.fonttype": "none", "svg.hashsalt": "hearken", "text.parse_math": False, "text.usetex": False,
         "font.size": 10, "axes.edgecolor": GREY, "axes.labelcolor": INK, "xtick.color": INK,
         "ytick.color": INK, "axes.spines.top": False, "axes.spines.right": False}
_DRAWING = threading.Lock()
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


def _formatted(value: float, percent: bool) -> str:
    return f"{value * 100:.0f} %" if percent else f"{value:+.0f}"


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

    @property
    def height(self) -> int:
        """Pixels high when shown 640 wide, as the results page shows it: the img tag's height, so the page
        does not move as its charts arrive."""
        return round(640 * _inches(self.kind, self.data) / WIDTH)

    def svg(self) -> bytes:
        return self._render("svg", metadata={"Date": None})

    def png(self, dpi: int = 100) -> bytes:
        return self._render("png", dpi=dpi, metadata={"Software": None})

    def _render(self, fmt: str, **savefig) -> bytes:
        # Imported here: matplotlib is about 60 MB that processes which never draw (the dispatcher, exports,
        # most CLI commands) should not carry. rc_context swaps matplotlib's global settings for the
        # duration: one drawing at a time per process, so threads of one server never see each other's.
        import matplotlib

        with _DRAWING, matplotlib.rc_context(STYLE):
            figure = DRAW[self.kind](self.title, self.data, dict(self.options))
            buffer = io.BytesIO()
            figure.savefig(buffer, format=fmt, **savefig)
        return buffer.getvalue()


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


def _draw_trend(title: str, data, options) -> Figure:
    points, markers = data
    percent, y_label = options["percent"], short(options["y_label"])
    figure = _figure(_inches("trend", data))
    axes = figure.add_subplot()
    if not points:
        return _empty(figure, axes, title, "No responses yet")
    scale = 100 if percent else 1
    xs = list(range(len(points)))
    values, lows, highs = ([getattr(p, name) * scale if _known(getattr(p, name)) else math.nan for p in points]
                           for name in ("value", "low", "high"))
    axes.fill_between(xs, lows, highs, color=SKY, alpha=0.35, linewidth=0)
    # A period between two gaps has no line to it and no band width: give it a dot and a whisker.
    alone = [i for i in xs if _known(values[i])
             and not any(_known(values[j]) for j in (i - 1, i + 1) if 0 <= j < len(xs))]
    axes.vlines(alone, [lows[i] for i in alone], [highs[i] for i in alone], color=SKY, linewidth=3)
    axes.plot(xs, values, color=BLUE, linewidth=2, marker="o", markersize=4,
              markevery=None if len(points) <= 60 else alone)  # dots on every period only while they stay apart
    if not any(_known(v) for v in values):
        axes.text(0.5, 0.5, "Too few responses in every period", ha="center", va="center", fontsize=11,
                  color=GREY, transform=axes.transAxes)
    _draw_markers(axes, markers, {p.label: i for i, p in enumerate(points)})

    # At most MAX_TICKS labels, counted back from the latest period so that one is always named.
    step = max(1, -(-len(points) // MAX_TICKS))
    ticks = xs[::-1][::step][::-1]
    tick_labels = [short(points[i].label, 12) for i in ticks]
    rotate = len(points) > 6
    axes.set_xticks(ticks, tick_labels, fontsize=8, rotation=30 if rotate else 0, ha="right" if rotate else "center")
    axes.set_xlim(-0.5, len(points) - 0.5)
    low, high = options["y_range"] or ((0, 1) if percent else (None, None))
    axes.set_ylim(None if low is None else low * scale, None if high is None else high * scale)
    if percent:
        axes.yaxis.set_major_formatter(lambda value, _: f"{value:.0f} %")
    axes.grid(axis="y", color="#e5e7eb", linewidth=0.8)

    widest_tick = max(_width(label, 8) for label in tick_labels)
    bottom = 7 + (widest_tick * 0.5 + 9 * 0.87 if rotate else 10)  # sin/cos 30° of the rotated labels
    top = 40 if markers else 26  # the legend's row under the title
    axes.set_ylabel(_fitted(y_label, 10, 3.0 * 72 - top - bottom))
    left = _width("100 %" if percent else "−000.0", 10) + 7 + (16 if y_label else 0)
    _place(figure, title, left=left, bottom=bottom, top=top)
    return figure


def _draw_markers(axes: Axes, markers: Sequence[Marker], position: dict[str, int]) -> None:
    shown: set[str] = set()
    for marker in markers:
        colour, style, name = MARKER_STYLES.get(marker.kind, OTHER_MARKER)
        axes.axvline(position[marker.label], color=colour, linestyle=style, linewidth=1.5,
                     label=None if name in shown else name)
        shown.add(name)
    if markers:  # a row of its own between the title and the plot, so it never hides the line
        axes.legend(loc="lower left", bbox_to_anchor=(0, 1), borderaxespad=0.1, fontsize=8, frameon=False,
                    ncols=4, handlelength=2.5)


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


def _draw_distribution(title: str, bars, options) -> Figure:
    total = sum(b.count for b in bars)  # shares of all answers, also when only the first MAX_ROWS are drawn
    figure = _figure(_inches("distribution", bars))
    more, bars = max(0, len(bars) - MAX_ROWS), bars[:MAX_ROWS]
    axes = figure.add_subplot()
    if not total:
        return _empty(figure, axes, title, "No answers yet")
    rows = range(len(bars))[::-1]  # the first bar on top
    highlight = options["highlight_last"]
    colours = [BLUE if i >= len(bars) - highlight else SKY for i in range(len(bars))]
    axes.barh(list(rows), [max(b.count, 0) for b in bars], color=colours, height=0.7)
    left = _row_labels(axes, rows, [short(b.label, 28) for b in bars])
    notes = [f"{b.count:,} ({b.count / total:.0%})" for b in bars]
    widest = max(max(b.count for b in bars), 1)
    for row, bar, note in zip(rows, bars, notes, strict=True):
        axes.text(max(bar.count, 0) + widest * 0.01, row, note, va="center", fontsize=8, color=INK)
    # Room to the right of the longest bar for its note: the axes end where the widest note ends.
    plot_width = WIDTH * 72 - left - 10
    room = max(_width(note, 8) for note in notes) + 6
    axes.set_xlim(0, widest * plot_width / max(plot_width - room, plot_width / 3))
    axes.set_ylim(-0.6, len(bars) - 0.4)
    axes.xaxis.set_visible(False)
    axes.spines["bottom"].set_visible(False)
    _more(figure, more, "answer")
    _place(figure, title, left=left, bottom=6 + (14 if more else 0))
    return figure


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


def _draw_segments(title: str, rows, options) -> Figure:
    figure = _figure(_inches("segments", rows))
    more, rows = max(0, len(rows) - MAX_ROWS), rows[:MAX_ROWS]
    axes = figure.add_subplot()
    if not rows:
        return _empty(figure, axes, title, "No groups yet")
    scale = 100 if options["percent"] else 1
    shown = [r for r in rows if _known(r.value)]
    low_limit, high_limit = _zoomed(shown, scale, options["percent"])
    positions = list(range(len(rows))[::-1])  # the first row on top
    whiskers = [(y, r) for y, r in zip(positions, rows, strict=True)
                if _known(r.value) and _known(r.low) and _known(r.high)]
    axes.hlines([y for y, _ in whiskers], [r.low * scale for _, r in whiskers], [r.high * scale for _, r in whiskers],
                color=SKY, linewidth=3)
    dots = [(y, r.value * scale) for y, r in zip(positions, rows, strict=True) if _known(r.value)]
    axes.plot([x for _, x in dots], [y for y, _ in dots], "o", color=BLUE, markersize=6)
    for y, row in zip(positions, rows, strict=True):
        if not _known(row.value):
            axes.text(low_limit + (high_limit - low_limit) * 0.01, y, f"fewer than {options['min_n']} responses",
                      va="center", fontsize=8, color=GREY, style="italic")
    left = _row_labels(axes, positions, [f"{short(r.label, 24)} (n = {r.n:,})" for r in rows])
    axes.set_ylim(-0.6, len(rows) - 0.4)
    axes.set_xlim(low_limit, high_limit)
    axes.tick_params(axis="x", labelsize=9)
    if options["percent"]:
        axes.xaxis.set_major_formatter(lambda value, _: f"{value:.0f} %")
    axes.grid(axis="x", color="#e5e7eb", linewidth=0.8)
    _more(figure, more, "group")
    _place(figure, title, left=left, bottom=24 + (14 if more else 0))
    return figure


def _zoomed(rows, scale: int, percent: bool) -> tuple[float, float]:
    """An x range around the intervals (a dot plot needs no zero baseline), within the metric's bounds."""
    bounds = (0, 100) if percent else (-100, 100)
    ends = [edge * scale for r in rows for edge in (r.low, r.high, r.value) if _known(edge)]
    if not ends:
        return bounds
    low, high = min(ends), max(ends)
    pad = max((high - low) * 0.15, 5)
    return max(bounds[0], low - pad), min(bounds[1], high + pad)


# --- shared drawing ------------------------------------------------------------------------------------------

def _figure(height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(WIDTH, height), dpi=100)


def _inches(kind: str, data) -> float:
    """A chart's height: fixed for a trend; for horizontal charts a frame plus a third of an inch per row
    drawn (at most MAX_ROWS, and a line saying how many more), the segments' also an axis."""
    if kind == "trend":
        return 3.0
    rows, more = min(len(data), MAX_ROWS), max(0, len(data) - MAX_ROWS)
    return 0.45 + (0.35 if kind == "segments" else 0.1) + (0.2 if more else 0) + 0.32 * max(rows, 2)


@lru_cache(maxsize=4096)
def _width(text: str, size: float) -> float:
    """The drawn width of `text` in points, from the font's metrics (no figure drawing needed). Memoised:
    the same labels ("100 %", the options, the periods) are measured for chart after chart, and laying a
    string out in FreeType was the largest single cost of drawing one."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path

    return text_to_path.get_text_width_height_descent(text, FontProperties(size=size), ismath=False)[0]


def _fitted(text: str, size: float, room: float) -> str:
    """`text`, shortened further if wide letters would still overflow `room` points."""
    while len(text) > 2 and _width(text, size) > room:
        text = text[:max(1, len(text) * 4 // 5 - 1)].rstrip("…") + "…"
    return text


def _row_labels(axes: Axes, positions, labels: list[str]) -> float:
    """Label the rows of a horizontal chart; returns the left margin (points) the labels need, at most
    two fifths of the width."""
    room = WIDTH * 72 * 0.4 - 13
    labels = [_fitted(label, 9, room) for label in labels]
    axes.set_yticks(list(positions), labels, fontsize=9)
    return 13 + max(_width(label, 9) for label in labels)


def _more(figure: Figure, more: int, word: str) -> None:
    if more:
        figure.text(0.01, 0.01, f"… and {more} more {word}s in the table", fontsize=8, color=GREY)


def _place(figure: Figure, title: str, *, left: float, bottom: float, top: float = 26,
           right: float = 12) -> None:
    """Title the figure from its left edge (the row labels take the axes' left), and fix the axes'
    margins, given in points, as fractions of the figure."""
    width, height = (size * 72 for size in figure.get_size_inches())
    figure.text(8 / width, 1 - 6 / height, _fitted(short(title, 80), 11, width - 16), ha="left", va="top",
                fontsize=11, color=INK)
    figure.subplots_adjust(left=min(left + 4, width * 0.45) / width, right=1 - right / width,
                           bottom=min(bottom + 4, height * 0.4) / height, top=1 - top / height)


def _empty(figure: Figure, axes: Axes, title: str, message: str) -> Figure:
    axes.set_axis_off()
    axes.text(0.5, 0.5, message, ha="center", va="center", fontsize=12, color=GREY, transform=axes.transAxes)
    _place(figure, title, left=12, bottom=6)
    return figure


DRAW = {"trend": _draw_trend, "distribution": _draw_distribution, "segments": _draw_segments}


# --- a chart as plain data -----------------------------------------------------------------------------------

# Per kind: its data as JSON-ready lists, and back.
_PLAIN = {
    "trend": (lambda data: [[astuple(p) for p in data[0]], [astuple(m) for m in data[1]]],
              lambda plain: (tuple(TrendPoint(*p) for p in plain[0]), tuple(Marker(*m) for m in plain[1]))),
    "distribution": (lambda data: [astuple(b) for b in data], lambda plain: tuple(Bar(*b) for b in plain)),
    "segments": (lambda data: [astuple(r) for r in data], lambda plain: tuple(SegmentRow(*r) for r in plain)),
}


def drawing_of(chart: Chart) -> list:
    """What drawing `chart` takes, as JSON-ready lists (kind, title, data, options): the text alternative is
    left out, the page carries it. `chart_from_drawing` turns it back into an equal chart but for `alt`."""
    return [chart.kind, chart.title, _PLAIN[chart.kind][0](chart.data), [list(option) for option in chart.options]]


def chart_from_drawing(drawing: list) -> Chart:
    kind, title, data, options = drawing
    return Chart(kind, title, "", _PLAIN[kind][1](data),
                 tuple((name, tuple(value) if isinstance(value, list) else value) for name, value in options))
