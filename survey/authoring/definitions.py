"""Survey definitions as plain data: the JSON format of docs/formats.md, validated.

`parse_survey` and `parse_question` turn untrusted dictionaries (a JSON file, an API body, the question
editor) into frozen specs or raise DefinitionError listing every problem with where it is.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace
from typing import Any

import survey.authoring.logic as logic
import survey.authoring.piping as piping
from survey.authoring import translations as translating
from survey.clock import outside_calendar
from survey.models.surveys import OTHER_LABEL, QUESTION_TYPES

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$")
MAX_TEXT = 2000
MAX_OPTIONS = 30
MAX_QUESTIONS = 200
SCALE_POINTS = range(2, 12)
NEEDS_OPTIONS = {"rating": "scale", "choice": "options", "multi": "options", "matrix": "scale", "ranking": "options"}
MAX_RANKED = 10  # a ranking is a number menu per option: past ten, nobody ranks them with care
MAX_STATEMENTS = 30
# The types whose options may end with "Other, please specify" (a text box beside the "Other" choice).
OTHER_TYPES = ("choice", "multi")
# The response CSV files' own columns (survey.transfer.response_import; the export writes them too), beside one column
# per question key: the import format's, and the export's others. A question key may not be one of them,
# or its answers and the column would be taken for each other.
CSV_FORMAT_COLUMNS = ("submitted_at", "email")
CSV_EXPORT_COLUMNS = ("response_id", "updated_at", "version", "source", "quote_consent", "contact_consent", "tags")
RESERVED_KEYS = frozenset((*CSV_FORMAT_COLUMNS, *CSV_EXPORT_COLUMNS))
SURVEY_FIELDS = {"slug", "title", "intro", "follow_up", "questions", "sections", "language", "translations"}
SECTION_FIELDS = {"key", "title", "intro", "show_if"}
MAX_SECTIONS = 50
# When a response opens a follow-up case: for a low score or "you may contact me" (the default), or for every
# response (a complaint form: each one is someone to get back to).
FOLLOW_UP_RULES = ("low_scores", "every_response")
QUESTION_FIELDS = {"key", "type", "text", "scale", "options", "required", "why", "long", "follow_up_at", "show_if",
                   "end_if", "section", "statements", "other", "min", "max", "integer", "preset"}
# The Customer Effort Score 2.0: agreement with "<Company> made it easy for me to handle my issue" on seven
# points; its headline is the share agreeing (the top three boxes). PRESETS names the standard questions.
CES_SCALE = ("Strongly disagree", "Disagree", "Somewhat disagree", "Neither agree nor disagree", "Somewhat agree",
             "Agree", "Strongly agree")
PRESETS = ("ces",)
# A numeric answer's limits: as many digits as a person types, and no more than a float keeps exactly.
NUMBER_LIMIT = 10 ** 12


class DefinitionError(ValueError):
    """Raised with every problem found, each as "where: what"."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class QuestionSpec:
    key: str
    type: str
    text: str
    options: tuple[str, ...] = ()
    required: bool = False
    why: str = ""
    long: bool = False
    # rating / nps: an answer at or below this opens a follow-up case (None: bottom two boxes, NPS 0–6).
    follow_up_at: int | None = None
    # Display logic (survey.authoring.logic): JsonLogic conditions, None for none; its section's key or "".
    # Not hashed: a condition is a dict (equality still compares them).
    show_if: dict | None = field(default=None, hash=False)
    end_if: dict | None = field(default=None, hash=False)
    section: str = ""
    # matrix: (key, text) of each statement, in order; each is answered on `options` (the scale) and stored,
    # counted and analysed as a rating question keyed "<key>.<statement key>" (Question.parts).
    statements: tuple[tuple[str, str], ...] = ()
    # choice / multi: an "Other" choice with a text box after the options.
    other: bool = False
    # numeric: the smallest and largest answers accepted (numbers), and whether only whole numbers are;
    # date: the earliest and latest dates accepted (ISO text). None: no limit.
    minimum: int | float | str | None = None
    maximum: int | float | str | None = None
    integer: bool = False
    # rating: the standard question it is (PRESETS), which sets its headline ("ces": the share agreeing).
    preset: str = ""

    @property
    def settings(self) -> dict | None:
        """What Question.settings stores for this spec (None when the type has nothing to keep)."""
        settings: dict = {}
        if self.statements:
            settings["statements"] = [{"key": key, "text": text} for key, text in self.statements]
        if self.other:
            settings["other"] = True
        if self.minimum is not None:
            settings["min"] = self.minimum
        if self.maximum is not None:
            settings["max"] = self.maximum
        if self.integer:
            settings["integer"] = True
        if self.preset:
            settings["preset"] = self.preset
        return settings or None

    def compatible_with(self, earlier: QuestionSpec) -> str | None:
        """Why this question cannot reuse `earlier`'s key (results would mix two meanings), or None."""
        if self.type != earlier.type:
            return f"was a {earlier.type} question in an earlier version; give a {self.type} question a new key"
        if self.type in ("rating", "matrix") and len(self.options) != len(earlier.options):
            return (f"had a {len(earlier.options)}-point scale in an earlier version; "
                    f"a {len(self.options)}-point scale needs a new key")
        if self.type in NEEDS_OPTIONS and (moved := _moved_option(earlier.options, self.options)):
            # Answers are stored and counted by position: a moved option would take the other's answers.
            return (f"had {moved!r} in another place in an earlier version; answers are kept by position, so "
                    "an option may be reworded where it is or added or removed at the end, and moving, "
                    "inserting or removing one elsewhere needs a new key")
        return None


def _moved_option(earlier: tuple[str, ...], later: tuple[str, ...]) -> str | None:
    """An option that is in both lists at different positions, or None."""
    before = {label.casefold(): i for i, label in enumerate(earlier)}
    return next((label for i, label in enumerate(later) if before.get(label.casefold(), i) != i), None)


@dataclass(frozen=True)
class SectionSpec:
    """A page of the survey: its questions are those naming its key, which follow each other."""

    key: str
    title: str
    intro: str = ""
    show_if: dict | None = field(default=None, hash=False)


@dataclass(frozen=True)
class SurveySpec:
    slug: str
    title: str
    intro: str = ""
    questions: tuple[QuestionSpec, ...] = field(default_factory=tuple)
    follow_up: str = "low_scores"  # one of FOLLOW_UP_RULES
    language: str = "en"  # the language of the texts above
    # Other languages' texts: {"fr": {"title": …, "questions": {"<key>": {"text": …}}}} (authoring.translations)
    translations: dict[str, dict] = field(default_factory=dict)
    sections: tuple[SectionSpec, ...] = field(default_factory=tuple)


def _text(value, where: str, problems: list[str], *, required: bool, limit: int = MAX_TEXT) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        problems.append(f"{where}: must be text")
        return ""
    value = value.replace("\x00", "").strip()
    if required and not value:
        problems.append(f"{where}: is required")
    if len(value) > limit:
        problems.append(f"{where}: is longer than {limit} characters")
    return value


def _flag(value, where: str, problems: list[str]) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        problems.append(f"{where}: must be true or false")
        return False
    return value


def _unknown(data: dict, allowed: set[str], where: str, problems: list[str]) -> None:
    for name in sorted(set(data) - allowed):
        problems.append(f"{where}{name}: unknown field")


def parse_question(data, where: str = "") -> QuestionSpec:
    problems: list[str] = []
    spec = _question(data, where, problems)
    if spec is None:  # there were problems
        raise DefinitionError(problems)
    return spec


def _question(data, where: str, found: list[str]) -> QuestionSpec | None:
    problems: list[str] = []
    spec = _checked_question(data, where, problems)
    found.extend(problems)
    return None if problems else spec


def _checked_question(data, where: str, problems: list[str]) -> QuestionSpec | None:
    if not isinstance(data, dict):
        problems.append(f"{where or 'question'}: must be an object")
        return None
    _unknown(data, QUESTION_FIELDS, where, problems)
    key = _key(data.get("key"), where, problems)
    qtype = data.get("type")
    known_type = qtype in QUESTION_TYPES
    if not known_type:
        problems.append(f"{where}type: must be one of {', '.join(QUESTION_TYPES)}, got {qtype!r}")
    text = _text(data.get("text"), f"{where}text", problems, required=True)
    why = _text(data.get("why"), f"{where}why", problems, required=False, limit=500)
    required = _flag(data.get("required"), f"{where}required", problems)
    long = _flag(data.get("long"), f"{where}long", problems)
    options = _options(data, qtype if known_type else None, where, problems)
    if long and qtype != "text":
        problems.append(f"{where}long: only text questions can be long")
    follow_up_at = _follow_up_at(data.get("follow_up_at"), qtype, len(options), f"{where}follow_up_at", problems)
    show_if = _condition(data.get("show_if"), f"{where}show_if", problems)
    end_if = _condition(data.get("end_if"), f"{where}end_if", problems)
    section = data.get("section", "")
    if not isinstance(section, str) or (section and not KEY_PATTERN.match(section)):
        problems.append(f"{where}section: must be a section's key, got {section!r}")
    statements = _statements(data, qtype, key, where, problems)
    other = _other(data, qtype, options, where, problems)
    minimum, maximum, integer = _limits(data, qtype, where, problems)
    preset = _preset(data.get("preset"), qtype, options, f"{where}preset", problems)
    if problems:
        return None
    assert isinstance(qtype, str)  # one of QUESTION_TYPES, or there would be a problem
    return QuestionSpec(key=key, type=qtype, text=text, options=tuple(options), required=required,
                        why=why, long=long, follow_up_at=follow_up_at, show_if=show_if, end_if=end_if,
                        section=section, statements=statements, other=other, minimum=minimum, maximum=maximum,
                        integer=integer, preset=preset)


def _condition(value, where: str, problems: list[str]) -> dict | None:
    """A condition's shape (an object); what it names is checked with the whole survey (`logic_problems`)."""
    if value is None:
        return None
    if not isinstance(value, dict) or not value:
        problems.append(f"{where}: must be a condition object such as "
                        '{"<=": [{"var": "answers.rating"}, 2]}')
        return None
    return value


def _preset(value, qtype, options: list[str], where: str, problems: list[str]) -> str:
    if value is None:
        return ""
    if value not in PRESETS:
        problems.append(f"{where}: must be one of {', '.join(PRESETS)}, got {value!r}")
    elif qtype != "rating" or len(options) != len(CES_SCALE):
        problems.append(f"{where}: the Customer Effort Score is a rating question on a 7-point agreement scale")
    else:
        return value
    return ""


def ces_question(key: str, organisation: str) -> QuestionSpec:
    """The standard Customer Effort Score 2.0 question, for the editor's "add" button."""
    return QuestionSpec(key=key, type="rating", text=f"{organisation} made it easy for me to handle my issue.",
                        options=CES_SCALE, required=False, preset="ces")


def _limits(data: dict, qtype, where: str, problems: list[str]) -> tuple:
    """A numeric question's (min, max, integer) or a date question's (min, max, False); each optional."""
    integer = _flag(data.get("integer"), f"{where}integer", problems)
    if integer and qtype != "numeric":
        problems.append(f"{where}integer: only numeric questions can ask for whole numbers")
    if qtype not in ("numeric", "date"):
        for name in ("min", "max"):
            if name in data and qtype in QUESTION_TYPES:
                problems.append(f"{where}{name}: not used by a {qtype} question")
        return None, None, False
    read = _number_limit if qtype == "numeric" else _date_limit
    minimum: Any = read(data.get("min"), f"{where}min", problems, integer)
    maximum: Any = read(data.get("max"), f"{where}max", problems, integer)
    if minimum is not None and maximum is not None and minimum > maximum:  # two numbers, or two ISO dates
        problems.append(f"{where}max: must not be below min ({minimum})")
    return minimum, maximum, integer


def _number_limit(value, where: str, problems: list[str], integer: bool) -> int | float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not -NUMBER_LIMIT < value < NUMBER_LIMIT:
        problems.append(f"{where}: must be a number between -10^12 and 10^12, got {value!r}")
        return None
    if integer and value != int(value):
        problems.append(f"{where}: must be a whole number when only whole numbers are accepted, got {value!r}")
        return None
    return int(value) if value == int(value) else value


def _date_limit(value, where: str, problems: list[str], _integer: bool) -> str | None:
    if value is None:
        return None
    try:
        day = date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        day = None
    if day is None:
        problems.append(f"{where}: must be a date written year-month-day, e.g. 2026-03-31, got {value!r}")
        return None
    if reason := outside_calendar(day):
        problems.append(f"{where}: {reason}")
        return None
    return day.isoformat()


def _statements(data: dict, qtype, key, where: str, problems: list[str]) -> tuple[tuple[str, str], ...]:
    """A matrix's statements: each {"key", "text"}, its answers stored under "<question key>.<statement key>",
    which must fit the answers' 64-character question keys."""
    raw = data.get("statements")
    if qtype != "matrix":
        if raw is not None and qtype in QUESTION_TYPES:
            problems.append(f"{where}statements: not used by a {qtype} question")
        return ()
    if not isinstance(raw, list) or not raw:
        problems.append(f"{where}statements: must be a list of statements, each {{\"key\": …, \"text\": …}}")
        return ()
    if len(raw) > MAX_STATEMENTS:
        problems.append(f"{where}statements: at most {MAX_STATEMENTS} statements, got {len(raw)}")
    room = 64 - len(key) - 1 if isinstance(key, str) else 63
    statements: list[tuple[str, str]] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        place = f"{where}statements[{i}]"
        if not isinstance(item, dict):
            problems.append(f"{place}: must be an object with a key and a text")
            continue
        _unknown(item, {"key", "text"}, f"{place}.", problems)
        part = item.get("key")
        if not isinstance(part, str) or not KEY_PATTERN.match(part):
            problems.append(f"{place}.key: must start with a lower-case letter and use only a-z, 0-9 and _, "
                            f"got {part!r}")
        elif len(part) > room:
            problems.append(f"{place}.key: {key}.{part} is longer than 64 characters; shorten the statement's "
                            "key or the question's")
        elif part in seen:
            problems.append(f"{place}.key: {part!r} is used twice")
        text = _text(item.get("text"), f"{place}.text", problems, required=True, limit=500)
        seen.add(str(part))
        statements.append((str(part), text))
    return tuple(statements)


def _other(data: dict, qtype, options: list[str], where: str, problems: list[str]) -> bool:
    other = _flag(data.get("other"), f"{where}other", problems)
    if other and qtype not in OTHER_TYPES:
        problems.append(f"{where}other: only choice and multi questions can offer “Other, please specify”")
        return False
    if other and any(option.casefold() == OTHER_LABEL.casefold() for option in options):
        problems.append(f"{where}options: {OTHER_LABEL!r} is added by \"other\": true; remove it from the options")
    return other


def _key(key, where: str, problems: list[str]):
    if not isinstance(key, str) or not KEY_PATTERN.match(key):
        problems.append(f"{where}key: must start with a lower-case letter and use only a-z, 0-9 and _ "
                        f"(at most 64 characters), got {key!r}")
    elif key in RESERVED_KEYS:
        problems.append(f"{where}key: {key!r} is a column of the response CSV files; choose another key, "
                        f"e.g. {key}_answer")
    return key


def _options(data: dict, qtype: str | None, where: str, problems: list[str]) -> list[str]:
    """The labels of a rating scale ("scale") or a choice ("options"); `qtype` None when the type is unknown
    (it may be any JSON value: a list cannot even be looked up)."""
    list_name = NEEDS_OPTIONS.get(qtype) if qtype else None
    for name in ("scale", "options"):
        if qtype and name in data and name != list_name:
            problems.append(f"{where}{name}: not used by a {qtype} question")
    if not list_name:
        return []
    raw = data.get(list_name)
    if not isinstance(raw, list) or not raw:
        problems.append(f"{where}{list_name}: must be a list of labels")
        return []
    options = [_text(label, f"{where}{list_name}[{i}]", problems, required=True, limit=200)
               for i, label in enumerate(raw)]
    points = SCALE_POINTS if qtype in ("rating", "matrix") else \
        range(2, (MAX_RANKED if qtype == "ranking" else MAX_OPTIONS) + 1)
    if len(options) not in points:
        problems.append(f"{where}{list_name}: needs {points.start} to {points.stop - 1} labels, got {len(options)}")
    if len({o.casefold() for o in options}) != len(options):
        problems.append(f"{where}{list_name}: labels must be different from each other")
    if qtype in ("multi", "ranking") and (joined := next((o for o in options if ";" in o), None)):
        # CSV files list the ticked options of a multi answer separated by ";".
        problems.append(f"{where}{list_name}: {joined!r} contains “;”, which separates ticked options in "
                        "CSV files; write it another way, e.g. with “,” or “/”")
    return options


def _follow_up_at(value, qtype, points: int, where: str, problems: list[str]) -> int | None:
    """The low-score threshold: a scale position below the top box for rating, 0–9 for NPS."""
    if value is None:
        return None
    if qtype not in ("rating", "nps"):
        problems.append(f"{where}: only rating and NPS questions open follow-ups for low scores")
        return None
    highest = 9 if qtype == "nps" else max(points - 1, 1)
    lowest = 0 if qtype == "nps" else 1
    if isinstance(value, bool) or not isinstance(value, int) or not lowest <= value <= highest:
        problems.append(f"{where}: must be a whole number from {lowest} to {highest}, got {value!r}")
        return None
    return value


def parse_survey(data) -> SurveySpec:
    problems: list[str] = []
    if not isinstance(data, dict):
        raise DefinitionError(["survey: must be a JSON object"])
    _unknown(data, SURVEY_FIELDS, "", problems)
    slug = data.get("slug")
    if problem := slug_problem(slug):
        problems.append(f"slug: {problem}")
    title = _text(data.get("title"), "title", problems, required=True, limit=200)
    intro = _text(data.get("intro"), "intro", problems, required=False)
    follow_up = data.get("follow_up", "low_scores")
    if follow_up not in FOLLOW_UP_RULES:
        problems.append(f"follow_up: must be one of {', '.join(FOLLOW_UP_RULES)}, got {follow_up!r}")
    sections = _sections(data.get("sections"), problems)
    questions = _questions(data.get("questions"), problems)
    if not problems:
        problems.extend(logic_problems(questions, sections, intro=intro))
    language = translating.parse_language(data.get("language"), "language", problems)
    texts = SimpleNamespace(title=title, intro=intro, questions=questions, sections=sections)
    translations = translating.parse_translations(data.get("translations"), language, texts, problems)
    if problems:
        raise DefinitionError(problems)
    assert isinstance(slug, str)  # checked above, or there would be a problem
    return SurveySpec(slug=slug, title=title, intro=intro, questions=tuple(questions), follow_up=follow_up,
                      sections=tuple(sections), language=language, translations=translations)


def _questions(raw_questions, problems: list[str]) -> list[QuestionSpec]:
    questions: list[QuestionSpec] = []
    if not isinstance(raw_questions, list):
        problems.append("questions: must be a list")
    elif len(raw_questions) > MAX_QUESTIONS:
        problems.append(f"questions: at most {MAX_QUESTIONS} questions")
    else:
        seen: set[str] = set()
        for i, raw in enumerate(raw_questions):
            spec = _question(raw, f"questions[{i}].", problems)
            if spec and spec.key in seen:
                problems.append(f"questions[{i}].key: {spec.key!r} is used twice")
            if spec:
                seen.add(spec.key)
                questions.append(spec)
    return questions


def _sections(raw, problems: list[str]) -> list[SectionSpec]:
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > MAX_SECTIONS:
        problems.append(f"sections: must be a list of at most {MAX_SECTIONS} sections")
        return []
    sections: list[SectionSpec] = []
    for i, data in enumerate(raw):
        where = f"sections[{i}]."
        if not isinstance(data, dict):
            problems.append(f"sections[{i}]: must be an object")
            continue
        found: list[str] = []
        _unknown(data, SECTION_FIELDS, where, found)
        key = data.get("key")
        if not isinstance(key, str) or not KEY_PATTERN.match(key):
            found.append(f"{where}key: must start with a lower-case letter and use only a-z, 0-9 and _ "
                         f"(at most 64 characters), got {key!r}")
        elif any(s.key == key for s in sections):
            found.append(f"{where}key: {key!r} is used twice")
        title = _text(data.get("title"), f"{where}title", found, required=True, limit=200)
        intro = _text(data.get("intro"), f"{where}intro", found, required=False)
        show_if = _condition(data.get("show_if"), f"{where}show_if", found)
        problems.extend(found)
        if not found:
            assert isinstance(key, str)  # checked above, or there would be a problem
            sections.append(SectionSpec(key=key, title=title, intro=intro, show_if=show_if))
    return sections


def parse_section(data) -> SectionSpec:
    """One section as the editor sends it ({"key", "title", "intro"?, "show_if"?}), checked as an import
    checks it; refused with problems named by field ("title: …")."""
    problems: list[str] = []
    sections = _sections([data], problems)
    if problems:
        raise DefinitionError([problem.removeprefix("sections[0].") for problem in problems])
    return sections[0]


def logic_problems(questions, sections=(), *, intro: str = "") -> list[str]:
    """What is wrong with a survey's display logic, sections and piped text, given its parsed questions (of
    any type: a condition only needs each question's key, type and options), each problem as "where: what"
    naming the question. A condition or a piped answer may only read questions asked before it (its own
    answer too, for `end_if`), and only values those questions can take."""
    problems: list[str] = []
    keys = [q.key for q in questions]
    first_of = _section_problems(questions, sections, problems)
    for i, question in enumerate(questions):
        where = f"questions[{i}] ({question.key})."
        earlier, later = questions[:i], keys[i + 1:]
        if question.show_if is not None:
            problems.extend(logic.problems(question.show_if, f"{where}show_if", earlier, later=[*later, question.key]))
        if question.end_if is not None:
            problems.extend(logic.problems(question.end_if, f"{where}end_if", questions[:i + 1], later=later))
        for name in ("text", "why"):
            problems.extend(_piping_problems(getattr(question, name), f"{where}{name}", keys[:i], later=keys[i:]))
    for j, section in enumerate(sections):
        where = f"sections[{j}] ({section.key})."
        start = first_of.get(section.key)
        if start is None:
            continue
        if section.show_if is not None:
            problems.extend(logic.problems(section.show_if, f"{where}show_if", questions[:start],
                                           later=keys[start:]))
        for name in ("title", "intro"):
            problems.extend(_piping_problems(getattr(section, name), f"{where}{name}", keys[:start],
                                             later=keys[start:]))
    problems.extend(_piping_problems(intro, "intro", [], later=keys))
    return problems


def _section_problems(questions, sections, problems: list[str]) -> dict[str, int]:
    """Every question in a section of the survey once it has sections, each section's questions following
    each other, the sections in their questions' order, none empty. Returns each section's first question's
    position."""
    section_keys = [s.key for s in sections]
    first_of: dict[str, int] = {}
    order: list[str] = []  # the sections as the questions meet them
    for i, question in enumerate(questions):
        where = f"questions[{i}] ({question.key}).section"
        if question.section and question.section not in section_keys:
            problems.append(f"{where}: {question.section!r} is not one of the survey's sections"
                            + (f" ({', '.join(section_keys)})" if section_keys else " (it has none)"))
        elif sections and not question.section:
            problems.append(f"{where}: every question needs a section once the survey has sections "
                            f"({', '.join(section_keys)})")
        elif question.section and question.section not in first_of:
            first_of[question.section] = i
            order.append(question.section)
        elif question.section and order[-1] != question.section:
            problems.append(f"{where}: the questions of section {question.section!r} must follow each other")
    if order != [key for key in section_keys if key in first_of]:
        problems.append(f"sections: list them in the order of their questions ({', '.join(order)})")
    for j, section in enumerate(sections):
        if section.key not in first_of:
            problems.append(f"sections[{j}] ({section.key}).key: no question is in this section")
    return first_of


def _piping_problems(text: str, where: str, earlier: list[str], *, later: list[str]) -> list[str]:
    """`{answers.<key>}` must name a question asked before the text is shown."""
    problems = []
    for placeholder in piping.placeholders(text or ""):
        if placeholder.scope != "answers" or placeholder.name in earlier:
            continue
        if placeholder.name in later:
            problems.append(f"{where}: {{answers.{placeholder.name}}} is not answered before this text is shown; "
                            "an answer can be repeated only after its question (in a later section for it to "
                            "show without JavaScript)")
        else:
            problems.append(f"{where}: {{answers.{placeholder.name}}} names no question of this survey")
    return problems


def question_spec(question) -> QuestionSpec:
    """The spec of a stored Question (or anything with the same attributes)."""
    return QuestionSpec(key=question.key, type=question.type, text=question.text,
                        options=tuple(question.options or ()), required=question.required,
                        why=question.why or "", long=question.long,
                        follow_up_at=question.follow_up_threshold, show_if=question.show_if,
                        end_if=question.end_if, section=question.section or "",
                        statements=tuple((s["key"], s["text"]) for s in question.statements),
                        other=bool((question.settings or {}).get("other")),
                        minimum=(question.settings or {}).get("min"), maximum=(question.settings or {}).get("max"),
                        integer=bool((question.settings or {}).get("integer")),
                        preset=(question.settings or {}).get("preset", ""))


def question_definition(spec: QuestionSpec) -> dict:
    data: dict = {"key": spec.key, "type": spec.type, "text": spec.text}
    if spec.type in NEEDS_OPTIONS:
        data[NEEDS_OPTIONS[spec.type]] = list(spec.options)
    # What only some types have, in the order of QuestionSpec.settings (statements, other, min, max, integer).
    data.update(spec.settings or {})
    if spec.required:
        data["required"] = True
    if spec.long:
        data["long"] = True
    if spec.why:
        data["why"] = spec.why
    if spec.follow_up_at is not None:
        data["follow_up_at"] = spec.follow_up_at
    # Written only when set, so a survey without logic exports exactly as before.
    if spec.section:
        data["section"] = spec.section
    if spec.show_if is not None:
        data["show_if"] = spec.show_if
    if spec.end_if is not None:
        data["end_if"] = spec.end_if
    return data


def section_specs(version) -> tuple[SectionSpec, ...]:
    """The sections of a stored SurveyVersion."""
    return tuple(SectionSpec(key=s["key"], title=s["title"], intro=s.get("intro", ""), show_if=s.get("show_if"))
                 for s in version.sections or ())


def section_definition(spec: SectionSpec) -> dict:
    data: dict = {"key": spec.key, "title": spec.title}
    if spec.intro:
        data["intro"] = spec.intro
    if spec.show_if is not None:
        data["show_if"] = spec.show_if
    return data


def slug_problem(slug) -> str | None:
    """Why `slug` cannot be a survey's address (None: it can): the rule of import and of the editor."""
    if not isinstance(slug, str) or not SLUG_PATTERN.match(slug):
        return f"must be 1-80 lower-case letters, digits and inner hyphens, got {slug!r}"
    return None


def survey_definition(slug: str, version) -> dict:
    """The JSON definition of a stored SurveyVersion, as `export-survey` prints it."""
    # "language" and "translations" only when there are some: a definition without them exports as it did.
    translations = translating.current_translations(version)
    return {
        "slug": slug,
        "title": version.title,
        "intro": version.intro,
        **({"language": version.language} if (version.language or "en") != "en" else {}),
        **({"follow_up": version.follow_up} if version.follow_up != "low_scores" else {}),
        **({"sections": [section_definition(s) for s in section_specs(version)]} if version.sections else {}),
        "questions": [question_definition(question_spec(q)) for q in version.questions],
        **({"translations": translations} if translations else {}),
    }
