"""Historical responses in: a CSV file in the format of docs/formats.md ("Historical responses") checked row
by row against one survey and stored all or nothing.

Two passes over the file (import_responses). The first checks every row and writes nothing, so the report
names every problem (the first MAX_PROBLEMS, and how many there were) and a refused file changes nothing.
The second reads the rows again and writes them in batches of BATCH (contacts, responses, answers, themes)
with executemany and no ORM object per row, each batch committed with its counts in answer_counts (results
and trends include the rows at once) and its position, so that an interrupted import resumes after it.
Memory stays flat whatever the file's size: a bit per row to find identical rows (Repeats), and memos of
distinct values (bench/response_import.py measures a million rows).

Rules a manager may not guess (also in docs/formats.md):
- `submitted_at` without an offset is a time in the organisation's time zone (HEARKEN_TIMEZONE), as a
  manager reads their own spreadsheet; with an offset (or `Z`) it is that moment. A future time is an error.
- A row is one response to one version: the `version` column when there is one (the export writes it),
  otherwise the newest version that asks every question the row answers.
- A row's respondent key is a hash of the survey, the row's content (when, who, segment, answers) and how
  many identical rows came before it in the file, so importing the same file again skips every row,
  while two identical rows in one file (same day, same score, no email) are two responses.
- Imported responses open no follow-up cases and send no email: they are history.

`survey.transfer.archives` imports whole surveys with the same checks and the same writer.
"""
from __future__ import annotations

import csv
import hashlib
import io
import operator
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import IO, NamedTuple
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from survey.addresses import InvalidAddress, normalise_email
from survey.authoring.definitions import RESERVED_KEYS
from survey.clock import local_date, outside_calendar
from survey.extensions import db
from survey.models import (
    Answer,
    AnswerCount,
    Contact,
    Question,
    Response,
    ResponseTag,
    Survey,
    SurveyVersion,
    audit,
)
from survey.models.surveys import OTHER_LABEL, OTHER_POSITION
from survey.outreach import erasures
from survey.outreach.contacts import ATTRIBUTE_NAME_LIMIT, ATTRIBUTE_VALUE_LIMIT, EMAIL_LIMIT
from survey.progress import QUIET, Progress
from survey.responding.submission import TEXT_LIMITS, number_text, typed_answer
from survey.results import rollups, sentiments
from survey.results.filters import normalise_tag
from survey.transfer import collector
from survey.transfer.exports import MARKED, SEGMENT_UNMARK
from survey.web.request_text import one_line_break

CACHE_LIMIT = 100_000  # entries in each per-import memo (addresses, attributes, days × segments)
SQLITE_CACHE_KIB = 16 * 1024  # SQLite's page cache during an import (bulk_work)
BATCH = 5000  # rows per write: large enough that statements are few, small enough that memory stays flat
TICK = 2000  # rows checked between progress reports
MAX_PROBLEMS = 100  # problems kept for the report; the rest are counted
MAX_COLUMNS = 1000
NOT_ASKED_COLUMN = "not_asked"  # survey.transfer.exports writes it for surveys with display logic
TAG_LIMIT = 64  # response_tags.tag, as the response browser refuses longer themes
ATTRIBUTE_PREFIX = "attr."
REQUIRED_COLUMN = "submitted_at"
YES_NO = {"yes": True, "no": False, "": False}


# --- what callers see -----------------------------------------------------------------------------------

class RowProblem(NamedTuple):
    """One problem: `row` is the row number a spreadsheet shows (the header is row 1), `column` the header
    name of the cell; either is None when the problem is not in one row or one cell."""

    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = ", ".join(part for part in (f"row {self.row}" if self.row else "",
                                            f"column {self.column}" if self.column else "") if part)
        return f"{where}: {self.message}" if where else self.message


class ResponseImportError(ValueError):
    """Nothing was imported. `problems` holds the first MAX_PROBLEMS problems in file order, `total` how
    many were found."""

    def __init__(self, problems: list[RowProblem], total: int | None = None):
        self.problems = problems
        self.total = len(problems) if total is None else total
        super().__init__(self.summary())

    def summary(self) -> str:
        more = f" (the first {len(self.problems)} are listed)" if self.total > len(self.problems) else ""
        return f"nothing imported: {self.total} problem{'s' if self.total != 1 else ''}{more}"


@dataclass
class ImportOutcome:
    imported: int = 0
    skipped: int = 0  # rows already imported earlier (same content): not counted twice
    skipped_erased: int = 0  # rows of people erased on request (survey.outreach.erasures): never imported again
    contacts_created: int = 0
    per_version: dict[int, int] = field(default_factory=dict)  # version number → responses imported

    def counts(self) -> dict[str, int]:
        return {"imported": self.imported, "skipped": self.skipped, "skipped_erased": self.skipped_erased,
                "contacts_created": self.contacts_created}

    def as_dict(self) -> dict:
        """JSON's shape (a job's outcome, the API's answer): version numbers as text keys."""
        return {**self.counts(), "per_version": {str(number): count for number, count
                                                 in sorted(self.per_version.items())}}

    @classmethod
    def from_dict(cls, saved: dict) -> ImportOutcome:
        return cls(**{name: saved.get(name, 0) for name in ("imported", "skipped", "skipped_erased",
                                                            "contacts_created")},
                   per_version={int(number): count for number, count in saved.get("per_version", {}).items()})

    def summary(self) -> str:
        versions = ", ".join(f"version {number}: {count}" for number, count in sorted(self.per_version.items()))
        return (f"imported {self.imported} response{'s' if self.imported != 1 else ''}"
                f"{f' ({versions})' if len(self.per_version) > 1 else ''}, skipped {self.skipped} already "
                f"imported{f' and {self.skipped_erased} of people erased on request' if self.skipped_erased else ''}"
                f", created {self.contacts_created} contact{'s' if self.contacts_created != 1 else ''}")


def import_responses(survey: Survey, data: bytes | IO[bytes], *, now: datetime, actor: str,
                     actor_id: int | None = None, progress: Progress = QUIET) -> ImportOutcome:
    """Import a CSV of historical responses into `survey`, all or nothing.

    `data` is the file's bytes or a seekable binary stream (read twice, line by line). `now` (naive UTC)
    is the moment no response may come after; `actor` names who imports for the audit log ("cli",
    "user:3", "api:crm") and `actor_id` is their user id, if any (it also becomes the author of imported
    themes).

    Two passes. The first checks every row and writes nothing: any problem and ResponseImportError is
    raised with every problem (row, column, message), nothing stored. The second writes the rows in batches
    of BATCH, each committed with its counts in answer_counts and its position (`progress.checkpoint`), so
    that on SQLite customers' submissions wait at most one batch for the write lock, and so that an
    interrupted import resumes after its last stored batch (`progress.resume_from`: it reads the whole file
    once more first, as the first pass, to tell identical rows apart); respondent keys make a rerun from
    the start safe as well.

    Returns what was imported: responses (per version), rows skipped because an earlier import already
    stored them, and contacts created for addresses not seen before. Imported responses have source
    "import", are counted in results and trends at once, open no follow-up case and send no email.
    """
    stream = io.BytesIO(data) if isinstance(data, bytes | bytearray) else data
    session = db.session()
    expiring, session.expire_on_commit = session.expire_on_commit, False  # the checker's survey, across batches
    try:
        with bulk_work():
            checker = RowChecker(survey, now=now, timezone=current_app.config["TIMEZONE"])
            db.session.commit()  # what the checker read: on SQLite this transaction would hold the write lock
            repeats = _check_all(stream, checker, progress)
            outcome = _write_all(survey, stream, checker, repeats, now=now, actor_id=actor_id, progress=progress)
            audit.record("responses.imported", f"survey:{survey.id}", now=now, actor=actor, actor_id=actor_id,
                         **outcome.counts())
            progress.finish(outcome.as_dict())
            db.session.commit()
        return outcome
    except IntegrityError:
        db.session.rollback()
        raise ResponseImportError([RowProblem(None, None, CONCURRENT)]) from None
    except BaseException:
        db.session.rollback()
        raise
    finally:
        session.expire_on_commit = expiring


def _check_all(stream: IO[bytes], checker: RowChecker, progress: Progress) -> Repeats:
    """The first pass: every row checked, nothing written. Raises ResponseImportError with the problems.
    Returns which rows may repeat an earlier one, for their keys (Repeats).

    Progress is in bytes of the file, as the number of rows is not known yet. A resumed run reads the file
    this way too (the repeats are not kept between runs), reported as still writing at the position it
    resumes from (so that a run interrupted now resumes there as well); a problem then means the survey
    changed since the file was checked, and fails the job instead of refusing the file."""
    problems = ProblemList()
    size = stream.seek(0, io.SEEK_END)
    stream.seek(0)
    repeats, resumed, rows = Repeats(size), progress.resume_from, 0
    for rows, checked in enumerate(_checked_rows(stream, checker, problems), start=1):
        repeats.see(checked.short)
        if rows % TICK:
            continue
        if resumed:
            progress.tick("writing", resumed)
        else:
            progress.tick("checking", stream.tell(), size)
    if problems.total and resumed:
        raise RuntimeError(f"the survey changed while its responses were imported: {problems.kept[0]}")
    if problems.total:
        raise ResponseImportError(problems.kept, problems.total)
    if not resumed:
        progress.tick("writing", 0, rows)
    repeats.seen_all()
    return repeats


def _write_all(survey: Survey, stream: IO[bytes], checker: RowChecker, repeats: Repeats, *, now: datetime,
               actor_id: int | None, progress: Progress) -> ImportOutcome:
    """The second pass: the rows checked again, given their keys (identical rows are counted in file
    order) and written in batches, each committed with its position; rows an interrupted run stored are
    passed by."""
    stream.seek(0)
    writer = ResponseWriter(survey.id, now=now, actor_id=actor_id, resumed=progress.state)
    stored, problems, candidates = progress.resume_from, ProblemList(), repeats.candidates
    for position, checked in enumerate(_checked_rows(stream, checker, problems), start=1):
        if checked.short in candidates:
            checked = repeats.keyed(checked)
        if position > stored and writer.add(checked):
            progress.checkpoint(position, writer.state())
    if problems.total:  # the file was checked with the same rules: this would be a bug
        raise RuntimeError(f"a row was refused after the file was checked: {problems.kept[0]}")
    return writer.finish()


class Repeats:
    """Identical rows get keys of their own: a row's key is its content's digest (RowChecker._key), and a
    row whose digest's first 8 bytes (`Checked.short`) an earlier row of the file had gets a digest of that
    digest and how many such rows came before it (`keyed`).

    Remembering every row's 8 bytes took 70 MB at a million rows (a set of a million ints; the import's
    peak was 297 MB with it, 195 MB without, docs/benchmarks.md). Instead the first pass sets one bit per
    row in a bitmap (a bit of the 8 bytes picks it) and notes the rows whose bit was already set: every
    repeat among them, and a few rows that merely share a bit. The second pass counts only the noted rows,
    in file order, which gives each repeat the same count.
    """

    SMALLEST, LARGEST = 1 << 16, 1 << 26  # bits: about one per byte of the file, at most 8 MiB

    def __init__(self, size: int):
        bits = min(max(1 << max(size - 1, 1).bit_length(), self.SMALLEST), self.LARGEST)
        self.bitmap, self.mask = bytearray(bits >> 3), bits - 1
        self.candidates: set[int] = set()  # shorts of the rows noted in the first pass
        self.seen: Counter = Counter()  # the second pass: how many noted rows with each short so far

    def see(self, short: int) -> None:
        bit = short & self.mask
        byte, flag = bit >> 3, 1 << (bit & 7)
        if self.bitmap[byte] & flag:
            self.candidates.add(short)
        else:
            self.bitmap[byte] |= flag

    def seen_all(self) -> None:
        """The first pass is over: the bitmap is no longer needed."""
        self.bitmap = bytearray()

    def keyed(self, checked: Checked) -> Checked:
        """`checked` with its key among identical rows, for a row noted in the first pass (in file order)."""
        self.seen[checked.short] += 1
        earlier = self.seen[checked.short] - 1
        if not earlier:
            return checked
        digest = hashlib.blake2b(bytes.fromhex(checked.key[-32:]) + earlier.to_bytes(4), digest_size=16).digest()
        return checked._replace(key=f"{checked.key[:-32]}{digest.hex()}")


# A second import of the same rows, or a contact created by someone else, committed while this one ran.
CONCURRENT = ("someone else imported some of these responses or contacts while this file was being "
              "imported; import the file again (rows already stored are skipped)")


@contextmanager
def bulk_work() -> Iterator[None]:
    """Settings for the length of an import (measured in docs/benchmarks.md):
    - the cyclic garbage collector paused (survey.transfer.collector);
    - on SQLite, the connection's bulk settings (`bulk_connection`), restored afterwards.
    """
    defaults = None
    if db.session.get_bind().dialect.name == "sqlite":
        connection = db.session.connection()
        defaults = {name: int(connection.exec_driver_sql(f"PRAGMA {name}").scalar_one()) for name in BULK_PRAGMAS}
        bulk_connection()
    try:
        with collector.paused():
            yield
    finally:
        if defaults is not None:
            # On the session's connection now (the import commits as it goes), unless the session failed.
            with suppress(SQLAlchemyError):
                for name, value in defaults.items():
                    db.session.connection().exec_driver_sql(f"PRAGMA {name} = {value}")


# SQLite settings of the connection writing an import (set per batch: each batch's transaction may run on
# another pooled connection):
# - a page cache of SQLITE_CACHE_KIB instead of 2 MB, so checking each row's foreign keys and adding to the
#   indexes finds its pages in memory (a sixth of the writing time, in one transaction). 64 MiB was no
#   faster than 16 MiB once batches commit (a million rows of the bench: the same CPU time, 8 % more bytes
#   read from the operating system's cache) and held 55 MB more: a third of the import's peak;
# - its own commits checkpoint the WAL only past SQLITE_WAL_PAGES pages, not 1 000: committed batch by batch,
#   the import rewrote the same index pages into the database file at every checkpoint (about 20 % of its
#   time). Other connections keep the default, so while customers submit, their commits fold the WAL back
#   a batch at a time as before.
BULK_PRAGMAS = ("cache_size", "wal_autocheckpoint")
SQLITE_WAL_PAGES = 25_000


def bulk_connection() -> None:
    if db.session.get_bind().dialect.name == "sqlite":
        connection = db.session.connection()
        connection.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        connection.exec_driver_sql(f"PRAGMA wal_autocheckpoint = {SQLITE_WAL_PAGES}")


class ProblemList:
    """Problems in file order: the first MAX_PROBLEMS kept, all counted."""

    def __init__(self) -> None:
        self.kept: list[RowProblem] = []
        self.total = 0

    def add(self, row: int | None, column: str | None, message: str) -> None:
        self.total += 1
        if len(self.kept) < MAX_PROBLEMS:
            self.kept.append(RowProblem(row, column, message))


# --- reading the file -----------------------------------------------------------------------------------

class _Lines:
    """The file's lines as text for csv.reader, decoded one line at a time so that bytes that are not
    UTF-8 are reported in their own row and cell (UTF-8 never uses the newline byte inside a character).
    `damaged` says whether the lines read since the last reset had such bytes or a NUL character."""

    def __init__(self, stream: Iterable[bytes]):
        self.stream = stream
        self.damaged = False

    def __iter__(self) -> Iterator[str]:
        first = True
        for raw in self.stream:
            if first:
                raw, first = raw.removeprefix(b"\xef\xbb\xbf"), False
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                line, self.damaged = raw.decode("utf-8", "surrogateescape"), True
            if "\x00" in line:  # PostgreSQL cannot store NUL; a CSV never has one (a renamed binary file)
                self.damaged = True
            yield line


def _damage(cell: str) -> str | None:
    if "\x00" in cell:
        return "contains a NUL character: this is not a CSV text file (a spreadsheet saved as .xlsx?)"
    if any("\udc80" <= character <= "\udcff" for character in cell):
        return "is not UTF-8 text; save the file as “CSV UTF-8”"
    return None


def _unquoted(cell: str) -> str:
    """The cell without the "'" the export puts before a formula-like value or one that starts with "'",
    at its start and after each ";" (exports.neutralise), and nothing else: a value that merely starts
    with "'" keeps it."""
    cell = cell.strip()
    if cell[:1] == "'" and cell[1:2] and cell[1:2] in MARKED:
        cell = cell[1:].strip()
    if ";'" in cell:
        cell = SEGMENT_UNMARK.sub(";", cell)
    return cell


def _checked_rows(stream: Iterable[bytes], checker: RowChecker, problems: ProblemList) -> Iterator[Checked]:
    """Every good row, checked; problems go to `problems`. A file-level problem (header, CSV syntax)
    ends the reading, since later rows cannot be read reliably."""
    lines = _Lines(stream)
    reader = csv.reader(lines, strict=True)
    row = 0  # the row being read is row + 1; the header is row 1
    try:
        header = next(reader, None)
        row = 1
        layout = _header_layout(header, lines.damaged, checker, problems)
        if layout is None:
            return
        width = len(layout.names)
        for cells in reader:
            row += 1
            if lines.damaged:  # rare: only then is each cell looked at for bad bytes
                lines.damaged = False
                if _reported_damage(cells, layout, row, problems):
                    continue
            joined = "".join(cells)
            if not joined.strip():
                continue  # a blank row (often at the end of a spreadsheet's export) is not a response
            if len(cells) != width:
                problems.add(row, None, f"expected {width} cells (as in the header), found {len(cells)}")
                continue
            if "\r" in joined:  # a line break in a quoted cell, as Excel and the form write it: stored as LF
                cells = [one_line_break(cell) for cell in cells]
            cells = list(map(_unquoted if "'" in joined else str.strip, cells))
            checked = checker.check(layout, cells, row, problems)
            if checked is not None:
                yield checked
    except csv.Error as error:
        reason = ("a line break outside quotes, or lines ending in a lone carriage return (save the file as "
                  "“CSV UTF-8”)" if "new-line character" in str(error) else str(error))
        problems.add(row + 1, None, f"not valid CSV: {reason}; nothing after it was read")


def _header_layout(header: list[str] | None, damaged: bool, checker: RowChecker,
                   problems: ProblemList) -> Layout | None:
    """The layout of the file's first row, or None with the problems added when it is no readable header.
    `damaged`: whether the row was read with bytes that are not UTF-8 or a NUL character."""
    if header is None or not any(cell.strip() for cell in header):
        problems.add(1, None, "the file is empty; the first row must be the header (submitted_at, email, "
                              "attr.<name>, question keys)")
        return None
    if damaged:
        for name in header:
            if reason := _damage(name):
                problems.add(1, None, f"the header {reason}")
                return None
    return checker.layout(header, problems)


def _reported_damage(cells: list[str], layout: Layout, row: int, problems: ProblemList) -> bool:
    """Whether a row read with bytes that are not UTF-8 or a NUL character has them in its cells; each
    such cell is added to `problems`."""
    width = len(layout.names)
    damaged = [(layout.names[i] if i < width else f"#{i + 1}", reason)
               for i, cell in enumerate(cells) if (reason := _damage(cell))]
    for column, reason in damaged:
        problems.add(row, column, reason)
    return bool(damaged)


# --- checking rows --------------------------------------------------------------------------------------

AnswerRow = tuple[str, int | None, str | None]  # (question key, value_int, value_text)
CountedCell = tuple[str, int]  # (question key, value_int) of an answer with a value_int


class Checked(NamedTuple):
    """One good row, ready to store. A tuple, not a dataclass: a batch of them is made per write."""

    key: str  # respondent_key
    version_id: int
    version_number: int
    email: str | None  # normalised
    submitted_at: datetime  # naive UTC
    when: str  # submitted_at as ISO 8601 text with a space and microseconds (SQLite's stored form)
    local_date: date
    updated_at: datetime  # the same object as submitted_at when the file has no later change
    quote_consent: bool
    contact_consent: bool
    attributes: tuple[str, ...]  # name, value, name, value … in name order; only those given
    answers: list[AnswerRow]
    counted: list[CountedCell]
    tags: tuple[str, ...]
    source: str
    # The key digest's first 8 bytes as a number: rows that share them are repeats of each other (Repeats);
    # two different rows that share them (one chance in 10^7 per million rows) still get different keys.
    short: int


class _Refused(ValueError):
    """A cell's value is refused; the message says why, for the person who wrote it."""


def _shown(value: str) -> str:
    """A cell's value inside a message: quoted, and cut so a long cell does not flood the report."""
    return repr(value if len(value) <= 40 else value[:39] + "…")


def _report(bad: list[tuple[str, str]], layout: Layout, row: int, problems: ProblemList) -> None:
    """Add a row's bad cells (column, message) to `problems` in the file's column order."""
    for column, message in sorted(bad, key=lambda problem: layout.positions.get(problem[0], -1)):
        problems.add(row, column, message)


AnswerValues = tuple[tuple[int, str | None], ...]  # a closed question's answer rows: (value_int, value_text)
ParsedAnswer = tuple[tuple[AnswerRow, ...], tuple[CountedCell, ...]]
MEMO_LIMIT = 1000  # distinct cells remembered per closed question (scores, options, their combinations)


def answer_parser(question: Question, memo: dict[str, ParsedAnswer]) -> Callable[[str], ParsedAnswer]:
    """A function from a cell's text (stripped, not empty) to what stores it: the answer rows, as
    survey.responding.submission stores a form's answer, and the answer_counts cells they count in. Raises _Refused
    with the reason. A closed question has few distinct cells, so each is worked out once and kept in `memo`
    (which RowChecker._answers looks in first)."""
    key = question.key
    if question.type == "text":
        limit = TEXT_LIMITS[question.long]

        def text_answer(cell: str) -> ParsedAnswer:
            if len(cell) > limit:
                raise _Refused(f"is {len(cell)} characters long; a {'long' if question.long else 'short'} text "
                               f"answer may have {limit}")
            return ((key, None, cell),), ()
        return text_answer
    if question.type in ("numeric", "date"):

        def typed(cell: str) -> ParsedAnswer:
            value, error = typed_answer(question, cell)
            if error:
                raise _Refused(f"{_shown(cell)}: {error}")
            text = number_text(value) if isinstance(value, int | float) else str(value)
            return ((key, None, text),), ()
        return typed
    values = _closed_values(question)

    def closed_answer(cell: str) -> ParsedAnswer:
        given = values(cell)
        found = (tuple((key, value_int, value_text) for value_int, value_text in given),
                 tuple((key, value_int) for value_int, _text in given))
        if len(memo) < MEMO_LIMIT:
            memo[cell] = found
        return found
    return closed_answer


def _closed_values(question: Question) -> Callable[[str], AnswerValues]:
    """cell → ((value_int, value_text), …) for a rating, NPS, yes/no, choice or multi question."""
    if question.type in ("rating", "nps"):
        return _score_values(question)
    if question.type == "yesno":
        return _yes_no_values
    if question.type == "ranking":
        return _ranked_values(question)
    return _option_values(question)


def _ranked_values(question: Question) -> Callable[[str], AnswerValues]:
    """A ranking's cell, every option once joined by ";" from first to last → (rank, option) each, as the
    live form stores them."""
    options = {option.casefold(): option for option in question.options}

    def ranking(cell: str) -> AnswerValues:
        given = [options.get(part.strip().casefold()) for part in cell.split(";")]
        if None in given or len(set(given)) != len(options) or len(given) != len(options):
            raise _Refused(f"{_shown(cell)} does not rank every option once: write them all from first to last, "
                           f"joined by ; ({';'.join(question.options)})")
        return tuple((rank, str(option)) for rank, option in enumerate(given, start=1))
    return ranking


def _score_values(question: Question) -> Callable[[str], AnswerValues]:
    """A rating's or NPS question's cell → its score."""
    rating = question.type == "rating"
    first, last = (1, len(question.options)) if rating else (0, 10)
    scale = f"the {last}-point scale ({first}–{last})" if rating else "the NPS scale (0–10)"
    labels = {label.casefold(): n for n, label in enumerate(question.options, start=1)}

    def score(cell: str) -> AnswerValues:
        if cell.isascii() and cell.isdigit() and first <= int(cell) <= last:
            return ((int(cell), None),)
        if cell.isascii() and cell.lstrip("-").isdigit():
            raise _Refused(f"{cell} is not on {scale}")
        if (position := labels.get(cell.casefold())) is not None:
            raise _Refused(f"{_shown(cell)} is a label: write its position on {scale} instead, {position}")
        raise _Refused(f"{_shown(cell)} is not a number on {scale}")
    return score


def _yes_no_values(cell: str) -> AnswerValues:
    """A yes/no question's cell → 1 or 0."""
    value = YES_NO.get(cell.lower()) if cell else None
    if value is None:
        raise _Refused(f"{_shown(cell)} is not yes or no")
    return ((int(value), None),)


def _option_values(question: Question) -> Callable[[str], AnswerValues]:
    """A choice or multi question's cell → the options it names (position, text), in the options' order."""
    options = {option.casefold(): (position, option) for position, option in enumerate(question.options, start=1)}
    if question.offers_other:
        options[OTHER_LABEL.casefold()] = (OTHER_POSITION, OTHER_LABEL)
    listed = ", ".join(label for _value, label in question.choices)

    def option(cell: str) -> tuple[int, str]:
        found = options.get(cell.casefold())
        if found is None:
            raise _Refused(f"{_shown(cell)} is not one of the options ({listed})")
        return found

    if question.type == "choice":
        return lambda cell: (option(cell),)

    def several(cell: str) -> AnswerValues:
        # The whole cell first: an option may itself contain ";".
        chosen = {option(cell)} if cell.casefold() in options else {option(part.strip())
                                                                      for part in cell.split(";") if part.strip()}
        # In the options' order, "Other" last, as the live form stores them.
        return tuple(sorted(chosen, key=lambda found: (found[0] == OTHER_POSITION, found[0])))
    return several


@dataclass(frozen=True)
class Layout:
    """Where each kind of column is in one header."""

    names: tuple[str, ...]
    submitted_at: int
    updated_at: int | None
    email: int | None
    version: int | None
    quote_consent: int | None
    contact_consent: int | None
    tags: int | None
    attributes: tuple[tuple[int, str], ...]  # (column index, attribute name), by name
    questions: tuple[tuple[int, str], ...]  # (column index, question key), by key
    positions: dict[str, int]  # a column's name as problems give it → its index, to list them in file order


@dataclass
class _HeaderColumns:
    """A header's columns by kind, as RowChecker.layout finds them."""

    fixed: dict[str, int] = field(default_factory=dict)  # the format's own columns: name → column index
    attributes: list[tuple[int, str]] = field(default_factory=list)  # (column index, attribute name)
    questions: list[tuple[int, str]] = field(default_factory=list)  # (column index, question key)
    unknown: list[str] = field(default_factory=list)  # names of columns that are none of these


class _Version(NamedTuple):
    id: int
    number: int
    keys: frozenset[str]
    parsers: dict[str, Callable[[str], ParsedAnswer]]  # question key → answer_parser(question, its memo)
    memos: dict[str, dict[str, ParsedAnswer]]  # question key → cells parsed before (closed questions only)

    @classmethod
    def of(cls, version: SurveyVersion) -> _Version:
        # A matrix's statements and an "Other" text are columns of their own (Question.parts).
        parts = version.parts
        memos: dict[str, dict[str, ParsedAnswer]] = {question.key: {} for question in parts}
        return cls(version.id, version.number, frozenset(memos),
                   {question.key: answer_parser(question, memos[question.key]) for question in parts},
                   memos)


class RowChecker:
    """The rules for one survey's rows: its versions' questions, the organisation's time zone, `now`."""

    def __init__(self, survey: Survey, *, now: datetime, timezone: str):
        self.salt = str(survey.id)
        self.now = now
        self.zone = None if timezone == "UTC" else ZoneInfo(timezone)
        self.timezone = timezone
        self.versions = [_Version.of(version) for version in survey.versions]
        self.by_number = {v.number: v for v in self.versions}
        self.only_version = self.versions[0] if len(self.versions) == 1 else None
        self.keys = {q.key for v in survey.versions for q in v.parts}
        self.segment_names = rollups.segment_names()
        self._derived_versions: dict[tuple[str, ...], _Version | None] = {}
        self._addresses: dict[str, str] = {}  # a cell's address → normalised (customers answer many times)

    def layout(self, header: Sequence[str], problems: ProblemList) -> Layout | None:
        """The header's columns, or None with every header problem added (nothing can be read then)."""
        before = problems.total
        if len(header) > MAX_COLUMNS:
            problems.add(1, None, f"the header has {len(header)} columns; at most {MAX_COLUMNS} are accepted")
            return None
        names = [name.strip() for name in header]
        seen: dict[str, int] = {}
        columns = _HeaderColumns()
        for index, name in enumerate(names):
            if not name:
                problems.add(1, f"#{index + 1}", "this column of the header has no name")
                continue
            lower = self._place_column(index, name, columns, problems)
            if lower in seen:
                problems.add(1, name, f"appears twice (columns {seen[lower] + 1} and {index + 1})")
            seen.setdefault(lower, index)
        for name in columns.unknown:
            problems.add(1, name[:40], "is not a column of this survey: use submitted_at, email, attr.<name>, "
                                       f"the export's columns or a question key ({', '.join(sorted(self.keys))})")
        fixed = columns.fixed
        if REQUIRED_COLUMN not in fixed:
            problems.add(1, None, "the header has no submitted_at column (when each response was given)")
        if problems.total > before:
            return None
        # In name order, so a row's attributes and answers come out the same whatever the columns' order.
        return Layout(tuple(names), fixed["submitted_at"], fixed.get("updated_at"), fixed.get("email"),
                      fixed.get("version"), fixed.get("quote_consent"), fixed.get("contact_consent"),
                      fixed.get("tags"), tuple(sorted(columns.attributes, key=lambda column: column[1])),
                      tuple(sorted(columns.questions, key=lambda column: column[1])), seen)

    def _place_column(self, index: int, name: str, columns: _HeaderColumns, problems: ProblemList) -> str:
        """Add the header's column `name` (not blank) at `index` to its kind in `columns`, or its problem to
        `problems`; returns the name two columns are the same by (lower case; an attribute's as stored)."""
        lower = name.lower()
        if lower.startswith(ATTRIBUTE_PREFIX):
            # As contact import does: "attr.Customer since" is the attribute customer_since.
            attribute = "_".join(name[len(ATTRIBUTE_PREFIX):].lower().split())
            if not attribute:
                problems.add(1, name, "needs an attribute name after “attr.”, e.g. attr.location")
            elif len(attribute) > ATTRIBUTE_NAME_LIMIT:
                problems.add(1, name[:20] + "…", f"an attribute name may have at most {ATTRIBUTE_NAME_LIMIT} "
                                                "characters")
            columns.attributes.append((index, attribute))
            return ATTRIBUTE_PREFIX + attribute
        if lower in RESERVED_KEYS and lower in self.keys:
            # A survey made before such keys were refused: which one the column holds cannot be told.
            problems.add(1, name, "is both a column of this format and the key of one of this survey's "
                                  "questions, so it cannot be told which it holds")
        elif lower in RESERVED_KEYS:
            # The format's columns, and the export's others so that an export imports again (its
            # response_id, another database's id, and source, "import" here, are read and ignored).
            columns.fixed[lower] = index
        elif lower in self.keys:
            columns.questions.append((index, lower))
        elif lower == NOT_ASKED_COLUMN:
            # The export of a survey with display logic lists the questions not asked; it imports again,
            # and this column is read and ignored (an imported response's questions all count as asked).
            pass
        else:
            columns.unknown.append(name)
        return lower

    def check(self, layout: Layout, cells: list[str], row: int, problems: ProblemList, *,
              source: str = "import") -> Checked | None:
        """The row (cells stripped, as _checked_rows gives them) checked and ready to store; or None, with
        each bad cell added to `problems`. The hot loop of an import: the usual case of each cell is
        handled inline or in one step per kind of column (not per cell), columns a file lacks cost nothing,
        and a message is only made for a bad cell."""
        bad: list[tuple[str, str]] = []  # (column, message) of each bad cell
        submitted = self._submitted(cells[layout.submitted_at], bad)
        updated = None
        if layout.updated_at is not None:
            updated = self._moment(cells[layout.updated_at], "updated_at", bad, required=False)
            if submitted and updated and updated[0] < submitted[0]:
                bad.append(("updated_at", "is before submitted_at"))
        email = None
        if layout.email is not None and (text := cells[layout.email]):
            email = self._addresses.get(text) or self._address(text, bad)
        quote = contact = False
        if layout.quote_consent is not None:
            quote = self._yes_no(cells[layout.quote_consent], "quote_consent", bad)
        if layout.contact_consent is not None:
            contact = self._yes_no(cells[layout.contact_consent], "contact_consent", bad)
        tags = self._tags(cells[layout.tags], bad) if layout.tags is not None else ()
        attributes = self._attributes(layout, cells, bad)
        given = [(key, value) for index, key in layout.questions if (value := cells[index])]
        version: _Version | None
        if layout.version is None and self.only_version is not None:
            version = self.only_version  # every column the layout accepted is one of its questions
        else:
            version = self._version(cells[layout.version] if layout.version is not None else "",
                                    tuple([key for key, _value in given]), bad)
        answers, counted = self._answers(version, given, bad) if version is not None else ([], [])
        if bad:
            _report(bad, layout, row, problems)
            return None
        assert submitted is not None and version is not None  # either is None only with a problem in `bad`
        moment, day, when = submitted
        key, short = self._key(when, email, attributes, given)
        return Checked(key, version.id, version.number, email, moment, when, day, updated[0] if updated else moment,
                       quote, contact, attributes, answers, counted, tags, source, short)

    def _submitted(self, text: str, bad: list) -> tuple[datetime, date, str] | None:
        """The submitted_at cell as (naive UTC, the day in the organisation's time zone, the time as
        Checked.when); or None, with its problem in `bad`. The usual case, a time without an offset in an
        organisation in UTC, is read here without _moment's steps."""
        try:
            moment = datetime.fromisoformat(text) if self.zone is None else None
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is not None or moment > self.now:
            if (found := self._moment(text, "submitted_at", bad, required=True)) is None:
                return None
            moment, day = found
            return moment, day, moment.isoformat(" ", "microseconds")
        if len(text) == 19 and text[4] == text[7] == "-" and text[13] == text[16] == ":":
            # As isoformat(" ", "microseconds") would write it, without formatting the datetime.
            return moment, moment.date(), f"{text[:10]} {text[11:]}.000000"
        return moment, moment.date(), moment.isoformat(" ", "microseconds")

    @staticmethod
    def _attributes(layout: Layout, cells: list[str], bad: list) -> tuple[str, ...]:
        """The row's segment attributes as Checked.attributes: name, value, name, value … of those given."""
        found: list[str] = []
        for index, name in layout.attributes:
            if value := cells[index]:
                found += (name, value)
                if len(value) > ATTRIBUTE_VALUE_LIMIT:
                    bad.append((ATTRIBUTE_PREFIX + name, f"is longer than {ATTRIBUTE_VALUE_LIMIT} characters"))
        return tuple(found)

    @staticmethod
    def _answers(version: _Version, given: list[tuple[str, str]],
                 bad: list) -> tuple[list[AnswerRow], list[CountedCell]]:
        """The answer rows and counted cells of the row's answers (question key, cell) to `version`."""
        answers: list[AnswerRow] = []
        counted: list[CountedCell] = []
        memos = version.memos
        for key, value in given:
            if (found := memos[key].get(value)) is None:
                try:
                    found = version.parsers[key](value)
                except _Refused as refused:
                    bad.append((key, str(refused)))
                    continue
            answers += found[0]
            counted += found[1]
        return answers, counted

    def _key(self, when: str, email: str | None, attributes: tuple, given: list) -> tuple[str, int]:
        """The respondent key and its `short` (Checked.short), from what identifies a response: the survey,
        when (as UTC, so a local time and the same moment with an offset agree), who (the address as
        stored), the segment attributes and the answers' cells, whatever the columns' order or the export's
        extra columns. Identical rows of a file are told apart by Repeats. The key starts with the time, so
        a file in time order inserts into the key's index in order rather than at random.
        """
        parts = [self.salt, when, email or "", *attributes]  # attributes and answers in name order (Layout)
        for pair in given:
            parts += pair
        digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).digest()
        return f"import:{when[:19]}:{digest.hex()}", int.from_bytes(digest[:8])

    def _moment(self, value: str, column: str, bad: list, *, required: bool) -> tuple[datetime, date] | None:
        """(naive UTC, the day in the organisation's time zone). A time without an offset is local."""
        if not value:
            if required:
                bad.append((column, "is required (when the response was given, e.g. 2026-03-31 14:05)"))
            return None
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            bad.append((column, f"{_shown(value)} is not a date and time in ISO 8601 form, e.g. 2026-03-31 14:05 "
                                "or 2026-03-31T14:05:00+01:00"))
            return None
        if problem := outside_calendar(moment.date()):
            bad.append((column, problem))
            return None
        if moment.tzinfo is None:
            day = moment.date()
            if self.zone is not None:  # a time a clock change skips or repeats is read as before the change
                moment = moment.replace(tzinfo=self.zone).astimezone(UTC).replace(tzinfo=None)
        else:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
            day = moment.date() if self.zone is None else local_date(moment, self.timezone)
        if moment > self.now:
            bad.append((column, f"{value} is in the future"))
            return None
        return moment, day

    def _address(self, value: str, bad: list) -> str | None:
        if len(value) > EMAIL_LIMIT:
            bad.append(("email", f"is longer than {EMAIL_LIMIT} characters"))
            return None
        try:
            address = normalise_email(value)
        except InvalidAddress as error:
            bad.append(("email", str(error)))
            return None
        if len(self._addresses) > CACHE_LIMIT:
            self._addresses.clear()
        self._addresses[value] = address
        return address

    @staticmethod
    def _yes_no(value: str, column: str, bad: list) -> bool:
        answer = YES_NO.get(value.lower())
        if answer is None:
            bad.append((column, f"{_shown(value)} is not yes or no"))
            return False
        return answer

    @staticmethod
    def _tags(value: str, bad: list) -> tuple[str, ...]:
        tags = []
        for part in value.split(";") if value else ():
            if len(" ".join(part.split())) > TAG_LIMIT:
                bad.append(("tags", f"the theme {_shown(part.strip())} is longer than {TAG_LIMIT} characters"))
            elif (tag := normalise_tag(part)) and tag not in tags:
                tags.append(tag)
        return tuple(tags)

    def _version(self, number: str, keys: tuple[str, ...], bad: list) -> _Version | None:
        if number:
            version = self.by_number.get(int(number)) if number.isascii() and number.isdigit() else None
            if version is None:
                last = self.versions[-1].number
                bad.append(("version", f"{_shown(number)} is not a version of this survey (1–{last})"))
                return None
            unasked = [key for key in keys if key not in version.keys]
            for key in unasked:
                bad.append((key, f"version {version.number} has no question {key}"))
            return None if unasked else version
        try:
            version = self._derived_versions[keys]
        except KeyError:
            version = self._derived_versions[keys] = next(
                (v for v in reversed(self.versions) if v.keys.issuperset(keys)), None)
        if version is None:
            newest = self.versions[-1]
            missing = next((key for key in keys if key not in newest.keys), keys[0])
            bad.append((missing, "no single version of this survey asks every question this row answers "
                                 f"({', '.join(keys)}); a row is one response to one version"))
        return version


# --- writing --------------------------------------------------------------------------------------------

RESPONSE_COLUMNS = ("id", "respondent_key", "survey_id", "version_id", "contact_id", "source", "submitted_at",
                    "local_date", "updated_at", "revisions_count", "quote_consent", "contact_consent", "attributes")
ANSWER_COLUMNS = ("response_id", "question_key", "value_int", "value_text")  # no conversion on either dialect
CONTACT_COLUMNS = ("id", "email", "name", "attributes", "created_at")
COUNT_COLUMNS = (*rollups.KEY_COLUMNS, "count")
# The same upsert as rollups.apply's, in the syntax SQLite (3.24+) and PostgreSQL share.
ADD_COUNTS = (f"ON CONFLICT ({', '.join(rollups.KEY_COLUMNS)}) DO UPDATE SET count = "
              f"{AnswerCount.__tablename__}.count + excluded.count")


class _DriverInsert:
    """INSERT … executemany handed straight to the database driver, one row per parameter tuple.

    The caller converts values with `convert`, each column type's own bind processor for this dialect,
    so what is stored is exactly what SQLAlchemy would store; skipping Core's per-row parameter handling
    (a dict per row, then every column's processor) more than halved the Python share of a million-row
    import (docs/benchmarks.md).

    Measured again against the library's own way (issue 21, docs/benchmarks.md, "Response import"): every
    insert through Core — responses and contacts as `insert(table).returning(table.c.id,
    sort_by_parameter_order=True)` executemany ("insertmanyvalues"), answers and counts as `insert()`
    executemany — took 53 s of CPU for a million rows against 38 s here (+40 %; 76 s against 52 s wall), and
    taking only the ids from RETURNING (answers still through this class) +32 % CPU. So rows keep going
    through the driver, and ids are reserved (`ResponseWriter._reserve_ids`).
    """

    def __init__(self, table, columns: Sequence[str], suffix: str = ""):
        dialect = db.session.get_bind().dialect
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        self.sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"
        self.sql += f" {suffix}" if suffix else ""
        self.convert = {name: table.c[name].type.dialect_impl(dialect).bind_processor(dialect) or _same
                        for name in columns}

    def run(self, rows: list[tuple]) -> None:
        if rows:
            db.session.connection().exec_driver_sql(self.sql, rows)


def _same(value):
    return value


class ResponseWriter:
    """Stores checked rows in batches: their contacts (created when new), responses, answers and themes,
    and adds them to answer_counts. Rows whose respondent key is already stored are skipped. Nothing is
    committed: the caller commits after a batch (`add` says when one was written) or after `finish`.
    `resumed` is the `state()` of an interrupted run of the same import, whose counts go on from there."""

    def __init__(self, survey_id: int, *, now: datetime, actor_id: int | None, resumed: dict | None = None):
        self.survey_id, self.now, self.actor_id = survey_id, now, actor_id
        self.pending: list[Checked] = []
        self.outcome = ImportOutcome.from_dict(resumed or {})
        self.per_version: Counter = Counter(self.outcome.per_version)
        self.segment_names = rollups.segment_names()
        # (version id, segment name, segment value, local date as stored) → {(question key, value): count}: the
        # answer_counts cells these rows add, counted as they are written. Counting here, not
        # rollups.rebuild's GROUP BY over the whole survey, keeps an import's cost to its own rows (rebuild
        # alone took 53 s at a million responses with three segment attributes, docs/benchmarks.md).
        self.tally: dict[tuple[int, str, str, object], dict] = defaultdict(dict)
        self.segment_cache: dict[tuple, _Segment] = {}
        self.responses = _DriverInsert(Response.__table__, RESPONSE_COLUMNS)
        self.answers = _DriverInsert(Answer.__table__, ANSWER_COLUMNS)
        self.contacts = _DriverInsert(Contact.__table__, CONTACT_COLUMNS)
        self.counts = _DriverInsert(AnswerCount.__table__, COUNT_COLUMNS, ADD_COUNTS)
        self.next_ids: dict[str, int] = {}
        convert = self.responses.convert
        self.stored_moment = convert["submitted_at"]
        # Where the dialect stores a time as Checked.when's text (SQLite), that text is stored as it is.
        sample = datetime(999, 2, 3, 4, 5, 6, 7)
        self.moment_as_text = self.stored_moment(sample) == sample.isoformat(" ", "microseconds")
        self.stored_day = convert["local_date"]
        self.stored_flag = {flag: convert["quote_consent"](flag) for flag in (False, True)}
        self.stored_attributes = convert["attributes"]
        self.contact_cache: dict[str, int] = {}
        # Keys are made from the survey's id, so only an earlier import into this survey can hold one of
        # them: without one (a first import, an archive's new survey), no batch needs looking up.
        self.may_be_stored = db.session.scalar(select(Response.id).where(
            Response.survey_id == survey_id, Response.respondent_key >= "import:",
            Response.respondent_key < "import;").limit(1)) is not None

    def add(self, checked: Checked) -> bool:
        """Whether a batch was written (with its counts): a moment to commit."""
        self.pending.append(checked)
        if len(self.pending) < BATCH:
            return False
        self.flush()
        self._add_counts()
        return True

    def finish(self) -> ImportOutcome:
        self.flush()
        self._add_counts()
        # Comments' sentiment, once every row is in: rows go straight through the driver, and scoring them
        # there would slow the hot path for the few columns that are text.
        sentiments.score_unscored(self.survey_id)
        self.outcome.per_version = dict(self.per_version)
        return self.outcome

    def state(self) -> dict:
        """The counts so far, for a run that resumes after the last batch."""
        self.outcome.per_version = dict(self.per_version)
        return self.outcome.as_dict()

    def flush(self) -> None:
        """Write the pending rows (one batch)."""
        rows, self.pending = self.pending, []
        if not rows:
            return
        self.next_ids.clear()  # the batch before was committed: others may have taken ids since
        bulk_connection()
        if new := self._to_store(rows):
            self._store(new)

    def _to_store(self, rows: list[Checked]) -> list[Checked]:
        """The rows to store: not those an earlier import stored, nor those of people erased on request
        (both counted in the outcome)."""
        stored = set(db.session.scalars(select(Response.respondent_key).where(
            Response.respondent_key.in_([row.key for row in rows])))) if self.may_be_stored else ()
        new = [row for row in rows if row.key not in stored] if stored else rows
        self.outcome.skipped += len(rows) - len(new)
        # A person erased on request is not brought back by a file that still holds them: their answers
        # stored before stay, anonymised (their keys were replaced, so the rows would count twice), and
        # their address would make them a contact again.
        if erased := erasures.erased_among({row.email for row in new if row.email}):
            kept = [row for row in new if row.email not in erased]
            self.outcome.skipped_erased += len(new) - len(kept)
            new = kept
        return new

    def _store(self, new: list[Checked]) -> None:
        """Store rows not stored before: their new contacts, responses, answers and themes; their answers
        are added to the tally for answer_counts (written by finish)."""
        contact_ids = self._contact_ids({row.email for row in new if row.email})
        ids = self._reserve_ids(Response, len(new))
        survey_id, moment, flag = self.survey_id, self.stored_moment, self.stored_flag
        segment_cache, same_text = self.segment_cache, self.moment_as_text
        responses, segments = [], []
        for response_id, (key, version_id, _number, email, submitted, when, local, updated, quote, contact,
                          attributes, _given, _counted, _themes, source, _short) in zip(ids, new, strict=True):
            if not same_text:
                when = moment(submitted)
            if (segment := segment_cache.get((local, attributes, version_id))) is None:
                segment = self._segment(local, attributes, version_id)
            segments.append(segment)
            responses.append((response_id, key, survey_id, version_id, contact_ids.get(email) if email else None,
                              source, when, segment.day, when if updated is submitted else moment(updated), 1,
                              flag[quote], flag[contact], segment.attributes))
        self.responses.run(responses)
        self.answers.run([(response_id, question_key, value_int, value_text)
                          for response_id, row in zip(ids, new, strict=True)
                          for question_key, value_int, value_text in row.answers])
        if tags := [{"response_id": response_id, "tag": tag, "created_at": self.now, "created_by_id": self.actor_id}
                    for response_id, row in zip(ids, new, strict=True) for tag in row.tags]:
            db.session.execute(insert(ResponseTag), tags)
        self._tally(segments, new)
        self.per_version.update(map(operator.itemgetter(2), new))  # version numbers
        self.outcome.imported += len(new)

    @staticmethod
    def _tally(segments: list[_Segment], rows: list[Checked]) -> None:
        """Count the rows' cells into their segments' answer_counts cells. A row adds to the cells of each
        segment it is in (all respondents and each configured attribute it has), for each cell it counts.
        Summed first per (segment, cell) over the batch, then added to the segment's counters: a segment
        holds many rows of a batch, so this takes about half the steps of adding each row to each counter."""
        for segment, responses in Counter(segments).items():
            for counter in segment.counters:
                counter[RESPONSE_CELL] = counter.get(RESPONSE_CELL, 0) + responses
        for (segment, cell), count in Counter([(segment, cell) for segment, row in zip(segments, rows, strict=True)
                                               for cell in row.counted]).items():
            for counter in segment.counters:
                counter[cell] = counter.get(cell, 0) + count

    def _segment(self, day: date, attributes: tuple[str, ...], version_id: int) -> _Segment:
        """For responses to this version given on `day` with these attributes: the day and the attributes'
        stored forms, and the answer_counts cells they add to (all respondents, and each configured segment
        attribute they have: rollups._cells). A file has few distinct days × attributes × versions, so each
        is made once."""
        if len(self.segment_cache) > CACHE_LIMIT:
            self.segment_cache.clear()
        given = dict(zip(attributes[::2], attributes[1::2], strict=True))
        stored_day = self.stored_day(day)
        counters = [self.tally[(version_id, name, str(given[name])[:rollups.SEGMENT_VALUE_WIDTH] if name else "",
                                stored_day)]
                    for name in ("", *self.segment_names) if not name or given.get(name)]
        found = self.segment_cache[(day, attributes, version_id)] = _Segment(
            stored_day, self.stored_attributes(given), counters)
        return found

    def _contact_ids(self, emails: set[str]) -> dict[str, int]:
        """Each address's contact id; a contact is created (address only) for an address not seen before.
        Ids are remembered for the import (customers answer many times), up to CACHE_LIMIT addresses."""
        known = self.contact_cache
        if len(known) > CACHE_LIMIT:
            known.clear()
        if emails := emails - known.keys():
            known.update(db.session.execute(select(Contact.email, Contact.id)
                                            .where(Contact.email.in_(emails))).all())
            if missing := sorted(emails - known.keys()):
                convert = self.contacts.convert
                created, no_attributes = self.stored_moment(self.now), convert["attributes"]({})
                rows = []
                for contact_id, email in zip(self._reserve_ids(Contact, len(missing)), missing, strict=True):
                    rows.append((contact_id, email, "", no_attributes, created))
                    known[email] = contact_id
                self.contacts.run(rows)
                self.outcome.contacts_created += len(missing)
        return known

    def _reserve_ids(self, model, count: int) -> list[int] | range:
        """Ids for `count` new rows of `model`'s table, so other rows can name them without reading each
        insert back. INSERT … RETURNING with sort_by_parameter_order would give them too, but only through
        Core's per-row parameter handling (+26–32 % CPU, _DriverInsert), and on SQLite only batched when
        the table has an insert sentinel column: without one, SQLAlchemy inserts one row per statement."""
        table = model.__tablename__
        if db.session.get_bind().dialect.name == "postgresql":
            return list(db.session.scalars(text(
                f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, :n)"),
                {"n": count}))
        # SQLite: every writing transaction holds the database's write lock from its start (BEGIN
        # IMMEDIATE, survey/database.py), so no one else can take these ids meanwhile.
        if table not in self.next_ids:
            self.next_ids[table] = (db.session.scalar(select(func.max(model.id))) or 0) + 1
        first = self.next_ids[table]
        self.next_ids[table] = first + count
        return range(first, first + count)

    def _add_counts(self) -> None:
        """Add the rows' counts to answer_counts (the cells rollups.apply and rollups.rebuild make), in
        the order live writers lock them in (rollups._upsert's: by each part's text), so concurrent
        PostgreSQL writers cannot deadlock."""
        # Tuples that sort as rollups._upsert's keys do without a key function (a key per cell doubled
        # the import's peak memory): the survey is the same throughout, a day (as stored: its ISO text on
        # SQLite, a date on PostgreSQL) sorts as its text, and a value and a version id sort by their text.
        cells = [(key, day, name, segment, str(value), str(version_id), value, version_id, count)
                 for (version_id, name, segment, day), counter in self.tally.items()
                 for (key, value), count in counter.items()]
        self.tally.clear()
        self.segment_cache.clear()  # it holds the counters just cleared out of the tally
        cells.sort()
        step = 10_000
        for start in range(0, len(cells), step):
            self.counts.run([(self.survey_id, key, day, name, segment, value, version_id, count)
                             for key, day, name, segment, _text, _version, value, version_id, count
                             in cells[start:start + step]])


RESPONSE_CELL = (rollups.RESPONSES_KEY, 1)  # every response counts once under the key "*"


class _Segment:
    """Responses to one version on one day with the same attributes (ResponseWriter._segment): a plain
    object, so that it counts as itself in a Counter (by identity, as `segment_cache` keeps one of each)."""

    __slots__ = ("day", "attributes", "counters")

    def __init__(self, day: object, attributes: object, counters: list[dict]):
        self.day, self.attributes, self.counters = day, attributes, counters


# --- what a file may hold, for the upload page -------------------------------------------------------

class QuestionColumn(NamedTuple):
    key: str
    text: str
    accepts: str  # what a cell may hold, e.g. "1–5 (1 = Extremely dissatisfied, 5 = Extremely satisfied)"


def question_columns(survey: Survey) -> list[QuestionColumn]:
    """One column per question key the survey ever had (newest version's wording and order first)."""
    columns: dict[str, QuestionColumn] = {}
    for version in reversed(survey.versions):
        for question in version.parts:
            if question.key not in columns:
                columns[question.key] = QuestionColumn(question.key, question.text, _accepts(question))
    return list(columns.values())


def _range(settings: dict | None, word: str) -> str:
    low, high = (settings or {}).get("min"), (settings or {}).get("max")
    if low is None and high is None:
        return ""
    return f" ({word} {'…' if low is None else low} to {'…' if high is None else high})"


def _accepts(question: Question) -> str:
    options = question.options
    return {
        "rating": f"1–{len(options)} (1 = {options[0]}, {len(options)} = {options[-1]})" if options else "",
        "nps": "0–10",
        "choice": "one of: " + ", ".join(label for _value, label in question.choices),
        "multi": "any of: " + ", ".join(label for _value, label in question.choices) + " (joined by ;)",
        "yesno": "yes or no",
        "text": f"the text (at most {TEXT_LIMITS[question.long]} characters)",
        "ranking": "every option once, first to last, joined by ; (" + ";".join(options) + ")",
        "numeric": "a number, e.g. 3.5" + _range(question.settings, "from"),
        "date": "a date written year-month-day, e.g. 2026-03-31" + _range(question.settings, "from"),
    }[question.type]
