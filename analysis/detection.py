"""Trend detection over many series at once: which satisfaction figures really moved.

Pure: it takes period counts (from SQL GROUP BY or rollups) and returns findings; storing alerts and
emailing managers is the application's business.

For every series (a survey question's metric for all respondents or for one segment such as
location = Leeds) three tests are run, each only where every period involved has at least `min_n`
responses:

``change``
    the latest complete period against the one before (Newcombe interval with the N-1 chi-square or
    Fisher's exact test for shares; adjusted-Wald z test for NPS; Welch's t, as R's ``t.test``, for a
    mean);
``trend``
    movement over the last `window` periods: Cochran-Armitage for shares, the least-squares slope of
    every response's score (R's ``lm(score ~ period)``) for NPS. The test rejects "constant", not "a
    line", so a significant one is reported as a *steady* trend only when the movement is steady: the
    departure from the fitted line is not significant (p ≥ 0.05: chi-square for shares, as R's
    ``prop.test`` minus ``prop.trend.test``; the F test of ``anova`` for NPS), no single step fits
    clearly better (its residual chi-square is not `STEP_PENALTY` below the line's), the trend is still
    there (p ≤ 0.05, same sign) without the latest period, and the window's last period is on the
    trend's side of its first. Otherwise, when one step explains the periods (two levels, the later
    one lasting at least two periods — a step into the latest period alone is the change test's news —
    and whose residual is not significant) it is reported as a *step*
    change between the two levels; any other shape (a dip that recovered, a bounce) is not claimed —
    the change and gap tests speak for the latest period (a mean — a number question's — has no trend
    test: its change, gap and year tests are Welch's t);
``gap``
    a segment significantly below the rest of the organisation in the latest period, even if it did
    not change (the rest = all respondents minus the segment);
``year``
    the latest period against the same period a year earlier (``Series.year_before``), so that a
    seasonal dip can be recognised as one. Its verdict accompanies the series' findings and is listed
    in ``Detection.year_over_year``; it raises nothing on its own.

A share of comments mentioning a theme (metric ``mentions``) is tested as every other share; only the news
runs the other way where the direction matters: a segment is a gap when it mentions the theme
significantly *more* than the rest of the organisation (fewer mentions is no news), and a rise is never
*recovered*. A change or trend is reported either way, as a rise or a drop of mentions.

Every p-value of the run is adjusted together (Benjamini-Hochberg); a finding is reported when its
q-value is at most `fdr`. A significant rise of the latest period is *recovered*, not a win, when the
new value is no higher than the figure already was in an earlier period of the window (with at least
`min_n` responses). Series without enough data are listed with the responses per period that would
detect a drop of `planning_drop` (shares: R's ``power.prop.test``; NPS: the trinomial variance; a mean:
a drop of that fraction of its level, from the answers' standard deviation).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from analysis._distributions import chi2_sf, f_sf
from analysis.comparison import MeanDifference, ShareDifference, share_difference, welch
from analysis.multiple_testing import benjamini_hochberg
from analysis.nps import NPSDifference, nps_difference
from analysis.power import sample_size_nps, sample_size_two_means, sample_size_two_shares
from analysis.shares import Mean, mean_of_sums
from analysis.trend import cochran_armitage, departure_from_linearity, nps_trend

__all__ = ["Detection", "Finding", "METRICS", "PeriodCounts", "STEADY_ALPHA", "Series", "Shortfall",
           "YearOverYear", "detect"]

# top3_box: a Customer Effort Score agreeing; first: the share ranking an option first (a ranking question);
# mean: a number question's mean; mentions: the share of comments mentioning a theme.
METRICS = ("top_box", "top2_box", "top3_box", "nps", "first", "mean", "mentions")
# Shares of something customers complain of: more of it is the news (mentions: of a theme, in comments).
RISING_NEWS = ("mentions",)
STEADY_ALPHA = 0.05  # the level of the shape checks (departure from the line or step; latest left out)
STEP_PENALTY = 2.0  # chi-square units a step must fit better than the line by (its position is chosen)


@dataclass(frozen=True)
class PeriodCounts:
    """One period of one series.

    period: its label (``2026-09``, ``2026-W37``); n: responses; successes: top-box (or top-2-box)
    answers for share metrics, promoters (9–10) for NPS; detractors: answers 0–6 (NPS only); total
    and squares: the sum of the answers and of their squares (a mean only).
    """

    period: str
    n: int
    successes: int
    detractors: int = 0
    total: float = 0.0
    squares: float = 0.0


@dataclass(frozen=True)
class Series:
    """One figure over time: survey and question keys, metric (top_box, top2_box, top3_box, nps, or
    mentions: the share of comments mentioning the theme named as the question), segment
    (``()`` for all respondents, else e.g. ``(("location", "Leeds"),)``), periods (oldest first,
    consecutive, the last one the latest complete period) and year_before: the same period a year
    before the latest (``None`` when not known)."""

    survey: str
    question: str
    metric: str  # top_box | top2_box | top3_box | nps | mentions
    segment: tuple[tuple[str, str], ...]  # () = all respondents; (("location", "Leeds"),)
    periods: tuple[PeriodCounts, ...]  # oldest first, consecutive, the last one complete
    year_before: PeriodCounts | None = None


@dataclass(frozen=True)
class YearOverYear:
    """The latest period of a series against the same period a year earlier.

    survey, question, metric, segment: the series. period_before, n_before, value_before: the period a
    year earlier; period_after, n_after, value_after: the latest. difference: value_after −
    value_before with its 95 % interval ci_low, ci_high (Newcombe for shares, adjusted Wald for NPS);
    p_value, method as for a change; q_value: Benjamini-Hochberg in the run's one family; significant:
    q_value ≤ the run's false discovery rate.
    """

    survey: str
    question: str
    metric: str
    segment: tuple[tuple[str, str], ...]
    period_before: str
    period_after: str
    n_before: int
    n_after: int
    value_before: float
    value_after: float
    difference: float
    ci_low: float | None
    ci_high: float | None
    p_value: float
    q_value: float
    method: str
    significant: bool

    def as_json(self) -> dict:
        return {"period_before": self.period_before, "period_after": self.period_after,
                "n_before": self.n_before, "n_after": self.n_after, "value_before": _round(self.value_before),
                "value_after": _round(self.value_after), "difference": _round(self.difference),
                "ci_low": _round(self.ci_low), "ci_high": _round(self.ci_high),
                "p_value": _significant(self.p_value), "q_value": _significant(self.q_value),
                "method": self.method, "significant": self.significant}


@dataclass(frozen=True)
class Finding:
    """One significant result, with the evidence `detect-trends --json` prints (docs/formats.md).

    survey, question, metric, segment: which series. kind: change, trend or gap. period_before,
    period_after, n_before, n_after, value_before, value_after: the two sides compared — for a steady
    trend the first and last periods of the window; for a step the two levels, pooled over the periods
    before the step (window_start … period_before) and from it on (period_after … window_end); for a
    gap the rest of the organisation and the segment in the same period. difference: value_after −
    value_before (nps on the −100…100 scale, shares on 0…1), never zero and always of the direction's
    sign; ci_low, ci_high: its 95 % interval (None for a trend). p_value; q_value: Benjamini-Hochberg
    over every test of the run. method: score, fisher, adjusted-wald, cochran-armitage or
    least-squares (NPS trend). direction: drop or rise. successes_before, successes_after: the counts
    behind the two values (top-box or top-2-box answers; promoters for NPS), so a reader can recompute
    them exactly; detractors_before, detractors_after: NPS only (None for shares).

    shape: for a trend, steady or step (None otherwise). slope: a steady trend's fitted change per
    period (share or NPS points). window_start, window_end: a trend's first and last periods.
    recovered: a rise of the latest period back to (not above) a level the figure already had in the
    window — not a win. year_over_year: the latest period against the same period a year earlier,
    when both have enough responses.
    """

    survey: str
    question: str
    metric: str
    segment: tuple[tuple[str, str], ...]
    kind: str
    period_before: str
    period_after: str
    n_before: int
    n_after: int
    value_before: float
    value_after: float
    difference: float
    ci_low: float | None
    ci_high: float | None
    p_value: float
    q_value: float
    method: str
    direction: str
    successes_before: int
    successes_after: int
    detractors_before: int | None
    detractors_after: int | None
    shape: str | None = None
    slope: float | None = None
    window_start: str | None = None
    window_end: str | None = None
    recovered: bool = False
    year_over_year: YearOverYear | None = None

    def as_json(self) -> dict:
        return {"survey": self.survey, "question": self.question, "metric": self.metric,
                "segment": dict(self.segment), "kind": self.kind, "period_before": self.period_before,
                "period_after": self.period_after, "n_before": self.n_before, "n_after": self.n_after,
                "value_before": _round(self.value_before), "value_after": _round(self.value_after),
                "difference": _round(self.difference), "ci_low": _round(self.ci_low),
                "ci_high": _round(self.ci_high), "p_value": _significant(self.p_value),
                "q_value": _significant(self.q_value), "method": self.method, "direction": self.direction,
                "successes_before": self.successes_before, "successes_after": self.successes_after,
                "detractors_before": self.detractors_before, "detractors_after": self.detractors_after,
                "shape": self.shape, "slope": _round(self.slope, 6), "window_start": self.window_start,
                "window_end": self.window_end, "recovered": self.recovered,
                "year_over_year": self.year_over_year.as_json() if self.year_over_year else None}


@dataclass(frozen=True)
class Shortfall:
    """A series whose latest periods have too few responses to test: say so, and what would suffice.

    series: the series; n_latest: responses in its latest period; needed_per_period: responses per
    period that would detect a drop of `drop` with 80 % power, two-sided at 5 % (None when the series
    has no responses to estimate its level from, or no spread); drop: that drop (0…1 for shares; for
    NPS 0.10 is 10 points).
    """

    series: Series
    n_latest: int
    needed_per_period: int | None  # responses per period to detect a drop of `drop`, with 80 % power
    drop: float


@dataclass(frozen=True)
class Detection:
    """findings: significant results; shortfalls: series with too little data; tests_run: the size of
    the family the q-values were computed over; year_over_year: every series' latest period against
    the same period a year earlier, where both have enough responses."""

    findings: tuple[Finding, ...]
    shortfalls: tuple[Shortfall, ...]
    tests_run: int
    year_over_year: tuple[YearOverYear, ...] = ()


@dataclass
class _Test:
    series: Series
    kind: str
    before: PeriodCounts
    after: PeriodCounts
    value_before: float
    value_after: float
    difference: float
    ci_low: float | None
    ci_high: float | None
    p_value: float
    method: str
    report_rises: bool = True
    report_drops: bool = True
    q_value: float = field(default=1.0)
    statistic: float | None = None  # a trend's statistic: its sign is the trend's direction
    shape: str | None = None  # a trend's: steady, step, or None when neither may be claimed
    slope: float | None = None
    window: tuple[str, str] | None = None
    recovered: bool = False

    @property
    def direction(self) -> int:
        """-1 a drop, 1 a rise, 0 neither. A trend's is its statistic's sign, and only when the
        difference printed beside it agrees (never "falling" beside a zero or a rise)."""
        sign = (self.difference > 0) - (self.difference < 0)
        if self.statistic is None:
            return sign
        trend = (self.statistic > 0) - (self.statistic < 0)
        return trend if trend == sign else 0

    @property
    def reportable(self) -> bool:
        if self.kind == "year" or self.direction == 0:
            return False
        if self.kind == "trend" and self.shape is None:
            return False
        return self.report_drops if self.direction < 0 else self.report_rises


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(float(value), digits)


def _significant(value: float | None, digits: int = 4) -> float | None:
    """A p- or q-value to `digits` significant digits: rounded to decimals, a strong finding's 4e-07 was 0."""
    return None if value is None else float(f"{float(value):.{digits}g}")


def _value(series: Series, counts: PeriodCounts) -> float:
    if series.metric == "mean":
        return counts.total / counts.n
    if series.metric == "nps":
        return 100.0 * (counts.successes - counts.detractors) / counts.n
    return counts.successes / counts.n


def _triple(counts: PeriodCounts) -> tuple[int, int, int]:
    return counts.successes, counts.n - counts.successes - counts.detractors, counts.detractors


def _compare(series: Series, kind: str, before: PeriodCounts, after: PeriodCounts) -> _Test | None:
    result: NPSDifference | ShareDifference | MeanDifference
    if series.metric == "mean":
        result = welch(_mean(before), _mean(after))
        method = "welch-t"
    elif series.metric == "nps":
        result = nps_difference(_triple(before), _triple(after))
        method = "adjusted-wald"
    else:
        result = share_difference(before.successes, before.n, after.successes, after.n)
        method = "score" if result.method != "fisher" else "fisher"
    if result.p_value is None:
        return None
    return _Test(series, kind, before, after, _value(series, before), _value(series, after),
                 _value(series, after) - _value(series, before), result.low, result.high, result.p_value, method)


def _mean(counts: PeriodCounts) -> Mean:
    return mean_of_sums(counts.n, counts.total, counts.squares)


def _rest(whole: PeriodCounts, part: PeriodCounts) -> PeriodCounts:
    return PeriodCounts(whole.period, whole.n - part.n, whole.successes - part.successes,
                        whole.detractors - part.detractors, whole.total - part.total, whole.squares - part.squares)


def _pooled(label: str, periods: Sequence[PeriodCounts]) -> PeriodCounts:
    return PeriodCounts(label, sum(p.n for p in periods), sum(p.successes for p in periods),
                        sum(p.detractors for p in periods), sum(p.total for p in periods),
                        sum(p.squares for p in periods))


def _trend_statistic(series: Series, periods: Sequence[PeriodCounts]) -> tuple[float | None, float | None]:
    """(statistic, p-value) of the trend test over `periods`."""
    if series.metric == "nps":
        trend = nps_trend([_triple(p) for p in periods])
        return trend.statistic, trend.p_value
    test = cochran_armitage([p.successes for p in periods], [p.n for p in periods])
    return test.statistic, test.p_value


def _departure(series: Series, periods: Sequence[PeriodCounts]) -> tuple[float | None, float | None, float | None]:
    """(departure from the fitted line as a chi-square — for NPS the F statistic times its numerator
    df —, its p-value, the slope per period on the metric's scale)."""
    if series.metric == "nps":
        trend = nps_trend([_triple(p) for p in periods])
        f, df = trend.departure_f, trend.departure_df
        chi2 = None if f is None or df is None else f * df[0]  # both None or neither
        return chi2, trend.departure_p, trend.slope
    linearity = departure_from_linearity([p.successes for p in periods], [p.n for p in periods])
    return linearity.chi2_departure, linearity.p_value, linearity.slope


def _means(series: Series, periods: Sequence[PeriodCounts]) -> list[tuple[int, float, float]]:
    """(n, mean response score, within-period sum of squares) per period: shares score 1/0, NPS ±1/0."""
    rows = []
    for p in periods:
        if series.metric == "nps":
            mean = (p.successes - p.detractors) / p.n
            rows.append((p.n, mean, p.successes + p.detractors - p.n * mean * mean))
        else:
            mean = p.successes / p.n
            rows.append((p.n, mean, p.successes - p.n * mean * mean))
    return rows


def step_fit(series: Series, periods: Sequence[PeriodCounts]) -> tuple[int, float, float] | None:
    """The step that best explains `periods` (all with responses) as two levels: (index of the first
    period after the step, what the two levels leave unexplained as a chi-square, its p-value on k − 2
    df); a step into the latest period alone is index k − 1. Shares: R's ``prop.test(x, n)`` minus
    ``prop.test`` of the two pooled levels (``correct = FALSE``); NPS: the F statistic of
    ``anova(lm(score ~ level), lm(score ~ factor(period)))`` (times k − 2) and its p-value. None with
    fewer than four periods."""
    k = len(periods)
    if k < 4:
        return None
    rows = _means(series, periods)
    total = sum(n for n, _, _ in rows)
    grand = sum(n * m for n, m, _ in rows) / total
    best = None
    for j in range(1, k):
        levels = []
        for part in (rows[:j], rows[j:]):
            size = sum(n for n, _, _ in part)
            levels.append((size, sum(n * m for n, m, _ in part) / size))
        between = sum(size * (level - grand) ** 2 for size, level in levels)
        if best is None or between > best[0]:
            residual = sum(n * (m - levels[0][1]) ** 2 for n, m, _ in rows[:j]) + \
                sum(n * (m - levels[1][1]) ** 2 for n, m, _ in rows[j:])
            best = (between, j, residual)
    assert best is not None  # k >= 4: the loop ran
    _, j, residual = best
    if series.metric == "nps":
        within = sum(w for _, _, w in rows)
        if within <= 0 or total <= k:
            return None
        statistic = (residual / (k - 2)) / (within / (total - k))
        return j, statistic * (k - 2), float(f_sf(statistic, k - 2, total - k))
    scale = grand * (1.0 - grand)
    if scale <= 0:
        return None
    return j, residual / scale, float(chi2_sf(residual / scale, k - 2))


def _trend(series: Series, recent: Sequence[PeriodCounts]) -> _Test | None:
    """The trend test over the window, with the shape that may be claimed (steady, step or None)."""
    statistic, p_value = _trend_statistic(series, recent)
    if p_value is None or statistic is None:
        return None
    sign = (statistic > 0) - (statistic < 0)
    method = "least-squares" if series.metric == "nps" else "cochran-armitage"
    first, last = recent[0], recent[-1]
    window = (first.period, last.period)
    departure, departure_p, slope = _departure(series, recent)
    fit = step_fit(series, recent)
    # A step fits clearly better than the line: two units of chi-square for choosing where it is.
    step_better = fit is not None and departure is not None and fit[1] + STEP_PENALTY < departure
    without_latest, p_without = _trend_statistic(series, recent[:-1])
    steady = (departure_p is None or departure_p >= STEADY_ALPHA) and not step_better \
        and without_latest is not None and p_without is not None and p_without <= STEADY_ALPHA \
        and (without_latest > 0) - (without_latest < 0) == sign
    endpoints = _value(series, last) - _value(series, first)
    if steady and (endpoints > 0) - (endpoints < 0) == sign:
        return _Test(series, "trend", first, last, _value(series, first), _value(series, last), endpoints, None,
                     None, p_value, method, statistic=statistic, shape="steady", slope=slope, window=window)
    # A step into the latest period alone is the change test's news, not a movement over the window.
    if fit is not None and fit[0] < len(recent) - 1 and fit[2] >= STEADY_ALPHA \
            and (step_better or departure_p is None or departure_p < STEADY_ALPHA):
        j = fit[0]
        before = _pooled(recent[j - 1].period, recent[:j])
        after = _pooled(recent[j].period, recent[j:])
        difference = _value(series, after) - _value(series, before)
        return _Test(series, "trend", before, after, _value(series, before), _value(series, after), difference,
                     None, None, p_value, method, statistic=statistic, shape="step", window=window)
    # Neither steady nor one step (a dip that recovered, a bounce): the test counts in the family, but no
    # movement over the window is claimed.
    return _Test(series, "trend", first, last, _value(series, first), _value(series, last), endpoints, None, None,
                 p_value, method, statistic=statistic, window=window)


def detect(series_list: Sequence[Series], *, min_n: int = 30, window: int = 12, fdr: float = 0.05,
           planning_drop: float = 0.10) -> Detection:
    """Run every test on every series, adjust all p-values together, return what is significant."""
    if min_n < 1 or window < 3 or not 0 < fdr < 1:
        raise ValueError("min_n must be ≥ 1, window ≥ 3 and fdr between 0 and 1")
    overall: Mapping[tuple, Series] = {(s.survey, s.question, s.metric): s for s in series_list if not s.segment}
    tests: list[_Test] = []
    shortfalls: list[Shortfall] = []
    for series in series_list:
        tests += _series_tests(series, overall.get((series.survey, series.question, series.metric)), min_n, window)
        if len(series.periods) < 2 or series.periods[-1].n < min_n or series.periods[-2].n < min_n:
            shortfalls.append(_shortfall(series, min_n, planning_drop))
    for test, q_value in zip(tests, benjamini_hochberg([t.p_value for t in tests]), strict=True):
        test.q_value = q_value
    years = {_key(t.series): _year(t, fdr) for t in tests if t.kind == "year"}
    findings = tuple(_finding(t, years.get(_key(t.series))) for t in tests if t.q_value <= fdr and t.reportable)
    return Detection(findings, tuple(shortfalls), len(tests), tuple(years.values()))


def _series_tests(series: Series, whole: Series | None, min_n: int, window: int) -> list[_Test]:
    """The tests one series has enough responses for: the latest change, the trend over the window, the
    gap to the rest of its survey (a segment), the same period a year before."""
    periods = series.periods
    recent = periods[-window:]
    tests: list[_Test] = []
    if len(periods) >= 2 and periods[-1].n >= min_n and periods[-2].n >= min_n:
        test = _compare(series, "change", periods[-2], periods[-1])
        if test:
            earlier = [_value(series, p) for p in recent[:-2] if p.n >= min_n]
            test.recovered = test.difference > 0 and bool(earlier) and test.value_after <= max(earlier) \
                and series.metric not in RISING_NEWS
            tests.append(test)
    if series.metric != "mean" and len(recent) >= 3 and all(p.n >= min_n for p in recent) \
            and (trend := _trend(series, recent)):
        tests.append(trend)
    if series.segment and whole is not None and periods and periods[-1].n >= min_n:
        same = next((p for p in whole.periods if p.period == periods[-1].period), None)
        if same is not None and same.n - periods[-1].n >= min_n:
            gap = _compare(series, "gap", _rest(same, periods[-1]), periods[-1])
            if gap:
                # Being above the rest is not news; being below is (for mentions of a theme, the reverse).
                gap.report_rises = series.metric in RISING_NEWS
                gap.report_drops = series.metric not in RISING_NEWS
                tests.append(gap)
    year = series.year_before
    if year is not None and periods and year.n >= min_n and periods[-1].n >= min_n \
            and year.period != periods[-1].period and (test := _compare(series, "year", year, periods[-1])):
        tests.append(test)
    return tests


def _key(series: Series) -> tuple:
    return series.survey, series.question, series.metric, series.segment


def _year(test: _Test, fdr: float) -> YearOverYear:
    series = test.series
    return YearOverYear(
        survey=series.survey, question=series.question, metric=series.metric, segment=series.segment,
        period_before=test.before.period, period_after=test.after.period, n_before=test.before.n,
        n_after=test.after.n, value_before=test.value_before, value_after=test.value_after,
        difference=test.difference, ci_low=test.ci_low, ci_high=test.ci_high, p_value=test.p_value,
        q_value=test.q_value, method=test.method, significant=test.q_value <= fdr)


def _finding(test: _Test, year: YearOverYear | None) -> Finding:
    series = test.series
    return Finding(
        survey=series.survey, question=series.question, metric=series.metric, segment=series.segment,
        kind=test.kind, period_before=test.before.period, period_after=test.after.period,
        n_before=test.before.n, n_after=test.after.n, value_before=test.value_before,
        value_after=test.value_after, difference=test.difference, ci_low=test.ci_low, ci_high=test.ci_high,
        p_value=test.p_value, q_value=test.q_value, method=test.method,
        direction="drop" if test.direction < 0 else "rise",
        successes_before=test.before.successes, successes_after=test.after.successes,
        detractors_before=test.before.detractors if series.metric == "nps" else None,
        detractors_after=test.after.detractors if series.metric == "nps" else None,
        shape=test.shape, slope=test.slope, window_start=test.window[0] if test.window else None,
        window_end=test.window[1] if test.window else None, recovered=test.recovered, year_over_year=year)


def _shortfall(series: Series, min_n: int, drop: float) -> Shortfall:
    latest = series.periods[-1].n if series.periods else 0
    total_n = sum(p.n for p in series.periods)
    needed = None
    if total_n and series.metric == "mean":
        pooled = _mean(_pooled("", series.periods))
        if pooled.sd and pooled.estimate:
            needed = max(sample_size_two_means(pooled.sd, drop * abs(pooled.estimate)), min_n)
    elif total_n and series.metric == "nps":
        promoters = sum(p.successes for p in series.periods) / total_n
        detractors = sum(p.detractors for p in series.periods) / total_n
        if promoters + detractors - (promoters - detractors) ** 2 > 0:
            needed = max(sample_size_nps(promoters, detractors, 100.0 * drop), min_n)
    elif total_n:
        share = sum(p.successes for p in series.periods) / total_n
        share = min(max(share, drop + 0.01), 0.99)
        needed = max(sample_size_two_shares(share, share - drop), min_n)
    return Shortfall(series, latest, needed, drop)
