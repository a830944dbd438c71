"""Shift in an ordinal rating between two groups: Mann-Whitney U from counts per scale value.

Rating scales have few values and therefore many ties, so the normal approximation uses the
tie-corrected variance (midranks). By default a continuity correction of 0.5 is applied, the
default of both ``scipy.stats.mannwhitneyu(..., method="asymptotic")`` (``use_continuity=True``)
and R's ``wilcox.test(..., exact = FALSE)`` (``correct = TRUE``).

References
----------
Mann HB, Whitney DR (1947). On a test of whether one of two random variables is stochastically
    larger than the other. Annals of Mathematical Statistics 18:50-60.
Hollander M, Wolfe DA (1973). Nonparametric Statistical Methods. Wiley. (Section 4.1, large-sample
    approximation with ties.)
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from analysis._checks import check_count
from analysis._distributions import norm_sf

__all__ = ["MannWhitney", "mann_whitney"]


@dataclass(frozen=True)
class MannWhitney:
    """Mann-Whitney comparison of group B against group A.

    Attributes
    ----------
    u : float or None
        U statistic of group B: #(b > a) + 0.5 · #(b = a) over all pairs (R's ``W`` for
        ``wilcox.test(b, a)``; scipy's ``mannwhitneyu(b, a).statistic``). ``None`` if a group is empty.
    z : float or None
        Standardised statistic (U − n_a·n_b/2, shrunk toward 0 by the continuity correction when it
        is applied) / tie-corrected standard deviation. Positive when B tends to be higher.
        ``None`` if a group is empty or every response has the same value (zero variance).
    p_value : float or None
        Two-sided normal-approximation p-value; ``None`` whenever ``z`` is ``None``.
    effect : float or None
        Probability of superiority P(B > A) + 0.5 · P(B = A) = u / (n_a · n_b), in [0, 1];
        0.5 means no shift. ``None`` if a group is empty.
    """

    u: float | None
    z: float | None
    p_value: float | None
    effect: float | None


def _checked(counts: Mapping[int, int], name: str) -> dict[int, int]:
    if not isinstance(counts, Mapping):
        raise ValueError(f"{name} must be a mapping of scale value to count, got {counts!r}")
    checked = {}
    for value, count in counts.items():
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{name}: scale values must be integers, got {value!r}")
        checked[value] = check_count(count, f"{name} count for value {value}")
    return checked


def mann_whitney(
    counts_a: Mapping[int, int], counts_b: Mapping[int, int], *, continuity: bool = True
) -> MannWhitney:
    """Mann-Whitney U test of B versus A from counts per scale value, with tie correction.

    Parameters
    ----------
    counts_a, counts_b : Mapping[int, int]
        Number of responses per scale value in group A (e.g. the earlier period) and group B.
    continuity : bool, keyword-only, optional
        Apply the 0.5 continuity correction (default ``True``, as scipy and R do).

    Returns
    -------
    MannWhitney

    Raises
    ------
    ValueError
        For a non-mapping argument, a non-integer scale value, or a negative or non-whole count.

    Notes
    -----
    With N = n_a + n_b and t_j the number of responses (both groups) at value j::

        var(U) = n_a·n_b/12 · ((N + 1) − Σ(t_j³ − t_j) / (N(N − 1)))

    Examples
    --------
    A: two 1s and one 2; B: one 2 and two 3s. U = 2 + 0.5 + 6 = 8.5 of 9 pairs; every value
    is a pair of ties, Σ(t³ − t) = 18, so var = 9/12 · (7 − 18/30) = 4.8 and
    z = (8.5 − 4.5 − 0.5)/sqrt(4.8) = 1.598.

    >>> r = mann_whitney({1: 2, 2: 1}, {2: 1, 3: 2})
    >>> r.u, round(r.z, 3), round(r.p_value, 4), round(r.effect, 4)
    (8.5, 1.598, 0.1101, 0.9444)
    """
    a = _checked(counts_a, "counts_a")
    b = _checked(counts_b, "counts_b")
    n_a, n_b = sum(a.values()), sum(b.values())
    if n_a == 0 or n_b == 0:
        return MannWhitney(None, None, None, None)

    u = 0.0
    a_below = 0  # responses in A with a lower value than the current one
    tie_sum = 0
    for value in sorted(set(a) | set(b)):
        a_here, b_here = a.get(value, 0), b.get(value, 0)
        u += b_here * (a_below + 0.5 * a_here)
        a_below += a_here
        tied = a_here + b_here
        tie_sum += tied**3 - tied

    total = n_a + n_b
    pairs = n_a * n_b
    variance = pairs / 12.0 * ((total + 1) - tie_sum / (total * (total - 1)))
    effect = u / pairs
    if variance <= 0:
        return MannWhitney(u, None, None, effect)
    deviation = u - pairs / 2.0
    if continuity:
        deviation = math.copysign(max(abs(deviation) - 0.5, 0.0), deviation)
    z = deviation / math.sqrt(variance)
    p_value = min(1.0, float(2.0 * norm_sf(abs(z))))
    return MannWhitney(u, z, p_value, effect)
