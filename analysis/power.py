"""How many responses per period are needed to see a change in a share, and what change a given
number of responses can see.

Both functions use the power equation of R's ``power.prop.test`` (two-sided test of two
independent proportions, pooled variance under the null, normal approximation) and solve it
for n by bisection over whole numbers (R's ``uniroot``, rounded up), and for a change
with ``scipy.optimize.brentq`` as R solves it with ``uniroot``. The power includes the small
probability of rejecting in the wrong tail (R's ``strict = TRUE``); R's default
``strict = FALSE`` omits it, which changes n by far less than one response in practice.

References
----------
R Core Team. ``power.prop.test`` (package stats).
Fleiss JL, Levin B, Paik MC (2003). Statistical Methods for Rates and Proportions, 3rd ed.,
    section 4.2 (sample size for comparing two proportions).
"""
from __future__ import annotations

import math
import numbers

from analysis._checks import check_count, check_probability_open
from analysis._distributions import norm_cdf, norm_isf, norm_ppf, norm_sf

__all__ = ["detectable_change", "sample_size_nps", "sample_size_two_means", "sample_size_two_shares"]

_MAX_N = 1e15


def _power(n: float, p1: float, p2: float, alpha: float) -> float:
    """Power of the two-sided pooled z test with n per group (R power.prop.test, strict=TRUE)."""
    z_alpha = norm_isf(alpha / 2.0)
    difference = abs(p1 - p2)
    pooled_sd = math.sqrt((p1 + p2) * (1.0 - (p1 + p2) / 2.0))
    sd = math.sqrt(p1 * (1.0 - p1) + p2 * (1.0 - p2))
    root_n = math.sqrt(n)
    return float(
        norm_cdf((root_n * difference - z_alpha * pooled_sd) / sd)
        + norm_sf((root_n * difference + z_alpha * pooled_sd) / sd)
    )


def _check_alpha_power(alpha, power) -> tuple[float, float]:
    alpha = check_probability_open(alpha, "alpha")
    power = check_probability_open(power, "power")
    if power <= alpha:
        raise ValueError(f"power ({power}) must be greater than alpha ({alpha})")
    return alpha, power


def sample_size_two_shares(p1: float, p2: float, alpha: float = 0.05, power: float = 0.8) -> int:
    """Responses needed in *each* of two periods to detect a change of the share from p1 to p2.

    Parameters
    ----------
    p1, p2 : float
        Share before and after, each strictly between 0 and 1, p1 != p2.
    alpha : float, optional
        Two-sided significance level (default 0.05).
    power : float, optional
        Required probability of detecting the change (default 0.8); must exceed ``alpha``.

    Returns
    -------
    int
        The smallest whole n per period whose power is at least ``power``: ``ceil`` of the n
        that R's ``power.prop.test(p1 = p1, p2 = p2, sig.level = alpha, power = power)``
        reports (at least 1).

    Raises
    ------
    ValueError
        If p1 or p2 is not strictly between 0 and 1, p1 == p2, alpha or power is outside
        (0, 1), power <= alpha, or the difference is too small for any n below 10^15.

    Examples
    --------
    R ``power.prop.test(p1 = .50, p2 = .75, power = .90)`` gives n = 76.7 per group:

    >>> sample_size_two_shares(0.50, 0.75, power=0.90)
    77
    >>> sample_size_two_shares(0.90, 0.75)   # a 90 % -> 75 % drop, 80 % power
    100
    """
    p1 = check_probability_open(p1, "p1")
    p2 = check_probability_open(p2, "p2")
    if p1 == p2:
        raise ValueError(f"p1 and p2 must differ (both are {p1})")
    alpha, power = _check_alpha_power(alpha, power)

    def shortfall(n: float) -> float:
        return _power(n, p1, p2, alpha) - power

    if shortfall(1.0) >= 0:
        return 1
    high = 1e3
    while shortfall(high) < 0:
        high *= 10.0
        if high > _MAX_N:
            raise ValueError(f"p1 ({p1}) and p2 ({p2}) are too close to detect with any practical n")
    # The smallest whole n with the power, by bisection over whole numbers (the power grows with n): the
    # answer R's root rounded up gives, without importing scipy.optimize (1.4 s) for a root.
    low, high = 1, int(high)  # shortfall(low) < 0 <= shortfall(high)
    while high - low > 1:
        middle = (low + high) // 2
        if shortfall(middle) >= 0:
            high = middle
        else:
            low = middle
    return high


def detectable_change(
    p1: float, n: int, alpha: float = 0.05, power: float = 0.8, direction: str = "down"
) -> float | None:
    """Smallest change of a share from p1 detectable with n responses in each of two periods.

    The inverse of :func:`sample_size_two_shares`: the |p2 − p1| at which the two-sided test
    with n per period has exactly the requested power (R's ``power.prop.test(n = n, p1 = p1,
    power = power)`` solves the same equation for p2 > p1).

    Parameters
    ----------
    p1 : float
        Current share, strictly between 0 and 1.
    n : int
        Responses per period (n >= 0).
    alpha : float, optional
        Two-sided significance level (default 0.05).
    power : float, optional
        Required power (default 0.8); must exceed ``alpha``.
    direction : {"down", "up"}, optional
        Look for a drop (p2 < p1, the default) or a rise (p2 > p1).

    Returns
    -------
    float or None
        The change as a positive number (e.g. 0.15 for 90 % → 75 %). ``None`` when n == 0, or
        when even the largest possible change in that direction (to 0 or to 1) cannot be
        detected with this n.

    Raises
    ------
    ValueError
        If p1 is not strictly between 0 and 1, n is negative or not whole, alpha or power is
        outside (0, 1), power <= alpha, or direction is not "down" or "up".

    Examples
    --------
    R ``power.prop.test(n = 50, p1 = .5, power = .90)`` gives p2 = 0.8026:

    >>> round(detectable_change(0.5, 50, power=0.90, direction="up"), 4)
    0.3026
    """
    p1 = check_probability_open(p1, "p1")
    n = check_count(n, "n")
    alpha, power = _check_alpha_power(alpha, power)
    if direction not in ("down", "up"):
        raise ValueError(f'direction must be "down" or "up", got {direction!r}')
    if n == 0:
        return None
    extreme = 0.0 if direction == "down" else 1.0

    def shortfall(p2: float) -> float:
        return _power(n, p1, p2, alpha) - power

    if shortfall(extreme) < 0:
        return None
    from scipy.optimize import brentq
    p2 = brentq(shortfall, extreme, p1, xtol=1e-12, rtol=1e-12)
    return float(abs(p1 - p2))


def sample_size_nps(
    promoters: float, detractors: float, drop: float = 10.0, alpha: float = 0.05, power: float = 0.8
) -> int:
    """Responses needed in *each* of two periods to detect a change of NPS by ``drop`` points.

    NPS is the mean of every response's score (+1 promoter, 0 passive, −1 detractor), whose
    variance follows from the trinomial distribution (Rocks 2016)::

        v = p_p + p_d − (p_p − p_d)²

    For a two-sided z test of two independent periods with that variance in both (the change is
    assumed not to alter the spread; a drop that turns passives into detractors raises it a little),
    the normal approximation gives::

        n = (z_{1−α/2} + z_{power})² × 2v / (drop / 100)²

    rounded up. This is the equation of R's ``power.t.test`` with the normal in place of Student's
    t, which changes n by about one response at these sizes.

    Parameters
    ----------
    promoters, detractors : float
        Current shares of promoters (9–10) and detractors (0–6), each in [0, 1], summing to at most 1.
    drop : float, optional
        The change to detect, in NPS points on the −100..100 scale (default 10); 0 < drop ≤ 200.
    alpha : float, optional
        Two-sided significance level (default 0.05).
    power : float, optional
        Required probability of detecting the change (default 0.8); must exceed ``alpha``.

    Returns
    -------
    int
        Responses per period (at least 1).

    Raises
    ------
    ValueError
        If a share is outside [0, 1] or they sum to more than 1, the shares leave no variance
        (everyone a promoter, or everyone a detractor), drop is outside (0, 200], alpha or power is
        outside (0, 1), or power <= alpha.

    Examples
    --------
    NPS +24 from 49 % promoters and 25 % detractors: v = 0.6824. R:
    ``(qnorm(0.975) + qnorm(0.8))^2 * 2 * 0.6824 / 0.1^2`` = 1071.215 (``power.t.test(delta = 0.1,
    sd = sqrt(0.6824), power = 0.8)`` gives n = 1072.18), so 1072 a period to see a 10-point drop
    with 80 % power:

    >>> sample_size_nps(0.49, 0.25)
    1072

    References
    ----------
    Rocks B (2016). Interval estimation for the "Net Promoter Score". The American Statistician
        70(4):365-372.
    """
    shares: list[float] = []
    for name, value in (("promoters", promoters), ("detractors", detractors)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} must be a share between 0 and 1, got {value!r}")
        shares.append(float(value))
    promoters, detractors = shares
    if promoters + detractors > 1.0 + 1e-12:
        raise ValueError(f"promoters ({promoters}) and detractors ({detractors}) must not sum to more than 1")
    if isinstance(drop, bool) or not isinstance(drop, numbers.Real) or not 0.0 < drop <= 200.0:
        raise ValueError(f"drop must be between 0 and 200 NPS points, got {drop!r}")
    alpha, power = _check_alpha_power(alpha, power)
    variance = promoters + detractors - (promoters - detractors) ** 2
    if variance <= 0:
        raise ValueError(f"promoters ({promoters}) and detractors ({detractors}) leave no variance to plan with")
    z = float(norm_isf(alpha / 2.0) + norm_ppf(power))
    return max(1, math.ceil(z * z * 2.0 * variance / (drop / 100.0) ** 2 - 1e-9))


def sample_size_two_means(sd: float, drop: float, alpha: float = 0.05, power: float = 0.8) -> int:
    """Responses needed in *each* of two periods to detect a change of a mean by ``drop`` when the answers'
    standard deviation is ``sd`` (a number question): the normal approximation of R's ``power.t.test``,
    ``n = (z_{1−α/2} + z_{power})² × 2 sd² / drop²`` rounded up, as `sample_size_nps` computes it (Student's
    t would add about one response at the sizes that matter).

    Raises
    ------
    ValueError
        If sd or drop is not a positive finite number, alpha or power is outside (0, 1), or power <= alpha.

    Examples
    --------
    R: ``(qnorm(0.975) + qnorm(0.8))^2 * 2 * 2^2 / 1^2`` = 62.791 (``power.t.test(delta = 1, sd = 2,
    power = 0.8)`` gives n = 63.77):

    >>> sample_size_two_means(2.0, 1.0)
    63
    """
    alpha, power = _check_alpha_power(alpha, power)
    for name, value in (("sd", sd), ("drop", drop)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < value < math.inf:
            raise ValueError(f"{name} must be a positive number, got {value!r}")
    n = (norm_ppf(1.0 - alpha / 2.0) + norm_ppf(power)) ** 2 * 2.0 * sd * sd / (drop * drop)
    return max(1, math.ceil(n - 1e-9))
