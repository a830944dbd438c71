"""Cochran-Armitage trend test, matching R's prop.trend.test."""
import pytest

from analysis.trend import TrendTest, cochran_armitage, departure_from_linearity, nps_trend


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


# --- departure from linearity (shares) -------------------------------------------------------------

def test_departure_of_a_recovered_dip_matches_r():
    # R: x <- c(rep(240, 10), 186, 240); n <- rep(300, 12)
    #   prop.test(x, n)$statistic = 52.79217894; prop.trend.test(x, n)$statistic = 8.155435144
    #   pchisq(52.79217894 - 8.155435144, 10, lower.tail = FALSE) = 2.528633608e-06
    result = departure_from_linearity([240] * 10 + [186, 240], [300] * 12)
    assert result.chi2_total == pytest.approx(52.792178936, rel=1e-9)
    assert result.chi2_trend == pytest.approx(8.155435144, rel=1e-9)
    assert result.chi2_departure == pytest.approx(44.636743792, rel=1e-9)
    assert result.df == 10 and result.p_value == pytest.approx(2.528633608e-06, rel=1e-6)
    assert result.slope < 0 and result.fitted[0] > result.fitted[-1]


def test_departure_of_a_steady_fall_matches_r():
    # R: x <- c(270, 266, 265, 259, 258, 252, 251, 247, 246, 240, 240, 236); n <- rep(300, 12)
    #   prop.test(x, n)$statistic - prop.trend.test(x, n)$statistic = 34.44293903 - 34.01789248
    #   = 0.4250465532; pchisq(0.4250465532, 10, lower.tail = FALSE) = 0.9999969722
    x = [270, 266, 265, 259, 258, 252, 251, 247, 246, 240, 240, 236]
    result = departure_from_linearity(x, [300] * 12)
    assert result.chi2_departure == pytest.approx(0.4250465532, rel=1e-7)
    assert result.p_value == pytest.approx(0.9999969722, rel=1e-9)
    assert result.chi2_trend == pytest.approx(cochran_armitage(x, [300] * 12).chi2)


def test_departure_is_undefined_without_three_periods_or_variation():
    assert departure_from_linearity([5, 6], [10, 10]).chi2_departure is None
    assert departure_from_linearity([0, 0, 0], [10, 10, 10]).p_value is None
    assert departure_from_linearity([3, 0, 4, 5], [10, 0, 10, 10]).df == 1  # an empty period is skipped
    with pytest.raises(ValueError, match="successes\\[1\\]"):
        departure_from_linearity([3, 11, 4], [10, 10, 10])
    with pytest.raises(ValueError, match="same length"):
        departure_from_linearity([3, 4], [10, 10, 10])


# --- NPS trend -------------------------------------------------------------------------------------

DRIFT = [(159 - 3 * i, 96, 45 + 3 * i) for i in range(12)]  # +38 → +16, 300 a month


def test_nps_drift_matches_r_lm_on_the_responses():
    # R, on the responses expanded (month 1..12; score 100 promoter, 0 passive, -100 detractor):
    #   fit <- lm(score ~ month); summary(fit)$coefficients["month", ] =
    #     -2, 0.3748093996, -5.336045473, 1.008621160e-07; confint(fit)["month", ] = -2.734860129, -1.265139871
    result = nps_trend(DRIFT)
    assert result.slope == pytest.approx(-2.0, abs=1e-9)
    assert result.se == pytest.approx(0.3748093996, rel=1e-8)
    assert result.statistic == pytest.approx(-5.336045473, rel=1e-8)
    assert result.p_value == pytest.approx(1.008621160e-07, rel=1e-6)
    assert (result.low, result.high) == (pytest.approx(-2.734860129, rel=1e-8), pytest.approx(-1.265139871, rel=1e-8))
    assert result.df == 3598 and result.fitted[0] == pytest.approx(38.0) and result.fitted[-1] == pytest.approx(16.0)
    assert result.departure_f == pytest.approx(0.0, abs=1e-9)  # an exact line
    # Leaving out the latest month: summary(lm(score ~ month, data = d[d$month < 12, ])) gives p = 2.729230149e-06.
    assert nps_trend(DRIFT[:-1]).p_value == pytest.approx(2.729230149e-06, rel=1e-6)


def test_nps_departure_from_linearity_matches_r_anova():
    # R: P <- c(160, 150, 158, 149, 140, 146, 139, 135, 137, 128, 130, 124)
    #    D <- c(45, 50, 44, 52, 55, 50, 58, 60, 57, 66, 61, 70); 300 a month, expanded as above:
    #   summary(lm(score ~ month))$coefficients["month", ] = -1.682983683, 0.3651698169, -4.608769962, 4.191167200e-06
    #   anova(lm(score ~ month), lm(score ~ factor(month))): Df 10, F = 0.27175, Pr(>F) = 0.98728
    promoters = [160, 150, 158, 149, 140, 146, 139, 135, 137, 128, 130, 124]
    detractors = [45, 50, 44, 52, 55, 50, 58, 60, 57, 66, 61, 70]
    result = nps_trend([(p, 300 - p - d, d) for p, d in zip(promoters, detractors, strict=True)])
    assert result.slope == pytest.approx(-1.682983683, rel=1e-8)
    assert result.se == pytest.approx(0.3651698169, rel=1e-8)
    assert result.p_value == pytest.approx(4.191167200e-06, rel=1e-6)
    assert result.departure_df == (10, 3588)
    assert result.departure_f == pytest.approx(0.27175, abs=5e-6)
    assert result.departure_p == pytest.approx(0.98728, abs=5e-6)


def test_nps_trend_is_undefined_without_data_and_checks_its_input():
    assert nps_trend([]).slope is None
    assert nps_trend([(10, 0, 0), (10, 0, 0), (10, 0, 0)]).p_value is None  # nobody differs
    assert nps_trend([(5, 3, 2), (0, 0, 0)]).slope is None  # one period with responses
    with pytest.raises(ValueError, match="counts\\[1\\]"):
        nps_trend([(5, 3, 2), (1, 2)])
    with pytest.raises(ValueError, match="counts\\[0\\]\\[2\\]"):
        nps_trend([(5, 3, -2), (1, 2, 3)])
    with pytest.raises(ValueError, match="confidence"):
        nps_trend([(5, 3, 2), (1, 2, 3)], confidence=1.5)
