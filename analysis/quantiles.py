"""Quartiles and a histogram of measured answers (numbers, or dates as day numbers) from their counts.

Quantiles are R's default (type 7: linear interpolation between the order statistics), computed from the
cumulative counts, so the values are never expanded one per answer.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from analysis._checks import check_count

__all__ = ["Quartiles", "histogram", "quartiles"]


def _checked(counts_by_value: Mapping[float, int]) -> dict[float, int]:
    if not isinstance(counts_by_value, Mapping):
        raise ValueError(f"counts_by_value must be a mapping of value to count, got {counts_by_value!r}")
    checked = {}
    for value, count in counts_by_value.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ValueError(f"values must be finite numbers, got {value!r}")
        checked[value] = check_count(count, f"count of {value!r}")
    return checked


@dataclass(frozen=True)
class Quartiles:
    n: int
    low: float | None  # the smallest answer
    q1: float | None
    median: float | None
    q3: float | None
    high: float | None


def quartiles(counts_by_value: Mapping[float, int]) -> Quartiles:
    """The five-number summary of answers given as value → count."""
    values = sorted((float(v), c) for v, c in _checked(counts_by_value).items() if c)
    n = sum(c for _v, c in values)
    if not n:
        return Quartiles(0, None, None, None, None, None)

    def order_statistic(k: int) -> float:  # the k-th smallest answer, 0-based
        seen = 0
        for value, count in values:
            seen += count
            if k < seen:
                return value
        return values[-1][0]

    def quantile(p: float) -> float:
        h = (n - 1) * p
        below = math.floor(h)
        low, high = order_statistic(below), order_statistic(min(below + 1, n - 1))
        return low + (h - below) * (high - low)

    return Quartiles(n, values[0][0], quantile(0.25), quantile(0.5), quantile(0.75), values[-1][0])


def histogram(counts_by_value: Mapping[float, int], bins: int = 10) -> list[tuple[float, float, int]]:
    """(lower edge, upper edge, count) of `bins` equal-width bins from the smallest answer to the largest,
    each bin holding its lower edge and the last its upper edge too; one bin when all answers are equal."""
    values = {float(v): c for v, c in _checked(counts_by_value).items() if c}
    if not values:
        return []
    low, high = min(values), max(values)
    if low == high:
        return [(low, high, sum(values.values()))]
    width = (high - low) / bins
    counts = [0] * bins
    for value, count in values.items():
        counts[min(int((value - low) / width), bins - 1)] += count
    return [(low + i * width, low + (i + 1) * width if i < bins - 1 else high, counts[i]) for i in range(bins)]
