"""Answering a survey: parse and validate answers, store them exactly once, save drafts.

Validation is a pure function of the questions and the submitted form; nothing is written unless every
answer is valid. Storing is idempotent per form (submission key) and per respondent (one current
response, earlier submissions kept as revisions).
"""
from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any, NotRequired, TypedDict

from flask import current_app
from flask_babel import format_number, gettext
from sqlalchemy import bindparam, delete, event, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from survey import database, followups, webhooks
from survey.authoring import logic, translations
from survey.clock import local_date, outside_calendar
from survey.extensions import db
from survey.languages import N_
from survey.models import Answer, Question, Response, ResponseDraft, ResponseRevision, Survey, SurveyVersion
from survey.models.surveys import OTHER_LABEL, OTHER_POSITION
from survey.results import rollups, sentiments, theme_tags
from survey.web import locale
from survey.web.request_text import one_line_break

TEXT_LIMITS = {False: 500, True: 5000}  # short / long text answers, in characters


# In English here (tests compare with them); `_parse_one` gives them in the customer's language.
MISSING = N_("Please answer this question.")
NOT_A_CHOICE = N_("That answer is not one of the choices. Please choose again.")
# Numbers as people type them: digits with one decimal mark, a dot or a comma ("3.5", "3,5"), spaces
# anywhere (never thousands separators, which a decimal comma would make ambiguous: "1,005").
# (An exponent too, as JSON writes small numbers in an archive: "1e-07".)
NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,3})?")
SPACES = re.compile(r"[\s\u00a0\u202f]+")
NUMBER_DIGITS = 15  # a float keeps 15 significant digits exactly; more would change as they are stored
OTHER_AND_OPTION = N_("You chose “%(option)s” and also wrote an answer for “Other”: choose “Other”, or clear its text.")


# Survey definitions answered from, per process: (database, slug) → (stamp, survey). Loading a survey with
# its versions and questions as ORM objects took about a third of a public page's time; checking that a kept
# one is current is one indexed single-row query. Every change to a survey's content or status sets its
# `updated_at` (survey.authoring.editing), so a different stamp means reload: a survey published, edited or closed in
# any process (another worker, the command line) takes effect on the next request. Within this process any
# flush that touches a survey, version or question also forgets them all (`_forget_changed_definitions`),
# so even two changes in the same microsecond are seen.
_DEFINITIONS: dict[tuple[str, str], tuple[tuple, Survey]] = {}
_STAMP = select(Survey.id, Survey.status, Survey.updated_at).where(Survey.slug == bindparam("slug"))
_DEFINITION_CLASSES = (Survey, SurveyVersion, Question)


def read_stamp(slug: str) -> tuple | None:
    """The survey's (id, status, updated_at): a first visit's only database work, so read straight through
    the driver (database.read_row)."""
    return database.read_row(_STAMP, slug=slug)


def survey_to_answer(slug: str) -> Survey | None:
    """The survey with its versions and their questions, detached from the session and shared by this
    process's requests: read them, never change them or attach them to a session."""
    stamp = read_stamp(slug)
    if stamp is None:
        return None
    key = (str(db.engine.url), slug)
    kept = _DEFINITIONS.get(key)
    if kept is not None and kept[0] == stamp:
        return kept[1]
    survey = db.session.execute(
        select(Survey).where(Survey.slug == slug)
        .options(joinedload(Survey.versions).selectinload(SurveyVersion.questions))
    ).unique().scalar_one_or_none()
    if survey is None:  # deleted since the stamp was read
        return None
    for version in survey.versions:
        # Their way back up too (webhooks read version.survey.slug): a detached object cannot load it later.
        set_committed_value(version, "survey", survey)
        for question in version.questions:
            set_committed_value(question, "version", version)
    db.session.expunge(survey)  # its versions and their questions with it (cascade)
    _DEFINITIONS[key] = (stamp, survey)
    return survey


@event.listens_for(Session, "after_flush")
def _forget_changed_definitions(session, _context) -> None:
    if _DEFINITIONS and any(isinstance(instance, _DEFINITION_CLASSES)
                            for instance in (*session.new, *session.dirty, *session.deleted)):
        _DEFINITIONS.clear()


def field_name(question: Question) -> str:
    return f"q-{question.key}"


@dataclass(frozen=True)
class Respondent:
    """Who is answering: `key` is unique per respondent and survey, so one person has one response."""

    key: str
    source: str  # "link" (personal invitation) or "public"
    invitation_id: int | None = None
    contact_id: int | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)
    # What display logic and piped text may read of the contact (piping.contact_values): name, email,
    # attributes. Empty for the public link.
    contact: Mapping[str, str] = field(default_factory=dict)


def form_respondent_key(submission_key: str) -> str:
    """The respondent key of whoever sends this one form (the public link's respondents)."""
    return f"public:{submission_key}"


@dataclass(frozen=True)
class ParsedAnswers:
    values: dict[str, object]  # question key → int | str | bool | list[str]; unanswered keys absent
    errors: dict[str, str]  # question key → message for the customer
    # The keys of the questions display logic did not ask (their answers dropped); None without logic.
    not_asked: list[str] | None = None


def section_conditions(version: SurveyVersion) -> dict[str, Any]:
    """Section key → its show_if (None when it has none)."""
    return {section["key"]: section.get("show_if") for section in version.sections or ()}


def route(version: SurveyVersion, values: Mapping[str, object], contact: Mapping[str, str]) -> logic.Route | None:
    """Which of the version's questions this customer is asked, or None when the version has no logic."""
    conditions = section_conditions(version)
    if not logic.has_logic(version.questions, conditions):
        return None
    by_key = {part.key: part.type for part in version.parts}  # a matrix statement's answer is a rating
    answers = {key: logic.answer_value(by_key[key], value) for key, value in values.items() if key in by_key}
    return logic.route(version.questions, conditions, answers, contact)


def asked_only(version: SurveyVersion, values: Mapping[str, object],
               contact: Mapping[str, str]) -> tuple[dict[str, object], list[str] | None]:
    """The answers to the questions the customer was asked, and the keys of those not asked (None without
    logic). Worked out here from the answers and the contact, whatever the form claimed was shown: an
    answer to a question that was not shown is never stored."""
    found = route(version, values, contact)
    if found is None:
        return dict(values), None
    asked = set(found.asked)
    return {key: value for key, value in values.items() if _question_key(key) in asked}, found.not_asked


def _question_key(answer_key: str) -> str:
    """The question an answer key belongs to: a matrix statement's "service.wait" and a choice's
    "channel.other" are parts of "service" and "channel" (Question.parts)."""
    return answer_key.split(".", 1)[0]


@dataclass(frozen=True)
class Consents:
    quote: bool = False
    contact: bool = False


def _parse_one(question: Question, raw: list[str], required: bool) -> tuple[object | None, str | None]:
    raw = [one_line_break(value.replace("\x00", "")).strip() for value in raw]
    raw = [value for value in raw if value]
    if not raw:
        return None, gettext(MISSING) if required else None
    if question.type == "text":
        text = raw[0]
        limit = TEXT_LIMITS[question.long]
        if len(text) > limit:
            return None, gettext("Please keep this answer under %(limit)s characters (it has %(length)s).",
                                 limit=format_number(limit), length=format_number(len(text)))
        return text, None
    if (parse := _OWN_PARSERS.get(question.type)) is not None:
        return parse(question, raw)
    allowed = dict(question.choices)
    if question.type == "multi":
        if any(value not in allowed for value in raw):
            return None, gettext(NOT_A_CHOICE)
        chosen = [option for option in question.options if option in raw]
        return (chosen + [OTHER_LABEL] if OTHER_LABEL in raw and question.offers_other else chosen), None
    if len(raw) > 1 or raw[0] not in allowed:
        return None, gettext(NOT_A_CHOICE)
    value = raw[0]
    if question.type in ("rating", "nps"):
        return int(value), None
    if question.type == "yesno":
        return value == "yes", None
    return value, None


def _one_typed(question: Question, raw: list[str]) -> tuple[object | None, str | None]:
    return typed_answer(question, raw[0]) if len(raw) == 1 else (None, gettext("Please give one answer."))


def typed_answer(question: Question, text: str) -> tuple[int | float | str | None, str | None]:
    """A numeric or date answer as written (stripped, not empty) → (its value, None) or (None, why not):
    the form's and the CSV import's one rule."""
    settings = question.settings or {}
    if question.type == "date":
        return _date_answer(text, settings.get("min"), settings.get("max"))
    cleaned = SPACES.sub("", text)
    if "," in cleaned and "." not in cleaned and cleaned.count(",") == 1:
        cleaned = cleaned.replace(",", ".")
    if "," in cleaned and "." in cleaned:
        return None, gettext("Please write the number without thousands separators, e.g. 1000.5.")
    if not NUMBER.fullmatch(cleaned):
        return None, (gettext("Please write a number, e.g. 12.") if settings.get("integer")
                      else gettext("Please write a number, e.g. 3.5."))
    number = Decimal(cleaned)
    integral = number == number.to_integral_value()
    if settings.get("integer") and not integral:
        return None, gettext("Please write a whole number.")
    low, high = settings.get("min"), settings.get("max")
    if (low is not None and number < Decimal(str(low))) or (high is not None and number > Decimal(str(high))):
        return None, _outside(low, high)
    if len(number.normalize().as_tuple().digits) > NUMBER_DIGITS:
        return None, gettext("Please write at most %(count)s digits.", count=NUMBER_DIGITS)
    return (int(number) if integral else float(number)), None


def number_text(value: int | float) -> str:
    """A numeric answer as stored: its shortest exact decimal, never in exponent form ("0.0000001")."""
    return str(value) if isinstance(value, int) else format(Decimal(repr(value)), "f")


def _outside(low, high) -> str:
    if low is not None and high is not None:
        return gettext("Please give a number from %(low)s to %(high)s.", low=low, high=high)
    if low is not None:
        return gettext("Please give a number of at least %(low)s.", low=low)
    return gettext("Please give a number up to %(high)s.", high=high)


def _date_answer(text: str, low: str | None, high: str | None) -> tuple[str | None, str | None]:
    try:
        day = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is None:
        return None, gettext("Please write the date as year-month-day, e.g. 2026-03-31.")
    if outside_calendar(day) or (low and day.isoformat() < low) or (high and day.isoformat() > high):
        if low and not high:
            return None, gettext("Please give a date on or after %(low)s.", low=low)
        if high and not low:
            return None, gettext("Please give a date on or before %(high)s.", high=high)
        return None, gettext("Please give a date from %(low)s to %(high)s.", low=low or "1900-01-01",
                             high=high or "2999-12-31")
    return day.isoformat(), None


# The types whose answers are not one of a list of choices: each parses its non-empty raw values itself.
_OWN_PARSERS: dict[str, Callable[[Question, list[str]], tuple[object | None, str | None]]] = {
    "numeric": _one_typed, "date": _one_typed, "ranking": lambda question, raw: ranked(question, raw)}


def parse_answers(questions: Sequence[Question], form: Mapping[str, list[str]], *,
                  only_first_required: bool = False, version: SurveyVersion | None = None,
                  contact: Mapping[str, str] | None = None) -> ParsedAnswers:
    """`only_first_required`: the one-click rating's send, where only the rating chosen in the email is
    needed and every other answer is optional (each given one is still checked). With `version` (whose
    questions these are) its display logic applies: a question not asked is neither required nor checked,
    and its answer is dropped."""
    values: dict[str, object] = {}
    errors: dict[str, str] = {}
    for number, question in enumerate(questions):
        required = number == 0 if only_first_required else question.required
        if question.settings and (question.type == "matrix" or question.offers_other):  # in several fields
            _parse_parts(question, form, required, values, errors, version)
            continue
        raw = list(form.get(field_name(question), [])) if question.type != "ranking" else _ranks(question, form)
        value, error = _parse_one(question, raw, required)
        if error:
            errors[question.key] = error
        elif value is not None:
            values[question.key] = value
    found = route(version, values, contact or {}) if version is not None else None
    if found is None:
        return ParsedAnswers(values=values, errors=errors)
    asked = set(found.asked)
    return ParsedAnswers(values={k: v for k, v in values.items() if _question_key(k) in asked},
                         errors={k: e for k, e in errors.items() if _question_key(k) in asked},
                         not_asked=found.not_asked)


def _ranks(question: Question, form: Mapping[str, list[str]]) -> list[str]:
    """A ranking's menus as "rank:option position" items (an empty menu left out), for `ranked`."""
    return [f"{(form.get(name) or [''])[0].strip()}:{n}" for n, (name, _option) in
            enumerate(question.rank_fields(), start=1) if (form.get(name) or [""])[0].strip()]


def ranked(question: Question, items: list[str]) -> tuple[list[str] | None, str | None]:
    """The options in the order given ("rank:position" items), when the ranks are 1 … n, each once, for
    all n options; an answer that ranks none is no answer."""
    count = len(question.options)
    ranks: dict[int, str] = {}
    for item in items:
        rank, _, position = item.partition(":")
        if not (rank.isascii() and rank.isdigit() and 1 <= int(rank) <= count) or int(rank) in ranks:
            return None, gettext("Please give each option a different number from 1 to %(count)s.", count=count)
        ranks[int(rank)] = question.options[int(position) - 1]
    if len(ranks) != count:
        return None, gettext("Please number every option, from 1 (first) to %(count)s.", count=count)
    return [ranks[rank] for rank in sorted(ranks)], None


def _parse_parts(question: Question, form: Mapping[str, list[str]], required: bool, values: dict[str, object],
                 errors: dict[str, str], version: SurveyVersion | None = None) -> None:
    """A question answered in several fields, each with its own answer key (Question.parts); a problem is
    reported under the question's key, naming the statements concerned (as the customer read them, when
    `version` says what its translations are)."""
    if question.type == "matrix":
        _parse_matrix(question, form, required, values, errors, version)
    else:
        _parse_with_other(question, form, required, values, errors)


def _parse_matrix(question: Question, form: Mapping[str, list[str]], required: bool, values: dict[str, object],
                  errors: dict[str, str], version: SurveyVersion | None) -> None:
    missing: list[str] = []
    wrong: list[str] = []
    shown: dict[str, str] | None = None
    for part, statement in zip(question.parts(), question.statements, strict=True):
        value, error = _parse_one(part, list(form.get(field_name(part), [])), required)
        if error:
            if shown is None:  # the statements in the customer's language, read once there is a problem
                shown = translations.translated(version, locale.customer_language()) if version is not None else {}
            name = shown.get(f"questions.{question.key}.statements.{statement['key']}", statement["text"])
            (missing if error == gettext(MISSING) else wrong).append(name)
        elif value is not None:
            values[part.key] = value
    if wrong:
        errors[question.key] = gettext("That answer is not one of the choices. Please choose again. (%(statements)s)",
                                       statements=", ".join(wrong))
    elif missing:
        errors[question.key] = gettext("Please answer every statement: %(statements)s not answered yet.",
                                       statements=", ".join(missing))


def _parse_with_other(question: Question, form: Mapping[str, list[str]], required: bool,
                      values: dict[str, object], errors: dict[str, str]) -> None:
    _choice, other_part = question.parts()
    text, error = _parse_one(other_part, list(form.get(field_name(other_part), [])), False)
    chosen = list(form.get(field_name(question), []))
    if text and OTHER_LABEL not in chosen:
        # Written without ticking "Other" (easy to forget without JavaScript): the text says what was meant.
        if question.type == "choice" and any(value.strip() for value in chosen):
            errors[question.key] = gettext(OTHER_AND_OPTION, option=chosen[0].strip())
            return
        chosen.append(OTHER_LABEL)
    value, choice_error = _parse_one(question, chosen, required)
    if error or choice_error:
        errors[question.key] = choice_error or error or ""
        return
    if value is not None:
        values[question.key] = value
        if text and OTHER_LABEL in (value if isinstance(value, list) else [value]):
            values[other_part.key] = text


def form_values(questions: Sequence[Question], values: Mapping[str, object]) -> dict[str, list[str]]:
    """Stored answer values back into form fields, to show a customer what they answered."""
    by_key = {part.key: part for q in questions for part in (q.parts() if q.settings else (q,))}
    fields: dict[str, list[str]] = {}
    for key, value in values.items():
        question = by_key.get(key)
        if question is None:
            continue
        if question.type == "ranking" and isinstance(value, list):
            order = {option: rank for rank, option in enumerate(value, start=1)}
            fields.update({name: [str(order[option])] for name, option in question.rank_fields() if option in order})
        elif isinstance(value, bool):
            fields[field_name(question)] = ["yes" if value else "no"]
        elif isinstance(value, list):
            fields[field_name(question)] = [str(v) for v in value]
        else:
            fields[field_name(question)] = [str(value)]
    return fields


class AnswerRow(TypedDict):
    """A row of the answers table, without its response_id."""

    question_key: str
    value_int: int | None
    value_text: str | None
    sentiment: NotRequired[float | None]


def _answer_rows(questions: Sequence[Question], values: Mapping[str, object], language: str = "en"
                 ) -> list[AnswerRow]:
    """The answers table's rows for validated values; a free-text answer with its sentiment, scored once
    here (about 25 µs) in the customer's `language` (survey.results.sentiments)."""
    rows: list[AnswerRow] = []
    for whole in questions:
        for question in whole.parts() if whole.settings else (whole,):
            if question.key in values:
                start = len(rows)
                _add_rows(rows, question, values[question.key])
                for row in rows[start:]:  # every row has the key: the rows are one executemany
                    row["sentiment"] = sentiments.score(row["value_text"], language) \
                        if question.type == "text" else None
    return rows


def _add_rows(rows: list[AnswerRow], question: Question, value: Any) -> None:
    """The rows of one answer; `value`'s type follows question.type (see _parse_one)."""
    if question.type in ("rating", "nps"):
        rows.append({"question_key": question.key, "value_int": value, "value_text": None})
    elif question.type == "yesno":
        rows.append({"question_key": question.key, "value_int": int(value), "value_text": None})
    elif question.type in ("text", "date"):
        rows.append({"question_key": question.key, "value_int": None, "value_text": value})
    elif question.type == "ranking":
        # One row per option, its rank as the value: rows read by rank give the ordered list back.
        rows.extend({"question_key": question.key, "value_int": rank, "value_text": option}
                    for rank, option in enumerate(value, start=1))
    elif question.type == "numeric":
        # Not rolled up (value_int None): results read numbers from the answers (results.measures).
        rows.append({"question_key": question.key, "value_int": None, "value_text": number_text(value)})
    else:
        for option in value if isinstance(value, list) else [value]:
            position = OTHER_POSITION if option == OTHER_LABEL and question.offers_other \
                else question.options.index(option) + 1
            rows.append({"question_key": question.key, "value_int": position, "value_text": option})


@dataclass(frozen=True)
class Submission:
    response_id: int
    duplicate: bool  # True when this exact form had already been stored


# A submission's statements, built once: building a statement (its WHERE clause, an ORM DELETE's plan)
# cost more than running it. The response, its revision, answers and draft are written as Core statements:
# nothing reads them back as objects in the request that writes them, and the ORM's flush of the one new
# response (its unit of work, its events) was a tenth of a submission. So is a follow-up case (a quarter
# of a submission that opens one); webhook deliveries, when there are any, are ORM objects flushed at commit.
_RESPONSES = Response.__table__
_STORED_FOR_KEY = select(ResponseRevision.response_id).where(ResponseRevision.submission_key == bindparam("key"))
_RESPONSE_OF = select(_RESPONSES).where(_RESPONSES.c.respondent_key == bindparam("key")).with_for_update()
_ADD_RESPONSE = insert(_RESPONSES).returning(_RESPONSES.c.id)
_CHANGE_RESPONSE = update(_RESPONSES).where(_RESPONSES.c.id == bindparam("response_id"))
# The respondent's draft, and the refused form this one corrects (`hold_refused_form`), if any.
_DELETE_DRAFT = delete(ResponseDraft.__table__).where(
    ResponseDraft.__table__.c.respondent_key.in_([bindparam("key"), bindparam("refused")]))
_ADD_REVISION = insert(ResponseRevision.__table__)
_RESPONSE_ID_OF = select(_RESPONSES.c.id).where(_RESPONSES.c.respondent_key == bindparam("key"))
_ADD_ANSWERS = insert(Answer.__table__)


def _already_stored(submission_key: str) -> int | None:
    return db.session.scalar(_STORED_FOR_KEY, {"key": submission_key})


def submit_response(version: SurveyVersion, respondent: Respondent, values: Mapping[str, object],
                    consents: Consents, *, submission_key: str, now: datetime,
                    refused_before: bool = True, language: str | None = None) -> Submission:
    """Store validated answers as the respondent's current response, exactly once per submission key.
    `refused_before`: this form may have been refused and kept (`hold_refused_form`); False spares a public
    form that never was the statement deleting it. (A respondent's own draft is always deleted.)

    The first attempt does not look for the key first: the revisions' unique submission key refuses a form
    that is already stored (written first in `_store`, so little is done before it is refused), and the
    next attempt finds it. That spares every submission but a repeat one round trip. `language`: the one the
    customer answered in (shown beside the response; answers are the same in every language)."""
    values, not_asked = asked_only(version, values, respondent.contact)
    for attempt in range(3):
        if attempt and (response_id := _already_stored(submission_key)) is not None:
            db.session.rollback()
            return Submission(response_id, duplicate=True)
        try:
            response_id = _store(version, respondent, values, consents, submission_key, now, refused_before,
                                 language, not_asked)
            db.session.commit()
            return Submission(response_id, duplicate=False)
        except IntegrityError:
            # This form was stored already (perhaps by a concurrent request), or a concurrent request
            # created this respondent's response first.
            db.session.rollback()
    raise RuntimeError("could not store the response after three attempts")


def _store(version, respondent, values, consents, submission_key, now, refused_before, language=None,
           not_asked: list[str] | None = None) -> int:
    # Straight to the transaction's connection: the session's execute would only add an autoflush check and
    # ORM dispatch to each statement (nothing they touch is pending in the session).
    connection = db.session.connection()
    # A public link's respondent is the form itself (`form_respondent_key`): its response exists only if
    # this very form was stored, which the insert's unique respondent key refuses (see submit_response);
    # and it has no draft, only perhaps a refused copy of itself.
    this_form = respondent.key == form_respondent_key(submission_key)
    stored = None if this_form else connection.execute(_RESPONSE_OF, {"key": respondent.key}).one_or_none()
    changes = {"version_id": version.id, "updated_at": now, "quote_consent": consents.quote,
               "contact_consent": consents.contact, "language": language, "not_asked": not_asked}
    is_new = stored is None
    # `response` is the row as it is now written, for what the submission also does (rollups, a follow-up
    # case, webhooks): a plain instance, never added to the session.
    if stored is None:
        row = {"respondent_key": respondent.key, "survey_id": version.survey_id, "source": respondent.source,
               "invitation_id": respondent.invitation_id, "contact_id": respondent.contact_id,
               "submitted_at": now, "local_date": local_date(now, current_app.config["TIMEZONE"]),
               "revisions_count": 1, "attributes": dict(respondent.attributes), **changes}
        response = Response(id=connection.execute(_ADD_RESPONSE, row).scalar_one(), **row)
        old: Sequence[tuple[str, int | None]] = []
        old_version_id: int | None = None
    else:
        # Its old answers are counted under the version they answered, which this edit may change.
        old_version_id = stored.version_id
        changes["revisions_count"] = stored.revisions_count + 1
        connection.execute(_CHANGE_RESPONSE, {"response_id": stored.id, **changes})
        response = Response(**{**stored._asdict(), **changes})
        old = [(key, rollups.counted(value, sentiment)) for key, value, sentiment in connection.execute(
            select(Answer.question_key, Answer.value_int, Answer.sentiment).where(Answer.response_id == response.id))]
    rows = _answer_rows(version.questions, values, language or version.language)
    # First the revision: its unique submission key is what refuses a form stored before.
    connection.execute(_ADD_REVISION, {"response_id": response.id, "submission_key": submission_key,
                                       "version_id": version.id, "submitted_at": now, "answers": dict(values),
                                       "quote_consent": consents.quote, "contact_consent": consents.contact})
    # Answers are replaced with Core statements, the new ones as one executemany: as ORM objects each was
    # inserted by a statement of its own, to fetch an id nothing uses.
    if not is_new:
        connection.execute(delete(Answer.__table__).where(Answer.__table__.c.response_id == response.id))
    if rows:  # (an empty executemany would insert one row of defaults)
        connection.execute(_ADD_ANSWERS, [{"response_id": response.id, **row} for row in rows])
    # The accepted themes its comments mention: matched words, no model (one query when it has a comment).
    theme_tags.tag_submission(version.survey_id, response.id,
                              [str(values[q.key]) for q in version.questions
                               if q.type in theme_tags.COMMENT_TYPES and values.get(q.key)], is_new=is_new, now=now)
    # What this transaction knows is passed on rather than read again: the response is new (no case can
    # exist), and the webhook endpoints are read once for both events a submission may emit.
    endpoints = webhooks.subscribers()
    followups.open_for_response(response, version.questions, values, now=now, is_new=is_new, endpoints=endpoints,
                                every_response=version.follow_up == "every_response")
    if refused_before or not this_form:
        connection.execute(_DELETE_DRAFT, {"key": respondent.key, "refused": _refused_key(submission_key)})
    webhooks.response_completed(response, version, values, now=now, endpoints=endpoints)
    # Last: every submission of the day adds to the same few answer_counts rows, so on PostgreSQL their row
    # locks make concurrent submissions wait for each other until commit; taken here, they are held only
    # for the commit itself.
    new = [(row["question_key"], rollups.counted(row["value_int"], row.get("sentiment"))) for row in rows]
    rollups.apply(response, old, new, is_new=is_new, old_version_id=old_version_id)
    return response.id


def save_draft(version: SurveyVersion, respondent: Respondent, form: Mapping[str, list[str]], *,
               now: datetime) -> None:
    """Keep what was typed so far, unvalidated (it is only ever shown back to the same respondent)."""
    fields = _draft_fields(version, form)
    # One statement that inserts or replaces: two saves at once (two tabs, a double click) must not both
    # insert, which the unique respondent key refused with a 500 on PostgreSQL.
    db.session.connection().execute(_save_draft(db.engine.dialect.name), {
        "respondent_key": respondent.key, "version_id": version.id, "values": fields, "saved_at": now})
    db.session.commit()


def _draft_fields(version: SurveyVersion, form: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """The answer fields of a form as typed (unvalidated), each cut to what a valid answer could hold."""
    fields = {}
    names = [name for q in version.questions for name in (
        [name for name, _option in q.rank_fields()] if q.type == "ranking"
        else [field_name(part) for part in (q.parts() if q.settings else (q,))])]
    for name in names:
        values = [one_line_break(v.replace("\x00", ""))[: TEXT_LIMITS[True]] for v in form.get(name, [])][:50]
        if any(v.strip() for v in values):
            fields[name] = values
    return fields


@cache
def _save_draft(dialect_name: str):
    table = ResponseDraft.__table__
    statement = (postgresql if dialect_name == "postgresql" else sqlite).insert(table)
    return statement.on_conflict_do_update(
        index_elements=[table.c.respondent_key],
        set_={name: statement.excluded[name] for name in ("version_id", "values", "saved_at")})


# A refused form (answers to correct, or a page that timed out) is kept for the page that shows it again,
# so that the refusal can be answered with a redirect (Post/Redirect/Get: Back never re-posts a form) while
# every answer is kept. Only its sender knows its key (the form's random submission key); it is deleted when
# that form is sent, ignored after REFUSED_KEPT (a shared device's next user finds nothing in the history),
# and removed for good the next time any form is refused a day later.
REFUSED_KEPT = timedelta(hours=1)
REFUSAL_PATIENCE = 0.5  # seconds a refusal waits for another writer before showing the form at once
_REFUSED_PREFIX = "refused:"
_KEPT_FIELDS = ("consent_quote", "consent_contact", "action", "page")


def _refused_key(submission_key: str) -> str:
    return _REFUSED_PREFIX + submission_key


@dataclass(frozen=True)
class RefusedForm:
    version_id: int
    fields: dict[str, list[str]]  # as posted: answers, consents and the button pressed
    timed_out: bool  # refused for its CSRF token, not for its answers


def hold_refused_form(version: SurveyVersion, submission_key: str, form: Mapping[str, list[str]], *,
                      timed_out: bool, now: datetime) -> bool:
    """Keep a refused form for the page that shows it again; False when it could not be kept at once.

    A refusal never waits long for another writer (an import can hold SQLite's write lock for seconds): the
    form is written without waiting (`database.write_without_waiting`), tried again for REFUSAL_PATIENCE,
    and when the database is still busy the caller shows the form at once instead, as the POST's answer. The
    request's transaction only read, and is ended first so that it holds nothing the write needs."""
    fields = _draft_fields(version, form)
    fields.update({name: [value.replace("\x00", "")[:20] for value in form[name][:1]]
                   for name in _KEPT_FIELDS if name in form})
    if timed_out:
        fields["_timed_out"] = ["1"]
    # Built before the transaction ends: reading version.id afterwards would load it again, in a new
    # transaction that (on SQLite, outside `read_first`) takes the very lock this write needs.
    statement = _save_draft(db.engine.dialect.name).values(
        respondent_key=_refused_key(submission_key), version_id=version.id, values=fields, saved_at=now)
    db.session.rollback()
    deadline = time.monotonic() + REFUSAL_PATIENCE
    while not (kept := database.write_without_waiting(statement)) and time.monotonic() < deadline:
        time.sleep(0.02)
    if kept:  # and forget the ones left more than a day ago, if that can be done at once too
        database.write_without_waiting(delete(ResponseDraft.__table__).where(
            ResponseDraft.__table__.c.respondent_key.startswith(_REFUSED_PREFIX),
            ResponseDraft.__table__.c.saved_at < now - timedelta(days=1)))
    return kept


def refused_form(submission_key: str, *, now: datetime) -> RefusedForm | None:
    draft = db.session.scalar(select(ResponseDraft).where(
        ResponseDraft.respondent_key == _refused_key(submission_key), ResponseDraft.saved_at >= now - REFUSED_KEPT))
    if draft is None:
        return None
    fields = dict(draft.values)
    timed_out = bool(fields.pop("_timed_out", None))
    return RefusedForm(draft.version_id, fields, timed_out)


def was_sent(submission_key: str) -> bool:
    """This form is stored (a thank-you was earned)."""
    return _already_stored(submission_key) is not None


def response_exists(respondent_key: str) -> bool:
    return db.session.scalar(_RESPONSE_ID_OF, {"key": respondent_key}) is not None


def one_click_rating(questions: Sequence[Question], rating: str | None) -> tuple[str, str] | None:
    """The (value, label) of the first question's scale point chosen in the email (`?rating=`), or None
    when there is none or it is not one of its choices. Opening the link records nothing (mail scanners open
    every link): the page shows the choice with the one button that sends it."""
    first = questions[0] if questions else None
    if not rating or first is None or first.type not in ("rating", "nps"):
        return None
    return next(((value, label) for value, label in first.choices if value == rating), None)


def preselect_first(questions: Sequence[Question], fields: dict[str, list[str]],
                    chosen: tuple[str, str] | None) -> dict[str, list[str]]:
    """The form with the rating chosen in the email (`one_click_rating`) ticked in the first question."""
    if chosen is None:
        return fields
    return {**fields, field_name(questions[0]): [chosen[0]]}


@dataclass(frozen=True)
class Resume:
    """What a returning respondent sees: their draft or their current answers, and which version."""

    version_id: int | None
    fields: dict[str, list[str]]
    consents: Consents
    answered: bool  # a response is stored (the page offers to change it)
    draft_saved_at: datetime | None


# A respondent with no answers and no draft yet; always so for a respondent key made by the same request.
NOTHING_YET = Resume(None, {}, Consents(), False, None)


def resume(respondent_key: str) -> Resume:
    response = db.session.scalar(select(Response).where(Response.respondent_key == respondent_key))
    draft = db.session.scalar(select(ResponseDraft).where(ResponseDraft.respondent_key == respondent_key))
    consents = Consents(response.quote_consent, response.contact_consent) if response else Consents()
    if draft is not None:
        return Resume(draft.version_id, dict(draft.values), consents, response is not None, draft.saved_at)
    if response is not None:
        revision = db.session.execute(  # every stored response has one
            select(ResponseRevision).where(ResponseRevision.response_id == response.id)
            .order_by(ResponseRevision.id.desc()).limit(1)
        ).scalar_one()
        return Resume(response.version_id, form_values(response.version.questions, revision.answers),
                      consents, True, None)
    return NOTHING_YET
