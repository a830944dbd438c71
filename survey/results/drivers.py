"""Key drivers of one survey under the results filter: which attribute ratings (wait time, friendliness,
resolution …) move the overall rating, as LMG shares of R² (analysis.drivers) with bootstrap intervals, and
where each attribute stands today, for a priority chart ("fix first": important and low).

The overall rating is, unless the manager picks another, the survey's first rating question — the one the
results page's headline cards already show; the attributes are every other rating series of the current
version (other rating questions and each matrix statement). Each response that answered all of them counts
once (complete cases); the filter (dates, segment, version, words, theme, and any data scope
`response_conditions` applies) selects the responses exactly as it does for the results page.

The bootstrap draws from a fixed seed, so the same data always gives the same page.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import case, func, select

from analysis.drivers import MAX_ATTRIBUTES, KeyDrivers, key_drivers
from survey.extensions import db
from survey.models import Answer, Response, Survey
from survey.models.surveys import PART_SEPARATOR
from survey.results import charts
from survey.results.filters import ResultsFilter, response_conditions

# 1 000 resamples for 95 % percentile intervals (Efron and Tibshirani 1993, ch. 13: the tails need about a
# thousand). Counted over the distinct answer patterns, they take about a second at 100 000 responses.
RESAMPLES = 1000
SEED = 25  # fixed: the same data draws the same resamples, so the page does not change when reloaded


@dataclass(frozen=True)
class Rating:
    """A rating series the page can use: a rating question or one statement of a matrix."""
    key: str
    text: str
    points: int

    @property
    def label(self) -> str:
        """Short: a matrix statement by its own words ("Wait time"), not its question's as well."""
        return self.text.rsplit(" — ", 1)[-1] if PART_SEPARATOR in self.key else self.text


@dataclass(frozen=True)
class DriverRow:
    """One attribute: its importance (LMG, in R² units) with its interval, its share of R², and its score
    today (the share of complete responses giving it the top of its scale)."""
    key: str
    text: str
    label: str
    importance: float
    share: float
    low: float | None
    high: float | None
    score: float
    mean: float
    fix_first: bool


@dataclass(frozen=True)
class Drivers:
    overall: Rating | None
    attributes: tuple[Rating, ...]
    choices: tuple[Rating, ...]  # every rating series the manager may choose from
    found: KeyDrivers | None  # None when there is nothing to decompose (no overall or no attribute)
    rows: tuple[DriverRow, ...]
    first_day: date
    last_day: date
    resamples: int
    importance_split: float | None = None  # R² / p: an equal share each
    score_split: float | None = None  # the attributes' mean score
    problems: list[str] = field(default_factory=list)

    def chart(self) -> charts.Chart | None:
        if not self.rows or self.importance_split is None or self.score_split is None:
            return None
        return charts.priority_chart(
            f"Priority: importance against top-box share, {self.first_day} to {self.last_day}",
            [charts.PriorityPoint(row.label, row.importance, row.low, row.high, row.score) for row in self.rows],
            x_split=self.importance_split, y_split=self.score_split)


def ratings(survey: Survey) -> list[Rating]:
    """The current version's rating series, in question order (matrix statements as their own series)."""
    return [Rating(q.key, q.text, len(q.options)) for q in survey.current_version.parts if q.type == "rating"]


def choose(survey: Survey, overall: str | None, attributes: list[str]) -> tuple[Rating | None, list[Rating],
                                                                                 list[str]]:
    """The overall rating and attributes asked for (keys from the page's form), or the defaults: the first
    rating question and every other rating series. Returns them with what was wrong in the request."""
    found = ratings(survey)
    by_key = {rating.key: rating for rating in found}
    problems = []
    chosen = by_key.get(overall or "")
    if overall and chosen is None:
        problems.append(f"overall: “{overall[:64]}” is not a rating question of this survey")
    if chosen is None:
        chosen = next((r for r in found if PART_SEPARATOR not in r.key), found[0] if found else None)
    picked = []
    for key in dict.fromkeys(attributes):
        if key not in by_key:
            problems.append(f"attribute: “{key[:64]}” is not a rating question of this survey")
        elif chosen is None or key != chosen.key:
            picked.append(by_key[key])
    if not picked:
        picked = [r for r in found if chosen is None or r.key != chosen.key]
    if len(picked) > MAX_ATTRIBUTES:
        problems.append(f"attribute: at most {MAX_ATTRIBUTES} attributes can be compared; "
                        f"the first {MAX_ATTRIBUTES} are used")
        picked = picked[:MAX_ATTRIBUTES]
    return chosen, picked, problems


def rating_columns(survey: Survey, chosen: ResultsFilter, today: date, keys: list[str]) -> dict[str, list]:
    """Each key's rating per selected response (None where not answered), responses in one order. Pivoted in
    SQL (one row per response, one column per key): a row per answer cost twice as much to read."""
    columns = [func.max(case((Answer.question_key == key, Answer.value_int))) for key in keys]
    rows = db.session.execute(
        select(*columns).select_from(Answer).join(Response, Answer.response_id == Response.id)
        .where(*response_conditions(survey.id, chosen, today), Answer.question_key.in_(keys),
               Answer.value_int.is_not(None))
        .group_by(Answer.response_id)).all()
    return {key: [row[i] for row in rows] for i, key in enumerate(keys)}


def build(survey: Survey, chosen: ResultsFilter, *, today: date, overall: str | None = None,
          attributes: list[str] | None = None, resamples: int = RESAMPLES) -> Drivers:
    """The key drivers page's numbers. Without dates the range is the results page's: the last complete
    periods."""
    chosen = chosen.completed(today)
    first, last = chosen.date_range(today)
    overall_rating, picked, problems = choose(survey, overall, attributes or [])
    choices = tuple(ratings(survey))
    if overall_rating is None or not picked:
        return Drivers(overall_rating, tuple(picked), choices, None, (), first, last, resamples, problems=problems)
    columns = rating_columns(survey, chosen, today, [overall_rating.key, *(r.key for r in picked)])
    found = key_drivers(columns[overall_rating.key], {r.key: columns[r.key] for r in picked},
                        bootstrap=resamples, seed=SEED)
    if not found.enough or found.r_squared is None:
        return Drivers(overall_rating, tuple(picked), choices, found, (), first, last, resamples, problems=problems)
    complete = [i for i in range(len(columns[overall_rating.key]))
                if all(columns[key][i] is not None for key in columns)]
    scores = {r.key: sum(columns[r.key][i] == r.points for i in complete) / len(complete) for r in picked}
    importance_split = found.r_squared / len(picked)
    score_split = sum(scores.values()) / len(scores)
    by_key = {r.key: r for r in picked}
    rows = tuple(DriverRow(d.name, by_key[d.name].text, by_key[d.name].label, d.importance, d.share, d.low, d.high,
                           scores[d.name], d.mean, d.importance > importance_split and scores[d.name] < score_split)
                 for d in found.drivers)
    return Drivers(overall_rating, tuple(picked), choices, found, rows, first, last, resamples, importance_split,
                   score_split, problems)
