"""Change between two periods: of a share (Newcombe's hybrid score interval and a matching test), and
of a mean rating (Welch's t).

The interval for p2 − p1 is Newcombe's (1998b) method 10, built from the two single-sample
Wilson score intervals; it behaves well for small samples and for shares near 0 or 1.

The test is the "N − 1" chi-square (Pearson's chi-square × (N − 1)/N), which Campbell (2007)
recommends for 2×2 tables, when every expected count is at least 5; otherwise Fisher's exact
test (two-sided, as computed by ``scipy.stats.fisher_exact`` and R's ``fisher.test``).

References
----------
Newcombe RG (1998b). Interval estimation for the difference between independent proportions:
    comparison of eleven methods. Statistics in Medicine 17:873-890.
Campbell I (2007). Chi-squared and Fisher-Irwin tests of two-by-two tables with small sample
    recommendations. Statistics in Medicine 26:3661-3675.
Welch BL (1947). The generalization of "Student's" problem when several different population variances
    are involved. Biometrika 34:28-35.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from analysis._checks import check_confidence, check_successes
from analysis._distributions import chi2_sf, t_ppf, t_sf
from analysis.intervals import wilson
from analysis.shares import Mean, mean_score

__all__ = ["MeanDifference", "ShareDifference", "mean_difference", "share_difference", "welch"]

MIN_EXPECTED_COUNT = 5
"""Smallest expected cell count for which the N − 1 chi-square is used instead of Fisher's test."""


@dataclass(frozen=True)
class ShareDifference:
    """Difference between two independent shares, later (2) minus earlier (1).

    Attributes
    ----------
    p1, p2 : float or None
        x1/n1 and x2/n2; ``None`` for a sample with n == 0.
    difference : float or None
        p2 − p1; ``None`` if either sample is empty (as are ``low``, ``high``, ``statistic``,
        ``p_value`` and ``method``).
    low, high : float or None
        Newcombe hybrid score interval (method 10) for p2 − p1, within [−1, 1].
    method : str or None
        ``"n-1 chi-square"`` when every expected count is >= 5, else ``"fisher"``.
    statistic : float or None
        The N − 1 chi-square statistic (1 degree of freedom); ``None`` when Fisher's exact test
        was used (it has no test statistic).
    p_value : float or None
        Two-sided p-value of the test named by ``method``.
    """

    p1: float | None
    p2: float | None
    difference: float | None
    low: float | None
    high: float | None
    method: str | None
    statistic: float | None
    p_value: float | None


def share_difference(x1: int, n1: int, x2: int, n2: int, confidence: float = 0.95) -> ShareDifference:
    """Difference of two independent shares p2 − p1 with Newcombe's score interval and a test.

    Parameters
    ----------
    x1, n1 : int
        Successes and responses in the first (earlier) period.
    x2, n2 : int
        Successes and responses in the second (later) period.
    confidence : float, optional
        Two-sided confidence level of the interval, strictly between 0 and 1 (default 0.95).

    Returns
    -------
    ShareDifference
        If n1 or n2 is 0, only the defined share(s) are given and everything else is ``None``.

    Raises
    ------
    ValueError
        For a negative or non-whole count, x > n, or ``confidence`` outside (0, 1).

    Notes
    -----
    With (l_i, u_i) the Wilson interval of p_i, the limits are::

        low  = (p2 − p1) − sqrt((p2 − l2)² + (u1 − p1)²)
        high = (p2 − p1) + sqrt((u2 − p2)² + (p1 − l1)²)

    Examples
    --------
    Newcombe (1998b) Table II, example (a): 56/70 − 48/80 = 0.2, 95 % CI 0.0524 to 0.3339
    (the paper reports p1 − p2, so the later period here is 56/70):

    >>> d = share_difference(48, 80, 56, 70)
    >>> round(d.difference, 4), round(d.low, 4), round(d.high, 4), d.method
    (0.2, 0.0524, 0.3339, 'n-1 chi-square')
    """
    x1, n1 = check_successes(x1, n1, "x1", "n1")
    x2, n2 = check_successes(x2, n2, "x2", "n2")
    confidence = check_confidence(confidence)
    p1 = x1 / n1 if n1 else None
    p2 = x2 / n2 if n2 else None
    if p1 is None or p2 is None:
        return ShareDifference(p1, p2, None, None, None, None, None, None)

    ci1, ci2 = wilson(x1, n1, confidence), wilson(x2, n2, confidence)
    # Neither sample is empty, so both intervals have limits.
    assert ci1.low is not None and ci1.high is not None and ci2.low is not None and ci2.high is not None
    difference = p2 - p1
    low = difference - math.sqrt((p2 - ci2.low) ** 2 + (ci1.high - p1) ** 2)
    high = difference + math.sqrt((ci2.high - p2) ** 2 + (p1 - ci1.low) ** 2)

    table = [[x1, n1 - x1], [x2, n2 - x2]]
    total = n1 + n2
    column_totals = (x1 + x2, total - x1 - x2)
    expected = [row_total * column_total / total for row_total in (n1, n2) for column_total in column_totals]
    if min(expected) >= MIN_EXPECTED_COUNT:
        pearson = sum(
            (observed - expect) ** 2 / expect
            for observed, expect in zip((x1, n1 - x1, x2, n2 - x2), expected, strict=False)
        )
        statistic = pearson * (total - 1) / total
        method, p_value = "n-1 chi-square", float(chi2_sf(statistic, 1))
    else:
        statistic = None
        from scipy.stats import fisher_exact
        method, p_value = "fisher", float(fisher_exact(table, alternative="two-sided")[1])
    return ShareDifference(
        p1=p1,
        p2=p2,
        difference=difference,
        low=max(-1.0, low),
        high=min(1.0, high),
        method=method,
        statistic=statistic,
        p_value=min(1.0, p_value),
    )


@dataclass(frozen=True)
class MeanDifference:
    """Change of the mean rating between two periods, b − a, with Welch's t interval and test.

    Attributes
    ----------
    mean_a, mean_b : float or None
        The two means; ``None`` for an empty period.
    difference : float or None
        mean_b − mean_a; ``None`` unless both periods have at least two responses.
    low, high : float or None
        ``difference ∓ t(1-(1-confidence)/2, df) · se`` with the Welch-Satterthwaite df.
    df : float or None
        Welch-Satterthwaite degrees of freedom; ``None`` when se is 0 (no spread in either period).
    p_value : float or None
        Two-sided; with no spread in either period it is 1 when the means are equal and 0 otherwise
        (the change is then certain).
    """

    mean_a: float | None
    mean_b: float | None
    difference: float | None
    low: float | None
    high: float | None
    df: float | None
    p_value: float | None


def mean_difference(counts_a: Mapping[int, int], counts_b: Mapping[int, int],
                    confidence: float = 0.95) -> MeanDifference:
    """Welch's two-sample t on the mean rating of period a (earlier) and b (later), from counts per value.

    The quantity a card shows (the mean) is the quantity tested, so its verdict and its sign agree.

    Raises
    ------
    ValueError
        Negative or non-whole counts, non-integer scale values, or ``confidence`` outside (0, 1).

    Examples
    --------
    R's ``t.test(extra ~ group, data = sleep)`` (Welch), the values ×10 to make them integers and the
    groups in R's order reversed (b − a): R gives −1.58, 95 % CI −3.3655 to 0.2055, df 17.776,
    p = 0.07939.

    >>> a = {7: 1, -16: 1, -2: 1, -12: 1, -1: 1, 34: 1, 37: 1, 8: 1, 0: 1, 20: 1}
    >>> b = {19: 1, 8: 1, 11: 1, 1: 1, -1: 1, 44: 1, 55: 1, 16: 1, 46: 1, 34: 1}
    >>> r = mean_difference(a, b)
    >>> round(r.difference, 4), round(r.low, 3), round(r.high, 3), round(r.df, 3), round(r.p_value, 5)
    (15.8, -2.055, 33.655, 17.776, 0.07939)
    """
    return welch(mean_score(counts_a), mean_score(counts_b), confidence)


def welch(a: Mean, b: Mean, confidence: float = 0.95) -> MeanDifference:
    """Welch's two-sample t of b − a from each period's mean, standard deviation and n (`mean_score`, or
    `mean_of_sums` for a number question's answers), as R's ``t.test(b, a)``.

    Examples
    --------
    R's ``t.test(c(7, 10, 4.5, 12, 9, 6, 11, 8, 5), c(12, 15, 9, 20, 14, 11, 18, 16))``: difference
    −6.319444, 95 % CI −9.715743586 to −2.923145303, df 12.64038477, p = 0.001504587837.

    >>> from analysis.shares import mean_of_sums
    >>> r = welch(mean_of_sums(8, 115, 1747), mean_of_sums(9, 72.5, 640.25))
    >>> round(r.difference, 6), round(r.low, 8), round(r.high, 8), round(r.df, 7), round(r.p_value, 10)
    (-6.319444, -9.71574359, -2.9231453, 12.6403848, 0.0015045878)
    """
    confidence = check_confidence(confidence)
    if a.n < 2 or b.n < 2:
        return MeanDifference(a.estimate, b.estimate, None, None, None, None, None)
    # Two responses or more give a mean and a standard deviation.
    assert a.estimate is not None and a.sd is not None and b.estimate is not None and b.sd is not None
    difference = b.estimate - a.estimate
    va, vb = a.sd ** 2 / a.n, b.sd ** 2 / b.n
    se = math.sqrt(va + vb)
    if se == 0:
        return MeanDifference(a.estimate, b.estimate, difference, difference, difference, None,
                              1.0 if difference == 0 else 0.0)
    df = (va + vb) ** 2 / (va ** 2 / (a.n - 1) + vb ** 2 / (b.n - 1))
    half_width = float(t_ppf(0.5 + confidence / 2.0, df)) * se
    p_value = float(2 * t_sf(abs(difference) / se, df))
    return MeanDifference(a.estimate, b.estimate, difference, difference - half_width, difference + half_width,
                          df, min(1.0, p_value))
