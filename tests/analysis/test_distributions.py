"""analysis._distributions gives exactly what scipy.stats gives (it calls the scipy.special functions
scipy.stats' distributions call), edges included, and a statistic no longer imports scipy.stats."""
import math

import pytest
from scipy import stats

from analysis import _distributions as d
from tests.analysis.test_purity import fresh_interpreter

QUANTILES = [0.0, 1e-300, 1e-12, 0.001, 0.025, 0.05, 0.1, 0.5, 0.8, 0.9, 0.95, 0.975, 0.995, 1 - 1e-12, 1.0,
             -0.1, 1.1, math.nan]
XS = [-math.inf, -40.0, -3.5, -1.96, -1e-12, 0.0, 1e-300, 1e-12, 0.3, 1.0, 1.96, 3.84, 10.0, 123.4, 1e6, math.inf,
      math.nan]
DFS = [-1.0, 0.0, 0.5, 1.0, 2.0, 7.0, 29.0, 1e4, math.nan]


def same(ours: float, theirs) -> bool:
    theirs = float(theirs)
    return (math.isnan(ours) and math.isnan(theirs)) or ours == theirs


def test_the_normal_distribution_is_scipy_stats_to_the_bit():
    for q in QUANTILES:
        assert same(d.norm_ppf(q), stats.norm.ppf(q)), q
        assert same(d.norm_isf(q), stats.norm.isf(q)), q
    for x in XS:
        assert same(d.norm_cdf(x), stats.norm.cdf(x)), x
        assert same(d.norm_sf(x), stats.norm.sf(x)), x


@pytest.mark.parametrize("df", DFS)
def test_t_chi_square_and_f_are_scipy_stats_to_the_bit(df):
    for q in QUANTILES:
        assert same(d.t_ppf(q, df), stats.t.ppf(q, df)), q
    for x in XS:
        assert same(d.t_sf(x, df), stats.t.sf(x, df)), x
        assert same(d.chi2_sf(x, df), stats.chi2.sf(x, df)), x
        for dfd in (1.0, 12.0, df):
            assert same(d.f_sf(x, df, dfd), stats.f.sf(x, df, dfd)), (x, dfd)


def test_an_interval_and_a_comparison_do_not_import_scipy_stats():
    code = ("import sys\nimport analysis\n"
            "analysis.share_difference(40, 100, 55, 100)\nanalysis.bounded_mean({1: 3, 4: 30, 5: 40}, 1, 5)\n"
            "analysis.sample_size_two_shares(0.9, 0.75)\n"
            "print('scipy.special' in sys.modules, 'scipy.stats' in sys.modules, 'scipy.optimize' in sys.modules)\n")
    assert fresh_interpreter(code).split() == ["True", "False", "False"]
