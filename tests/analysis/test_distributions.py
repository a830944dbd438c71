"""analysis._distributions gives what scipy.stats gives: the normal functions (the standard library's) to
within 1e-12 relative and exactly at the edges, t, chi-square and F (the scipy.special functions scipy.stats'
distributions call) exactly; a share's interval imports no scipy, and no statistic imports scipy.stats."""
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


def close(ours: float, theirs) -> bool:
    theirs = float(theirs)
    if theirs == 0.0:  # scipy underflows to 0 a little earlier, past 38 standard deviations
        return 0.0 <= ours < 1e-300
    if math.isnan(theirs) or math.isinf(theirs) or theirs == 1.0:
        return same(ours, theirs)  # the edges exactly
    return math.isclose(ours, theirs, rel_tol=1e-12, abs_tol=0)


def test_the_normal_distribution_is_scipy_stats_to_1e_12_and_exact_at_the_edges():
    quantiles = [*QUANTILES, *(i / 1000 for i in range(1, 1000)), *(10.0 ** -k for k in range(1, 300, 7))]
    for q in quantiles:
        assert close(d.norm_ppf(q), stats.norm.ppf(q)), q
        assert close(d.norm_isf(q), stats.norm.isf(q)), q
    for x in [*XS, *(i / 100 for i in range(-4000, 4001))]:
        assert close(d.norm_cdf(x), stats.norm.cdf(x)), x
        assert close(d.norm_sf(x), stats.norm.sf(x)), x
    assert d.norm_ppf(0.975) == pytest.approx(1.959963984540054, abs=1e-15)  # qnorm(0.975) in R


def test_the_chi_square_tail_with_one_degree_of_freedom_is_scipy_stats_to_1e_12():
    for x in [*(10.0 ** (k / 10) for k in range(-3000, 33)), *(i / 100 for i in range(1, 10000))]:
        assert close(d.chi2_sf(x, 1), stats.chi2.sf(x, 1)), x


@pytest.mark.parametrize("df", DFS)
def test_t_chi_square_and_f_are_scipy_stats_to_the_bit(df):
    for q in QUANTILES:
        assert same(d.t_ppf(q, df), stats.t.ppf(q, df)), q
    for x in XS:
        assert same(d.t_sf(x, df), stats.t.sf(x, df)), x
        # One degree of freedom is the square of a normal, computed as one (see the normal's test).
        assert (close if df == 1 else same)(d.chi2_sf(x, df), stats.chi2.sf(x, df)), x
        for dfd in (1.0, 12.0, df):
            assert same(d.f_sf(x, df, dfd), stats.f.sf(x, df, dfd)), (x, dfd)


def test_a_share_and_a_comparison_import_no_scipy_and_no_statistic_imports_scipy_stats():
    # changes-digest in a new process computes only these: scipy.special alone cost it 0.2-0.4 s.
    shares = ("import sys\nimport analysis\n"
              "analysis.wilson(40, 100)\nanalysis.share_difference(40, 100, 55, 100)\n"
              "analysis.sample_size_two_shares(0.9, 0.75)\nprint('scipy' in sys.modules)\n")
    assert fresh_interpreter(shares).split() == ["False"]
    code = ("import sys\nimport analysis\n"
            "analysis.share_difference(40, 100, 55, 100)\nanalysis.bounded_mean({1: 3, 4: 30, 5: 40}, 1, 5)\n"
            "analysis.sample_size_two_shares(0.9, 0.75)\n"
            "print('scipy.special' in sys.modules, 'scipy.stats' in sys.modules, 'scipy.optimize' in sys.modules)\n")
    assert fresh_interpreter(code).split() == ["True", "False", "False"]
