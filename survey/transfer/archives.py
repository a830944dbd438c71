"""Moving a survey with its responses from one Hearken to another: one JSON document, the survey archive
(format "hearken-survey-archive", version 1, docs/formats.md).

Writing streams the responses (survey.transfer.exports.export_records, a batch at a time), and so does reading:
the document is read value by value and the responses one at a time, so an archive of a million
responses moves in constant memory. Responses are checked by the same rules as the CSV import
(survey.transfer.response_import) and stored by the same writer, all or nothing, in one transaction.
"""
from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import BinaryIO, TextIO

from flask import current_app
from sqlalchemy.exc import IntegrityError

from survey.authoring.definitions import (
    SLUG_PATTERN,
    DefinitionError,
    QuestionSpec,
    parse_survey,
    survey_definition,
)
from survey.authoring.editing import find_survey, new_version
from survey.clock import outside_calendar
from survey.extensions import db
from survey.models import Survey, audit
from survey.models.surveys import SURVEY_STATUSES
from survey.transfer.exports import Selection, csv_cell, export_records, iso
from survey.transfer.response_import import (
    CONCURRENT,
    Layout,
    ProblemList,
    ResponseWriter,
    RowChecker,
    bulk_work,
)

FORMAT = "hearken-survey-archive"
VERSION = 1
SOURCES = ("link", "public", "import")
# "not_asked" (a survey with display logic) is read and ignored, as the CSV import ignores its column; so is
# "sentiment" (comments' VADER scores), which the import computes again from the comments as it finishes.
RESPONSE_FIELDS = {"response_id", "submitted_at", "updated_at", "version", "email", "source", "attributes",
                   "answers", "quote_consent", "contact_consent", "tags", "not_asked", "sentiment"}
MAX_PROBLEMS = 100
CHUNK = 1 << 16


class ArchiveError(ValueError):
    """Nothing was imported; `problems` says what and where ("responses[12].answers.satisfaction: …")."""

    def __init__(self, problems: list[str], total: int | None = None):
        self.problems = problems
        self.total = len(problems) if total is None else total
        more = f" (the first {len(problems)} are listed)" if self.total > len(problems) else ""
        super().__init__(f"nothing imported: {self.total} problem{'s' if self.total != 1 else ''}{more}")


@dataclass(frozen=True)
class ArchiveOutcome:
    slug: str
    versions: int
    responses: int
    contacts_created: int

    def summary(self) -> str:
        return (f"created {self.slug} with {self.versions} version{'s' if self.versions != 1 else ''} and "
                f"{self.responses} response{'s' if self.responses != 1 else ''}; created {self.contacts_created} "
                f"contact{'s' if self.contacts_created != 1 else ''}")


# --- writing --------------------------------------------------------------------------------------------

def write_archive(survey: Survey, out: TextIO, *, now: datetime) -> int:
    """Write the survey, every version of its definition and every response to `out`; returns how many
    responses. One response per line, written as they are read, so memory stays flat."""
    header = {
        "format": FORMAT, "version": VERSION, "exported_at": iso(now),
        "survey": {"slug": survey.slug, "status": survey.status, "created_at": iso(survey.created_at),
                   "updated_at": iso(survey.updated_at)},
        "versions": [{"number": version.number, "created_at": iso(version.created_at),
                      "definition": survey_definition(survey.slug, version)} for version in survey.versions],
    }
    # The header object without its closing brace, then "responses" last: readers stream it (see below).
    out.write(json.dumps(header, ensure_ascii=False)[:-1] + ',\n"responses": [')
    count = 0
    for record in export_records(Selection(survey)):
        out.write(("\n" if count == 0 else ",\n") + json.dumps(record, ensure_ascii=False))
        count += 1
    out.write("\n]}\n")
    return count


# --- reading --------------------------------------------------------------------------------------------

class _JsonReader:
    """A JSON document read one value at a time from a text stream (json.JSONDecoder.raw_decode over a
    growing buffer), so the responses array never has to be in memory at once."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.buffer, self.at, self.ended = "", 0, False
        self.decoder = json.JSONDecoder()

    def _more(self) -> bool:
        if self.ended:
            return False
        chunk = self.stream.read(max(CHUNK, len(self.buffer) - self.at))  # doubles for a long value
        self.buffer, self.at = self.buffer[self.at:] + chunk, 0
        self.ended = not chunk
        return bool(chunk)

    def peek(self) -> str:
        """The next character that is not white space ("" at the end)."""
        while True:
            while self.at < len(self.buffer) and self.buffer[self.at] in " \t\r\n":
                self.at += 1
            if self.at < len(self.buffer) or not self._more():
                return self.buffer[self.at:self.at + 1]

    def take(self, character: str) -> bool:
        if self.peek() == character:
            self.at += 1
            return True
        return False

    def expect(self, character: str, where: str) -> None:
        if not self.take(character):
            found = self.peek()
            raise ArchiveError([f"{where}: expected {character!r}, found "
                                f"{repr(found) if found else 'the end of the file'}"])

    def value(self, where: str):
        self.peek()
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buffer, self.at)
            except json.JSONDecodeError as error:
                if self._more():
                    continue
                raise ArchiveError([f"{where}: not valid JSON: {error.msg}"]) from None
            if end == len(self.buffer) and self._more():
                continue  # a number at the end of the buffer may go on in the next chunk
            self.at = end
            return value


@dataclass
class _Header:
    fields: dict

    def problems(self) -> list[str]:
        found = []
        if missing := [name for name in ("format", "version", "survey", "versions") if name not in self.fields]:
            return [f"{name}: missing (before responses, where export-archive writes it)" for name in missing]
        if self.fields.get("format") != FORMAT:
            return [f"format: this is not a Hearken survey archive (expected {FORMAT!r})"]
        if self.fields.get("version") != VERSION:
            return [f"version: archive version {self.fields.get('version')!r} cannot be read; this Hearken reads "
                    f"version {VERSION}"]
        survey = self.fields.get("survey")
        if not isinstance(survey, dict) or survey.get("status") not in SURVEY_STATUSES:
            found.append(f"survey.status: must be one of {', '.join(SURVEY_STATUSES)}")
        versions = self.fields.get("versions")
        if not isinstance(versions, list) or not versions:
            found.append("versions: must be a list of at least one version")
        return found


def import_archive(data: bytes | BinaryIO, *, slug: str | None, now: datetime, actor: str,
                   actor_id: int | None = None) -> ArchiveOutcome:
    """Create the archive's survey (under `slug` when given), its versions and responses, all or nothing.

    Refuses an address that is already taken (ArchiveError naming it: give another `slug`). Responses
    keep their answers, attributes, consents, themes, source, times and version; a respondent's address
    is matched to a contact or creates one. answer_counts is updated in the same transaction, so results
    and trends include the responses at once; nothing is sent and no follow-up case is opened.
    """
    stream = io.BytesIO(data) if isinstance(data, bytes | bytearray) else data
    reader = _JsonReader(io.TextIOWrapper(stream, encoding="utf-8-sig", newline=""))
    try:
        with bulk_work():
            outcome = _import(reader, slug=slug, now=now, actor_id=actor_id)
        audit.record("survey.archive_imported", f"survey:{outcome.slug}", now=now, actor=actor, actor_id=actor_id,
                     responses=outcome.responses, versions=outcome.versions)
        db.session.commit()
        return outcome
    except UnicodeDecodeError:
        db.session.rollback()
        raise ArchiveError(["the file is not UTF-8 text (an archive is JSON written by export-archive)"]) from None
    except IntegrityError:
        db.session.rollback()
        raise ArchiveError([CONCURRENT]) from None
    except BaseException:
        db.session.rollback()
        raise


def _import(reader: _JsonReader, *, slug: str | None, now: datetime, actor_id: int | None) -> ArchiveOutcome:
    reader.expect("{", "the archive")
    header = _Header({})
    survey = writer = checker = None
    problems = ProblemList()
    while reader.peek() != "}":
        name = reader.value("a field name of the archive")
        reader.expect(":", str(name))
        if name != "responses":
            header.fields[name] = reader.value(str(name))
        else:
            survey, checker = _create_survey(header, slug, now=now, actor_id=actor_id)
            writer = ResponseWriter(survey.id, now=now, actor_id=actor_id)
            _read_responses(reader, checker, writer, problems)
        if not reader.take(","):
            break
    reader.expect("}", "the end of the archive")
    if reader.peek():
        raise ArchiveError(["the end of the archive: something follows the archive's closing brace"])
    if survey is None:  # an archive of a survey without responses may leave the list out
        survey, checker = _create_survey(header, slug, now=now, actor_id=actor_id)
    if problems.total:
        raise ArchiveError([str(problem) for problem in problems.kept], problems.total)
    stored = writer.finish() if writer else None
    return ArchiveOutcome(survey.slug, len(survey.versions), stored.imported if stored else 0,
                          stored.contacts_created if stored else 0)


def _create_survey(header: _Header, slug: str | None, *, now: datetime, actor_id: int | None):
    if problems := header.problems():
        raise ArchiveError(problems)
    fields = header.fields["survey"]
    slug = slug or fields.get("slug")
    if not isinstance(slug, str) or not SLUG_PATTERN.match(slug):
        raise ArchiveError([f"slug: must be 1-80 lower-case letters, digits and inner hyphens, got {slug!r}"])
    if find_survey(slug) is not None:
        raise ArchiveError([f"slug: a survey with the address {slug!r} already exists here; import the archive "
                            "under another address with --slug NEW"])
    survey = Survey(slug=slug, status=fields["status"], created_by_id=actor_id,
                    created_at=_moment(fields.get("created_at"), "survey.created_at"),
                    updated_at=_moment(fields.get("updated_at"), "survey.updated_at"))
    found: list[str] = []
    earlier: dict[str, QuestionSpec] = {}  # question key → as the last version before asked it
    for index, entry in enumerate(header.fields["versions"]):
        where = f"versions[{index}]"
        if not isinstance(entry, dict) or entry.get("number") != index + 1:
            raise ArchiveError([f"{where}.number: versions must be numbered 1, 2, 3 … in order"])
        try:
            spec = parse_survey({**entry.get("definition", {}), "slug": slug})
        except (DefinitionError, TypeError) as error:
            found += [f"{where}.definition.{problem}" for problem in getattr(error, "problems", [str(error)])]
            continue
        for question in spec.questions:
            # Results line questions up by key across versions: the rule authoring enforces.
            if question.key in earlier and (reason := question.compatible_with(earlier[question.key])):
                found.append(f"{where}.definition: question key {question.key!r} {reason}")
            earlier[question.key] = question
        version = new_version(survey, title=spec.title, intro=spec.intro, questions=spec.questions,
                               follow_up=spec.follow_up, language=spec.language,
                               translations=spec.translations, sections=spec.sections,
                               now=_moment(entry.get("created_at"), f"{where}.created_at"))
        version.number = index + 1
    if found:
        raise ArchiveError(found[:MAX_PROBLEMS], len(found))
    survey.updated_at = _moment(fields.get("updated_at"), "survey.updated_at")
    db.session.add(survey)
    db.session.flush()
    return survey, RowChecker(survey, now=now, timezone=current_app.config["TIMEZONE"])


def _moment(value, where: str) -> datetime:
    """A time of the archive (ISO 8601, "Z" as export-archive writes it) as stored: naive UTC."""
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise ArchiveError([f"{where}: must be a date and time (ISO 8601), got {value!r}"]) from None
    if problem := outside_calendar(moment.date()):
        raise ArchiveError([f"{where}: {problem}"])
    return moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)


def _read_responses(reader: _JsonReader, checker: RowChecker, writer: ResponseWriter,
                    problems: ProblemList) -> None:
    reader.expect("[", "responses")
    layouts: dict[tuple[str, ...], Layout | None] = {}
    count = 0
    while reader.peek() != "]":
        where = f"responses[{count}]"
        record = reader.value(where)
        count += 1
        checked = _checked(record, count, checker, layouts, problems)
        if checked is not None and not problems.total:
            writer.add(checked)
        if not reader.take(","):
            break
    reader.expect("]", "responses")


def _checked(record, number: int, checker: RowChecker, layouts: dict, problems: ProblemList):
    """One archived response, checked by the CSV import's rules: its fields are written as the cells of
    a CSV row (as the CSV export writes them) and read back by RowChecker."""
    where = f"responses[{number - 1}]"
    if not isinstance(record, dict):
        problems.add(None, None, f"{where}: must be an object")
        return None
    unknown = sorted(set(record) - RESPONSE_FIELDS)
    attributes, answers = record.get("attributes") or {}, record.get("answers") or {}
    source = record.get("source")
    if unknown or not isinstance(attributes, dict) or not isinstance(answers, dict) or source not in SOURCES:
        reason = (f"unknown fields {', '.join(unknown)}" if unknown else
                  f"source must be one of {', '.join(SOURCES)}" if source not in SOURCES else
                  "attributes and answers must be objects")
        problems.add(None, None, f"{where}: {reason}")
        return None
    if unasked := [key for key in answers if key not in checker.keys]:
        problems.add(None, None, f"{where}.answers.{unasked[0]}: no version of the survey has this question")
        return None
    header = ("submitted_at", "updated_at", "version", "email", "quote_consent", "contact_consent", "tags",
              *(f"attr.{name}" for name in attributes), *answers)
    if header not in layouts:
        found = ProblemList()
        layouts[header] = checker.layout(header, found)
        for problem in found.kept:
            problems.add(None, None, f"{where}: {_field(problem.column)}: {problem.message}")
    layout = layouts[header]
    if layout is None:
        return None
    cells = [_cell(value) for value in (
        record.get("submitted_at"), record.get("updated_at"), record.get("version"), record.get("email"),
        bool(record.get("quote_consent")), bool(record.get("contact_consent")), record.get("tags"),
        *attributes.values(), *answers.values())]
    found = ProblemList()
    checked = checker.check(layout, cells, 0, found, source=source)
    for problem in found.kept:
        problems.add(None, None, f"{where}.{_field(problem.column)}: {problem.message}")
    if checked is None:
        return None
    return checked._replace(key=f"archive:{checker.salt}:{number}")


def _cell(value) -> str:
    """A value of the archive as the CSV export writes it (exports.csv_cell: yes/no, lists joined by ";")."""
    if isinstance(value, list):
        return ";".join(str(item) for item in value)
    return str(csv_cell(value)).strip()


def _field(column: str | None) -> str:
    """A CSV column's name as the archive's field: attr.location → attributes.location, satisfaction →
    answers.satisfaction."""
    if column is None:
        return "response"
    if column.startswith("attr."):
        return "attributes." + column[len("attr."):]
    if column in RESPONSE_FIELDS:
        return column
    return f"answers.{column}"
