"""Trend detection on the issue's acceptance example and on simulated stable data."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import chi2, chi2_contingency

from analysis import PeriodCounts, Series, detect, wilson

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


@pytest.mark.parametrize("last", [92, 90])
def test_a_steady_fall_is_a_drop_whatever_the_last_period_did(last):
    """The trend's direction is its statistic's sign: a fall from 90 % to 60 % whose last month bounces
    back to (or above) where it began is still a falling trend, not a rise, and not nothing."""
    shares = [90, 87, 84, 81, 78, 75, 72, 69, 66, 63, 60, last]
    result = detect([series(None, [(share, 100) for share in shares])], window=12)
    (trend,) = [finding for finding in result.findings if finding.kind == "trend"]
    assert trend.direction == "drop" and trend.value_after == last / 100


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
