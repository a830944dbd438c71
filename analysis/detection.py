"""Trend detection over many series at once: which satisfaction figures really moved.

Pure: it takes period counts (from SQL GROUP BY or rollups) and returns findings; storing alerts and
emailing managers is the application's business.

For every series (a survey question's metric for all respondents or for one segment such as
location = Leeds) three tests are run, each only where every period involved has at least `min_n`
responses:

``change``
    the latest complete period against the one before (Newcombe interval with the N-1 chi-square or
    Fisher's exact test for shares; adjusted-Wald z test for NPS);
``trend``
    sustained drift: Cochran-Armitage over the last `window` periods (shares only);
``gap``
    a segment significantly below the rest of the organisation in the latest period, even if it did
    not change (the rest = all respondents minus the segment).

Every p-value of the run is adjusted together (Benjamini-Hochberg); a finding is reported when its
q-value is at most `fdr`. Series without enough data are listed with the responses per period that
would detect a drop of `planning_drop`.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from analysis.comparison import share_difference
from analysis.multiple_testing import benjamini_hochberg
from analysis.nps import nps_difference
from analysis.power import sample_size_two_shares
from analysis.trend import cochran_armitage

__all__ = ["Detection", "Finding", "METRICS", "PeriodCounts", "Series", "Shortfall", "detect"]

METRICS = ("top_box", "top2_box", "nps")


@dataclass(frozen=True)
class PeriodCounts:
    """One period of one series.

    period: its label (``2026-09``, ``2026-W37``); n: responses; successes: top-box (or top-2-box)
    answers for share metrics, promoters (9–10) for NPS; detractors: answers 0–6 (NPS only).
    """

    period: str
    n: int
    successes: int
    detractors: int = 0


@dataclass(frozen=True)
class Series:
    """One figure over time: survey and question keys, metric (top_box, top2_box or nps), segment
    (``()`` for all respondents, else e.g. ``(("location", "Leeds"),)``) and periods (oldest first,
    consecutive, the last one the latest complete period)."""

    survey: str
    question: str
    metric: str  # top_box | top2_box | nps
    segment: tuple[tuple[str, str], ...]  # () = all respondents; (("location", "Leeds"),)
    periods: tuple[PeriodCounts, ...]  # oldest first, consecutive, the last one complete


@dataclass(frozen=True)
class Finding:
    """One significant result, with the evidence of INTERFACES.md (`detect-trends --json`).

    survey, question, metric, segment: which series. kind: change, trend or gap. period_before,
    period_after, n_before, n_after, value_before, value_after: the two sides compared — for a trend the
    first and last periods of the window, for a gap the rest of the organisation and the segment in the
    same period. difference: value_after − value_before (nps on the −100…100 scale, shares on 0…1);
    ci_low, ci_high: its 95 % interval (None for a trend). p_value; q_value: Benjamini-Hochberg over
    every test of the run. method: score, fisher, adjusted-wald or cochran-armitage. direction: drop
    or rise (for a trend, the sign of its statistic: the window's last period may have bounced back).
    successes_before, successes_after: the counts behind the two values (top-box or top-2-box answers;
    promoters for NPS), so a reader can recompute them exactly; detractors_before, detractors_after: NPS
    only (None for shares).
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

    def as_json(self) -> dict:
        return {"survey": self.survey, "question": self.question, "metric": self.metric,
                "segment": dict(self.segment), "kind": self.kind, "period_before": self.period_before,
                "period_after": self.period_after, "n_before": self.n_before, "n_after": self.n_after,
                "value_before": _round(self.value_before), "value_after": _round(self.value_after),
                "difference": _round(self.difference), "ci_low": _round(self.ci_low),
                "ci_high": _round(self.ci_high), "p_value": _significant(self.p_value),
                "q_value": _significant(self.q_value), "method": self.method, "direction": self.direction,
                "successes_before": self.successes_before, "successes_after": self.successes_after,
                "detractors_before": self.detractors_before, "detractors_after": self.detractors_after}


@dataclass(frozen=True)
class Shortfall:
    """A series whose latest periods have too few responses to test: say so, and what would suffice.

    series: the series; n_latest: responses in its latest period; needed_per_period: responses per
    period that would detect a drop of `drop` with 80 % power (None for NPS); drop: that drop (0…1).
    """

    series: Series
    n_latest: int
    needed_per_period: int | None  # responses per period to detect a drop of `drop`, with 80 % power
    drop: float


@dataclass(frozen=True)
class Detection:
    """findings: significant results; shortfalls: series with too little data; tests_run: the size of
    the family the q-values were computed over."""

    findings: tuple[Finding, ...]
    shortfalls: tuple[Shortfall, ...]
    tests_run: int


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
    q_value: float = field(default=1.0)
    trend_z: float | None = None  # a trend's statistic: its sign, not the window's end points, is its direction

    @property
    def direction(self) -> int:
        """-1 a drop, 1 a rise, 0 neither."""
        change = self.difference if self.trend_z is None else self.trend_z
        return (change > 0) - (change < 0)


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(float(value), digits)


def _significant(value: float | None, digits: int = 4) -> float | None:
    """A p- or q-value to `digits` significant digits: rounded to decimals, a strong finding's 4e-07 was 0."""
    return None if value is None else float(f"{float(value):.{digits}g}")


def _value(series: Series, counts: PeriodCounts) -> float:
    if series.metric == "nps":
        return 100.0 * (counts.successes - counts.detractors) / counts.n
    return counts.successes / counts.n


def _compare(series: Series, kind: str, before: PeriodCounts, after: PeriodCounts) -> _Test | None:
    if series.metric == "nps":
        def triple(c):
            return c.successes, c.n - c.successes - c.detractors, c.detractors
        result = nps_difference(triple(before), triple(after))
        method = "adjusted-wald"
    else:
        result = share_difference(before.successes, before.n, after.successes, after.n)
        method = "score" if result.method != "fisher" else "fisher"
    if result.p_value is None:
        return None
    return _Test(series, kind, before, after, _value(series, before), _value(series, after),
                 _value(series, after) - _value(series, before), result.low, result.high, result.p_value, method)


def _rest(whole: PeriodCounts, part: PeriodCounts) -> PeriodCounts:
    return PeriodCounts(whole.period, whole.n - part.n, whole.successes - part.successes,
                        whole.detractors - part.detractors)


def detect(series_list: Sequence[Series], *, min_n: int = 30, window: int = 12, fdr: float = 0.05,
           planning_drop: float = 0.10) -> Detection:
    """Run every test on every series, adjust all p-values together, return what is significant."""
    if min_n < 1 or window < 3 or not 0 < fdr < 1:
        raise ValueError("min_n must be ≥ 1, window ≥ 3 and fdr between 0 and 1")
    overall: Mapping[tuple, Series] = {(s.survey, s.question, s.metric): s for s in series_list if not s.segment}
    tests: list[_Test] = []
    shortfalls: list[Shortfall] = []
    for series in series_list:
        periods = series.periods
        if len(periods) < 2 or periods[-1].n < min_n or periods[-2].n < min_n:
            shortfalls.append(_shortfall(series, min_n, planning_drop))
        else:
            test = _compare(series, "change", periods[-2], periods[-1])
            if test:
                tests.append(test)
        recent = periods[-window:]
        if series.metric != "nps" and len(recent) >= 3 and all(p.n >= min_n for p in recent):
            trend = cochran_armitage([p.successes for p in recent], [p.n for p in recent])
            if trend.p_value is not None:
                first, last = recent[0], recent[-1]
                tests.append(_Test(series, "trend", first, last, _value(series, first), _value(series, last),
                                   _value(series, last) - _value(series, first), None, None, trend.p_value,
                                   "cochran-armitage", trend_z=trend.statistic))
        whole = overall.get((series.survey, series.question, series.metric))
        if series.segment and whole is not None and periods and periods[-1].n >= min_n:
            same = next((p for p in whole.periods if p.period == periods[-1].period), None)
            if same is not None and same.n - periods[-1].n >= min_n:
                gap = _compare(series, "gap", _rest(same, periods[-1]), periods[-1])
                if gap:
                    gap.report_rises = False  # being above the rest is not news; being below is
                    tests.append(gap)
    for test, q_value in zip(tests, benjamini_hochberg([t.p_value for t in tests]), strict=True):
        test.q_value = q_value
    findings = tuple(_finding(t) for t in tests
                     if t.q_value <= fdr and t.direction != 0 and (t.direction < 0 or t.report_rises))
    return Detection(findings, tuple(shortfalls), len(tests))


def _finding(test: _Test) -> Finding:
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
        detractors_after=test.after.detractors if series.metric == "nps" else None)


def _shortfall(series: Series, min_n: int, drop: float) -> Shortfall:
    latest = series.periods[-1].n if series.periods else 0
    total_n = sum(p.n for p in series.periods)
    needed = None
    if series.metric != "nps" and total_n:
        share = sum(p.successes for p in series.periods) / total_n
        share = min(max(share, drop + 0.01), 0.99)
        needed = max(sample_size_two_shares(share, share - drop), min_n)
    return Shortfall(series, latest, needed, drop)
