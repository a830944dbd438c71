"""A survey with sections is answered page by page: which pages a customer sees, which questions each shows,
and the texts with their piped answers filled in.

Without JavaScript a page is the one moment the server learns answers, so a section's condition (which reads
earlier sections only) decides whether its page is shown; a question whose condition reads an answer on its
own page is shown, marked for the page's script to hide in place, and the server decides when the answers
are sent (`submission.parse_answers`). Every page carries the answers of the other pages as hidden inputs, so
nothing is lost between pages, on errors or when saving for later.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext

from survey.authoring import logic, piping
from survey.models import Question, SurveyVersion
from survey.responding.submission import parse_answers, section_conditions


@dataclass(frozen=True)
class Page:
    section: Mapping[str, Any] | None  # {"key", "title", "intro"?, "show_if"?}; None: a survey without sections
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Layout:
    """What the survey page shows now."""

    index: int  # this page's index in `pages`
    pages: tuple[Page, ...]
    shown_pages: tuple[int, ...]  # the indexes of the pages this customer sees, as far as the answers tell
    # …and of those that may yet be seen (a condition reading an answer not given yet): the progress counts
    # them, so "Page 1 of 3" does not become "Page 2 of 4".
    counted_pages: tuple[int, ...]
    visible: tuple[Question, ...]  # this page's questions, in order
    carried: dict[str, list[str]]  # every other answer field, posted again as hidden inputs
    texts: dict[str, dict[str, str]]  # question key → {"text", "why"}, piped
    section_title: str
    section_intro: str
    intro: str  # the survey's intro, piped (shown on the first page)
    logic_data: dict  # for the page's script (as JSON): each question's type and the contact's values it reads

    @property
    def paged(self) -> bool:
        return len(self.pages) > 1

    @property
    def position(self) -> int:
        """This page's number among the pages the customer sees (1-based)."""
        return self.counted_pages.index(self.index) + 1 if self.index in self.counted_pages else 1

    @property
    def page_count(self) -> int:
        return len(self.counted_pages)

    @property
    def previous(self) -> int | None:
        return next((i for i in reversed(self.shown_pages) if i < self.index), None)

    @property
    def next(self) -> int | None:
        return next((i for i in self.shown_pages if i > self.index), None)


def pages(version: SurveyVersion) -> tuple[Page, ...]:
    if not version.sections:
        return (Page(None, tuple(version.questions)),)
    return tuple(Page(section, tuple(q for q in version.questions if q.section == section["key"]))
                 for section in version.sections)


def shown_value(question: Question, value: Any) -> str:
    """An answer as piped text shows it: as the customer chose it, a rating as "2 of 5"."""
    if question.type == "rating":
        return gettext("%(value)s of %(count)s", value=value, count=len(question.options))
    if question.type == "yesno":
        # Lower case: piped into the middle of a sentence ("You said yes").
        return gettext("yes") if value else gettext("no")
    if isinstance(value, list):
        return ", ".join(value)
    return str(value)


def layout(version: SurveyVersion, fields: Mapping[str, list[str]], contact: Mapping[str, str],
           page: int | str | None = 0) -> Layout:
    """The page `page` (an index, clamped) for these answer fields; a page this customer does not see
    (answers changed since) becomes the nearest one before it that they do."""
    all_pages = pages(version)
    if len(all_pages) == 1 and not logic.has_logic(version.questions):
        return _one_page(version, all_pages, contact)
    values = parse_answers(version.questions, fields).values  # valid answers only: a bad one reads as none
    types = {part.key: part.type for part in version.parts}  # answer keys: a matrix's are its statements'
    answers = {key: logic.answer_value(types[key], value) for key, value in values.items() if key in types}
    found = logic.route(version.questions, section_conditions(version), answers, contact)
    asked = set(found.asked)
    keys = [q.key for q in version.questions]
    shown = tuple(i for i, p in enumerate(all_pages)
                  if _page_shown(p, answers, asked, found.ended_after, contact, keys))
    index = _index(page, len(all_pages))
    if index not in shown:
        index = max((i for i in shown if i < index), default=shown[0] if shown else 0)
    current = all_pages[index]
    open_keys = set(keys[keys.index(current.questions[0].key):]) - set(answers) if current.questions else set()
    counted = tuple(i for i, p in enumerate(all_pages) if i in shown or (
        i > index and logic.answer_keys((p.section or {}).get("show_if")) & open_keys))
    earlier = {q.key for p in all_pages[:index] for q in p.questions} & asked
    on_page = {q.key for q in current.questions}
    seen = {key: value for key, value in answers.items() if logic.question_key(key) in earlier}
    visible = tuple(q for q in current.questions if q.show_if is None
                    or logic.answer_keys(q.show_if) & on_page
                    or logic.evaluate(q.show_if, {"answers": seen, "contact": contact}))
    by_key = {q.key: q for q in version.questions}
    piped = {key: shown_value(by_key[key], value) for key, value in values.items() if key in earlier}
    # A question's fields are "q-<key>" and, for a matrix, a ranking or "Other", "q-<key>.<part>": all of a
    # visible question's are on the page, so none is carried (twice posted, a radio would have two values).
    visible_keys = {q.key for q in visible}
    carried = {name: list(value) for name, value in fields.items()
               if name.startswith("q-") and logic.question_key(name[2:]) not in visible_keys}
    section = current.section or {}
    return Layout(
        index=index, pages=all_pages, shown_pages=shown, counted_pages=counted, visible=visible, carried=carried,
        texts={q.key: {"text": piping.fill(q.text, contact=contact, answers=piped),
                       "why": piping.fill(q.why or "", contact=contact, answers=piped)} for q in visible},
        section_title=piping.fill(section.get("title", ""), contact=contact, answers=piped),
        section_intro=piping.fill(section.get("intro", ""), contact=contact, answers=piped),
        intro=piping.fill(version.intro or "", contact=contact),
        logic_data=_logic_data(version, contact),
    )


def _one_page(version: SurveyVersion, all_pages: tuple[Page, ...], contact: Mapping[str, str]) -> Layout:
    """A survey without sections or logic (most of them): every question on one page, as before, with only
    the contact to pipe (no answer is known before the page is sent)."""
    return Layout(
        index=0, pages=all_pages, shown_pages=(0,), counted_pages=(0,), visible=all_pages[0].questions, carried={},
        texts={q.key: {"text": piping.fill(q.text, contact=contact), "why": piping.fill(q.why or "", contact=contact)}
               for q in version.questions},
        section_title="", section_intro="", intro=piping.fill(version.intro or "", contact=contact),
        logic_data={})


def _index(page: int | str | None, count: int) -> int:
    try:
        return min(max(int(page or 0), 0), count - 1)
    except (TypeError, ValueError):
        return 0


def _page_shown(page: Page, answers: Mapping[str, Any], asked: set[str], ended_after: str | None,
                contact: Mapping[str, str], keys: list[str]) -> bool:
    """A page is seen when the survey has not ended before it, its section's condition holds on the answers
    asked before it, and one of its questions is asked or may be (its condition reads this page)."""
    if not page.questions:
        return False
    start = keys.index(page.questions[0].key)
    if ended_after is not None and start > keys.index(ended_after):
        return False
    condition = (page.section or {}).get("show_if")
    before = {key: value for key, value in answers.items()
              if logic.question_key(key) in asked and keys.index(logic.question_key(key)) < start}
    if condition is not None and not logic.evaluate(condition, {"answers": before, "contact": contact}):
        return False
    on_page = {q.key for q in page.questions}
    return any(q.key in asked or (q.show_if is not None and logic.answer_keys(q.show_if) & on_page)
               for q in page.questions)


def _logic_data(version: SurveyVersion, contact: Mapping[str, str]) -> dict:
    """What the page's script needs to show and hide questions in place: each question's type and the
    contact's values the conditions read (only those: the page holds nothing else of the contact)."""
    conditions = [q.show_if for q in version.questions if q.show_if is not None]
    names = {name.split(".", 1)[1] for c in conditions for name in logic.variables(c) if name.startswith("contact.")}
    return {"types": {part.key: part.type for part in version.parts},
            "contact": {name: contact[name] for name in sorted(names) if name in contact}}


def first_page_with(version: SurveyVersion, keys: Sequence[str]) -> int | None:
    """The index of the first page holding one of `keys` (the page of the first error)."""
    for i, page in enumerate(pages(version)):
        if any(q.key in keys for q in page.questions):
            return i
    return None


@dataclass(frozen=True)
class Move:
    """Where Back or Next leads: `page` (an index), or None for Next on the last page (send the answers);
    `errors` are this page's answers to correct first (then `page` is this page)."""

    page: int | None
    errors: dict[str, str]


def move(version: SurveyVersion, fields: Mapping[str, list[str]], contact: Mapping[str, str],
         page: int | str | None, action: str) -> Move:
    here = layout(version, fields, contact, page)
    if action == "back":
        return Move(here.previous if here.previous is not None else here.index, {})
    on_page = {q.key for q in here.visible}
    parsed = parse_answers(version.questions, fields, version=version, contact=contact)
    errors = {key: error for key, error in parsed.errors.items() if key in on_page}
    if errors:
        return Move(here.index, errors)
    return Move(here.next, {})
