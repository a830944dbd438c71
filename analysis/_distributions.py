"""The normal, Student t, chi-square and F tail and quantile functions Hearken's statistics use, computed by
the `scipy.special` functions that `scipy.stats`' distributions call for them — the same numbers, bit for
bit (tests/analysis/test_distributions.py compares them with `scipy.stats` over a grid and its edges).

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


def norm_ppf(q: float) -> float:
    return _probability(q, _special().ndtri, -math.inf, math.inf)


def norm_isf(q: float) -> float:
    return _probability(q, lambda p: -_special().ndtri(p), math.inf, -math.inf)


def norm_cdf(x: float) -> float:
    if math.isnan(x):
        return math.nan
    return float(_special().ndtr(x))


def norm_sf(x: float) -> float:
    if math.isnan(x):
        return math.nan
    return float(_special().ndtr(-x))


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
    return float(_special().chdtrc(df, x))


def f_sf(x: float, dfn: float, dfd: float) -> float:
    if not _df_ok(dfn, dfd) or math.isnan(x):
        return math.nan
    if x <= 0:
        return 1.0
    if x == math.inf:
        return 0.0
    return float(_special().fdtrc(dfn, dfd, x))
