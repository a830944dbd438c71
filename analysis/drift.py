"""Sustained drift of a share across many periods: binomial CUSUM and p-chart limits.

Both take one count of successes and one number of responses per period, oldest first; every
period is judged with its own n.

``cusum`` accumulates the binomial log-likelihood ratio of a shifted share ``p1`` against the
in-control share ``p0`` (Page's CUSUM), and signals when it reaches ``h``.

``p_chart`` gives Shewhart 3-sigma limits around the centre line for each period's own n.

References
----------
Page ES (1954). Continuous inspection schemes. Biometrika 41:100-115.
Lorden G (1971). Procedures for reacting to a change in distribution. Annals of Mathematical
    Statistics 42:1897-1908. (In-control average run length of the log-likelihood-ratio CUSUM
    is at least e^h.)
Reynolds MR, Stoumbos ZG (1999). A CUSUM chart for monitoring a proportion when inspecting
    continuously. Journal of Quality Technology 31:87-108.
NIST/SEMATECH e-Handbook of Statistical Methods, section 6.3.3.2 "Proportions control charts".
Montgomery DC. Introduction to Statistical Quality Control, chapter 7 (p chart, orange juice cans).
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass

from analysis._checks import check_probability_open, check_successes

__all__ = ["Cusum", "DEFAULT_CUSUM_ARL", "PChart", "cusum", "p_chart"]

DEFAULT_CUSUM_ARL = 1000
"""In-control average run length (periods) guaranteed, at least, by the default ``h = ln(1000)``."""


def _checked_series(successes: Sequence[int], ns: Sequence[int]) -> list[tuple[int, int]]:
    for name, series in (("successes", successes), ("ns", ns)):
        if isinstance(series, (str, bytes)) or not isinstance(series, Sequence):
            raise ValueError(f"{name} must be a sequence of counts, got {series!r}")
    if len(successes) != len(ns):
        raise ValueError(f"successes and ns must have the same length, got {len(successes)} and {len(ns)}")
    return [
        check_successes(x, n, f"successes[{i}]", f"ns[{i}]") for i, (x, n) in enumerate(zip(successes, ns, strict=True))
    ]


@dataclass(frozen=True)
class Cusum:
    """Binomial log-likelihood-ratio CUSUM path.

    Attributes
    ----------
    statistics : tuple[float, ...]
        S_t after each period: S_t = max(0, S_{t-1} + LLR_t), S_0 = 0. A period with n == 0
        adds nothing (LLR 0). Empty when no periods are given.
    signal_index : int or None
        Index (0-based) of the first period with S_t >= h; ``None`` if it never gets there.
    h : float
        The decision threshold used.
    """

    statistics: tuple[float, ...]
    signal_index: int | None
    h: float


def cusum(
    successes: Sequence[int], ns: Sequence[int], p0: float, p1: float, h: float | None = None
) -> Cusum:
    """Page's CUSUM of the binomial log-likelihood ratio for a shift of the share from p0 to p1.

    Parameters
    ----------
    successes, ns : Sequence[int]
        Successes and responses per period, oldest first, same length.
    p0 : float
        In-control share, strictly between 0 and 1.
    p1 : float
        Shifted share to detect, strictly between 0 and 1 and different from p0. ``p1 < p0``
        watches for a drop of the share, ``p1 > p0`` for a rise.
    h : float, optional
        Decision threshold (> 0) on the log-likelihood-ratio scale. Default ``ln(1000)`` ≈ 6.91:
        by Lorden's (1971) bound the in-control average run length is then at least 1000
        periods; choose a smaller h for faster (and noisier) detection.

    Returns
    -------
    Cusum

    Raises
    ------
    ValueError
        For sequences of different length, negative or non-whole counts, a success count above
        its n, p0 or p1 outside (0, 1), p0 == p1, or h <= 0.

    Notes
    -----
    For period t with x_t successes out of n_t::

        LLR_t = x_t·ln(p1/p0) + (n_t − x_t)·ln((1 − p1)/(1 − p0))

    Dividing by ln(p1(1 − p0)/(p0(1 − p1))) gives the equivalent Hawkins-Olwell form
    x_t − n_t·k with a reference value k.

    Examples
    --------
    Watching a 90 % share for a drop to 75 %, 20 responses per period:

    >>> r = cusum([18, 17, 13, 12], [20, 20, 20, 20], p0=0.9, p1=0.75, h=5.0)
    >>> [round(s, 3) for s in r.statistics], r.signal_index
    ([0.0, 0.0, 4.044, 9.186], 3)
    """
    periods = _checked_series(successes, ns)
    p0 = check_probability_open(p0, "p0")
    p1 = check_probability_open(p1, "p1")
    if p0 == p1:
        raise ValueError(f"p1 must differ from p0 (both are {p0})")
    if h is None:
        h = math.log(DEFAULT_CUSUM_ARL)
    elif isinstance(h, bool) or not isinstance(h, numbers.Real) or not h > 0 or math.isinf(h):
        raise ValueError(f"h must be a positive finite number, got {h!r}")
    h = float(h)

    success_weight = math.log(p1 / p0)
    failure_weight = math.log((1.0 - p1) / (1.0 - p0))
    statistic = 0.0
    statistics = []
    signal_index = None
    for index, (x, n) in enumerate(periods):
        statistic = max(0.0, statistic + x * success_weight + (n - x) * failure_weight)
        statistics.append(statistic)
        if signal_index is None and statistic >= h:
            signal_index = index
    return Cusum(tuple(statistics), signal_index, h)


@dataclass(frozen=True)
class PChart:
    """p-chart with 3-sigma limits for each period's own n.

    Attributes
    ----------
    center : float or None
        Centre line: the given ``center``, else total successes / total responses; ``None`` when
        there are no responses at all (then every entry below is ``None`` too).
    lower, upper : tuple[float | None, ...]
        center ∓ 3·sqrt(center(1 − center)/n_t), clipped to [0, 1]; ``None`` for a period with n == 0.
    points : tuple[float | None, ...]
        The share of each period, x_t / n_t; ``None`` for a period with n == 0.
    out_of_control : tuple[int, ...]
        Indices (0-based) of periods whose point lies strictly above ``upper`` or below ``lower``.
    """

    center: float | None
    lower: tuple[float | None, ...]
    upper: tuple[float | None, ...]
    points: tuple[float | None, ...]
    out_of_control: tuple[int, ...]


def p_chart(successes: Sequence[int], ns: Sequence[int], center: float | None = None) -> PChart:
    """Shewhart p-chart: each period's share against 3-sigma limits for its own n.

    Parameters
    ----------
    successes, ns : Sequence[int]
        Successes and responses per period, oldest first, same length.
    center : float, optional
        Known or target share in [0, 1] (a "standard given" chart). By default the pooled share
        of the periods given (limits estimated from the data, as in a phase-I chart).

    Returns
    -------
    PChart

    Raises
    ------
    ValueError
        For sequences of different length, negative or non-whole counts, a success count above
        its n, or ``center`` outside [0, 1].

    Examples
    --------
    NIST/SEMATECH e-Handbook 6.3.3.2 (Montgomery's orange-juice cans), 30 samples of 50:

    >>> defects = [12, 15, 8, 10, 4, 7, 16, 9, 14, 10, 5, 6, 17, 12, 22,
    ...            8, 10, 5, 13, 11, 20, 18, 24, 15, 9, 12, 7, 13, 9, 6]
    >>> chart = p_chart(defects, [50] * 30)
    >>> round(chart.center, 4), round(chart.lower[0], 4), round(chart.upper[0], 4)
    (0.2313, 0.0524, 0.4102)
    >>> chart.out_of_control
    (14, 22)
    """
    periods = _checked_series(successes, ns)
    if center is not None:
        if isinstance(center, bool) or not isinstance(center, numbers.Real) or not 0.0 <= center <= 1.0:
            raise ValueError(f"center must be a share between 0 and 1, got {center!r}")
        center = float(center)
    else:
        total = sum(n for _, n in periods)
        center = sum(x for x, _ in periods) / total if total else None

    points = tuple(x / n if n else None for x, n in periods)
    if center is None:
        empty = tuple(None for _ in periods)
        return PChart(None, empty, empty, points, ())

    lower: list[float | None] = []
    upper: list[float | None] = []
    out_of_control: list[int] = []
    for index, ((_, n), point) in enumerate(zip(periods, points, strict=False)):
        if point is None:  # n == 0
            lower.append(None)
            upper.append(None)
            continue
        half_width = 3.0 * math.sqrt(center * (1.0 - center) / n)
        low, high = max(0.0, center - half_width), min(1.0, center + half_width)
        lower.append(low)
        upper.append(high)
        if point > high or point < low:
            out_of_control.append(index)
    return PChart(center, tuple(lower), tuple(upper), points, tuple(out_of_control))
