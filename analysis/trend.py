"""Monotone trend of a share across ordered periods: the Cochran-Armitage test.

The statistic equals R's ``prop.trend.test`` (which reports it as a chi-square with 1 degree of
freedom, chi2 = z²) for the same scores; R's default scores 1, 2, …, k are used by default here.

References
----------
Cochran WG (1954). Some methods for strengthening the common chi-squared tests. Biometrics
    10:417-451.
Armitage P (1955). Tests for linear trends in proportions and frequencies. Biometrics 11:375-386.
R Core Team. ``prop.trend.test`` (package stats).
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass

from analysis._checks import check_successes

__all__ = ["TrendTest", "cochran_armitage"]


@dataclass(frozen=True)
class TrendTest:
    """Cochran-Armitage test for a linear trend in proportions.

    Attributes
    ----------
    statistic : float or None
        z = Σ x_i(s_i − s̄) / sqrt(p̄(1 − p̄) Σ n_i(s_i − s̄)²), with s̄ the n-weighted mean score
        and p̄ the pooled share. Positive for a share rising with the score. ``None`` when
        undefined: no responses, a pooled share of 0 or 1, or fewer than two distinct scores
        among the periods with responses (the same holds for the fields below).
    chi2 : float or None
        z², R's ``X-squared`` (1 degree of freedom).
    p_value : float or None
        Two-sided p-value.
    direction : str or None
        ``"increasing"`` (z > 0), ``"decreasing"`` (z < 0) or ``"none"`` (z == 0).
    """

    statistic: float | None
    chi2: float | None
    p_value: float | None
    direction: str | None


def cochran_armitage(
    successes: Sequence[int], ns: Sequence[int], scores: Sequence[float] | None = None
) -> TrendTest:
    """Cochran-Armitage test for trend in proportions (as R's ``prop.trend.test``).

    Parameters
    ----------
    successes, ns : Sequence[int]
        Successes and responses per period (or ordered group), same length.
    scores : Sequence[float], optional
        Score of each period; default 1, 2, …, k (R's default). Only differences matter.

    Returns
    -------
    TrendTest
        All fields ``None`` when the test is undefined (see :class:`TrendTest`).

    Raises
    ------
    ValueError
        For sequences of different lengths, negative or non-whole counts, a success count above
        its n, or non-finite scores.

    Examples
    --------
    R's ``?prop.trend.test`` example: ``prop.trend.test(smokers, patients)`` gives
    X-squared = 8.2249, df = 1, p-value = 0.004132.

    >>> r = cochran_armitage([83, 90, 129, 70], [86, 93, 136, 82])
    >>> round(r.chi2, 4), round(r.p_value, 6), r.direction
    (8.2249, 0.004132, 'decreasing')
    """
    for name, series in (("successes", successes), ("ns", ns)):
        if isinstance(series, (str, bytes)) or not isinstance(series, Sequence):
            raise ValueError(f"{name} must be a sequence of counts, got {series!r}")
    if len(successes) != len(ns):
        raise ValueError(f"successes and ns must have the same length, got {len(successes)} and {len(ns)}")
    periods = [
        check_successes(x, n, f"successes[{i}]", f"ns[{i}]") for i, (x, n) in enumerate(zip(successes, ns, strict=True))
    ]
    if scores is None:
        scores = [float(i + 1) for i in range(len(periods))]
    else:
        if (
            isinstance(scores, (str, bytes))
            or not isinstance(scores, Sequence)
            or len(scores) != len(periods)
        ):
            raise ValueError(f"scores must be a sequence with one score per period, got {scores!r}")
        for score in scores:
            if isinstance(score, bool) or not isinstance(score, numbers.Real) or not math.isfinite(score):
                raise ValueError(f"scores must be finite numbers, got {score!r}")
        scores = [float(score) for score in scores]

    undefined = TrendTest(None, None, None, None)
    total = sum(n for _, n in periods)
    if total == 0:
        return undefined
    pooled = sum(x for x, _ in periods) / total
    mean_score = sum(n * s for (_, n), s in zip(periods, scores, strict=False)) / total
    spread = sum(n * (s - mean_score) ** 2 for (_, n), s in zip(periods, scores, strict=False))
    variance = pooled * (1.0 - pooled) * spread
    if variance <= 0:
        return undefined
    numerator = sum((x - n * pooled) * (s - mean_score) for (x, n), s in zip(periods, scores, strict=False))
    z = numerator / math.sqrt(variance)
    direction = "increasing" if z > 0 else "decreasing" if z < 0 else "none"
    from scipy.stats import norm
    return TrendTest(z, z * z, float(2.0 * norm.sf(abs(z))), direction)
