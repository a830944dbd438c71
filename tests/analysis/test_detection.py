"""Trend detection on the issue's acceptance example and on simulated stable data."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import chi2, chi2_contingency

from analysis import PeriodCounts, Series, detect, share_difference, wilson
from analysis.detection import step_fit

MONTHS = [f"2026-{m:02d}" for m in range(1, 13)]
LOCATIONS = ["Leeds", "York", "Bath", "Hull", "Derby", "Ely"]


def series(location, counts, metric="top_box"):
    segment = (("location", location),) if location else ()
    return Series("support-csat", "satisfaction", metric, segment,
                  tuple(PeriodCounts(month, n, x) for month, (x, n) in zip(MONTHS, counts, strict=True)))


def with_overall(by_location):
    totals = [(sum(c[i][0] for c in by_location.values()), sum(c[i][1] for c in by_location.values()))
              for i in range(len(MONTHS))]
    return [series(None, totals)] + [series(name, counts) for name, counts in by_location.items()]


def acceptance_data(rng):
    data = {}
    for name in LOCATIONS:
        if name == "Ely":  # the tiny location: 15 responses a month
            data[name] = [(int(rng.binomial(15, 0.9)), 15) for _ in MONTHS]
        elif name == "York":  # climbs steadily from 60 % to 90 %
            data[name] = [(int(rng.binomial(100, 0.6 + 0.3 * i / 11)), 100) for i in range(12)]
        else:
            data[name] = [(int(rng.binomial(100, 0.9)), 100) for _ in MONTHS]
    data["Leeds"][-2] = (90, 100)  # 90 % extremely satisfied two months ago …
    data["Leeds"][-1] = (75, 100)  # … 75 % this month
    return data


def test_the_acceptance_example_flags_the_drop_reports_the_climb_and_nothing_else():
    result = detect(with_overall(acceptance_data(np.random.default_rng(2026))))
    leeds = [f for f in result.findings if f.segment == (("location", "Leeds"),) and f.kind == "change"]
    assert len(leeds) == 1
    drop = leeds[0]
    assert (drop.direction, drop.period_before, drop.period_after) == ("drop", "2026-11", "2026-12")
    assert (drop.n_before, drop.n_after, drop.value_before, drop.value_after) == (100, 100, 0.9, 0.75)
    assert drop.difference == pytest.approx(-0.15)
    # The N-1 chi-square (Campbell 2007): Pearson's X² × (N−1)/N, Pearson's from scipy as R's
    # prop.test(c(90, 75), c(100, 100), correct = FALSE) gives X-squared = 7.7922.
    pearson = chi2_contingency([[90, 10], [75, 25]], correction=False)[0]
    assert pearson == pytest.approx(7.7922, abs=1e-4)
    assert drop.p_value == pytest.approx(chi2.sf(pearson * 199 / 200, 1), rel=1e-9)
    # Newcombe's hybrid score interval (method 10) from the two Wilson intervals.
    before, after = wilson(90, 100), wilson(75, 100)
    assert drop.ci_low == pytest.approx(-0.15 - ((0.75 - after.low) ** 2 + (before.high - 0.9) ** 2) ** 0.5)
    assert drop.ci_high == pytest.approx(-0.15 + ((after.high - 0.75) ** 2 + (0.9 - before.low) ** 2) ** 0.5)
    assert drop.p_value <= drop.q_value <= 0.05

    york = [f for f in result.findings if f.segment == (("location", "York"),)]
    assert any(f.kind == "trend" and f.direction == "rise" for f in york)
    quiet = {("location", name) for name in ("Bath", "Hull", "Derby", "Ely")}
    assert not [f for f in result.findings if set(f.segment) & quiet]
    tiny = [s for s in result.shortfalls if s.series.segment == (("location", "Ely"),)]
    assert tiny and tiny[0].n_latest == 15 and tiny[0].needed_per_period > 100


def test_stable_data_raises_a_false_alert_in_at_most_the_fdr_share_of_runs():
    rng = np.random.default_rng(7)
    runs_with_alerts = 0
    for _ in range(200):
        data = {name: [(int(rng.binomial(15 if name == "Ely" else 100, 0.9)), 15 if name == "Ely" else 100)
                       for _ in MONTHS] for name in LOCATIONS}
        runs_with_alerts += bool(detect(with_overall(data), fdr=0.05).findings)
    assert runs_with_alerts / 200 <= 0.05


def test_nps_series_are_compared_on_the_minus_100_to_100_scale():
    before, after = PeriodCounts("2026-11", 100, 50, 20), PeriodCounts("2026-12", 100, 30, 40)
    result = detect([Series("nps", "recommend", "nps", (), (before, after))])
    (finding,) = result.findings
    assert (finding.value_before, finding.value_after, finding.difference) == (30.0, -10.0, -40.0)
    assert finding.method == "adjusted-wald" and finding.direction == "drop"


MONTHLY_300 = [f"2026-{m:02d}" for m in range(1, 13)]


def shares(xs, n=300, metric="top_box", detractors=None, year_before=None):
    return Series("support-csat", "satisfaction", metric, (),
                  tuple(PeriodCounts(month, n, x, detractors[i] if detractors else 0)
                        for i, (month, x) in enumerate(zip(MONTHLY_300, xs, strict=True))), year_before)


@pytest.mark.parametrize("last", [92, 90])
def test_a_fall_that_bounced_back_is_not_called_falling_beside_a_rise(last):
    """A fall from 90 % to 60 % whose last month bounces back to (or above) where it began is not "falling
    steadily … 90 % → 92 %": no direction is printed beside a zero or opposite difference. The bounce is the
    change test's news: a win above every earlier month, or a recovery back to a level already held."""
    shares_ = [90, 87, 84, 81, 78, 75, 72, 69, 66, 63, 60, last]
    result = detect([series(None, [(share, 100) for share in shares_])], window=12)
    assert not [finding for finding in result.findings if finding.kind == "trend"]
    (change,) = result.findings
    assert (change.kind, change.direction, change.recovered) == ("change", "rise", last <= 90)
    for finding in result.findings:
        assert (finding.difference < 0) == (finding.direction == "drop") and finding.difference != 0


def test_a_dip_that_recovered_is_no_steady_fall_and_its_rise_is_a_recovery():
    """80 % every month but one at 62 %, the month before the latest (300 a month). Cochran-Armitage rejects
    "constant" (R: prop.trend.test(x, n) gives p = 0.004293, and 0.0003067 without the latest month), but
    the shares are far from a line: R's prop.test(x, n)$statistic − prop.trend.test(x, n)$statistic =
    52.7922 − 8.1554 = 44.6367 on 10 df, pchisq(44.6367, 10, lower.tail = FALSE) = 2.53e-06
    (x <- c(rep(240, 10), 186, 240); n <- rep(300, 12)). So no trend is claimed, and the rise back to
    80 % is "recovered", not a win."""
    result = detect([shares([240] * 10 + [186, 240])])
    assert result.tests_run == 2  # the change and the trend test, both in the family
    (finding,) = result.findings
    assert (finding.kind, finding.direction, finding.recovered) == ("change", "rise", True)
    assert (finding.value_before, finding.value_after) == (0.62, 0.8)


def test_a_steady_fall_is_steady_with_its_slope():
    """R: x <- c(270, 266, 265, 259, 258, 252, 251, 247, 246, 240, 240, 236); n <- rep(300, 12);
    prop.trend.test(x, n)$p.value = 5.4608e-09; departure prop.test(x, n)$statistic −
    prop.trend.test(x, n)$statistic = 34.4429 − 34.0179 = 0.4250 on 10 df (p = 0.999997); without the
    latest month prop.trend.test(x[-12], n[-12])$p.value = 1.7406e-07."""
    result = detect([shares([270, 266, 265, 259, 258, 252, 251, 247, 246, 240, 240, 236])])
    (trend,) = [f for f in result.findings if f.kind == "trend"]
    assert (trend.shape, trend.direction, trend.method) == ("steady", "drop", "cochran-armitage")
    assert trend.p_value == pytest.approx(5.4607601e-09, rel=1e-6)
    assert (trend.period_before, trend.period_after, trend.value_before, trend.value_after) == \
        ("2026-01", "2026-12", 0.9, 236 / 300)
    assert trend.window_start == "2026-01" and trend.window_end == "2026-12"
    assert -0.011 < trend.slope < -0.009 and trend.difference < 0


def test_a_step_is_described_as_a_change_between_two_levels():
    """88 % for six months, then 78 % (300 a month). The line's departure is not significant (R:
    prop.test(s, n)$statistic − prop.trend.test(s, n)$statistic = 65.1075 − 48.1729 = 16.9345 on 10 df,
    p = 0.0758), so the departure test alone would call it steady; one step fits far better: R's
    prop.test(s, n)$statistic − prop.test(c(1584, 1404), c(1800, 1800), correct = FALSE)$statistic =
    65.1075 − 63.7845 = 1.3229 on 10 df, pchisq(1.3229, 10, lower.tail = FALSE) = 0.99939
    (s <- c(266, 262, 265, 263, 261, 267, 236, 232, 235, 233, 231, 237); n <- rep(300, 12))."""
    stepped = shares([266, 262, 265, 263, 261, 267, 236, 232, 235, 233, 231, 237])
    result = detect([stepped])
    (trend,) = [f for f in result.findings if f.kind == "trend"]
    assert (trend.shape, trend.direction, trend.slope) == ("step", "drop", None)
    assert (trend.period_before, trend.period_after) == ("2026-06", "2026-07")
    assert (trend.n_before, trend.successes_before, trend.n_after, trend.successes_after) == (1800, 1584, 1800, 1404)
    assert (trend.value_before, trend.value_after) == (0.88, 0.78)
    j, residual, p_value = step_fit(stepped, stepped.periods)
    assert j == 6 and residual == pytest.approx(1.322938814, rel=1e-6) and p_value == pytest.approx(0.9993891567)


def test_nps_drift_is_a_trend_in_the_same_family():
    """NPS falling 2 points a month for a year, +38 to +16 at 300 a month (promoters 159, 156, …, 126;
    detractors 45, 48, …, 78). R on the expanded responses (month 1…12; score 100 / 0 / −100):
    summary(lm(score ~ month))$coefficients gives slope −2, p = 1.008621e-07."""
    promoters = [159 - 3 * i for i in range(12)]
    detractors = [45 + 3 * i for i in range(12)]
    drifting = shares(promoters, metric="nps", detractors=detractors)
    result = detect([drifting, series(None, [(90, 100)] * 12)])
    (trend,) = result.findings
    assert (trend.kind, trend.metric, trend.shape, trend.direction, trend.method) == \
        ("trend", "nps", "steady", "drop", "least-squares")
    assert trend.p_value == pytest.approx(1.008621160e-07, rel=1e-6)
    assert trend.slope == pytest.approx(-2.0) and (trend.value_before, trend.value_after) == (38.0, 16.0)
    assert result.tests_run == 4  # change and trend for each series: one Benjamini-Hochberg family


def test_nps_shortfall_says_how_many_responses_would_see_a_10_point_drop():
    """NPS +24 from 49 % promoters and 25 % detractors: R (qnorm(0.975) + qnorm(0.8))^2 * 2 * 0.6824 / 0.1^2
    = 1071.2 responses a month (0.6824 = 0.49 + 0.25 − 0.24², the trinomial variance)."""
    tiny = Series("nps", "recommend", "nps", (), (PeriodCounts("2026-11", 100, 49, 25), PeriodCounts("2026-12", 0, 0)))
    (shortfall,) = detect([tiny]).shortfalls
    assert shortfall.needed_per_period == 1072 and shortfall.drop == 0.10


def test_the_latest_period_is_compared_with_the_same_period_a_year_earlier():
    """A December dip to 70 % from 80 %; last December was 71 %: the change is a drop, and the year-over-year
    comparison (in the same family) says it is no lower than a year ago."""
    last_year = PeriodCounts("2025-12", 300, 213)
    dip = shares([240] * 11 + [210], year_before=last_year)
    result = detect([dip])
    (year,) = result.year_over_year
    expected = share_difference(213, 300, 210, 300)
    assert (year.period_before, year.period_after, year.n_before, year.n_after) == ("2025-12", "2026-12", 300, 300)
    assert year.difference == pytest.approx(-0.01) and year.p_value == pytest.approx(expected.p_value)
    assert (year.ci_low, year.ci_high) == (pytest.approx(expected.low), pytest.approx(expected.high))
    assert not year.significant and year.q_value >= year.p_value
    assert result.tests_run == 3
    (change,) = [f for f in result.findings if f.kind == "change"]
    assert change.direction == "drop" and change.year_over_year == year
    assert change.as_json()["year_over_year"]["significant"] is False
    # Too few responses a year earlier: no comparison, and no test.
    sparse = detect([shares([240] * 11 + [210], year_before=PeriodCounts("2025-12", 12, 9))])
    assert sparse.year_over_year == () and sparse.tests_run == 2


def test_a_strong_findings_p_value_keeps_its_digits_in_json():
    """Rounded to six decimals, p = 4e-07 printed as 0 (and its −log10 as infinite)."""
    strong = series(None, [(180, 200)] * 11 + [(100, 200)])
    change = next(f for f in detect([strong]).findings if f.kind == "change")
    assert 0 < change.p_value < 1e-6
    assert change.as_json()["p_value"] == float(f"{change.p_value:.4g}") > 0


def test_too_little_data_is_a_shortfall_not_an_alert():
    tiny = series("Ely", [(13, 15)] * 11 + [(2, 15)])
    result = detect([tiny])
    assert result.findings == () and result.tests_run == 0
    assert result.shortfalls[0].needed_per_period >= 30


def test_empty_and_single_periods_do_not_crash():
    empty = Series("s", "q", "top_box", (), ())
    one = Series("s", "q", "top_box", (), (PeriodCounts("2026-01", 0, 0),))
    result = detect([empty, one])
    assert result.findings == () and len(result.shortfalls) == 2
    with pytest.raises(ValueError):
        detect([], fdr=2)


def test_mentions_of_a_theme_are_news_when_they_rise_above_the_rest_not_below_it():
    """A share of comments mentioning a theme: a segment mentioning it more than the rest is a gap; one
    mentioning it less is not; a rise back to an earlier level is still a rise (never "recovered")."""
    def mentions(location, counts):
        return Series("support-csat", "waiting time", "mentions", (("location", location),) if location else (),
                      tuple(PeriodCounts(month, n, x) for month, (x, n) in zip(MONTHS, counts, strict=True)))

    steady = [(10, 100)] * 12
    leeds = [(10, 100)] * 10 + [(30, 100), (10, 100)]  # back to 10 % after a month at 30 %
    york = [(10, 100)] * 11 + [(40, 100)]  # 4 × as many mentions in the latest month
    bath = [(10, 100)] * 11 + [(1, 100)]  # hardly any
    total = [tuple(sum(c[i][j] for c in (steady, leeds, york, bath)) for j in (0, 1)) for i in range(12)]
    found = detect([mentions(None, total), mentions("Hull", steady), mentions("Leeds", leeds),
                    mentions("York", york), mentions("Bath", bath)], min_n=30, window=12)
    gaps = {dict(f.segment)["location"]: f for f in found.findings if f.kind == "gap"}
    assert set(gaps) == {"York"} and gaps["York"].direction == "rise"
    york_change = next(f for f in found.findings if f.kind == "change" and f.segment == (("location", "York"),))
    assert york_change.direction == "rise" and not york_change.recovered
    assert york_change.ci_low is not None and york_change.ci_low > 0 and york_change.q_value <= 0.05
    # The same counts as satisfaction: below the rest is the gap, and York's rise is no news as a gap.
    as_share = detect([Series(s.survey, s.question, "top_box", s.segment, s.periods)
                       for s in (mentions(None, total), mentions("York", york), mentions("Bath", bath))], min_n=30)
    assert {dict(f.segment)["location"] for f in as_share.findings if f.kind == "gap"} == {"Bath"}
def test_a_mean_is_tested_with_welch_in_the_same_family_and_has_no_trend_test():
    # R: t.test(rep(c(7, 10, 4.5, 12, 9, 6, 11, 8), 5), rep(c(12, 15, 9, 20, 14, 11, 18, 16), 5)):
    # −5.9375, 95 % CI −7.27166146 to −4.60333854, p = 4.607742282e-13.
    flat = [PeriodCounts(month, 40, 0, 0, 575.0, 8735.0) for month in MONTHS[:-1]]
    means = Series("visits", "minutes", "mean", (), (*flat, PeriodCounts(MONTHS[-1], 40, 0, 0, 337.5, 3076.25)))
    shares = series(None, [(30, 60)] * 11 + [(20, 60)])
    detection = detect([means, shares], min_n=30)
    change = next(f for f in detection.findings if f.question == "minutes")
    assert (change.kind, change.method, change.direction) == ("change", "welch-t", "drop")
    assert change.difference == pytest.approx(-5.9375)
    assert (change.ci_low, change.ci_high) == pytest.approx((-7.27166146, -4.60333854))
    assert change.p_value == pytest.approx(4.607742282e-13, rel=1e-6)
    assert not [f for f in detection.findings if f.question == "minutes" and f.kind == "trend"]
    # One family: the share's change and trend and the mean's change (no year before given); the mean's p
    # is by far the smallest of the three, so Benjamini–Hochberg makes it 3p.
    assert detection.tests_run == 3
    assert change.q_value == pytest.approx(3 * change.p_value)


def test_a_mean_without_enough_responses_says_what_would_see_a_tenth_of_it():
    few = Series("visits", "minutes", "mean", (), (PeriodCounts("2026-10", 8, 0, 0, 115.0, 1747.0),
                                                   PeriodCounts("2026-11", 8, 0, 0, 115.0, 1747.0)))
    shortfall = detect([few], min_n=30).shortfalls[0]
    # sd 3.5378901 (R: sd(rep(c(12, 15, 9, 20, 14, 11, 18, 16), 2))), a drop of 1.4375 (10 % of 14.375):
    # (qnorm(0.975) + qnorm(0.8))^2 * 2 * sd(x)^2 / 1.4375^2 = 95.08 → 96
    assert shortfall.needed_per_period == 96 and shortfall.n_latest == 8
