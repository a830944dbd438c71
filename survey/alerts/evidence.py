"""Why an alert moved: what the segment's customers wrote in its period, the words and phrases that rose or
fell against the period before (analysis.log_odds), and which other ratings moved with it (the alerts' own
change test, analysis.detect, over the segment's other rating questions).

Every read is bounded by the survey, the segment and the two periods: responses are selected through the
results filter's conditions (`response_conditions`, on the (survey_id, local_date) index, and with
whatever scope it applies to the person asking), and answers are joined by response id. Comment text is
read for the two periods only.

The two periods are the alert's own when they differ (a change: the month and the month before; a step:
either side of the step; a steady trend: the window's first and last), and for a gap (one period against
the rest of the organisation) its period and the one before.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import aliased

from analysis import Series, TermOdds, detect, distinctive_terms, term_counts
from survey.extensions import db
from survey.models import Alert, Answer, Question, Response, Survey
from survey.results.filters import ResultsFilter, attribute_is, response_conditions
from survey.results.periods import PERIOD_UNITS, next_start, parse_label, period_label, period_start, previous_start
from survey.results.settings import Settings
from survey.wording import format_difference, format_p, format_value

PAGE_SIZE = 25
SUMMARY_WORDS = 3  # the words a summary names (the page lists up to WORD_LIMIT each way)
WORD_LIMIT = 10


@dataclass(frozen=True)
class ComparedPeriods:
    unit: str
    before: date  # the first day of each period
    after: date

    @property
    def before_label(self) -> str:
        return period_label(self.before, self.unit)

    @property
    def after_label(self) -> str:
        return period_label(self.after, self.unit)

    def last_day(self, start: date) -> date:
        return next_start(start, self.unit) - timedelta(days=1)


def compared_periods(alert: Alert) -> ComparedPeriods:
    after, unit = parse_label(alert.period_after)
    before = parse_label(alert.period_before)[0] if alert.period_before != alert.period_after \
        else previous_start(after, unit)
    return ComparedPeriods(unit, before, after)


# --- reading ------------------------------------------------------------------------------------------

def _text_keys(survey: Survey) -> list[str]:
    """The answer keys of free text in any of the survey's versions (text questions, "Other" answers)."""
    return sorted({part.key for version in survey.versions for part in version.parts if part.type == "text"})


def _conditions(alert: Alert, periods: ComparedPeriods, start: date, today: date) -> list:
    """The responses of the alert's segment in the period starting `start`, as the response browser selects
    them (so a scope it applies applies here too)."""
    segment = list((alert.segment or {}).items())
    chosen = ResultsFilter(start=start, end=periods.last_day(start), unit=periods.unit,
                           segment=segment[0] if segment else None)
    conditions = response_conditions(alert.survey_id, chosen, today)
    # An alert's segment is one attribute; should one ever hold more, every one of them counts.
    conditions += [attribute_is(Response.attributes, name, [value]) for name, value in segment[1:]]
    return conditions


def _written(keys: Sequence[str]):
    """SQL: the response has a non-empty free-text answer."""
    text = aliased(Answer)
    return exists().where(text.response_id == Response.id, text.question_key.in_(list(keys)),
                          text.value_text.is_not(None), text.value_text != "")


@dataclass(frozen=True)
class Comment:
    response_id: int
    submitted_at: datetime
    language: str | None  # None: not recorded (imported and older responses)
    texts: tuple[str, ...]
    rating: str | None  # the alert's question as this customer answered it


@dataclass(frozen=True)
class CommentPage:
    """A page of comments. How many there are is `Words.comments_after`, counted as the words are read (a
    count here would read the period once more)."""

    comments: list[Comment]
    next_after: int | None


def _rating(question: Question | None, value: int | None) -> str | None:
    if question is None or value is None:
        return None
    if question.type == "nps":
        return f"NPS {value}"
    points = len(question.options)
    label = question.options[value - 1] if 1 <= value <= points else ""
    return f"{label} ({value}/{points})"


def comments(alert: Alert, periods: ComparedPeriods, *, today: date, after_id: int | None = None,
             limit: int = PAGE_SIZE) -> CommentPage:
    """The free-text answers of the alert's segment in its later period, newest given first, a page at a time
    (keyset paging after the response `after_id`, as the response browser pages), each with its rating."""
    keys = _text_keys(alert.survey)
    if not keys:
        return CommentPage([], None)
    conditions = [*_conditions(alert, periods, periods.after, today), _written(keys)]
    query = (select(Response.id, Response.submitted_at, Response.language).where(*conditions)
             .order_by(Response.submitted_at.desc(), Response.id.desc()).limit(limit + 1))
    if after_id is not None:
        anchor = db.session.scalar(select(Response.submitted_at).where(Response.id == after_id,
                                                                       Response.survey_id == alert.survey_id))
        if anchor is not None:
            query = query.where(or_(Response.submitted_at < anchor,
                                    and_(Response.submitted_at == anchor, Response.id < after_id)))
    rows = db.session.execute(query).all()
    more = len(rows) > limit
    rows = rows[:limit]
    texts: dict[int, list[str]] = {}
    ratings: dict[int, int | None] = {}
    if rows:
        wanted = {*keys, alert.question_key}
        # Every answer of the page's responses, the keys picked here: a condition on question_key in SQL let
        # SQLite read the question's answers of the whole survey by their (question_key, value) index
        # instead of these few responses' by response id (0.6 s at a million responses).
        for response_id, key, value_int, value_text in db.session.execute(
                select(Answer.response_id, Answer.question_key, Answer.value_int, Answer.value_text)
                .where(Answer.response_id.in_([row.id for row in rows])).order_by(Answer.id)):
            if key not in wanted:
                continue
            if key == alert.question_key:
                ratings[response_id] = value_int
            elif value_text and value_text.strip():
                texts.setdefault(response_id, []).append(value_text)
    question = next((part for part in alert.survey.current_version.parts if part.key == alert.question_key), None)
    page = [Comment(row.id, row.submitted_at, row.language, tuple(texts.get(row.id, ())),
                    _rating(question, ratings.get(row.id))) for row in rows]
    return CommentPage(page, rows[-1].id if more else None)


def _period_texts(alert: Alert, periods: ComparedPeriods, start: date, keys: Sequence[str], today: date) -> list[str]:
    query = (select(Answer.value_text).join(Response, Response.id == Answer.response_id)
             .where(*_conditions(alert, periods, start, today), Answer.question_key.in_(list(keys)),
                    Answer.value_text.is_not(None)))
    return [text for text in db.session.scalars(query) if text and text.strip()]


# --- words --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MovedTerm:
    term: str
    z: float
    before: int  # occurrences in each period
    after: int
    ratio: float | None  # mentions per comment, later against earlier; None when never said before

    @property
    def label(self) -> str:
        """“queue” mentions ×3, or “queue” 12 mentions, none before."""
        if self.ratio is None:
            return f"“{self.term}” {self.after} mention{'s' if self.after != 1 else ''}, none before"
        return f"“{self.term}” mentions ×{self.ratio:.2g}"


@dataclass(frozen=True)
class Words:
    """The words and phrases of the later period against the earlier one. `enough` is False below `minimum`
    comments in either period (then nothing was tested); otherwise `rose` and `fell` hold the terms beyond
    the Bonferroni `threshold` for the `tested` terms, strongest first, and may both be empty."""

    comments_before: int
    comments_after: int
    minimum: int
    rose: tuple[MovedTerm, ...] = ()
    fell: tuple[MovedTerm, ...] = ()
    tested: int = 0
    threshold: float | None = None

    @property
    def enough(self) -> bool:
        return min(self.comments_before, self.comments_after) >= self.minimum

    @property
    def strongest(self) -> list[MovedTerm]:
        return sorted([*self.rose, *self.fell], key=lambda t: (-abs(t.z), t.term))[:SUMMARY_WORDS]

    @property
    def summary(self) -> str:
        if not self.enough:
            return f"not enough comments to compare words ({self.comments_before} and {self.comments_after}; " \
                   f"at least {self.minimum} in each period)"
        if not self.rose and not self.fell:
            return "no word stands out"
        return "; ".join(term.label for term in self.strongest)


def words(alert: Alert, periods: ComparedPeriods, *, today: date, minimum: int) -> Words:
    """Which words and two-word phrases the segment's customers wrote significantly more or less often in the
    later period (analysis.distinctive_terms: log-odds with an informative Dirichlet prior, Bonferroni over
    the terms tested)."""
    keys = _text_keys(alert.survey)
    if not keys:
        return Words(0, 0, minimum)
    before = _period_texts(alert, periods, periods.before, keys, today)
    after = _period_texts(alert, periods, periods.after, keys, today)
    found = Words(len(before), len(after), minimum)
    if not found.enough:
        return found
    counts_before, counts_after = term_counts(before), term_counts(after)
    comparison = distinctive_terms(counts_before, counts_after, limit=WORD_LIMIT)

    def moved(term: TermOdds) -> MovedTerm:
        earlier, later = counts_before.get(term.term, 0), counts_after.get(term.term, 0)
        ratio = later * len(before) / (earlier * len(after)) if earlier else None
        return MovedTerm(term.term, term.z, earlier, later, ratio)

    return replace(found, rose=tuple(map(moved, comparison.rose)), fell=tuple(map(moved, comparison.fell)),
                   tested=comparison.tested, threshold=comparison.threshold)


# --- ratings that moved with it ----------------------------------------------------------------------

@dataclass(frozen=True)
class MovedRating:
    key: str
    text: str
    metric: str
    value_before: float
    value_after: float
    difference: float
    n_before: int
    n_after: int
    q_value: float

    @property
    def is_theme(self) -> bool:
        """A theme's share of comments mentioning it (trends.theme_series), not a rating."""
        return self.metric == "mentions"

    @property
    def label(self) -> str:
        """“Wait time” −18.0 points (q = 0.003); a theme: “waiting time” mentions 10 % → 30 % (q = 0.001)."""
        if self.is_theme:
            return (f"“{self.text}” mentions {format_value(self.value_before, self.metric)} → "
                    f"{format_value(self.value_after, self.metric)} ({format_p(self.q_value, 'q')})")
        change = format_difference(self.difference, self.metric)
        return f"“{self.text}” {'NPS ' if self.metric == 'nps' else ''}{change} ({format_p(self.q_value, 'q')})"


@dataclass(frozen=True)
class Moved:
    ratings: tuple[MovedRating, ...]  # the ratings' and the themes' that moved, surest first
    tested: int  # the family the q-values are over: the segment's other ratings and themes with enough responses
    themes_tested: int = 0  # of which themes (a survey with accepted themes)

    @property
    def summary(self) -> str:
        scores = [rating for rating in self.ratings if not rating.is_theme]
        if not scores:
            tested = self.tested - self.themes_tested
            return "no other rating moved significantly" + (f" ({tested} tested)" if tested else "")
        return "; ".join(rating.label for rating in scores)

    @property
    def themes_summary(self) -> str:
        themes = [rating for rating in self.ratings if rating.is_theme]
        if not themes:
            return "no theme's mentions moved significantly" + \
                (f" ({self.themes_tested} tested)" if self.themes_tested else "")
        return "; ".join(rating.label for rating in themes)


def moved_ratings(alert: Alert, periods: ComparedPeriods, series: Sequence[Series], settings: Settings) -> Moved:
    """The segment's other rating and NPS questions (matrix statements among them) whose figure changed
    significantly between the two periods: the alerts' own change test (analysis.detect, each period with
    at least `min_n` responses), its Benjamini–Hochberg q-values over these questions as one family. `series`
    are the survey's, holding both periods (trends.survey_series)."""
    segment = tuple((alert.segment or {}).items())
    pairs = []
    for one in series:
        if one.segment != segment or one.question == alert.question_key:
            continue
        by_period = {counts.period: counts for counts in one.periods}
        if periods.before_label in by_period and periods.after_label in by_period:
            pairs.append(replace(one, periods=(by_period[periods.before_label], by_period[periods.after_label]),
                                 year_before=None))
    if not pairs:
        return Moved((), 0)
    # Two periods, no year before and no whole-survey series: only the change test runs (window 3 is the
    # least detect takes; with two periods no trend is tested).
    detection = detect(pairs, min_n=settings.min_n, window=3, fdr=settings.fdr)
    texts = {part.key: part.text for part in alert.survey.current_version.parts}
    ratings = [MovedRating(f.question, texts.get(f.question, f.question), f.metric, f.value_before, f.value_after,
                           f.difference, f.n_before, f.n_after, f.q_value)
               for f in detection.findings if f.kind == "change"]
    ratings.sort(key=lambda r: (r.q_value, -abs(r.difference), r.key))
    return Moved(tuple(ratings), detection.tests_run, sum(1 for pair in pairs if pair.metric == "mentions"
                                                          and pair.periods[0].n >= settings.min_n
                                                          and pair.periods[1].n >= settings.min_n))


# --- together ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Evidence:
    periods: ComparedPeriods
    moved: Moved
    words: Words

    @property
    def summary(self) -> list[str]:
        """The same lines in the digest, on the evidence page and on a case: the ratings, the themes (a survey
        with accepted themes), the words."""
        themes = [f"Themes: {self.moved.themes_summary}."] if self.moved.themes_tested else []
        return [f"Other ratings: {self.moved.summary}.", *themes, f"Words: {self.words.summary}."]


def gather(alert: Alert, periods: ComparedPeriods, series: Sequence[Series], *, settings: Settings,
           today: date) -> Evidence:
    return Evidence(periods, moved_ratings(alert, periods, series, settings),
                    words(alert, periods, today=today, minimum=settings.min_n))


def alerts_covering(response: Response, *, limit: int = 3) -> list[Alert]:
    """The drops whose segment and latest period include this response (what a follow-up case shows): a
    segment's before all respondents', the surest first. Rises are news, not context for an unhappy customer."""
    labels = {period_label(period_start(response.local_date, unit), unit) for unit in PERIOD_UNITS}
    attributes = response.attributes or {}
    found = db.session.scalars(select(Alert).where(
        Alert.survey_id == response.survey_id, Alert.direction == "drop", Alert.period_after.in_(sorted(labels)))
        .order_by(Alert.id.desc()).limit(50))
    covering = [alert for alert in found
                if all(attributes.get(name) == value for name, value in (alert.segment or {}).items())]
    return sorted(covering, key=lambda alert: (not alert.segment, alert.q_value, -alert.id))[:limit]
