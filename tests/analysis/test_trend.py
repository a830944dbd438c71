"""Cochran-Armitage trend test, matching R's prop.trend.test."""
import pytest

from analysis.trend import TrendTest, cochran_armitage


def test_r_prop_trend_test_documentation_example():
    # R ?prop.trend.test:
    #   smokers  <- c( 83, 90, 129, 70 ); patients <- c( 86, 93, 136, 82 )
    #   prop.trend.test(smokers, patients)  ->  X-squared = 8.2249, df = 1, p-value = 0.004132
    result = cochran_armitage([83, 90, 129, 70], [86, 93, 136, 82])
    assert result.chi2 == pytest.approx(8.2249, abs=1e-4)
    assert result.p_value == pytest.approx(0.004132, abs=1e-6)
    assert result.statistic == pytest.approx(-(8.2249**0.5), abs=1e-4)
    assert result.direction == "decreasing"


def test_agresti_alcohol_and_malformation():
    # Agresti, Categorical Data Analysis (2nd ed., 2002), Sec. 3.4 (Table 3.7): infant
    # malformation by mother's alcohol consumption, scores (0, 0.5, 1.5, 4, 7):
    # M^2 = (N-1) r^2 = 6.57, P = 0.01. The Cochran-Armitage chi-square is N r^2 = M^2 * N/(N-1).
    present = [48, 38, 5, 1, 1]
    absent = [17066, 14464, 788, 126, 37]
    n = [a + b for a, b in zip(present, absent, strict=False)]
    result = cochran_armitage(present, n, scores=[0, 0.5, 1.5, 4.0, 7.0])
    total = sum(n)
    assert result.chi2 * (total - 1) / total == pytest.approx(6.57, abs=5e-3)
    assert result.p_value == pytest.approx(0.01, abs=1e-3)
    assert result.direction == "increasing"


def test_scores_only_matter_up_to_linear_transformation():
    base = cochran_armitage([5, 9, 14], [30, 31, 29])
    shifted = cochran_armitage([5, 9, 14], [30, 31, 29], scores=[10, 20, 30])
    assert shifted.statistic == pytest.approx(base.statistic)
    reversed_scores = cochran_armitage([5, 9, 14], [30, 31, 29], scores=[3, 2, 1])
    assert reversed_scores.statistic == pytest.approx(-base.statistic)
    assert base.direction == "increasing"


def test_flat_shares_have_no_trend():
    result = cochran_armitage([10, 20, 10], [20, 40, 20])
    assert result.statistic == pytest.approx(0.0, abs=1e-12)
    assert result.p_value == pytest.approx(1.0)
    assert result.direction == "none"


def test_undefined_cases():
    undefined = TrendTest(None, None, None, None)
    assert cochran_armitage([0, 0], [0, 0]) == undefined  # no responses
    assert cochran_armitage([], []) == undefined
    assert cochran_armitage([0, 0, 0], [5, 6, 7]) == undefined  # pooled share 0
    assert cochran_armitage([5, 6], [5, 6]) == undefined  # pooled share 1
    assert cochran_armitage([3, 0], [5, 0]) == undefined  # only one period has responses


@pytest.mark.parametrize(
    ("successes", "ns", "scores", "message"),
    [
        ([1, 2], [3], None, "same length"),
        ([4, 1], [3, 3], None, "must not exceed"),
        ([-1, 1], [3, 3], None, "non-negative"),
        ([1, 1], [3, 3], [1], "one score per period"),
        ([1, 1], [3, 3], [1, float("nan")], "finite"),
    ],
)
def test_invalid_input(successes, ns, scores, message):
    with pytest.raises(ValueError, match=message):
        cochran_armitage(successes, ns, scores)
