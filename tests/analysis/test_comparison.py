"""share_difference: Newcombe (1998b) method 10 interval, N-1 chi-square / Fisher test."""
import pytest
from scipy.stats import chi2

from analysis.comparison import MeanDifference, ShareDifference, mean_difference, share_difference


# Newcombe RG (1998) "Interval estimation for the difference between independent proportions:
# comparison of eleven methods", Stat Med 17:873-890, Table II, method 10 (hybrid score, no CC).
# The paper reports p1 - p2 for (paper_x1/paper_n1, paper_x2/paper_n2); this library reports
# later - earlier = p2 - p1, so the paper's first sample is passed as our *second* sample.
@pytest.mark.parametrize(
    ("paper_x1", "paper_n1", "paper_x2", "paper_n2", "difference", "low", "high"),
    [
        (56, 70, 48, 80, 0.2, 0.0524, 0.3339),  # example (a)
        (9, 10, 3, 10, 0.6, 0.1705, 0.8090),  # example (b)
        (5, 56, 0, 29, 0.0893, -0.0381, 0.1926),  # example (d)
        (0, 10, 0, 20, 0.0, -0.1611, 0.2775),  # example (e)
        (0, 10, 0, 10, 0.0, -0.2775, 0.2775),  # example (f)
        (10, 10, 0, 20, 1.0, 0.6791, 1.0),  # example (g)
        (10, 10, 0, 10, 1.0, 0.6075, 1.0),  # example (h)
    ],
)
def test_newcombe_1998_table_2_method_10(paper_x1, paper_n1, paper_x2, paper_n2, difference, low, high):
    result = share_difference(paper_x2, paper_n2, paper_x1, paper_n1)
    assert result.difference == pytest.approx(difference, abs=1e-4)
    assert result.low == pytest.approx(low, abs=1e-4)
    assert result.high == pytest.approx(high, abs=1e-4)


def test_sign_convention_is_later_minus_earlier():
    # Newcombe (1998b) Table II (a) again, in the paper's order: 56/70 earlier, 48/80 later.
    result = share_difference(56, 70, 48, 80)
    assert result.p1 == pytest.approx(0.8) and result.p2 == pytest.approx(0.6)
    assert result.difference == pytest.approx(-0.2)
    assert result.low == pytest.approx(-0.3339, abs=1e-4)
    assert result.high == pytest.approx(-0.0524, abs=1e-4)


def test_small_example_from_method_10_formula():
    # Newcombe (1998b) Table II (c) 6/7 - 2/7. Computed from the method-10 formula with the
    # Wilson limits 6/7: 0.4869-0.9743 and 2/7: 0.0822-0.6411 (Newcombe 1998a method 3):
    # 0.5714 - sqrt(0.3702^2 + 0.3554^2) = 0.0582, 0.5714 + sqrt(0.1172^2 + 0.2035^2) = 0.8062.
    result = share_difference(2, 7, 6, 7)
    assert result.difference == pytest.approx(0.5714, abs=1e-4)
    assert result.low == pytest.approx(0.0582, abs=1e-4)
    assert result.high == pytest.approx(0.8062, abs=1e-4)


def test_n_minus_1_chi_square_against_r_prop_test():
    # R: prop.test(c(15, 25), c(50, 50), correct = FALSE)
    #    X-squared = 4.1667, df = 1, p-value = 0.04123   (Pearson chi-square)
    # N-1 chi-square (Campbell 2007) = 4.1667 * 99/100 = 4.125.
    result = share_difference(15, 50, 25, 50)
    assert result.method == "n-1 chi-square"
    pearson = result.statistic * 100 / 99
    assert pearson == pytest.approx(4.1667, abs=1e-4)
    assert chi2.sf(pearson, 1) == pytest.approx(0.04123, abs=1e-5)
    assert result.statistic == pytest.approx(4.125, abs=1e-4)
    assert result.p_value == pytest.approx(chi2.sf(4.125, 1))
    assert result.p_value == pytest.approx(0.04225, abs=1e-5)
    assert result.difference == pytest.approx(0.2)


def test_fisher_when_an_expected_count_is_small():
    # R ?fisher.test, Fisher's tea-tasting example: TeaTasting = matrix(c(3, 1, 1, 3), nrow = 2),
    # fisher.test(TeaTasting) -> two-sided p-value = 0.4857.
    result = share_difference(3, 4, 1, 4)
    assert result.method == "fisher"
    assert result.statistic is None
    assert result.p_value == pytest.approx(0.4857, abs=1e-4)


def test_expected_count_threshold():
    # Expected counts (row total x column total / N): 5/5/5/5 for 5/10 vs 5/10 -> chi-square.
    assert share_difference(5, 10, 5, 10).method == "n-1 chi-square"
    # 4/10 vs 5/10: expected successes 4.5 < 5 -> Fisher.
    assert share_difference(4, 10, 5, 10).method == "fisher"


def test_identical_shares():
    result = share_difference(30, 60, 40, 80)
    assert result.difference == 0.0
    assert result.p_value == pytest.approx(1.0)
    assert result.low < 0 < result.high


def test_n_zero():
    assert share_difference(0, 0, 1, 2) == ShareDifference(None, 0.5, None, None, None, None, None, None)
    assert share_difference(1, 4, 0, 0) == ShareDifference(0.25, None, None, None, None, None, None, None)
    assert share_difference(0, 0, 0, 0).difference is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((-1, 10, 1, 10), "x1"),
        ((1, 10, 1, -10), "n2"),
        ((11, 10, 1, 10), "x1 \\(11\\) must not exceed n1"),
        ((1, 10, 12, 10), "x2 \\(12\\) must not exceed n2"),
        ((1, 10, 1, 10, 0.0), "confidence"),
        ((1, 10, 1, 10, 1.0), "confidence"),
    ],
)
def test_invalid_input(args, message):
    with pytest.raises(ValueError, match=message):
        share_difference(*args)


# --- the mean: Welch's t ------------------------------------------------------------------------------

@pytest.mark.parametrize("a, b", [
    ({1: 3, 2: 5, 3: 10, 4: 20, 5: 12}, {1: 8, 2: 9, 3: 12, 4: 15, 5: 6}),
    ({2: 10, 3: 40, 4: 10}, {2: 40, 5: 20}),  # the same mean, another spread: no change at all
    ({4: 1, 5: 1}, {1: 30, 5: 70}),
])
def test_mean_difference_is_scipys_welch_t(a, b):
    import numpy as np
    from scipy.stats import ttest_ind

    values_a, values_b = np.repeat(list(a), list(a.values())), np.repeat(list(b), list(b.values()))
    reference = ttest_ind(values_b, values_a, equal_var=False)
    result = mean_difference(a, b)
    assert result.p_value == pytest.approx(reference.pvalue, rel=1e-9)
    interval = reference.confidence_interval(0.95)
    assert (result.low, result.high) == (pytest.approx(interval.low), pytest.approx(interval.high))
    assert result.difference == pytest.approx(values_b.mean() - values_a.mean())


def test_mean_difference_without_spread_or_data():
    assert mean_difference({5: 40}, {4: 40}).p_value == 0.0 and mean_difference({5: 40}, {5: 40}).p_value == 1.0
    assert mean_difference({}, {5: 40}) == MeanDifference(None, 5.0, None, None, None, None, None)
    assert mean_difference({5: 1}, {5: 40}).difference is None
