"""Confidence interval for a single proportion: the Wilson score interval.

Newcombe (1998a) compared seven intervals for one proportion; the Wilson score interval without
continuity correction (his method 3) keeps coverage close to nominal even for small n and for
proportions near 0 or 1, where the plain Wald interval fails. Hearken never uses the Wald interval.

References
----------
Wilson EB (1927). Probable inference, the law of succession, and statistical inference.
    JASA 22:209-212.
Newcombe RG (1998a). Two-sided confidence intervals for the single proportion: comparison of
    seven methods. Statistics in Medicine 17:857-872.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from analysis._checks import check_confidence, check_successes
from analysis._distributions import norm_ppf

__all__ = ["Interval", "wilson"]


@dataclass(frozen=True)
class Interval:
    """A two-sided confidence interval for a proportion.

    Attributes
    ----------
    low : float or None
        Lower limit, in [0, 1]. ``None`` when n == 0 (no data: the proportion is undefined).
    high : float or None
        Upper limit, in [0, 1]. ``None`` when n == 0.
    """

    low: float | None
    high: float | None


def wilson(successes: int, n: int, confidence: float = 0.95) -> Interval:
    """Wilson score interval for a binomial proportion (no continuity correction).

    Parameters
    ----------
    successes : int
        Number of successes, 0 <= successes <= n.
    n : int
        Number of trials (responses), n >= 0.
    confidence : float, optional
        Two-sided confidence level, strictly between 0 and 1 (default 0.95).

    Returns
    -------
    Interval
        ``Interval(low, high)``; both ``None`` when ``n == 0``. The limits are exactly 0
        when ``successes == 0`` and exactly 1 when ``successes == n``.

    Raises
    ------
    ValueError
        If a count is negative or not whole, if ``successes > n``, or if ``confidence`` is
        not strictly between 0 and 1.

    Notes
    -----
    With z the ``(1 + confidence) / 2`` normal quantile and p = successes / n::

        (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)

    Examples
    --------
    Newcombe (1998a) Table I, 81 successes out of 263:

    >>> ci = wilson(81, 263)
    >>> round(ci.low, 4), round(ci.high, 4)
    (0.2553, 0.3662)
    """
    successes, n = check_successes(successes, n)
    confidence = check_confidence(confidence)
    if n == 0:
        return Interval(None, None)
    z = norm_ppf(0.5 + confidence / 2.0)
    z2 = z * z
    p = successes / n
    denominator = 1.0 + z2 / n
    center = (p + z2 / (2.0 * n)) / denominator
    half_width = z * math.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n)) / denominator
    low = 0.0 if successes == 0 else max(0.0, center - half_width)
    high = 1.0 if successes == n else min(1.0, center + half_width)
    return Interval(float(low), float(high))
