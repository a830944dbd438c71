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

from analysis._checks import check_confidence, check_count, check_successes
from analysis._distributions import chi2_sf, f_sf, norm_sf, t_ppf, t_sf

__all__ = ["Linearity", "NPSTrend", "TrendTest", "cochran_armitage", "departure_from_linearity", "nps_trend"]


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
    return TrendTest(z, z * z, float(2.0 * norm_sf(abs(z))), direction)


@dataclass(frozen=True)
class Linearity:
    """How far the shares of ordered periods depart from the straight line Cochran-Armitage fits.

    The total chi-square of R's ``prop.test(x, n)`` (k − 1 degrees of freedom, "all periods share one
    share") splits into the trend's 1 degree of freedom (``prop.trend.test``) and the departure from
    linearity (k − 2). A significant trend with an insignificant departure is a steady movement; a
    significant departure means the shares moved in some other shape (a step, a dip, a bounce).

    Attributes
    ----------
    chi2_total : float or None
        Pearson's chi-square of the 2 × k table, R's ``prop.test(x, n)$statistic``. ``None`` when
        undefined: fewer than three periods with responses, a pooled share of 0 or 1, or fewer
        than two distinct scores (the same holds for the fields below).
    chi2_trend : float or None
        The Cochran-Armitage chi-square, R's ``prop.trend.test(x, n)$statistic``.
    chi2_departure : float or None
        ``chi2_total − chi2_trend``: the residual from the fitted line, Σ n_i (p_i − fitted_i)² /
        (p̄(1 − p̄)).
    df : int or None
        Degrees of freedom of the departure: periods with responses − 2.
    p_value : float or None
        Upper tail of the chi-square distribution with ``df`` degrees of freedom at ``chi2_departure``.
    slope : float or None
        The fitted line's change of the share per unit of score (per period with the default
        scores), weighted by n: Σ n_i (s_i − s̄)(p_i − p̄) / Σ n_i (s_i − s̄)². Its sign is the
        Cochran-Armitage statistic's.
    fitted : tuple of float or None
        The fitted line's share at each period (including periods without responses).
    """

    chi2_total: float | None
    chi2_trend: float | None
    chi2_departure: float | None
    df: int | None
    p_value: float | None
    slope: float | None
    fitted: tuple[float, ...] | None


def _checked_periods(successes, ns) -> list[tuple[int, int]]:
    for name, series in (("successes", successes), ("ns", ns)):
        if isinstance(series, (str, bytes)) or not isinstance(series, Sequence):
            raise ValueError(f"{name} must be a sequence of counts, got {series!r}")
    if len(successes) != len(ns):
        raise ValueError(f"successes and ns must have the same length, got {len(successes)} and {len(ns)}")
    return [check_successes(x, n, f"successes[{i}]", f"ns[{i}]")
            for i, (x, n) in enumerate(zip(successes, ns, strict=True))]


def _checked_scores(scores, k: int) -> list[float]:
    if scores is None:
        return [float(i + 1) for i in range(k)]
    if isinstance(scores, (str, bytes)) or not isinstance(scores, Sequence) or len(scores) != k:
        raise ValueError(f"scores must be a sequence with one score per period, got {scores!r}")
    for score in scores:
        if isinstance(score, bool) or not isinstance(score, numbers.Real) or not math.isfinite(score):
            raise ValueError(f"scores must be finite numbers, got {score!r}")
    return [float(score) for score in scores]


def departure_from_linearity(
    successes: Sequence[int], ns: Sequence[int], scores: Sequence[float] | None = None
) -> Linearity:
    """Chi-square for departure from a linear trend in proportions (R: ``prop.test`` minus
    ``prop.trend.test``).

    Parameters
    ----------
    successes, ns : Sequence[int]
        Successes and responses per period, same length.
    scores : Sequence[float], optional
        Score of each period; default 1, 2, …, k (R's default).

    Returns
    -------
    Linearity
        All fields ``None`` when undefined (see :class:`Linearity`).

    Raises
    ------
    ValueError
        For sequences of different lengths, negative or non-whole counts, a success count above its
        n, or non-finite scores.

    Examples
    --------
    A share at 80 % every month but one dip to 62 %: R's ``x <- c(rep(240, 10), 186, 240)``,
    ``n <- rep(300, 12)``; ``prop.test(x, n)$statistic`` = 52.7922 and ``prop.trend.test(x, n)``
    = 8.1554 (p = 0.0043), so the departure is 44.6367 on 10 df, ``pchisq(44.6367, 10,
    lower.tail = FALSE)`` = 2.53e-06: far from a straight line, whatever the trend test says.

    >>> r = departure_from_linearity([240] * 10 + [186, 240], [300] * 12)
    >>> round(r.chi2_total, 4), round(r.chi2_trend, 4), round(r.chi2_departure, 4), r.df
    (52.7922, 8.1554, 44.6367, 10)
    """
    periods = _checked_periods(successes, ns)
    scores = _checked_scores(scores, len(periods))
    undefined = Linearity(None, None, None, None, None, None, None)
    used = [(x, n, s) for (x, n), s in zip(periods, scores, strict=True) if n > 0]
    total = sum(n for _, n, _ in used)
    if len(used) < 3 or total == 0:
        return undefined
    pooled = sum(x for x, _, _ in used) / total
    mean_score = sum(n * s for _, n, s in used) / total
    spread = sum(n * (s - mean_score) ** 2 for _, n, s in used)
    if pooled in (0.0, 1.0) or spread <= 0:
        return undefined
    slope = sum((x - n * pooled) * (s - mean_score) for x, n, s in used) / spread
    scale = pooled * (1.0 - pooled)
    chi2_total = sum(n * (x / n - pooled) ** 2 for x, n, _ in used) / scale
    chi2_trend = slope * slope * spread / scale
    departure = max(chi2_total - chi2_trend, 0.0)
    df = len(used) - 2
    fitted = tuple(pooled + slope * (s - mean_score) for s in scores)
    return Linearity(chi2_total, chi2_trend, departure, df, float(chi2_sf(departure, df)), slope, fitted)


@dataclass(frozen=True)
class NPSTrend:
    """Linear trend of the Net Promoter Score across ordered periods: least squares on every response's
    score (promoter +100, passive 0, detractor −100), as R's ``lm(score ~ period)`` on the responses.

    Attributes
    ----------
    slope : float or None
        NPS points per unit of score (per period with the default scores). ``None`` when undefined:
        fewer than three responses, fewer than two distinct scores among the periods with responses,
        or no residual variation (the same holds for the fields below except ``departure_*``).
    low, high : float or None
        Student-t confidence limits of the slope (R's ``confint``).
    se : float or None
        Standard error of the slope (``summary(lm)$coefficients[2, 2]``).
    statistic : float or None
        t = slope / se (``t value``).
    df : int or None
        Residual degrees of freedom, responses − 2.
    p_value : float or None
        Two-sided p-value of t (``Pr(>|t|)``).
    fitted : tuple of float or None
        The fitted line's NPS at each period (including periods without responses).
    departure_f : float or None
        F statistic for departure from linearity: R's ``anova(lm(score ~ period),
        lm(score ~ factor(period)))``, with periods with responses − 2 and responses − periods
        degrees of freedom; ``None`` with fewer than three periods with responses or no variation
        within periods.
    departure_df : tuple of int or None
        Its two degrees of freedom.
    departure_p : float or None
        Its upper-tail p-value (``Pr(>F)``).
    """

    slope: float | None
    low: float | None
    high: float | None
    se: float | None
    statistic: float | None
    df: int | None
    p_value: float | None
    fitted: tuple[float, ...] | None
    departure_f: float | None
    departure_df: tuple[int, int] | None
    departure_p: float | None


def nps_trend(
    counts: Sequence[Sequence[int]], scores: Sequence[float] | None = None, confidence: float = 0.95
) -> NPSTrend:
    """Least-squares trend of NPS over periods, with its departure-from-linearity F test.

    Each response scores +1 (promoter, 9–10), 0 (passive, 7–8) or −1 (detractor, 0–6); the slope of
    the ordinary least-squares line through every response against its period's score is the
    weighted least-squares slope of the periods' NPS (weights n), and its t test is R's
    ``summary(lm(score ~ period))`` on the expanded responses. Results are on the −100..100 scale.

    Parameters
    ----------
    counts : Sequence of (promoters, passives, detractors)
        One triple per period, oldest first.
    scores : Sequence[float], optional
        Score of each period; default 1, 2, …, k.
    confidence : float, optional
        Confidence level of the slope's interval (default 0.95).

    Returns
    -------
    NPSTrend
        Undefined fields are ``None`` (see :class:`NPSTrend`).

    Raises
    ------
    ValueError
        If a period is not three counts, a count is negative or not whole, scores are not one finite
        number per period, or ``confidence`` is outside (0, 1).

    Examples
    --------
    NPS falling 2 points a month for a year, +38 to +16 with 300 responses a month (promoters
    159, 156, …, 126; detractors 45, 48, …, 78). R, on the expanded responses
    (``month`` 1…12, ``score`` 100 / 0 / −100): ``summary(lm(score ~ month))$coefficients`` gives
    the slope −2 with standard error 0.3748094, t = −5.336045, p = 1.008621e-07.

    >>> r = nps_trend([(159 - 3 * i, 96, 45 + 3 * i) for i in range(12)])
    >>> round(r.slope, 6), round(r.se, 7), round(r.statistic, 6), f"{r.p_value:.6e}"
    (-2.0, 0.3748094, -5.336045, '1.008621e-07')
    """
    if isinstance(counts, (str, bytes)) or not isinstance(counts, Sequence):
        raise ValueError(f"counts must be a sequence of (promoters, passives, detractors), got {counts!r}")
    triples = []
    for i, triple in enumerate(counts):
        if isinstance(triple, (str, bytes)) or not isinstance(triple, Sequence) or len(triple) != 3:
            raise ValueError(f"counts[{i}] must be (promoters, passives, detractors), got {triple!r}")
        triples.append(tuple(check_count(c, f"counts[{i}][{j}]") for j, c in enumerate(triple)))
    scores = _checked_scores(scores, len(triples))
    confidence = check_confidence(confidence)
    undefined = NPSTrend(None, None, None, None, None, None, None, None, None, None, None)
    # per period: n, mean score (−1..1), within-period sum of squares
    used = []
    for (promoters, passives, detractors), s in zip(triples, scores, strict=True):
        n = promoters + passives + detractors
        if n:
            mean = (promoters - detractors) / n
            used.append((n, mean, promoters + detractors - n * mean * mean, s))
    total = sum(n for n, _, _, _ in used)
    if total < 3:
        return undefined
    mean_score = sum(n * s for n, _, _, s in used) / total
    grand = sum(n * m for n, m, _, _ in used) / total
    spread = sum(n * (s - mean_score) ** 2 for n, _, _, s in used)
    if spread <= 0:
        return undefined
    slope = sum(n * (s - mean_score) * (m - grand) for n, m, _, s in used) / spread
    within = max(sum(w for _, _, w, _ in used), 0.0)
    lack = sum(n * (m - grand - slope * (s - mean_score)) ** 2 for n, m, _, s in used)
    residual = within + lack
    df = total - 2
    if residual <= 1e-12 * total:
        return undefined
    se = math.sqrt(residual / df / spread)
    t = slope / se
    critical = float(t_ppf(0.5 + confidence / 2.0, df))
    fitted = tuple(100.0 * (grand + slope * (s - mean_score)) for s in scores)
    departure_f = departure_df = departure_p = None
    k = len(used)
    if k >= 3 and total > k and within > 1e-12 * total:
        departure_df = (k - 2, total - k)
        departure_f = (lack / departure_df[0]) / (within / departure_df[1])
        departure_p = float(f_sf(departure_f, *departure_df))
    return NPSTrend(
        slope=100.0 * slope, low=100.0 * (slope - critical * se), high=100.0 * (slope + critical * se),
        se=100.0 * se, statistic=t, df=df, p_value=float(2.0 * t_sf(abs(t), df)), fitted=fitted,
        departure_f=departure_f, departure_df=departure_df, departure_p=departure_p)
