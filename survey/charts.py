"""Charts for the results page (SVG) and the emailed scorecard (PNG), drawn on the server with matplotlib
so pages need no JavaScript and emails need no remote images.

Plain data in, a `Chart` out: building one is cheap (its text alternative is computed from the data),
drawing happens in `svg()` / `png()`. Charts are frozen dataclasses of tuples, so identical data is an
equal, hashable chart — callers memoise the drawing — and drawing uses `Figure` directly (no pyplot
global state) under a lock, which is safe in threaded servers. Text from customers and managers (segment values,
option labels) is shortened and kept literal: mathtext is off, so "$5 off" is not parsed as TeX, and
matplotlib escapes it as XML text in the SVG.
"""
from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# Okabe–Ito: distinguishable with the common forms of colour blindness.
BLUE, ORANGE, GREEN, VERMILION, GREY, SKY = "#0072B2", "#E69F00", "#009E73", "#D55E00", "#6b7280", "#56B4E9"
INK = "#1d2330"
MARKER_STYLES = {"alert_drop": (VERMILION, "--", "drop alert"), "alert_rise": (GREEN, "--", "rise alert"),
                 "change": (BLUE, ":", "published change")}
_DRAWING = threading.Lock()
MAX_LABEL = 40
MAX_TICKS = 12
MAX_ROWS = 30
STYLE = {"svg.fonttype": "none", "svg.hashsalt": "hearken", "text.parse_math": False, "font.size": 10,
         "axes.edgecolor": GREY, "axes.labelcolor": INK, "xtick.color": INK, "ytick.color": INK,
         "axes.spines.top": False, "axes.spines.right": False}


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


def short(text: str, limit: int = MAX_LABEL) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _formatted(value: float, percent: bool) -> str:
    return f"{value * 100:.0f} %" if percent else f"{value:+.0f}"


@dataclass(frozen=True)
class Chart:
    """One chart: what it shows in words (`alt`), and how to draw it."""

    kind: str  # trend | distribution | segments
    title: str
    alt: str
    data: tuple
    options: tuple = field(default_factory=tuple)

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
    """A line per period with its interval band; periods without a value are gaps."""
    points, labels = tuple(points), {p.label for p in points}
    markers = tuple(m for m in markers if m.label in labels)
    known = [p for p in points if p.value is not None]
    if not known:
        alt = f"{title}: no period has enough responses to show."
    else:
        first, last = known[0], known[-1]
        alt = (f"{title}: from {_formatted(first.value, percent)} in {short(first.label)} to "
               f"{_formatted(last.value, percent)} in {short(last.label)} (latest, n = {last.n}).")
        if gaps := len(points) - len(known):
            alt += f" {gaps} period{'s' if gaps != 1 else ''} had no value."
    if markers:
        alt += " Marked: " + "; ".join(f"{short(m.text)} ({short(m.label)})" for m in markers) + "."
    return Chart("trend", title, alt, (points, markers),
                 (("y_label", y_label), ("percent", percent), ("y_range", y_range)))


def _draw_trend(title: str, data, options) -> Figure:
    points, markers = data
    figure = _figure(6.4, 3.0)
    axes = figure.add_subplot()
    axes.set_title(short(title, 80), loc="left", fontsize=11, color=INK)
    percent = options["percent"]
    scale = 100 if percent else 1
    if not points:
        return _empty(figure, axes)
    xs = range(len(points))
    values = [p.value * scale if p.value is not None else float("nan") for p in points]
    lows = [p.low * scale if p.low is not None else float("nan") for p in points]
    highs = [p.high * scale if p.high is not None else float("nan") for p in points]
    axes.fill_between(xs, lows, highs, color=SKY, alpha=0.35, linewidth=0, label="95 % interval")
    axes.plot(xs, values, color=BLUE, marker="o" if len(points) <= 60 else None, markersize=4, linewidth=2)
    position = {p.label: i for i, p in enumerate(points)}
    shown: set[str] = set()
    for marker in markers:
        colour, style, name = MARKER_STYLES.get(marker.kind, (GREY, ":", marker.kind))
        axes.axvline(position[marker.label], color=colour, linestyle=style, linewidth=1.5,
                     label=None if name in shown else name)
        shown.add(name)
    step = max(1, -(-len(points) // MAX_TICKS))
    axes.set_xticks(list(xs)[::step], [short(p.label, 12) for p in points][::step], fontsize=8,
                    rotation=30 if len(points) > 6 else 0, ha="right" if len(points) > 6 else "center")
    axes.set_xlim(-0.5, len(points) - 0.5)
    low, high = options["y_range"] or ((0, 100) if percent else (None, None))
    axes.set_ylim(low, high)
    if percent:
        axes.yaxis.set_major_formatter(lambda value, _: f"{value:.0f} %")
    axes.set_ylabel(short(options["y_label"]))
    axes.grid(axis="y", color="#e5e7eb", linewidth=0.8)
    if markers:
        axes.legend(loc="lower left", fontsize=8, frameon=False, ncols=4)
    return figure


# --- distribution --------------------------------------------------------------------------------------------

def distribution_chart(title: str, bars: Sequence[Bar], *, highlight_last: int = 0) -> Chart:
    """Horizontal bars in the order given (worst first for scales) with count and share written on them."""
    bars = tuple(bars)
    total = sum(b.count for b in bars)
    if not total:
        alt = f"{title}: no answers yet."
    else:
        parts = [f"{short(b.label)} {b.count} ({b.count / total:.0%})" for b in bars[:MAX_ROWS]]
        alt = f"{title} ({total} answers): " + ", ".join(parts) + "."
    return Chart("distribution", title, alt, bars, (("highlight_last", highlight_last),))


def _draw_distribution(title: str, bars, options) -> Figure:
    bars = bars[:MAX_ROWS]
    figure = _figure(6.4, 0.9 + 0.32 * max(len(bars), 2))
    axes = figure.add_subplot()
    axes.set_title(short(title, 80), loc="left", fontsize=11, color=INK)
    total = sum(b.count for b in bars)
    if not total:
        return _empty(figure, axes, "No answers yet")
    rows = range(len(bars))[::-1]  # the first bar on top
    highlight = options["highlight_last"]
    colours = [BLUE if i >= len(bars) - highlight else SKY for i in range(len(bars))]
    axes.barh(list(rows), [b.count for b in bars], color=colours, height=0.7)
    axes.set_yticks(list(rows), [short(b.label, 28) for b in bars], fontsize=9)
    widest = max(b.count for b in bars)
    for row, bar in zip(rows, bars, strict=True):
        axes.text(bar.count + widest * 0.01, row, f"{bar.count:,} ({bar.count / total:.0%})", va="center",
                  fontsize=8, color=INK)
    axes.set_xlim(0, widest * 1.25)
    axes.xaxis.set_visible(False)
    axes.spines["bottom"].set_visible(False)
    return figure


# --- segments ------------------------------------------------------------------------------------------------

def segment_chart(title: str, rows: Sequence[SegmentRow], *, min_n: int, percent: bool = True) -> Chart:
    """A dot with its interval per segment value; small groups are named but not drawn."""
    rows = tuple(rows)
    shown = [r for r in rows if r.value is not None]
    hidden = len(rows) - len(shown)
    if not shown:
        alt = f"{title}: no group has {min_n} or more responses."
    else:
        parts = [f"{short(r.label)} {_formatted(r.value, percent)} (n = {r.n})" for r in shown[:MAX_ROWS]]
        alt = f"{title}: " + ", ".join(parts) + "."
        if len(shown) > MAX_ROWS:
            alt += f" And {len(shown) - MAX_ROWS} more in the table."
    if hidden:
        alt += f" {hidden} group{'s have' if hidden != 1 else ' has'} fewer than {min_n} responses."
    return Chart("segments", title, alt, rows, (("min_n", min_n), ("percent", percent)))


def _draw_segments(title: str, rows, options) -> Figure:
    rows = rows[:MAX_ROWS]
    figure = _figure(6.4, 0.9 + 0.32 * max(len(rows), 2))
    axes = figure.add_subplot()
    axes.set_title(short(title, 80), loc="left", fontsize=11, color=INK)
    if not rows:
        return _empty(figure, axes, "No groups yet")
    percent = options["percent"]
    scale = 100 if percent else 1
    low_limit, high_limit = _zoomed([r for r in rows if r.value is not None], scale, percent)
    positions = range(len(rows))[::-1]
    for y, row in zip(positions, rows, strict=True):
        if row.value is None:
            axes.text(low_limit + (high_limit - low_limit) * 0.01, y, f"fewer than {options['min_n']} responses",
                      va="center", fontsize=8, color=GREY, style="italic")
            continue
        if row.low is not None and row.high is not None:
            axes.plot([row.low * scale, row.high * scale], [y, y], color=SKY, linewidth=3, solid_capstyle="butt")
        axes.plot([row.value * scale], [y], "o", color=BLUE, markersize=6)
    axes.set_yticks(list(positions), [f"{short(r.label, 24)} (n = {r.n})" for r in rows], fontsize=9)
    axes.set_ylim(-0.6, len(rows) - 0.4)
    axes.set_xlim(low_limit, high_limit)
    if percent:
        axes.xaxis.set_major_formatter(lambda value, _: f"{value:.0f} %")
    axes.grid(axis="x", color="#e5e7eb", linewidth=0.8)
    return figure


def _zoomed(rows, scale: int, percent: bool) -> tuple[float, float]:
    """An x range around the intervals (a dot plot needs no zero baseline), within the metric's bounds."""
    bounds = (0, 100) if percent else (-100, 100)
    ends = [edge * scale for r in rows for edge in (r.low, r.high, r.value) if edge is not None]
    if not ends:
        return bounds
    low, high = min(ends), max(ends)
    pad = max((high - low) * 0.15, 5)
    return max(bounds[0], low - pad), min(bounds[1], high + pad)


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _empty(figure: Figure, axes, message: str = "No responses yet") -> Figure:
    axes.set_axis_off()
    axes.text(0.5, 0.5, message, ha="center", va="center", fontsize=12, color=GREY, transform=axes.transAxes)
    return figure


DRAW = {"trend": _draw_trend, "distribution": _draw_distribution, "segments": _draw_segments}
