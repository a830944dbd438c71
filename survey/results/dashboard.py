"""The results of one survey under a filter: headline cards, and per question a trend, an answer
distribution and a segment comparison — numbers, intervals and the data each chart draws.

Counts, response counts included, come from the rollup table (`answer_counts`, by survey.results.counts), so
the cost depends on days × values × segments (× versions) and not on the number of responses; its cells are
per version, so a version filter reads them too. A filter on text or theme needs individual responses: then
the same GROUP BY runs over the answers instead, and responses are counted from `responses`.

Cards compare the latest period of the range with the one before. Every comparison made on the page is
one Benjamini–Hochberg family, so a "significant" badge keeps its promise however many cards there are;
where either period has fewer than the minimum responses the card says so instead of guessing.

Every interval on the page stays on its scale (Wilson for shares, `analysis.bounded_mean` for the mean
and the NPS) and is shown only from the minimum number of responses up: below it, a card says "not enough
responses", a trend period is a gap and a segment is hidden.

The segment comparison is about the period the cards compare (the last of the range: by default the
latest complete one), with the period before and any unresolved alert beside each segment: over a whole
year a location whose satisfaction has just dropped still looked like the best one.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, or_, select

from analysis import (
    MeanDifference,
    NPSDifference,
    ShareDifference,
    benjamini_hochberg,
    bounded_mean,
    mean_difference,
    nps,
    nps_difference,
    nps_groups,
    share,
    share_difference,
)
from survey.accounts import scopes
from survey.extensions import db
from survey.models import Alert, Answer, AnswerCount, ChangeEntry, Invitation, Question, Response, Survey
from survey.models.alerts import AlertStatus
from survey.models.surveys import OTHER_LABEL, OTHER_POSITION, PART_SEPARATOR
from survey.results import charts, measures, rollups
from survey.results.charts import Bar, Marker, SegmentRow, TrendPoint
from survey.results.counts import EVERYONE, answer_counts
from survey.results.filters import MAX_PERIODS, ResultsFilter, response_conditions
from survey.results.periods import expressed_start, next_start, period_expression, period_label, period_start
from survey.results.settings import Settings
from survey.wording import format_p, format_value, plural

SCORED_TYPES = ("rating", "nps")


@dataclass(frozen=True)
class Estimate:
    value: float | None  # a share 0–1, an NPS −100…100, a mean score or a count
    low: float | None
    high: float | None
    n: int


@dataclass(frozen=True)
class AlertNote:
    """An unresolved alert about a segment's series, to show beside it."""
    id: int
    direction: str  # drop | rise
    status: str  # open | acknowledged
    text: str  # "90 % → 75 %, 2026-09 to 2026-10"


@dataclass(frozen=True)
class SegmentResult:
    """One segment value in the compared period, with the period before and any unresolved alert.
    `value`, `low` and `high` are None below the minimum responses (hidden, never a guess)."""
    label: str
    value: float | None
    low: float | None
    high: float | None
    n: int
    previous: Estimate
    alerts: tuple[AlertNote, ...] = ()

    def chart_row(self) -> SegmentRow:
        return SegmentRow(self.label, self.value, self.low, self.high, self.n)


@dataclass(frozen=True)
class Card:
    title: str
    question: str  # the question's text ("" for responses and response rate)
    metric: str  # top_box | top2_box | mean | nps | responses | rate
    current: Estimate
    previous: Estimate
    difference: float | None = None
    low: float | None = None  # interval of the difference, when the method gives one
    high: float | None = None
    p_value: float | None = None
    q_value: float | None = None
    note: str = ""  # why there is no comparison ("not enough responses …")
    key: str = ""  # the question's key ("" for responses and response rate)

    def verdict(self, fdr: float) -> str:
        """up / down when the change is significant after Benjamini–Hochberg (q ≤ fdr, as alerts count it),
        else steady or ""."""
        if self.q_value is None or self.difference is None:
            return ""
        if self.q_value > fdr or self.difference == 0:
            return "steady"
        return "up" if self.difference > 0 else "down"


@dataclass(frozen=True)
class QuestionResults:
    question: Question
    # What the trend and segment comparison show: top_box | nps | yes (share answering yes) | mean (a number
    # question's, trend only) | first (a ranking's leading option ranked first, trend only) | "".
    metric: str
    metric_label: str
    trend: tuple[TrendPoint, ...]
    distribution: tuple[Bar, ...]
    highlight: int  # how many of the last bars are the "top" answers
    segments: dict[str, tuple[SegmentResult, ...]]  # the compared period, by attribute
    markers: tuple[Marker, ...]
    answered: int
    # Number and date questions: (what, value) pairs — answers, median, quartiles, range (results.measures).
    summary: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class CommentResults:
    """A free-text question's comments: per period the share that read negative among those analysed (VADER,
    English only: survey.results.sentiments), a gap below the minimum; how many were analysed in the range."""
    question: Question
    trend: tuple[TrendPoint, ...]
    analysed: int


@dataclass(frozen=True)
class Dashboard:
    survey: Survey
    filter: ResultsFilter
    settings: Settings
    period_labels: tuple[str, ...]
    current_label: str
    previous_label: str
    first_day: date
    last_day: date
    cards: tuple[Card, ...]
    questions: tuple[QuestionResults, ...]
    responses: int
    uses_rollups: bool
    notes: list[str] = field(default_factory=list)
    comments: tuple[CommentResults, ...] = ()

    @property
    def tests(self) -> int:
        """How many comparisons on the page form the Benjamini–Hochberg family."""
        return sum(card.p_value is not None for card in self.cards)


# --- counting ---------------------------------------------------------------------------------------------

Counts = dict[tuple, Counter]


def _rollup_counts(survey: Survey, keys: list[str], chosen: ResultsFilter, first: date, last: date,
                   names: tuple[str, ...], since: date) -> tuple[Counts, Counts]:
    """(question, period start) → value counts for the filtered series, and (question, attribute, value,
    period start) → value counts for every segment in the periods from `since` (the compared two), from
    the rollup table: summed over its versions, or of the one version the filter names."""
    series: Counts = defaultdict(Counter)
    segments: Counts = defaultdict(Counter)
    version_id = None
    if chosen.version:
        version_id = next((v.id for v in survey.versions if v.number == chosen.version), None)
        if version_id is None:  # a number the survey never had selects nothing, as response_conditions' does
            return series, segments
    end = last + timedelta(days=1)
    for cell, values in answer_counts(survey.id, keys, days=[(first, end)], unit=chosen.unit,
                                      segment=chosen.segment or EVERYONE, version_id=version_id).items():
        series[(cell.question, cell.start)] = values
    if names:
        for cell, values in answer_counts(survey.id, keys, days=[(max(first, since), end)], unit=chosen.unit,
                                          attributes=names, version_id=version_id).items():
            segments[(cell.question, cell.segment_name, cell.segment_value, cell.start)] = values
    return series, segments


def _answer_counts(survey: Survey, keys: list[str], conditions: list, unit: str,
                   names: tuple[str, ...], since: date) -> tuple[Counts, Counts]:
    """The same counts as `_rollup_counts`, grouped over the answers of the responses the filter selects."""
    value = rollups.counted_value()  # what the rollup counts: a value, or a comment's sentiment
    base = (select().select_from(Answer).join(Response, Answer.response_id == Response.id)
            .where(*conditions, Answer.question_key.in_(keys), value.is_not(None)))
    period = period_expression(unit, Response.local_date)
    series: Counts = defaultdict(Counter)
    for key, start, answer, n in db.session.execute(
            base.add_columns(Answer.question_key, period, value, func.count())
            .group_by(Answer.question_key, period, value)):
        series[(key, expressed_start(start))][answer] += int(n)
    segments: Counts = defaultdict(Counter)
    for name in names:
        attribute = Response.attributes[name].as_string()
        for key, seg_value, start, answer, n in db.session.execute(
                base.add_columns(Answer.question_key, attribute, period, value, func.count())
                .where(attribute.is_not(None), attribute != "", Response.local_date >= since)
                .group_by(Answer.question_key, attribute, period, value)):
            segments[(key, name, seg_value, expressed_start(start))][answer] += int(n)
    return series, segments


def _response_counts(conditions: list, unit: str) -> Counter:
    """Responses per period, counted from the responses the filter selects."""
    period = period_expression(unit, Response.local_date)
    rows = db.session.execute(select(period, func.count()).where(*conditions).group_by(period))
    return Counter({expressed_start(start): int(n) for start, n in rows})


def _rolled_up_responses(series: Counts) -> Counter:
    """Responses per period from the rollup's response cells (fetched with the answers)."""
    return Counter({start: sum(counts.values()) for (key, start), counts in series.items()
                    if key == rollups.RESPONSES_KEY})


def _invitation_rates(survey: Survey, starts: list[date], unit: str) -> dict[date, tuple[int, int]]:
    """Period start → (invitations sent, of which answered) for the last two periods, by sending day
    (UTC: the difference from local time is at most a day at the edges of a period)."""
    rates = {}
    for start in starts[-2:]:
        end = next_start(start, unit)
        sent = select(Invitation.id).where(
            Invitation.survey_id == survey.id, Invitation.sent_at >= datetime.combine(start, time()),
            Invitation.sent_at < datetime.combine(end, time()))
        n = db.session.scalar(select(func.count()).select_from(sent.subquery())) or 0
        answered = db.session.scalar(select(func.count(Response.id)).where(Response.invitation_id.in_(sent))) or 0
        rates[start] = (n, answered)
    return rates


# --- metrics ------------------------------------------------------------------------------------------------

def _top_values(question: Question, boxes: int) -> set[int]:
    points = len(question.options)
    return set(range(points - boxes + 1, points + 1))


def estimate(question: Question, metric: str, counts: Counter, min_n: int = 0) -> Estimate:
    """One metric of one question from its value counts, with its 95 % interval — an interval that stays on
    the scale (Wilson for shares, logit-transformed for the mean and the NPS), and none at all below
    `min_n` answers, where it would only dress noise up as knowledge."""
    n = sum(counts.values())
    if metric == "nps":
        promoters, passives, detractors = nps_groups(counts)
        score = nps(promoters, passives, detractors).score
        # NPS/100 is the mean of +1 (promoter), 0 (passive) and −1 (detractor): a score bounded by ±1.
        result = bounded_mean({1: promoters, 0: passives, -1: detractors}, -1, 1)
        low, high = (None, None) if result.low is None or result.high is None else (100 * result.low, 100 * result.high)
        return _enough(Estimate(score, low, high, n), min_n)
    if metric == "mean":
        result = bounded_mean(counts, 1, len(question.options))
        return _enough(Estimate(result.estimate, result.low, result.high, n), min_n)
    top = {1} if metric == "yes" else _top_values(question, BOXES[metric])
    top_share = share(counts, top)
    return _enough(Estimate(top_share.estimate, top_share.low, top_share.high, n), min_n)


def _enough(result: Estimate, min_n: int) -> Estimate:
    return result if result.n >= min_n else replace(result, low=None, high=None)


def _compare(question: Question, metric: str, before: Counter, after: Counter) -> dict:
    result: NPSDifference | MeanDifference | ShareDifference
    if metric == "nps":
        result = nps_difference(nps_groups(before), nps_groups(after))
    elif metric == "mean":
        # The card shows the mean, so the mean is what is tested (Welch's t; each side has at least min_n
        # answers). A rank test of the shift could call a card "significantly down" beside "+0.10".
        result = mean_difference(before, after)
    else:
        top = _top_values(question, BOXES[metric])
        result = share_difference(sum(before[v] for v in top), sum(before.values()),
                                  sum(after[v] for v in top), sum(after.values()))
    return dict(difference=result.difference, low=result.low, high=result.high, p_value=result.p_value)


def _card(title: str, question: Question, metric: str, before: Counter | None, after: Counter, min_n: int) -> Card:
    """`before` is None when the range has no period before the latest one."""
    current = estimate(question, metric, after, min_n)
    if before is None:
        return Card(title, question.text, metric, current, Estimate(None, None, None, 0), note=ONE_PERIOD,
                    key=question.key)
    previous = estimate(question, metric, before, min_n)
    if min(previous.n, current.n) < min_n:
        return Card(title, question.text, metric, current, previous, key=question.key,
                    note=f"Not enough responses to compare: {current.n} this period and {previous.n} before; "
                         f"{min_n} needed in each.")
    return Card(title, question.text, metric, current, previous, key=question.key,
                **_compare(question, metric, before, after))


ONE_PERIOD = "Nothing to compare with: the range is one period. Set “From” earlier to compare."
METRIC_TITLES = {"top_box": "{top}", "top2_box": "Top two boxes (CSAT)", "mean": "Mean score", "nps": "NPS",
                 "top3_box": "Customer Effort Score: agree"}
BOXES = {"top_box": 1, "top2_box": 2, "top3_box": 3}


def _question_cards(question: Question, before: Counter | None, after: Counter, min_n: int) -> list[Card]:
    if question.type == "nps":
        return [_card("NPS", question, "nps", before, after, min_n)]
    if question.preset == "ces":
        return [_card(METRIC_TITLES[m], question, m, before, after, min_n) for m in ("top3_box", "mean")]
    metrics = ["top_box", "top2_box", "mean"] if len(question.options) >= 4 else ["top_box", "mean"]
    return [_card(METRIC_TITLES[m].format(top=question.options[-1]), question, m, before, after, min_n)
            for m in metrics]


def _with_q_values(cards: list[Card]) -> list[Card]:
    tested = {i: card.p_value for i, card in enumerate(cards) if card.p_value is not None}
    q_values = benjamini_hochberg(list(tested.values())) if tested else ()
    result = list(cards)
    for i, q in zip(tested, q_values, strict=True):
        result[i] = replace(cards[i], q_value=q)
    return result


# --- the dashboard ------------------------------------------------------------------------------------------

def _chart_metric(question: Question) -> tuple[str, str]:
    if question.type == "nps":
        return "nps", "NPS"
    if question.type == "rating" and question.preset == "ces":
        return "top3_box", "share agreeing (top three boxes)"
    if question.type == "rating":
        return "top_box", f"“{question.options[-1]}” share"
    if question.type == "yesno":
        return "yes", "share answering yes"
    return "", ""


def _labels(question: Question) -> list[tuple[int, str]]:
    if question.type == "nps":
        return [(v, str(v)) for v in range(11)]
    if question.type == "yesno":
        return [(0, "No"), (1, "Yes")]
    labels = [(i, label) for i, label in enumerate(question.options, start=1)]
    return [*labels, (OTHER_POSITION, OTHER_LABEL)] if question.offers_other else labels


def _markers(survey: Survey, question: Question, chosen: ResultsFilter, first: date, last: date) -> list[Marker]:
    segment = dict([chosen.segment]) if chosen.segment else {}
    markers = [
        Marker(_relabel(alert.period_after, chosen.unit), f"alert_{alert.direction}",
               f"{'Drop' if alert.direction == 'drop' else 'Rise'} alert #{alert.id}")
        for alert in db.session.scalars(select(Alert).where(Alert.survey_id == survey.id,
                                                            Alert.question_key == question.key))
        if (alert.segment or {}) == segment]
    changes = db.session.scalars(select(ChangeEntry).where(
        ChangeEntry.impact_survey_id == survey.id, ChangeEntry.published_at.is_not(None),
        ChangeEntry.deleted_at.is_(None), ChangeEntry.changed_on >= first, ChangeEntry.changed_on <= last,
        or_(ChangeEntry.impact_question.is_(None), ChangeEntry.impact_question == question.key)))
    markers += [Marker(period_label(period_start(entry.changed_on, chosen.unit), chosen.unit), "change",
                       f"Change: {entry.title}") for entry in changes]
    return markers


def _relabel(label: str, unit: str) -> str:
    """An alert's period label ("2026-03" or "2026-W11") in the dashboard's unit, when it converts."""
    try:
        if len(label) == 7 and label[4] == "-" and label[5:].isdigit():
            return period_label(period_start(date(int(label[:4]), int(label[5:]), 1), unit), unit)
        if "-W" in label:
            return period_label(date.fromisocalendar(int(label[:4]), int(label[6:]), 1), unit) \
                if unit == "week" else label
    except ValueError:
        pass
    return label


def _segment_results(question: Question, metric: str, segments: Counts, name: str, current: date,
                     previous: date | None, min_n: int, alerts: dict) -> tuple[SegmentResult, ...]:
    """Each value of segment attribute `name` in the compared period (best first, hidden ones last), with
    the period before (hidden alike below min_n) and its unresolved alerts."""
    values = {value for key, seg_name, value, _start in segments if key == question.key and seg_name == name}
    results = []
    for value in values:
        now = estimate(question, metric, segments.get((question.key, name, value, current), Counter()), min_n)
        before = estimate(question, metric, segments.get((question.key, name, value, previous), Counter()), min_n) \
            if previous else Estimate(None, None, None, 0)
        shown, shown_before = now.n >= min_n and now.n > 0, before.n >= min_n and before.n > 0
        results.append(SegmentResult(
            value, now.value if shown else None, now.low if shown else None, now.high if shown else None, now.n,
            before if shown_before else replace(before, value=None),
            tuple(alerts.get((question.key, metric, ((name, value),)), ()))))
    results.sort(key=lambda row: (row.value is None, -(row.value or 0), row.label))
    return tuple(results)


def _unresolved_alerts(survey: Survey) -> dict[tuple, list[AlertNote]]:
    """(question key, metric, segment items) → the survey's alerts not yet resolved, newest first."""
    found: dict[tuple, list[AlertNote]] = defaultdict(list)
    for alert in db.session.scalars(select(Alert)
                                    .where(Alert.survey_id == survey.id, Alert.status != AlertStatus.RESOLVED)
                                    .order_by(Alert.id.desc())):
        # Alerts keep shares as fractions and the NPS on −100…100, as the dashboard does.
        before, after = format_value(alert.value_before, alert.metric), format_value(alert.value_after, alert.metric)
        if alert.kind == "gap":
            text = f"{after} in {alert.period_after} against {before} for everyone else"
        else:
            text = f"{before} → {after}, {alert.period_before} to {alert.period_after}" + \
                (" (steady drift)" if alert.kind == "trend" else "")
        found[(alert.question_key, alert.metric, tuple(sorted((alert.segment or {}).items())))].append(
            AlertNote(alert.id, alert.direction, alert.status, text))
    return found


def _cards(survey: Survey, questions: list[Question], chosen: ResultsFilter, starts: list[date], series: Counts,
           responses: Counter, settings: Settings) -> list[Card]:
    """The headline cards (the first rating's and the first NPS question's, the responses, the response
    rate), the latest period against the one before, with their q-values as one family."""
    current, previous = starts[-1], (starts[-2] if len(starts) > 1 else None)
    cards: list[Card] = []
    # A matrix statement is a rating series of its own, but not the survey's headline.
    wholes = [q for q in questions if PART_SEPARATOR not in q.key]
    for question in [next((q for q in wholes if q.type == kind), None) for kind in SCORED_TYPES]:
        if question is not None:
            before = series.get((question.key, previous), Counter()) if previous else None
            cards += _question_cards(question, before, series.get((question.key, current), Counter()),
                                     settings.min_n)
    count = Estimate(responses[current], None, None, responses[current])
    if previous:
        cards.append(Card("Responses", "", "responses", count, Estimate(responses[previous], None, None,
                                                                        responses[previous]),
                          difference=responses[current] - responses[previous]))
    else:
        cards.append(Card("Responses", "", "responses", count, Estimate(None, None, None, 0), note=ONE_PERIOD))
    # Invitations belong to contacts, not to the responses a scope selects: a scoped view has no rate.
    if not chosen.is_narrowed and not chosen.segment and scopes.active() is None:
        cards += _rate_card(survey, starts, chosen.unit, settings.min_n)
    return _with_q_values(cards)


def _question_results(survey: Survey, question: Question, chosen: ResultsFilter, starts: list[date],
                      series: Counts, segments: Counts, settings: Settings, alerts, first: date,
                      last: date) -> QuestionResults:
    """One question's trend, answer distribution and segment comparison."""
    current, previous = starts[-1], (starts[-2] if len(starts) > 1 else None)
    metric, metric_label = _chart_metric(question)
    totals: Counter = Counter()
    points = []
    for start in starts:
        counts = series.get((question.key, start), Counter())
        totals.update(counts)
        if metric:  # a period below the minimum is a gap, as a card says "not enough responses"
            result = estimate(question, metric, counts, settings.min_n)
            shown = result.n >= settings.min_n and result.n > 0
            points.append(TrendPoint(period_label(start, chosen.unit), result.value if shown else None,
                                     result.low, result.high, result.n))
    bars = tuple(Bar(label, totals[value]) for value, label in _labels(question))
    # The bars a figure counts: the top box, a CES's three agreeing boxes, NPS promoters (9 and 10).
    highlight = {"rating": 3 if question.preset == "ces" else 1, "nps": 2}.get(question.type, 0)
    return QuestionResults(
        question, metric, metric_label, tuple(points), bars, highlight=highlight,
        segments={name: _segment_results(question, metric, segments, name, current, previous,
                                         settings.min_n, alerts)
                  for name in settings.segment_names} if metric else {},
        markers=tuple(_markers(survey, question, chosen, first, last)) if metric else (),
        answered=sum(totals.values()))


def build(survey: Survey, chosen: ResultsFilter, *, today: date, settings: Settings) -> Dashboard:
    """Everything the results page shows for one survey under one filter. Without dates it ends with the
    last complete period (as alerts do): a month that has just begun would compare a handful of responses
    with a whole month."""
    notes = []
    if chosen.completed(today) != chosen:
        chosen = chosen.completed(today)
        notes.append(incomplete_note(chosen.unit))
    if (capped := chosen.capped(today)) is not None:
        notes.append(f"The range has more than {MAX_PERIODS} {chosen.unit}s: the last {MAX_PERIODS} are shown. "
                     f"Choose a longer period or a later “From” to see earlier ones.")
        chosen = capped
    starts = chosen.period_starts(today)
    first, last = chosen.date_range(today)
    version = survey.current_version
    questions = [q for q in version.parts if q.type != "text"]
    # Free-text questions count their comments by sentiment (rollups.counted); an "Other" answer's text is no
    # comment, and is not scored.
    texts = [q for q in version.parts if q.type == "text" and PART_SEPARATOR not in q.key]
    keys = [q.key for q in questions]
    counted_keys = [*keys, *(q.key for q in texts)]
    conditions = response_conditions(survey.id, chosen, today)
    names = settings.segment_names
    current, previous = starts[-1], (starts[-2] if len(starts) > 1 else None)
    since = previous or current  # segments compare the last period with the one before
    # A data scope selects responses by their attributes, which the rollup's cells (one attribute each) cannot
    # answer for every segment breakdown: a scoped view counts from its own answers.
    from_answers = chosen.needs_answers or scopes.active() is not None
    if from_answers:
        series, segments = _answer_counts(survey, counted_keys, conditions, chosen.unit, names, since)
        responses = _response_counts(conditions, chosen.unit)
    else:
        series, segments = _rollup_counts(survey, [*counted_keys, rollups.RESPONSES_KEY], chosen, first, last, names,
                                          since)
        responses = _rolled_up_responses(series)

    cards = _cards(survey, questions, chosen, starts, series, responses, settings)

    alerts = _unresolved_alerts(survey) if names else {}
    results = [_question_results(survey, question, chosen, starts, series, segments, settings, alerts, first, last)
               for question in questions]
    if measured := measures.measure(questions, conditions):
        results = [replace(item, distribution=found.bars, summary=found.summary, answered=found.n)
                   if (found := measured.get(item.question.key)) else item for item in results]
        # Numbers and rankings over time: the series trend detection tests (dates are not trended).
        trended = measures.trends(questions, conditions, chosen.unit, starts, settings.min_n)
        results = [replace(item, metric=trend.metric, metric_label=trend.label, trend=trend.points,
                           markers=tuple(_markers(survey, item.question, chosen, first, last)))
                   if (trend := trended.get(item.question.key)) else item for item in results]
    comments = tuple(_comment_results(question, series, starts, chosen.unit, settings.min_n) for question in texts)
    if chosen.needs_answers:
        notes.append("This filter selects individual responses, so the numbers are counted from the answers "
                     "themselves; pages filtered by date, segment and version only are faster.")
    return Dashboard(survey, chosen, settings, tuple(period_label(s, chosen.unit) for s in starts),
                     period_label(current, chosen.unit), period_label(previous, chosen.unit) if previous else "",
                     first, last, tuple(cards), tuple(results), sum(responses.values()),
                     not from_answers, notes, comments)


def _comment_results(question: Question, series: Counts, starts: list[date], unit: str,
                     min_n: int) -> CommentResults:
    """A free-text question's share of negative comments per period, among those analysed, with a Wilson
    interval as every share has."""
    points, analysed = [], 0
    for start in starts:
        counts = series.get((question.key, start), Counter())
        n = sum(counts[label] for label in (rollups.NEGATIVE, rollups.NEUTRAL, rollups.POSITIVE))
        analysed += n
        result = share_interval(counts[rollups.NEGATIVE], n, min_n)
        shown = n >= min_n and n > 0
        points.append(TrendPoint(period_label(start, unit), result.value if shown else None, result.low,
                                 result.high, n))
    return CommentResults(question, tuple(points), analysed)


def incomplete_note(unit: str) -> str:
    return f"The current {unit} is not complete and is left out; set “To” to today to include it."


def _rate_card(survey: Survey, starts: list[date], unit: str, min_n: int) -> list[Card]:
    if len(starts) < 2:
        return []
    rates = _invitation_rates(survey, starts, unit)
    (n1, x1), (n2, x2) = rates[starts[-2]], rates[starts[-1]]
    if not n1 and not n2:
        return []
    before, after = share_interval(x1, n1, min_n), share_interval(x2, n2, min_n)
    if min(n1, n2) < min_n:
        return [Card("Response rate", "", "rate", after, before,
                     note=f"Not enough invitations to compare: {n2} this period and {n1} before.")]
    result = share_difference(x1, n1, x2, n2)
    return [Card("Response rate", "", "rate", after, before, result.difference, result.low, result.high,
                 result.p_value)]


def share_interval(successes: int, n: int, min_n: int = 0) -> Estimate:
    result = share({1: successes, 0: n - successes}, {1})
    return _enough(Estimate(result.estimate, result.low, result.high, n), min_n)



def segment_choices(survey: Survey, names: tuple[str, ...]) -> dict[str, list[str]]:
    """The values each segment attribute has in this survey's results (for the filter's menus); inside a data
    scope, those of the responses it allows (the rollup knows every value)."""
    choices: dict[str, list[str]] = {name: [] for name in names}
    if scopes.active() is not None:
        for name in names:
            value = Response.attributes[name].as_string()
            choices[name] = [found for found in db.session.scalars(
                select(value).distinct().where(Response.survey_id == survey.id, value.is_not(None), value != "")
                .order_by(value))]
        return choices
    for name, value in db.session.execute(
            select(AnswerCount.segment_name, AnswerCount.segment_value).distinct()
            .where(AnswerCount.survey_id == survey.id, AnswerCount.segment_name.in_(names))
            .order_by(AnswerCount.segment_name, AnswerCount.segment_value)):
        choices[name].append(value)
    return choices


# --- presentation -------------------------------------------------------------------------------------------

def verdict_explanation(card: Card, fdr: float, tests: int) -> str:
    """Why a card says what it says, in words: the comparison on its own (p, and whether its interval
    leaves out no change) and the verdict after the Benjamini–Hochberg correction over the `tests`
    comparisons on the page (q), so "−5.7 points, interval −10.4 to −0.9, no significant change" no
    longer reads as a contradiction."""
    if card.q_value is None or card.p_value is None or card.difference is None:
        return ""
    p, q = format_p(card.p_value, "p"), format_p(card.q_value, "q")
    family = f"corrected for the {plural(tests, 'comparison')} on this page" if tests > 1 \
        else "the only comparison on this page"
    verdict = card.verdict(fdr)
    if verdict in ("up", "down"):
        return f"A real {'rise' if verdict == 'up' else 'drop'}: {p} on its own, {q} {family}."
    if tests > 1 and card.p_value <= fdr:
        excludes_zero = card.low is not None and card.high is not None and (card.low > 0 or card.high < 0)
        interval = "; its interval leaves out no change" if excludes_zero else ""
        return f"Looks real on its own ({p}{interval}), but not once {family}: {q} is above {fdr:g}."
    return f"Could be chance: {p} on its own, {q} {family}."


@dataclass(frozen=True)
class Figures:
    trend: charts.Chart | None
    distribution: charts.Chart
    segments: tuple[tuple[str, charts.Chart], ...]


def comment_figures(board: Dashboard) -> dict[str, charts.Chart]:
    """Each free-text question's share of negative comments by period, as a trend chart."""
    return {item.question.key: charts.trend_chart(f"Negative comments by {board.filter.unit}", item.trend,
                                                  y_label="Negative comments") for item in board.comments}


def figures(board: Dashboard) -> dict[str, Figures]:
    """The charts of each question (rendered lazily by the caller)."""
    result = {}
    for item in board.questions:
        percent = item.metric not in ("nps", "mean")  # a number question's mean is in its own units
        trend = None
        if item.metric:
            trend = charts.trend_chart(
                f"{item.metric_label} by {board.filter.unit}", item.trend, item.markers, percent=percent,
                y_label=item.metric_label, y_range=(-100, 100) if item.metric == "nps" else None)
        segments = tuple((name, charts.segment_chart(f"{item.metric_label} by {name}, {board.current_label}",
                                                     [row.chart_row() for row in rows],
                                                     min_n=board.settings.min_n, percent=percent))
                         for name, rows in item.segments.items() if rows)
        title = "Ranked first" if item.question.type == "ranking" else "Answers"
        result[item.question.key] = Figures(trend, charts.distribution_chart(
            title, item.distribution, highlight_last=item.highlight), segments)
    return result
