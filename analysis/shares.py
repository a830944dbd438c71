"""Summaries of one rating question in one period, from counts per scale value.

``share`` is the top-box / top-2-box share with its Wilson interval, ``distribution`` the full
breakdown over the scale, and ``mean_score`` the mean rating with a Student-t interval.

All three take ``counts_by_value``: a mapping from scale value (an ``int``, e.g. 1..5) to the
number of responses with that value, as produced by a SQL ``GROUP BY``.
"""
from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from analysis._checks import check_confidence, check_count
from analysis._distributions import t_ppf
from analysis.intervals import wilson

__all__ = ["Distribution", "Mean", "Share", "distribution", "mean_of_sums", "mean_score", "share"]


def _checked_counts(counts_by_value: Mapping[int, int]) -> dict[int, int]:
    if not isinstance(counts_by_value, Mapping):
        raise ValueError(
            f"counts_by_value must be a mapping of scale value to count, got {counts_by_value!r}"
        )
    checked = {}
    for value, count in counts_by_value.items():
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"scale values must be integers, got {value!r}")
        checked[value] = check_count(count, f"count for value {value}")
    return checked


@dataclass(frozen=True)
class Share:
    """Share of responses in the top box(es), with a Wilson score interval.

    Attributes
    ----------
    successes : int
        Responses whose value is one of ``top_values``.
    n : int
        All responses.
    estimate : float or None
        ``successes / n``; ``None`` when n == 0.
    low, high : float or None
        Wilson score interval limits (see :func:`analysis.intervals.wilson`); ``None`` when n == 0.
    """

    successes: int
    n: int
    estimate: float | None
    low: float | None
    high: float | None


def share(
    counts_by_value: Mapping[int, int], top_values: Collection[int], confidence: float = 0.95
) -> Share:
    """Top-box (or top-2-box …) share with a Wilson score interval.

    Parameters
    ----------
    counts_by_value : Mapping[int, int]
        Number of responses per scale value. Values absent from the mapping count as 0.
    top_values : Collection[int]
        The values that count as a "success" (e.g. ``{4, 5}`` for top-2-box CSAT on 1..5).
        Must not be empty.
    confidence : float, optional
        Two-sided confidence level, strictly between 0 and 1 (default 0.95).

    Returns
    -------
    Share
        ``estimate``, ``low`` and ``high`` are ``None`` when there are no responses.

    Raises
    ------
    ValueError
        Negative or non-whole counts, non-integer scale values, empty ``top_values``, or
        ``confidence`` outside (0, 1).

    Examples
    --------
    81 of 263 responses in the top box (Newcombe 1998, Table I):

    >>> s = share({5: 81, 4: 100, 3: 82}, top_values={5})
    >>> s.successes, s.n, round(s.estimate, 4), round(s.low, 4), round(s.high, 4)
    (81, 263, 0.308, 0.2553, 0.3662)
    """
    counts = _checked_counts(counts_by_value)
    top = set(top_values)
    if not top:
        raise ValueError("top_values must name at least one scale value")
    confidence = check_confidence(confidence)
    successes = sum(count for value, count in counts.items() if value in top)
    n = sum(counts.values())
    interval = wilson(successes, n, confidence)
    estimate = successes / n if n else None
    return Share(successes, n, estimate, interval.low, interval.high)


@dataclass(frozen=True)
class Distribution:
    """Counts and proportions over the whole scale.

    Attributes
    ----------
    values : tuple[int, ...]
        The scale values, in the order given by ``scale_values``.
    counts : tuple[int, ...]
        Responses per value (0 for values nobody chose), aligned with ``values``.
    proportions : tuple[float | None, ...]
        ``count / n`` per value, aligned with ``values``; every entry is ``None`` when n == 0.
    n : int
        All responses.
    """

    values: tuple[int, ...]
    counts: tuple[int, ...]
    proportions: tuple[float | None, ...]
    n: int


def distribution(counts_by_value: Mapping[int, int], scale_values: Iterable[int]) -> Distribution:
    """Counts and proportions for every value of the scale, including values with no responses.

    Parameters
    ----------
    counts_by_value : Mapping[int, int]
        Number of responses per scale value.
    scale_values : Iterable[int]
        Every value of the scale, in display order (e.g. ``range(1, 6)``). No duplicates.

    Returns
    -------
    Distribution

    Raises
    ------
    ValueError
        Negative or non-whole counts, duplicate or empty ``scale_values``, or a non-zero count
        for a value that is not on the scale (that would silently drop responses).

    Examples
    --------
    >>> d = distribution({5: 3, 4: 1}, scale_values=range(1, 6))
    >>> d.values, d.counts, d.proportions, d.n
    ((1, 2, 3, 4, 5), (0, 0, 0, 1, 3), (0.0, 0.0, 0.0, 0.25, 0.75), 4)
    """
    counts = _checked_counts(counts_by_value)
    values = tuple(scale_values)
    if not values:
        raise ValueError("scale_values must not be empty")
    if len(set(values)) != len(values):
        raise ValueError(f"scale_values must not repeat a value, got {values!r}")
    off_scale = sorted(value for value, count in counts.items() if count and value not in values)
    if off_scale:
        raise ValueError(f"counts given for values not on the scale: {off_scale}")
    value_counts = tuple(counts.get(value, 0) for value in values)
    n = sum(value_counts)
    proportions = tuple(count / n if n else None for count in value_counts)
    return Distribution(values, value_counts, proportions, n)


@dataclass(frozen=True)
class Mean:
    """Mean rating with a Student-t confidence interval.

    Attributes
    ----------
    estimate : float or None
        Mean score; ``None`` when n == 0.
    low, high : float or None
        ``estimate ∓ t(1-(1-confidence)/2, n-1) · sd / sqrt(n)``; ``None`` when n < 2 (no
        spread can be estimated from a single response).
    sd : float or None
        Sample standard deviation (divisor n − 1); ``None`` when n < 2.
    n : int
        Number of responses.
    """

    estimate: float | None
    low: float | None
    high: float | None
    sd: float | None
    n: int


def mean_score(counts_by_value: Mapping[int, int], confidence: float = 0.95) -> Mean:
    """Mean score with a t interval, computed from counts per scale value.

    Parameters
    ----------
    counts_by_value : Mapping[int, int]
        Number of responses per scale value.
    confidence : float, optional
        Two-sided confidence level, strictly between 0 and 1 (default 0.95).

    Returns
    -------
    Mean
        ``estimate`` is ``None`` when n == 0; ``sd``, ``low`` and ``high`` are ``None`` when n < 2.
        When every response has the same value, sd is 0 and the interval collapses to the mean.

    Raises
    ------
    ValueError
        Negative or non-whole counts, non-integer scale values, or ``confidence`` outside (0, 1).

    Examples
    --------
    R's ``t.test`` example on Student's sleep data (paired differences, ×10 to make them
    integers): mean −15.8, 95 % CI −24.60 to −7.00.

    >>> m = mean_score({-12: 1, -24: 1, -13: 2, 0: 1, -10: 1, -18: 1, -8: 1, -46: 1, -14: 1})
    >>> round(m.estimate, 4), round(m.low, 4), round(m.high, 4), m.n
    (-15.8, -24.5989, -7.0011, 10)
    """
    counts = _checked_counts(counts_by_value)
    confidence = check_confidence(confidence)
    n = sum(counts.values())
    if n == 0:
        return Mean(None, None, None, None, 0)
    mean = sum(value * count for value, count in counts.items()) / n
    if n == 1:
        return Mean(float(mean), None, None, None, 1)
    sum_squares = sum(count * (value - mean) ** 2 for value, count in counts.items())
    return _t_interval(float(mean), math.sqrt(sum_squares / (n - 1)), n, confidence)


def _t_interval(mean: float, sd: float, n: int, confidence: float) -> Mean:
    half_width = float(t_ppf(0.5 + confidence / 2.0, n - 1)) * sd / math.sqrt(n)
    return Mean(mean, mean - half_width, mean + half_width, sd, n)


def mean_of_sums(n: int, total: float, squares: float, confidence: float = 0.95) -> Mean:
    """Mean of any numbers (a number question's answers) with a Student-t interval, from their count, sum
    and sum of squares — what SQL's COUNT, SUM(x) and SUM(x * x) give for a period, without the answers.

    The variance is (squares − total²/n)/(n − 1), never below 0 (rounding in the sums).

    Examples
    --------
    R's ``t.test(c(12, 15, 9, 20, 14, 11, 18, 16))``: mean 14.375, 95 % CI 11.3134377 to 17.4365623.

    >>> m = mean_of_sums(8, 115, 1747)
    >>> round(m.estimate, 4), round(m.low, 7), round(m.high, 7)
    (14.375, 11.3134377, 17.4365623)
    """
    confidence = check_confidence(confidence)
    if n < 0 or n != int(n) or not (math.isfinite(total) and math.isfinite(squares)):
        raise ValueError(f"need a whole count and finite sums, got n={n!r}, total={total!r}, squares={squares!r}")
    if n == 0:
        return Mean(None, None, None, None, 0)
    mean = total / n
    if n == 1:
        return Mean(mean, None, None, None, 1)
    return _t_interval(mean, math.sqrt(max(squares - total * total / n, 0.0) / (n - 1)), n, confidence)
