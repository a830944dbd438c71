"""The normal, Student t, chi-square and F tail and quantile functions Hearken's statistics use.

The normal ones come from the standard library (`statistics.NormalDist.inv_cdf`, Wichura's AS 241, and
`math.erf`/`erfc` arranged as Cephes' `ndtr` arranges them): a share's interval and a comparison of two
shares, which is most of what Hearken computes (every `changes-digest`, most cards), then import no scipy at
all, whose `scipy.special` alone costs a new process 0.2–0.4 s. They agree with `scipy.stats` to within
1e-12 relative (libm's and Cephes' `erfc` differ in the last digits deep in the tails, beyond 30 standard
deviations) and exactly at the edges; so does the chi-square tail with one degree of freedom (the square of
a normal), which compares two shares. The t, chi-square and F functions are the `scipy.special` functions
that `scipy.stats`' distributions call — the same numbers, bit for bit. tests/analysis/test_distributions.py
compares both with `scipy.stats` over a grid and its edges.

Why not `scipy.stats`: importing it takes 1.5 s of CPU (it loads every distribution, `scipy.optimize`,
`scipy.sparse` and `scipy.linalg`), against 0.4 s for `scipy.special`. A process's first results page,
every `changes-digest` and every command that computes one interval paid for it. `scipy.stats` is still
imported where nothing else will do (Fisher's exact test for small tables).

Outside a distribution's parameters (degrees of freedom not above 0, NaN) the answer is NaN and at or
beyond the ends of its support the tail is 0 or 1, as `scipy.stats` answers; `special` alone may say NaN
there (`chdtrc(1, -1e-12)`).
"""
from __future__ import annotations

import math
from statistics import NormalDist

_STANDARD_NORMAL = NormalDist()
_HALF_SQRT2 = math.sqrt(0.5)


def _special():
    from scipy import special

    return special


def _df_ok(*dfs: float) -> bool:
    return all(df > 0 for df in dfs)  # False for NaN too


def _probability(q: float, quantile, low: float, high: float) -> float:
    """A quantile function's answer as rv_continuous.ppf gives it: the support's ends at 0 and 1."""
    if not 0 <= q <= 1:  # NaN too
        return math.nan
    if q == 0:
        return low
    if q == 1:
        return high
    return float(quantile(q))


def _ndtr(x: float) -> float:
    """The standard normal CDF as Cephes' ndtr computes it: erf near 0, erfc (no cancellation) in the tails."""
    if math.isnan(x):
        return math.nan
    z = x * _HALF_SQRT2
    if abs(z) < _HALF_SQRT2:
        return 0.5 + 0.5 * math.erf(z)
    tail = 0.5 * math.erfc(abs(z))
    return 1.0 - tail if z > 0 else tail


def norm_ppf(q: float) -> float:
    return _probability(q, _STANDARD_NORMAL.inv_cdf, -math.inf, math.inf)


def norm_isf(q: float) -> float:
    return _probability(q, lambda p: -_STANDARD_NORMAL.inv_cdf(p), math.inf, -math.inf)


def norm_cdf(x: float) -> float:
    return _ndtr(x)


def norm_sf(x: float) -> float:
    return _ndtr(-x)


def t_ppf(q: float, df: float) -> float:
    if not _df_ok(df):
        return math.nan
    return _probability(q, lambda p: _special().stdtrit(df, p), -math.inf, math.inf)


def t_sf(x: float, df: float) -> float:
    if not _df_ok(df) or math.isnan(x):
        return math.nan
    if x == math.inf:
        return 0.0
    if x == -math.inf:
        return 1.0
    return float(_special().stdtr(df, -x))


def chi2_sf(x: float, df: float) -> float:
    if not _df_ok(df) or math.isnan(x):
        return math.nan
    if x <= 0:  # the support is [0, ∞): everything lies above
        return 1.0
    if x == math.inf:
        return 0.0
    if df == 1:
        # The square of a standard normal: the n−1 chi-square of two shares (every comparison of two
        # periods) needs no scipy. Agrees with chdtrc(1, x) to within 1e-12 relative.
        return math.erfc(math.sqrt(x / 2))
    return float(_special().chdtrc(df, x))


def f_sf(x: float, dfn: float, dfd: float) -> float:
    if not _df_ok(dfn, dfd) or math.isnan(x):
        return math.nan
    if x <= 0:
        return 1.0
    if x == math.inf:
        return 0.0
    return float(_special().fdtrc(dfn, dfd, x))
