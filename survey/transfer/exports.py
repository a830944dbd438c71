"""Responses out: CSV (in the import format of docs/formats.md), JSON and XLSX, streamed in batches so
memory stays constant however many responses there are. Every export can be narrowed by extra SQL
conditions on Response (the results filter), so "export this view" exports exactly what is shown."""
from __future__ import annotations

import csv
import json
import re
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from itertools import chain, islice
from operator import itemgetter
from typing import Any, BinaryIO, TextIO

from sqlalchemy import Row, Select, SQLColumnExpression, Text, cast, func, select
from sqlalchemy.orm import aliased

from survey.extensions import db
from survey.models import Answer, Contact, Question, Response, ResponseTag, Survey, SurveyVersion
from survey.models.surveys import OTHER_POSITION
from survey.progress import QUIET, Progress
from survey.results import sentiments
from survey.results.filters import ResultsFilter, response_conditions
from survey.transfer import collector
from survey.transfer.workbook import Workbook

BATCH = 1000
PROGRESS_EVERY = 5000  # rows of a workbook between progress reports
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"  # a workbook's media type
# A spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
YES_NO = {True: "yes", False: "no"}  # a consent as csv_cell writes it


# A value that starts with the marker itself gets one too, so that an import can take exactly one away
# (response_import._unquoted) and every value comes back as it was: "'-North" is not "-North".
MARKED = (*FORMULA_PREFIXES, "'")
# The same after every ";": multiple choices and themes are joined with it, any text may hold it, and a
# spreadsheet whose list separator is ";" (most of Europe's Excel) splits "ok;=1+1" into two cells, the
# second a formula. "ok;'=1+1" splits into "ok" and "'=1+1".
SEGMENT_MARK = re.compile(";(?=[" + re.escape("".join(MARKED)) + "])")
SEGMENT_UNMARK = re.compile(";'(?=[" + re.escape("".join(MARKED)) + "])")  # what an import takes away


def neutralise(cell: object) -> object:
    """Text that a spreadsheet could run as a formula, whole or split at its ";", shown as text instead: a
    "'" before it and before every such part (and before a "'" there, so an import can take exactly one
    away: response_import._unquoted)."""
    if isinstance(cell, str):
        if cell.startswith(MARKED):
            cell = "'" + cell
        if ";" in cell:
            cell = SEGMENT_MARK.sub(";'", cell)
    return cell


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds") + "Z"


ISO_TO_CHAR = 'YYYY-MM-DD"T"HH24:MI:SS"Z"'  # iso's text, in PostgreSQL's to_char


def question_types(survey: Survey) -> dict[str, str]:
    """Every answer key the survey ever had → its type, newest version's order first."""
    questions = db.session.scalars(
        select(Question).join(SurveyVersion)
        .where(SurveyVersion.survey_id == survey.id)
        .order_by(SurveyVersion.number.desc(), Question.position)
    ).all()
    types: dict[str, str] = {}
    # A matrix's statements and an "Other" text are columns of their own, keyed as stored (Question.parts).
    for question in questions:
        for part in question.parts():
            types.setdefault(part.key, part.type)
    return types


def has_logic(survey: Survey) -> bool:
    """Any version of the survey has display logic: its exports then say which questions were not asked
    (a column and a field more; the exports of every other survey stay as they were)."""
    # Read as columns (the survey may be detached while an export streams); a JSON null reads as None.
    conditions = db.session.execute(select(Question.show_if, Question.end_if).join(SurveyVersion)
                                    .where(SurveyVersion.survey_id == survey.id)).all()
    sections = db.session.scalars(select(SurveyVersion.sections).where(SurveyVersion.survey_id == survey.id))
    return any(show is not None or end is not None for show, end in conditions) or any(
        section.get("show_if") is not None for found in sections for section in found or ())


@dataclass(frozen=True)
class Selection:
    """Which responses of a survey to export: changed since a moment, and/or matching SQL conditions."""

    survey: Survey
    since: datetime | None = None
    conditions: tuple = ()


def filtered(survey: Survey, chosen: ResultsFilter, *, today: date, since: datetime | None = None) -> Selection:
    """The responses the results filter selects, over the dates it names and no others: an export is not cut
    to the last periods a page shows by default."""
    return Selection(survey, since, tuple(response_conditions(survey.id, chosen, today, whole_range=True)))


def _conditions(selection: Selection) -> list:
    conditions = [Response.survey_id == selection.survey.id, *selection.conditions]
    if selection.since is not None:
        conditions.append(Response.updated_at >= selection.since)
    return conditions


def _responses(selection: Selection):
    return (select(Response.id, Response.submitted_at, Response.updated_at, SurveyVersion.number,
                   Contact.email, Response.attributes, Response.source, Response.quote_consent,
                   Response.contact_consent)
            .join(SurveyVersion, Response.version_id == SurveyVersion.id)
            .outerjoin(Contact, Response.contact_id == Contact.id)
            .where(*_conditions(selection)).order_by(Response.id))


def _attribute_names(selection: Selection) -> list[str]:
    """The segment attributes any selected response has. Each distinct JSON text is decoded once: most
    responses share one of a few attribute sets, and decoding every row's was wasted work."""
    texts = _responses(selection).with_only_columns(cast(Response.attributes, Text)).distinct().order_by(None)
    names: set[str] = set()
    for text in db.session.scalars(texts.execution_options(yield_per=BATCH)):
        names.update(json.loads(text or "null") or {})
    return sorted(names)


ANSWER_FETCH = 10 * BATCH  # answer rows fetched at a time: about a batch of responses' worth


def _batches(selection: Selection, query) -> Iterator[tuple[Sequence[Row], list[tuple], list[tuple]]]:
    """The rows of a responses query BATCH at a time, each with the answer and tag rows of its responses.
    Core, not the ORM: its per-row bookkeeping cost more than the rows' own conversion.

    Answers and tags are each one query over the whole selection, ordered by response id and read along
    with the responses (a merge): one query per batch of ids cost PostgreSQL a statement, an index look-up
    per id and a sort every 1 000 responses, more than half of an export's time there, where the merged
    stream's plan is one pass down the answers' response_id index (merge join and incremental sort)."""
    connection = db.session.connection()
    responses = connection.execute(query.execution_options(yield_per=BATCH))
    # The responses' ids without the version and contact joins (every response has a version; the
    # conditions are on Response): SQLite then reads the ids from the survey's index alone.
    chosen = select(Response.id).where(*_conditions(selection))
    answers, tags = _Merged(_answers_query(chosen)), _Merged(_tags_query(chosen))
    try:
        for batch in responses.partitions(BATCH):
            last = batch[-1][0]
            yield batch, answers.upto(last), tags.upto(last)
    finally:
        responses.close()
        answers.close()
        tags.close()


def _answers_query(chosen):
    # Its own alias, as in filters.response_conditions: a condition's subquery on answers (or tags, below)
    # would otherwise be correlated with this query's table instead of reading its own.
    answer = aliased(Answer)
    return (select(answer.response_id, answer.question_key, answer.value_int, answer.value_text)
            .where(answer.response_id.in_(chosen)).order_by(answer.response_id, answer.value_int, answer.id))


def _tags_query(chosen):
    tag = aliased(ResponseTag)
    return (select(tag.response_id, tag.tag).where(tag.response_id.in_(chosen))
            .order_by(tag.response_id, tag.tag))


class _Merged:
    """A query's rows, ordered by response id (their first column), read as the driver's tuples and handed
    out up to a response id at a time.

    An export reads ten answers or so per response: wrapping each in a SQLAlchemy Row cost more than the
    database's own work (about 1.2 µs a row, against the baseline dump's 1.5 µs for fetching and writing
    one). SQLAlchemy still compiles the query; its rows would be the same values, as no dialect converts
    integers or text on the way out. Each statement reads its own snapshot (READ COMMITTED), so a row may
    belong to a response the responses query did not see: the batch's code skips an id it does not have."""

    def __init__(self, query: Select) -> None:
        # A server-side cursor on PostgreSQL (all the answers would not fit in memory), read along with the
        # responses' own on the same connection. SQLAlchemy reads its first row ahead: the first rows are
        # taken through the result (Rows, which unpack like tuples), the rest from the cursor itself.
        self.result = db.session.connection().execute(query.execution_options(stream_results=True))
        self.fetch: Callable[[int], Sequence[Any]] = self.result.fetchmany  # the cursor's after the first rows (upto)
        self.rows: list = []
        self.more = True

    def upto(self, last_id: int) -> list[tuple]:
        """The rows whose response id is at most last_id (and after the previous call's)."""
        while self.more and (not self.rows or self.rows[-1][0] <= last_id):
            fetched = self.fetch(ANSWER_FETCH)
            self.rows += fetched
            self.more = len(fetched) == ANSWER_FETCH
            if self.more:
                self.fetch = self.result.cursor.fetchmany
        cut = bisect_right(self.rows, last_id, key=itemgetter(0))
        taken, self.rows = self.rows[:cut], self.rows[cut:]
        return taken

    def close(self) -> None:
        self.result.close()


def _answer_values(types: dict[str, str], response_ids: list[int], rows: list[tuple]) -> dict[int, dict[str, Any]]:
    # Each response's answers as JSON values: by the question's type a number, yes/no, text or list of options.
    values: dict[int, dict[str, Any]] = {rid: {} for rid in response_ids}
    others: list[list] = []
    for response_id, key, value_int, value_text in rows:
        if (answers := values.get(response_id)) is None:
            continue
        qtype = types.get(key)
        if qtype in ("multi", "ranking"):  # (a ranking's rows come by rank: the list is in its order)
            answers.setdefault(key, []).append(value_text)
            if value_int == OTHER_POSITION:
                others.append(answers[key])
        elif qtype == "yesno":
            answers[key] = bool(value_int)
        elif qtype in ("rating", "nps"):
            answers[key] = value_int
        elif qtype == "numeric":
            answers[key] = number(value_text)
        else:
            answers[key] = value_text
    _other_last(others)
    return values


def number(text: str | None) -> int | float | str:
    """A numeric answer as stored (its canonical text, see submission.typed_answer) as a JSON number."""
    if not text:
        return ""
    return float(text) if "." in text else int(text)


def _number_cell(text: str | None) -> int | float | str:
    """A numeric answer's cell: a number (a number cell in a workbook), but its stored text where Python
    would write the number in exponent form ("1e-07"), which a spreadsheet may read as text."""
    value = number(text)
    return text if isinstance(value, float) and "e" in repr(value) and text else value


def _other_last(lists: list[list]) -> None:
    """Rows come by position, so a multi answer's "Other" (position 0, Question.choices) came first: list it
    after the options, as the form does."""
    for options in lists:
        options.append(options.pop(0))


def _tags(response_ids: list[int], rows: list[tuple]) -> dict[int, list[str]]:
    tags: dict[int, list[str]] = {rid: [] for rid in response_ids}
    for response_id, tag in rows:
        if (found := tags.get(response_id)) is not None:
            found.append(tag)
    return tags


def export_records(selection: Selection) -> Iterator[dict]:
    """One dict per response: metadata, segment attributes, native answer values and theme tags; with display
    logic, the questions not asked; with free-text questions, each analysed comment's sentiment."""
    types = question_types(selection.survey)
    logic = has_logic(selection.survey)
    comments = "text" in types.values()
    query = _responses(selection).add_columns(Response.not_asked) if logic else _responses(selection)
    for batch, answer_rows, tag_rows in _batches(selection, query):
        ids = [row.id for row in batch]
        answers, tags = _answer_values(types, ids, answer_rows), _tags(ids, tag_rows)
        scored = _sentiments(ids) if comments else {}
        for row in batch:
            record = {
                "response_id": row.id, "submitted_at": iso(row.submitted_at), "updated_at": iso(row.updated_at),
                "version": row.number, "email": row.email, "source": row.source,
                "attributes": row.attributes or {}, "answers": answers[row.id],
                "quote_consent": row.quote_consent, "contact_consent": row.contact_consent, "tags": tags[row.id],
            }
            if logic:  # the questions display logic did not show: "not asked", apart from unanswered ones
                record["not_asked"] = row.not_asked or []
            if comments:  # a comment not here was not analysed (not in English: survey.results.sentiments)
                record["sentiment"] = scored.get(row.id, {})
            yield record


def _sentiments(ids: list[int]) -> dict[int, dict[str, dict]]:
    """The batch's analysed comments: response id → question key → VADER score and its label. One indexed
    query per batch, only for surveys with free-text questions."""
    found: dict[int, dict[str, dict]] = {}
    for response_id, key, score in db.session.connection().execute(
            select(Answer.response_id, Answer.question_key, Answer.sentiment)
            .where(Answer.response_id.in_(ids), Answer.sentiment.is_not(None))):
        found.setdefault(response_id, {})[key] = {"score": score, "label": sentiments.label(score)}
    return found


def csv_cell(value: object) -> object:
    """An answer as the import format writes it: positions and 0–10 as numbers, multi joined by ';'."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ";".join(value)
    return "" if value is None else value


@dataclass(frozen=True)
class Table:
    """The export as rows of cells, shared by CSV and XLSX so both have the same columns and the same
    formula neutralisation. `tags` comes last so the import format's columns are unchanged."""

    header: list[str]
    rows: Iterator[list]


def table(selection: Selection) -> Table:
    types = question_types(selection.survey)
    attributes = _attribute_names(selection)
    header = ["response_id", "submitted_at", "updated_at", "version", "email", "source",
              *(f"attr.{name}" for name in attributes), *types, "quote_consent", "contact_consent", "tags"]
    if not has_logic(selection.survey):
        return Table(header, _table_rows(selection, types, attributes))
    # Last, as tags was added: the keys of the questions not asked, joined by ";" (an empty answer cell of
    # a key listed here was not asked; of any other, not answered).
    return Table([*header, "not_asked"], _with_not_asked(selection, _table_rows(selection, types, attributes)))


def _with_not_asked(selection: Selection, rows: Iterator[list]) -> Iterator[list]:
    """Each row with its response's not-asked keys (question keys: nothing a spreadsheet could run)."""
    query = _responses(selection).with_only_columns(Response.not_asked).execution_options(yield_per=BATCH)
    for row, not_asked in zip(rows, db.session.scalars(query), strict=True):
        yield [*row, ";".join(not_asked or ())]


def _table_rows(selection: Selection, types: dict[str, str], attribute_names: list[str]) -> Iterator[list]:
    """The cells csv_cell and neutralise make of export_records, built straight from the query's rows.

    Going through a record per response, and converting and neutralising every cell, was most of an
    export's time. Here only text can start like a formula, so only text is neutralised (numbers, dates
    and yes/no never are); a set of attributes is turned into cells once per distinct JSON text."""
    submitted_at: SQLColumnExpression[Any] = Response.submitted_at
    updated_at: SQLColumnExpression[Any] = Response.updated_at
    stamp: Callable[[Any], str] = iso
    if db.session.connection().dialect.name == "postgresql":
        # PostgreSQL writes the times as iso does (to_char truncates the fraction, as timespec="seconds"
        # does): making datetimes of them and formatting those cost a tenth of the export in Python. SQLite's
        # strftime would round the fraction to milliseconds first (12:00:00.9996 → 12:00:01): not there.
        submitted_at, updated_at = func.to_char(submitted_at, ISO_TO_CHAR), func.to_char(updated_at, ISO_TO_CHAR)
        stamp = str
    query = _responses(selection).with_only_columns(
        Response.id, submitted_at, updated_at, SurveyVersion.number, Contact.email,
        cast(Response.attributes, Text), Response.source, Response.quote_consent, Response.contact_consent)
    attribute_cells = _AttributeCells(attribute_names)
    for batch, answer_rows, tag_rows in _batches(selection, query):
        ids = [row[0] for row in batch]
        answers, tags = _answer_cells(types, ids, answer_rows), _tags(ids, tag_rows)
        for response_id, submitted, updated, number, email, attributes, source, quote, contact in batch:
            yield [response_id, stamp(submitted), stamp(updated), number, neutralise(email or ""),
                   neutralise(source), *attribute_cells(attributes), *answers[response_id],
                   YES_NO[quote], YES_NO[contact], neutralise(";".join(tags[response_id]))]


class _AttributeCells:
    """A response's attribute cells (neutralised, in the header's order) from its attributes' JSON text,
    memoised by that text: a survey's responses share a few sets. The memo is emptied when it grows past
    MAX entries, so attributes unique to each response cost their decoding but memory stays bounded."""

    MAX = 10_000

    def __init__(self, names: list[str]):
        self.names = names
        self.memo: dict[str | None, tuple] = {}

    def __call__(self, text: str | None) -> tuple:
        cells = self.memo.get(text)
        if cells is None:
            attributes = json.loads(text or "null") or {}
            cells = tuple(neutralise(attributes.get(name, "")) for name in self.names)
            if len(self.memo) >= self.MAX:
                self.memo.clear()
            self.memo[text] = cells
        return cells


def _answer_cells(types: dict[str, str], response_ids: list[int], rows: list[tuple]) -> dict[int, list]:
    """Each response's answer cells in the order of `types`: as csv_cell writes _answer_values (a later
    answer to a single-valued question replaces an earlier one) and neutralised where they are text."""
    column = {key: i for i, key in enumerate(types)}
    kinds = list(types.values())
    cells: dict[int, list[object]] = {rid: [""] * len(kinds) for rid in response_ids}
    several: dict[tuple[int, int], list[str]] = {}  # (response, column) → a multi question's options
    others: list[list] = []
    for response_id, key, value_int, value_text in rows:
        i = column.get(key)
        row = cells.get(response_id)
        if i is None or row is None:  # a question no version has (no column), a response not exported
            continue
        kind = kinds[i]
        if kind in ("rating", "nps"):
            row[i] = "" if value_int is None else value_int
        elif kind == "yesno":
            row[i] = "yes" if value_int else "no"
        elif kind == "numeric":  # a number, never neutralised: "-3" is not a formula in a number cell
            row[i] = _number_cell(value_text)
        elif kind in ("multi", "ranking"):
            several.setdefault((response_id, i), []).append(value_text)
            if value_int == OTHER_POSITION:
                others.append(several[(response_id, i)])
        else:
            row[i] = neutralise("" if value_text is None else value_text)
    _other_last(others)
    for (response_id, i), options in several.items():
        cells[response_id][i] = neutralise(";".join(options))
    return cells


# Every CSV file Hearken writes ends its lines with CRLF, as RFC 4180 says. With CRLF as the terminator,
# Python's writer also quotes a field holding a lone carriage return or line feed (it quotes the
# terminator's characters), so a spreadsheet never ends a row inside a cell.
CSV_LINE_END = "\r\n"
# Before a CSV file downloaded from the web pages: Excel reads a CSV without it in the machine's legacy
# code page, and "Zoë" becomes "ZoÃ«". The command line writes none unless asked (--bom): other programs
# take it for part of the first column's name.
BOM = "\ufeff"


class CsvWriter:
    """csv.writer with CRLF line ends (CSV_LINE_END)."""

    def __init__(self, out: TextIO | _Lines):
        writer = csv.writer(out, lineterminator=CSV_LINE_END)
        self.writerow, self.writerows = writer.writerow, writer.writerows


class _Lines:
    """A file-like sink for csv.writer that hands back what was written since the last call."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> None:
        self.parts.append(text)

    def take(self) -> str:
        text, self.parts = "".join(self.parts), []
        return text


def _row_batches(rows: Iterator[list]) -> Iterator[list[list]]:
    while batch := list(islice(rows, BATCH)):
        yield batch


def _each_paused(items: Iterator) -> Iterator:
    """The items of an iterator, each made with the collector paused: it runs again while the consumer has
    the item, so a streamed export that is never finished cannot leave it off."""
    while True:
        with collector.paused():
            item = next(items, None)
        if item is None:
            return
        yield item


def csv_chunks(selection: Selection, *, bom: bool = False) -> Iterator[str]:
    """The CSV export in chunks of about one batch (header first, after a BOM when `bom`), for a streamed
    HTTP response."""
    return _each_paused(_csv_chunks(selection, bom))


def _csv_chunks(selection: Selection, bom: bool) -> Iterator[str]:
    sink = _Lines()
    if bom:
        sink.write(BOM)
    writer = CsvWriter(sink)
    export = table(selection)
    writer.writerow(export.header)
    for batch in _row_batches(export.rows):
        writer.writerows(batch)
        yield sink.take()
    yield sink.take()


def write_csv(selection: Selection, out: TextIO, *, bom: bool = False) -> int:
    """The CSV export to a text stream (opened with newline=""), after a BOM when `bom`."""
    with collector.paused():
        return _write_csv(selection, out, bom)


def _write_csv(selection: Selection, out: TextIO, bom: bool) -> int:
    if bom:
        out.write(BOM)
    writer = CsvWriter(out)
    export = table(selection)
    writer.writerow(export.header)
    count = 0
    for batch in _row_batches(export.rows):
        writer.writerows(batch)
        count += len(batch)
    return count


def write_xlsx(selection: Selection, out: BinaryIO, progress: Progress = QUIET) -> int:
    """An Excel workbook written row by row in constant memory (transfer.workbook). Text cells are written
    as strings, never formulas, and neutralised like the CSV so a re-saved CSV stays safe too; past Excel's
    1 048 576 rows a sheet (header included), the responses go on in another. Rows written are reported to
    `progress` as they go; returns how many."""
    with collector.paused():
        return _write_xlsx(selection, out, progress)


def _write_xlsx(selection: Selection, out: BinaryIO, progress: Progress) -> int:
    export = table(selection)
    first = list(islice(export.rows, BATCH))  # measured for the columns' widths, which precede the rows
    widths = ColumnWidths(export.header)
    for row in first:
        widths.measure(row)
    count = 0
    with Workbook(out, "Responses", export.header, widths.characters(),
                  tick=lambda: progress.tick("exporting", count)) as book:  # while it deflates, at the end
        for count, row in enumerate(chain(first, export.rows), start=1):
            book.append(row)
            if not count % PROGRESS_EVERY:
                progress.tick("exporting", count)
    return count


def write_xlsx_row(sheet, number: int, row: list, cell_format=None) -> None:
    """On an XlsxWriter sheet (the results export): numbers as numbers, everything else as a text cell, never
    a formula, whatever the text says."""
    for column, cell in enumerate(row):
        if isinstance(cell, (int, float)) and not isinstance(cell, bool):
            sheet.write_number(number, column, cell, cell_format)
        else:
            sheet.write_string(number, column, str(cell), cell_format)


class ColumnWidths:
    """Column widths from the header and the first batch of rows (later rows are not measured, so the
    cost stays constant), between 8 and 50 characters."""

    def __init__(self, header: list[str]):
        self.widths = [len(name) for name in header]
        self.rows = 0

    def measure(self, row: list) -> None:
        if self.rows < BATCH:
            self.rows += 1
            self.widths = [max(width, len(str(cell))) for width, cell in zip(self.widths, row, strict=True)]

    def characters(self) -> list[int]:
        """Each column's width in characters."""
        return [min(max(width + 2, 8), 50) for width in self.widths]

    def apply(self, sheet) -> None:
        """The widths set on an XlsxWriter sheet."""
        for column, width in enumerate(self.characters()):
            sheet.set_column(column, column, width)


def write_json(selection: Selection, out: TextIO, *, lines: bool = False) -> int:
    """A JSON array (or JSON Lines with lines=True), written record by record."""
    with collector.paused():
        return _write_json(selection, out, lines=lines)


def _write_json(selection: Selection, out: TextIO, *, lines: bool) -> int:
    count = 0
    for record in export_records(selection):
        if lines:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            out.write(("[\n" if count == 0 else ",\n") + json.dumps(record, ensure_ascii=False))
        count += 1
    if not lines:
        out.write("[]\n" if count == 0 else "\n]\n")
    return count
