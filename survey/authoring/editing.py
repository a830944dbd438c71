"""Verbs over surveys: create, import, edit questions and sections, publish, close, duplicate.

A version that has responses is never changed: the first edit after a response arrives copies the
current version into a new one (live at once if the survey is published), so every stored response
keeps the questions it answered, while results line questions up across versions by key.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from survey.authoring.definitions import (
    FOLLOW_UP_RULES,
    QuestionSpec,
    SectionSpec,
    SurveySpec,
    ces_question,
    logic_problems,
    question_spec,
    section_definition,
    section_specs,
    slug_problem,
)
from survey.extensions import db
from survey.models import Question, Response, Survey, SurveyStatus, SurveyVersion, User, audit


class AuthoringError(ValueError):
    """A change a manager asked for that cannot be made; the message says why."""


class LogicError(AuthoringError):
    """A change that would break the survey's display logic or piped text: `problems` as "where: what",
    each naming the question and the condition."""

    def __init__(self, problems: list[str]):
        super().__init__("This change would break the survey's display logic: " + "; ".join(problems))
        self.problems = problems


def find_survey(slug: str) -> Survey | None:
    return db.session.scalar(select(Survey).where(Survey.slug == slug))


def list_surveys() -> list[Survey]:
    return list(db.session.scalars(select(Survey).order_by(Survey.slug)))


def slugify(title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:60].strip("-")
    return slug or "survey"


def unique_slug(base: str) -> str:
    base = slugify(base)
    taken = set(db.session.scalars(select(Survey.slug).where(Survey.slug.startswith(base, autoescape=True))))
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def _fill_version(version: SurveyVersion, questions) -> None:
    if version.questions:
        # Delete before inserting: a flush inserts before it deletes, and keys are unique per version.
        version.questions.clear()
        db.session.flush()
    version.questions.extend(
        Question(position=i, key=q.key, type=q.type, text=q.text, why=q.why, required=q.required,
                 options=list(q.options), long=q.long, follow_up_threshold=q.follow_up_at, show_if=q.show_if,
                 end_if=q.end_if, section=q.section, settings=q.settings)
        for i, q in enumerate(questions)
    )


def _stored_sections(sections) -> list[dict] | None:
    return [section_definition(s) for s in sections] or None


def new_version(survey: Survey, *, title: str, intro: str, questions, now: datetime,
                follow_up: str = "low_scores", language: str = "en",
                translations: dict | None = None, sections=()) -> SurveyVersion:
    """The survey's next version, added to the session but not committed (an archive import adds many)."""
    number = survey.versions[-1].number + 1 if survey.versions else 1
    version = SurveyVersion(number=number, title=title, intro=intro, follow_up=follow_up, created_at=now,
                            language=language, translations=translations or None,
                            sections=_stored_sections(sections))
    _fill_version(version, questions)
    survey.versions.append(version)
    survey.updated_at = now
    return version


def _check_keys_against_history(survey: Survey, questions, *, skip_version_id: int | None = None) -> None:
    """Refuse a question whose key meant something else in an earlier version."""
    if survey.id is None:
        return
    keys = [q.key for q in questions]
    earlier = db.session.scalars(
        select(Question).join(SurveyVersion)
        .where(SurveyVersion.survey_id == survey.id, Question.key.in_(keys),
               SurveyVersion.id != (skip_version_id or -1))
        .order_by(SurveyVersion.number)
    ).all()
    latest = {q.key: q for q in earlier}
    for spec in questions:
        if spec.key in latest and (problem := spec.compatible_with(question_spec(latest[spec.key]))):
            raise AuthoringError(f"Question key {spec.key!r} {problem}.")


def create_survey(spec: SurveySpec, *, actor: User | None, now: datetime, publish: bool = False) -> Survey:
    if find_survey(spec.slug):
        raise AuthoringError(f"A survey with the address {spec.slug!r} already exists.")
    survey = Survey(slug=spec.slug, status=SurveyStatus.PUBLISHED if publish else SurveyStatus.DRAFT, created_at=now,
                    updated_at=now, created_by_id=actor.id if actor else None)
    new_version(survey, title=spec.title, intro=spec.intro, questions=spec.questions, follow_up=spec.follow_up,
                language=spec.language, translations=spec.translations, sections=spec.sections, now=now)
    db.session.add(survey)
    if publish:
        db.session.flush()  # its id, for the audit entry
        audit.record("survey.published", f"survey:{survey.id}", now=now, slug=survey.slug, version=1)
    db.session.commit()
    return survey


def import_survey(spec: SurveySpec, *, actor: User | None, now: datetime,
                  publish: bool = True) -> tuple[Survey, bool]:
    """Create the survey, or publish the definition as a new version of the existing one.
    Returns (survey, created)."""
    survey = find_survey(spec.slug)
    if survey is None:
        return create_survey(spec, actor=actor, now=now, publish=publish), True
    _check_keys_against_history(survey, spec.questions)
    new_version(survey, title=spec.title, intro=spec.intro, questions=spec.questions, follow_up=spec.follow_up,
                language=spec.language, translations=spec.translations, sections=spec.sections, now=now)
    if survey.status == SurveyStatus.DRAFT and publish:
        survey.status = SurveyStatus.PUBLISHED
    if survey.status == SurveyStatus.PUBLISHED:  # a new version goes live at once
        audit.record("survey.published", f"survey:{survey.id}", now=now, slug=survey.slug,
                     version=survey.current_version.number)
    db.session.commit()
    return survey, False


def has_responses(version: SurveyVersion) -> bool:
    return bool(db.session.scalar(select(exists().where(Response.version_id == version.id))))


def editable_version(survey: Survey, now: datetime) -> SurveyVersion:
    """The version edits go to: the current one, or a fresh copy of it once it has responses."""
    current = survey.current_version
    if not has_responses(current):
        return current
    return new_version(survey, title=current.title, intro=current.intro, follow_up=current.follow_up,
                       language=current.language, translations=current.translations,
                       questions=[question_spec(q) for q in current.questions], sections=section_specs(current),
                       now=now)


def _specs(version: SurveyVersion) -> list[QuestionSpec]:
    return [question_spec(q) for q in version.questions]


def _check_logic(specs, sections, intro: str) -> None:
    """Refuse an edit that leaves a condition or a piped answer pointing at a question that is gone, later
    or cannot give the value it names (a moved question, a removed option), naming the question."""
    if problems := logic_problems(specs, sections, intro=intro):
        raise LogicError(problems)


def _save_questions(survey: Survey, specs: list[QuestionSpec], now: datetime,
                    sections: tuple[SectionSpec, ...] | None = None) -> None:
    current = survey.current_version
    sections = section_specs(current) if sections is None else sections
    _check_logic(specs, sections, current.intro)
    version = editable_version(survey, now)
    _check_keys_against_history(survey, specs, skip_version_id=version.id)
    _fill_version(version, specs)
    version.sections = _stored_sections(sections)
    survey.updated_at = now
    db.session.commit()


def _index(specs: list[QuestionSpec], key: str) -> int:
    for i, spec in enumerate(specs):
        if spec.key == key:
            return i
    raise AuthoringError(f"This survey has no question with the key {key!r}.")


def add_question(survey: Survey, spec: QuestionSpec, *, now: datetime) -> None:
    specs = _specs(survey.current_version)
    if any(s.key == spec.key for s in specs):
        raise AuthoringError(f"The key {spec.key!r} is already used by another question in this survey.")
    members = [i for i, s in enumerate(specs) if spec.section and s.section == spec.section]
    specs.insert(members[-1] + 1 if members else len(specs), spec)  # with its section's questions
    _save_questions(survey, specs, now)


def add_ces_question(survey: Survey, *, organisation: str, now: datetime) -> str:
    """Add the Customer Effort Score 2.0 question (definitions.ces_question) under the first free key of
    "effort", "effort_2" …; returns that key."""
    keys = {s.key for s in _specs(survey.current_version)} | {q.key for v in survey.versions for q in v.questions}
    key = next(k for k in ("effort", *(f"effort_{n}" for n in range(2, 1000))) if k not in keys)
    _save_questions(survey, _specs(survey.current_version) + [ces_question(key, organisation)], now)
    return key


def update_question(survey: Survey, key: str, spec: QuestionSpec, *, now: datetime) -> None:
    specs = _specs(survey.current_version)
    i = _index(specs, key)
    if spec.key != key and any(s.key == spec.key for s in specs):
        raise AuthoringError(f"The key {spec.key!r} is already used by another question in this survey.")
    before, specs[i] = specs[i], spec
    if spec.section != before.section and section_specs(survey.current_version):
        specs = _with_its_section(specs, i, before.section)
    _save_questions(survey, specs, now)


def _with_its_section(specs: list[QuestionSpec], i: int, left: str) -> list[QuestionSpec]:
    """specs with the question at i, just moved from section `left` to another, placed beside that
    section's questions: first of it when the section comes later, last when it comes earlier (the nearest
    place to where it was, so its conditions and those reading it keep their order). Refused, naming the
    section, when it was the only question of `left` (a section is never empty)."""
    spec = specs[i]
    if not any(s.section == left for j, s in enumerate(specs) if j != i):
        raise LogicError([f"questions[{i}] ({spec.key}).section: it is the only question of section {left!r}, "
                          "and a section needs at least one; remove that section instead, or move another "
                          "question into it first"])
    others = specs[:i] + specs[i + 1:]
    members = [j for j, s in enumerate(others) if s.section == spec.section]
    if not members:
        return specs  # not one of the survey's sections: the check names it
    place = members[0] if members[0] >= i else members[-1] + 1
    others.insert(place, spec)
    return others


def move_question(survey: Survey, key: str, offset: int, *, now: datetime) -> None:
    """Move a question up or down; in a survey with sections, one step across a page's edge moves it onto the
    next page instead (last of the page above, first of the page below), keeping each page's questions
    together."""
    specs = _specs(survey.current_version)
    i = _index(specs, key)
    j = min(max(i + offset, 0), len(specs) - 1)
    if i != j and abs(offset) == 1 and specs[j].section != specs[i].section:
        left = specs[i].section
        specs[i] = replace(specs[i], section=specs[j].section)
        _save_questions(survey, _with_its_section(specs, i, left), now)
    elif i != j:
        specs.insert(j, specs.pop(i))
        _save_questions(survey, specs, now)


def remove_question(survey: Survey, key: str, *, now: datetime) -> None:
    specs = _specs(survey.current_version)
    specs.pop(_index(specs, key))
    if not specs and survey.status == SurveyStatus.PUBLISHED:  # as publishing an empty survey is refused
        raise AuthoringError("Customers are answering this survey: it needs at least one question. "
                             "Add another question first, or close the survey.")
    _save_questions(survey, specs, now)


def update_details(survey: Survey, *, title: str, intro: str, follow_up: str, now: datetime) -> None:
    if follow_up not in FOLLOW_UP_RULES:
        raise AuthoringError(f"Choose when responses open a follow-up case ({', '.join(FOLLOW_UP_RULES)}).")
    current = survey.current_version
    if (title, intro, follow_up) == (current.title, current.intro, current.follow_up):
        return
    _check_logic(_specs(current), section_specs(current), intro)
    version = editable_version(survey, now)
    version.title, version.intro, version.follow_up = title, intro, follow_up
    survey.updated_at = now
    db.session.commit()


def change_slug(survey: Survey, slug: str, *, now: datetime) -> None:
    """A draft's new address (/s/<slug>), checked as an import checks it. Refused once the survey has been
    published: its links are out there (emails, QR codes, other systems' events name it)."""
    if survey.status != SurveyStatus.DRAFT:
        raise AuthoringError(f"The address can be changed only while the survey is a draft: this one is "
                             f"{survey.status}, and links to /s/{survey.slug} may already be in emails and on "
                             "other sites. Duplicate it for a new address.")
    if slug == survey.slug:
        return
    if problem := slug_problem(slug):
        raise AuthoringError(f"The address {problem}.")
    if find_survey(slug) is not None:
        raise AuthoringError(f"The address {slug!r} is already used by another survey.")
    survey.slug, survey.updated_at = slug, now
    try:
        db.session.commit()
    except IntegrityError:  # another draft took the address meanwhile
        db.session.rollback()
        raise AuthoringError(f"The address {slug!r} is already used by another survey.") from None


TRANSITIONS = {"publish": ({SurveyStatus.DRAFT, SurveyStatus.CLOSED}, SurveyStatus.PUBLISHED),
               "close": ({SurveyStatus.PUBLISHED}, SurveyStatus.CLOSED)}


def change_status(survey: Survey, action: str, *, now: datetime) -> None:
    allowed_from, to = TRANSITIONS[action]
    if survey.status not in allowed_from:
        raise AuthoringError(f"A {survey.status} survey cannot be {'published' if action == 'publish' else 'closed'}.")
    if action == "publish" and not survey.current_version.questions:
        raise AuthoringError("Add at least one question before publishing.")
    survey.status = to
    survey.updated_at = now
    audit.record("survey.published" if action == "publish" else "survey.closed", f"survey:{survey.id}", now=now,
                 slug=survey.slug, version=survey.current_version.number)
    db.session.commit()


def duplicate_survey(survey: Survey, *, actor: User | None, now: datetime) -> Survey:
    current = survey.current_version
    spec = SurveySpec(slug=unique_slug(f"{survey.slug}-copy"), title=f"{current.title} (copy)",
                      intro=current.intro, questions=tuple(_specs(current)), follow_up=current.follow_up,
                      language=current.language, translations=dict(current.translations or {}),
                      sections=section_specs(current))
    return create_survey(spec, actor=actor, now=now)


def create_from_spec(spec: SurveySpec, *, title: str, actor: User | None, now: datetime) -> Survey:
    """A new draft from a starter template (or an empty spec) under a fresh address named after title."""
    return create_survey(replace(spec, slug=unique_slug(title), title=title), actor=actor, now=now)


# Sections (pages): each verb rewrites the version's sections and its questions' `section` together and saves
# them as a question edit does (a new version once there are responses), after the same logic check, so a
# condition or piped text that would break is refused naming the section.

def _sections(survey: Survey) -> list[SectionSpec]:
    return list(section_specs(survey.current_version))


def _section_index(sections: list[SectionSpec], key: str) -> int:
    for j, section in enumerate(sections):
        if section.key == key:
            return j
    raise AuthoringError(f"This survey has no section with the key {key!r}.")


def new_section_key(survey: Survey, title: str) -> str:
    """A section key made from its title ("What went wrong" → what_went_wrong), not yet used by a section."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "_", ascii_title.lower()).strip("_")[:40].strip("_")
    base = base if base[:1].isalpha() else f"page_{base}".strip("_")
    taken = {s.key for s in _sections(survey)}
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}_{n}", n + 1
    return candidate


def split_into_sections(survey: Survey, section: SectionSpec, *, now: datetime) -> None:
    """Turn a survey without sections into one whose first (and only) section holds every question."""
    if _sections(survey):
        raise AuthoringError("This survey is already split into pages: add a section instead.")
    specs = _specs(survey.current_version)
    if not specs:
        raise AuthoringError("Add a question first: a page needs at least one question.")
    _save_questions(survey, [replace(s, section=section.key) for s in specs], now, (section,))


def add_section(survey: Survey, section: SectionSpec, *, first: str, now: datetime) -> None:
    """A new section starting at question `first`: it takes that question and those after it in the same
    section, and is listed right after that section."""
    sections = _sections(survey)
    if not sections:
        raise AuthoringError("This survey has no sections yet: split it into pages first.")
    if any(s.key == section.key for s in sections):
        raise AuthoringError(f"The key {section.key!r} is already used by another section of this survey.")
    specs = _specs(survey.current_version)
    i = _index(specs, first)
    old = specs[i].section
    if i == 0 or specs[i - 1].section != old:
        raise AuthoringError(f"“{specs[i].text}” already begins section {old!r}: a new section starts at a "
                             "question in the middle of one, and takes it and the questions after it.")
    j = i
    while j < len(specs) and specs[j].section == old:
        specs[j] = replace(specs[j], section=section.key)
        j += 1
    sections.insert(_section_index(sections, old) + 1, section)
    _save_questions(survey, specs, now, tuple(sections))


def update_section(survey: Survey, key: str, section: SectionSpec, *, now: datetime) -> None:
    """Rename a section (its key too: its questions follow), or change its introduction or condition."""
    sections = _sections(survey)
    j = _section_index(sections, key)
    if section == sections[j]:
        return
    if section.key != key and any(s.key == section.key for s in sections):
        raise AuthoringError(f"The key {section.key!r} is already used by another section of this survey.")
    sections[j] = section
    specs = [replace(s, section=section.key) if s.section == key else s for s in _specs(survey.current_version)]
    _save_questions(survey, specs, now, tuple(sections))


def remove_section(survey: Survey, key: str, *, now: datetime) -> None:
    """Remove a section, not its questions: they join the section before it (the next one, for the first).
    Removing the only section leaves a survey without sections (one page)."""
    sections = _sections(survey)
    j = _section_index(sections, key)
    sections.pop(j)
    heir = sections[j - 1].key if j > 0 else sections[0].key if sections else ""
    specs = [replace(s, section=heir) if s.section == key else s for s in _specs(survey.current_version)]
    _save_questions(survey, specs, now, tuple(sections))
