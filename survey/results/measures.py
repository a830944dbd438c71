"""Number and date answers on the results page: how many, the median and quartiles, and a histogram; and
rankings: each option's mean rank and how often it was ranked first.

They are not rolled up (a cell per distinct number or day would make the rollup grow with the answers), so
they are counted from the answers of the responses the filter selects: one GROUP BY over those questions'
answers per page, its cost growing with their answers rather than with days × values × segments.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Float, cast, func, select

from analysis import histogram, mean_of_sums, quartiles, wilson
from survey.extensions import db
from survey.models import Answer, Question, Response
from survey.results.charts import Bar, TrendPoint
from survey.results.periods import expressed_start, period_expression, period_label

MEASURED_TYPES = ("numeric", "date", "ranking")
DISTINCT_BARS = 12  # up to this many distinct answers, a bar each; past it, ten equal-width bins


@dataclass(frozen=True)
class Measures:
    n: int
    summary: tuple[tuple[str, str], ...]  # (what, value): answers, median, quartiles, range
    bars: tuple[Bar, ...]


def measure(questions: Sequence[Question], conditions: list) -> dict[str, Measures]:
    """Question key → its measures, for the number and date questions among `questions`."""
    measured = {q.key: q for q in questions if q.type in MEASURED_TYPES}
    if not measured:
        return {}
    counts: dict[str, Counter] = {key: Counter() for key in measured}
    for key, text, rank, n in db.session.execute(
            select(Answer.question_key, Answer.value_text, Answer.value_int, func.count())
            .join(Response, Answer.response_id == Response.id)
            .where(*conditions, Answer.question_key.in_(list(measured)), Answer.value_text.is_not(None))
            .group_by(Answer.question_key, Answer.value_text, Answer.value_int)):
        text = str(text)  # (never NULL: see the condition)
        kind = measured[key].type
        value = (text, rank) if kind == "ranking" else \
            date.fromisoformat(text).toordinal() if kind == "date" else float(text)
        counts[key][value] += int(n)
    return {key: _ranking(measured[key], counts[key]) if measured[key].type == "ranking"
            else _measures(measured[key].type == "date", counts[key]) for key in measured}


def _ranking(question: Question, counts: Counter) -> Measures:
    """Each option's mean rank (1 = first) and share ranked first; options named as the question names them
    now (matched without regard to case), then any that an earlier version had."""
    names = {option.casefold(): option for option in question.options}
    ranks: dict[str, Counter] = {option: Counter() for option in question.options}
    for (text, rank), n in counts.items():
        ranks.setdefault(names.get(text.casefold(), text), Counter())[rank] += n
    n = max((sum(by_rank.values()) for by_rank in ranks.values()), default=0)
    summary: tuple[tuple[str, str], ...] = (("Answers", str(n)),)
    for option, by_rank in ranks.items():
        given = sum(by_rank.values())
        if given:
            mean = sum(rank * k for rank, k in by_rank.items()) / given
            summary += ((option, f"mean rank {_number(mean)}, ranked first by {100 * by_rank[1] / given:.0f} %"),)
    return Measures(n, summary, tuple(Bar(option, by_rank[1]) for option, by_rank in ranks.items()))


def _measures(dates: bool, counts: Counter) -> Measures:
    shown = _day if dates else _number
    result = quartiles(counts)
    summary: tuple[tuple[str, str], ...] = (("Answers", str(result.n)),)
    if result.n:
        summary += (("Median", shown(result.median)), ("Quartiles", f"{shown(result.q1)} to {shown(result.q3)}"),
                    ("Range", f"{shown(result.low)} to {shown(result.high)}"))
    return Measures(result.n, summary, _date_bars(counts) if dates else _number_bars(counts))


def _number_bars(counts: Counter) -> tuple[Bar, ...]:
    if len(counts) <= DISTINCT_BARS:
        return tuple(Bar(_number(value), n) for value, n in sorted(counts.items()))
    return tuple(Bar(f"{_number(low)} to {_number(high)}", n) for low, high, n in histogram(counts))


def _date_bars(counts: Counter) -> tuple[Bar, ...]:
    """A bar per month, or per year when the answers span more than two years."""
    days = {date.fromordinal(int(day)): n for day, n in counts.items()}
    by_year = days and (max(days).year - min(days).year) > 2
    grouped: Counter = Counter()
    for day, n in days.items():
        grouped[str(day.year) if by_year else day.strftime("%Y-%m")] += n
    return tuple(Bar(label, n) for label, n in sorted(grouped.items()))


def _number(value: float | None) -> str:
    if value is None:
        return ""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text.replace("-", "\u2212") if text.startswith("-") else text


def _day(value: float | None) -> str:
    return "" if value is None else date.fromordinal(round(value)).isoformat()


@dataclass(frozen=True)
class MeasuredTrend:
    """What the results page draws over time for a number question (its mean, with a Student-t interval) or a
    ranking (the share of those ranking who put its leading option first, with a Wilson interval): the same
    series trend detection tests (survey.alerts.trends)."""

    metric: str  # mean | first
    label: str
    points: tuple[TrendPoint, ...]


def trends(questions: Sequence[Question], conditions: list, unit: str, starts: Sequence[date],
           min_n: int) -> dict[str, MeasuredTrend]:
    """Question key → its trend, for the number and ranking questions among `questions`: one GROUP BY per
    kind over the selected responses' answers by period. A period below `min_n` answers is a gap."""
    numbers = [q.key for q in questions if q.type == "numeric"]
    rankings = {q.key: q for q in questions if q.type == "ranking"}
    period = period_expression(unit, Response.local_date)
    base = select().select_from(Answer).join(Response, Answer.response_id == Response.id).where(*conditions)
    found: dict[str, MeasuredTrend] = {}
    if numbers:
        value = cast(Answer.value_text, Float)
        sums: dict[str, dict[date, tuple[int, float, float]]] = {key: {} for key in numbers}
        for key, start, n, total, squares in db.session.execute(
                base.add_columns(Answer.question_key, period, func.count(), func.sum(value), func.sum(value * value))
                .where(Answer.question_key.in_(numbers), Answer.value_text.is_not(None))
                .group_by(Answer.question_key, period)):
            sums[key][expressed_start(start)] = (int(n), float(total or 0), float(squares or 0))
        for key, by_period in sums.items():
            points = []
            for start in starts:
                n, total, squares = by_period.get(start, (0, 0.0, 0.0))
                mean = mean_of_sums(n, total, squares)
                shown = n >= max(min_n, 1)
                points.append(TrendPoint(period_label(start, unit), mean.estimate if shown else None,
                                         mean.low if shown else None, mean.high if shown else None, n))
            found[key] = MeasuredTrend("mean", "mean answer", tuple(points))
    if rankings:
        firsts: dict[str, dict[date, Counter]] = {key: {} for key in rankings}
        for key, start, option, n in db.session.execute(
                base.add_columns(Answer.question_key, period, Answer.value_text, func.count())
                .where(Answer.question_key.in_(list(rankings)), Answer.value_int == 1)
                .group_by(Answer.question_key, period, Answer.value_text)):
            firsts[key].setdefault(expressed_start(start), Counter())[str(option).casefold()] += int(n)
        for key, firsts_by_period in firsts.items():
            found[key] = _first_trend(rankings[key], firsts_by_period, unit, starts, min_n)
    return found


def _first_trend(question: Question, by_period: dict[date, Counter], unit: str, starts: Sequence[date],
                 min_n: int) -> MeasuredTrend:
    """The share ranking first the option most often ranked first over the range (the first option on a tie)."""
    overall: Counter = Counter()
    for start in starts:
        overall.update(by_period.get(start, Counter()))
    leader = max(question.options, key=lambda option: overall[option.casefold()])
    points = []
    for start in starts:
        counts = by_period.get(start, Counter())
        n, x = sum(counts.values()), counts[leader.casefold()]
        shown = n >= max(min_n, 1)
        interval = wilson(x, n) if shown else None
        points.append(TrendPoint(period_label(start, unit), x / n if shown else None,
                                 interval.low if interval else None, interval.high if interval else None, n))
    return MeasuredTrend("first", f"share ranking “{leader}” first", tuple(points))
