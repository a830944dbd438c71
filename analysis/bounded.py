"""The mean of a bounded score (a rating scale, the NPS) with an interval that stays on its scale.

A rating mean lives between the scale's ends (1 and 5), an NPS between −100 and 100; a Student-t or a
Wald interval does not know that, and near an end, or with few responses, reaches past it ("3.67,
95 % interval −0.13 to 7.46" on a 1–5 scale). Clipping such an interval to the scale hides the problem
instead of fixing it. ``bounded_mean`` rescales the scores to [0, 1] and builds the interval on the logit
scale, where the bounds are infinitely far away, then maps it back:

    ȳ = mean of (x − lowest) / (highest − lowest),   s² their sample variance (divisor n − 1)
    se(logit ȳ) = s / (√n · ȳ (1 − ȳ))                (delta method)
    interval = lowest + (highest − lowest) · expit(logit ȳ ± t(1 − α/2, n − 1) · se)

This is the interval of an intercept-only fractional-logit model (Papke & Wooldridge 1996) — a
quasi-binomial GLM, whose Pearson dispersion gives exactly this standard error — with the t quantile
that R's ``summary.glm`` uses for quasi families. Away from the ends it is the familiar t interval; near
an end it is asymmetric, longer on the side away from the end, as the Wilson interval of a share is.

When the answers show no spread (every answer the same, so s = 0, or all at one end, so ȳ(1 − ȳ) = 0)
the delta method has nothing to work with and would claim certainty. Then the interval is the Wilson
interval of ȳ with n: the interval for the largest variance any score on the scale with that mean can
have (the Bhatia–Davis inequality, var ≤ (highest − mean)(mean − lowest)), so it is conservative, never
falsely sure.

References
----------
Papke LE, Wooldridge JM (1996). Econometric methods for fractional response variables with an application
    to 401(k) plan participation rates. Journal of Applied Econometrics 11(6):619-632.
McCullagh P, Nelder JA (1989). Generalized Linear Models, 2nd ed., §9.2 (quasi-likelihood). Chapman & Hall.
Bhatia R, Davis C (2000). A better bound on the variance. American Mathematical Monthly 107(4):353-357.
Wilson EB (1927). Probable inference, the law of succession, and statistical inference. JASA 22:209-212.
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass

from analysis._checks import check_confidence, check_count
from analysis._distributions import norm_ppf, t_ppf

__all__ = ["BoundedMean", "bounded_mean"]


@dataclass(frozen=True)
class BoundedMean:
    """Mean of a bounded score with an interval inside the bounds.

    Attributes
    ----------
    estimate : float or None
        The plain mean of the scores; ``None`` when n == 0.
    low, high : float or None
        Confidence limits, always within ``[lowest, highest]``; ``None`` when n < 2.
    n : int
        Number of scores.
    method : str
        ``"logit"`` (the logit-transformed t interval), ``"wilson"`` (no spread: the Wilson interval of
        the rescaled mean), or ``""`` when there is no interval.
    """

    estimate: float | None
    low: float | None
    high: float | None
    n: int
    method: str


def _bound(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def bounded_mean(counts_by_value: Mapping[int, int], lowest: float, highest: float,
                 confidence: float = 0.95) -> BoundedMean:
    """Mean score with a logit-transformed interval that never leaves ``[lowest, highest]``.

    Parameters
    ----------
    counts_by_value : Mapping[int, int]
        Number of responses per score (e.g. ``{1: 2, 4: 10, 5: 10}``), as a SQL ``GROUP BY`` gives them.
    lowest, highest : float
        The ends of the scale (1 and 5 for a five-point rating; −1 and 1 for NPS scored +1/0/−1).
    confidence : float, optional
        Two-sided confidence level, strictly between 0 and 1 (default 0.95).

    Returns
    -------
    BoundedMean
        ``estimate`` is ``None`` when n == 0; ``low`` and ``high`` are ``None`` when n < 2.

    Raises
    ------
    ValueError
        Negative or non-whole counts, non-integer scores, ``lowest >= highest``, a score with a count
        outside ``[lowest, highest]``, or ``confidence`` outside (0, 1).

    Notes
    -----
    Pinned to R (``glm`` with ``family = quasibinomial`` on the rescaled scores, its standard error and
    the t quantile with ``df.residual`` degrees of freedom); see the module docstring for the formula.

    Examples
    --------
    Ten "5", ten "4", five "3", three "2" and two "1" on a five-point scale. In R::

        y <- (rep(1:5, c(2, 3, 5, 10, 10)) - 1) / 4
        fit <- glm(y ~ 1, family = quasibinomial)
        1 + 4 * plogis(coef(fit) + c(-1, 1) * qt(0.975, df.residual(fit)) * sqrt(vcov(fit)[1, 1]))
        # 3.270964 4.172066

    >>> m = bounded_mean({1: 2, 2: 3, 3: 5, 4: 10, 5: 10}, 1, 5)
    >>> round(m.estimate, 4), round(m.low, 4), round(m.high, 4), m.method
    (3.7667, 3.271, 4.1721, 'logit')
    """
    if not isinstance(counts_by_value, Mapping):
        raise ValueError(f"counts_by_value must be a mapping of score to count, got {counts_by_value!r}")
    lowest, highest = _bound(lowest, "lowest"), _bound(highest, "highest")
    if not lowest < highest:
        raise ValueError(f"lowest ({lowest}) must be below highest ({highest})")
    confidence = check_confidence(confidence)
    counts: dict[int, int] = {}
    for value, count in counts_by_value.items():
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"scores must be integers, got {value!r}")
        counts[value] = check_count(count, f"count for score {value}")
        if counts[value] and not lowest <= value <= highest:
            raise ValueError(f"score {value} is outside the scale {lowest:g}–{highest:g}")
    n = sum(counts.values())
    if n == 0:
        return BoundedMean(None, None, None, 0, "")
    width = highest - lowest
    mean = sum(value * count for value, count in counts.items()) / n
    if n == 1:
        return BoundedMean(float(mean), None, None, 1, "")
    y = (mean - lowest) / width
    variance = sum(count * ((value - lowest) / width - y) ** 2 for value, count in counts.items()) / (n - 1)
    if variance <= 0.0 or y <= 0.0 or y >= 1.0:
        low, high = _wilson_fraction(y, n, confidence)
        return BoundedMean(float(mean), lowest + width * low, lowest + width * high, n, "wilson")
    half_width = float(t_ppf(0.5 + confidence / 2.0, n - 1)) * math.sqrt(variance / n) / (y * (1.0 - y))
    centre = math.log(y / (1.0 - y))
    low, high = _expit(centre - half_width), _expit(centre + half_width)
    return BoundedMean(float(mean), lowest + width * low, lowest + width * high, n, "logit")


def _expit(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def _wilson_fraction(y: float, n: int, confidence: float) -> tuple[float, float]:
    """Wilson's interval for a proportion y of n that need not be a whole count of n (R: ``prop.test(y * n,
    n, correct = FALSE)``)."""
    z = float(norm_ppf(0.5 + confidence / 2.0))
    z2 = z * z
    centre = (y + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(y * (1 - y) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    # At y = 0 or 1 the limit on that side is exactly the end (centre ∓ half is, but for rounding).
    return (0.0 if y <= 0 else centre - half), (1.0 if y >= 1 else centre + half)
