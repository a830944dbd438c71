"""Responses out: CSV (in the import format of INTERFACES.md), JSON and XLSX, streamed in batches so
memory stays constant however many responses there are. Every export can be narrowed by extra SQL
conditions on Response (the results filter), so "export this view" exports exactly what is shown."""
from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import BinaryIO, TextIO

import xlsxwriter
from sqlalchemy import ARRAY, Integer, Text, any_, bindparam, cast, select

from survey.extensions import db
from survey.models import Answer, Contact, Question, Response, ResponseTag, Survey, SurveyVersion

BATCH = 1000
# A spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
YES_NO = {True: "yes", False: "no"}  # a consent as csv_cell writes it


def neutralise(cell: object) -> object:
    if isinstance(cell, str) and cell.startswith(FORMULA_PREFIXES):
        return "'" + cell
    return cell


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds") + "Z"


def question_types(survey: Survey) -> dict[str, str]:
    """Every question key the survey ever had → its type, newest version's order first."""
    rows = db.session.execute(
        select(Question.key, Question.type).join(SurveyVersion)
        .where(SurveyVersion.survey_id == survey.id)
        .order_by(SurveyVersion.number.desc(), Question.position)
    ).all()
    types: dict[str, str] = {}
    for key, qtype in rows:
        types.setdefault(key, qtype)
    return types


@dataclass(frozen=True)
class Selection:
    """Which responses of a survey to export: changed since a moment, and/or matching SQL conditions."""

    survey: Survey
    since: datetime | None = None
    conditions: tuple = ()


def _responses(selection: Selection):
    query = (select(Response.id, Response.submitted_at, Response.updated_at, SurveyVersion.number,
                    Contact.email, Response.attributes, Response.source, Response.quote_consent,
                    Response.contact_consent)
             .join(SurveyVersion, Response.version_id == SurveyVersion.id)
             .outerjoin(Contact, Response.contact_id == Contact.id)
             .where(Response.survey_id == selection.survey.id, *selection.conditions).order_by(Response.id))
    if selection.since is not None:
        query = query.where(Response.updated_at >= selection.since)
    return query


def _attribute_names(selection: Selection) -> list[str]:
    """The segment attributes any selected response has. Each distinct JSON text is decoded once: most
    responses share one of a few attribute sets, and decoding every row's was wasted work."""
    texts = _responses(selection).with_only_columns(cast(Response.attributes, Text)).distinct().order_by(None)
    names: set[str] = set()
    for text in db.session.scalars(texts.execution_options(yield_per=BATCH)):
        names.update(json.loads(text or "null") or {})
    return sorted(names)


def _batches(query) -> Iterator[list]:
    """The rows of a responses query, BATCH at a time: answers and tags are then read for a whole batch.
    Core, not the ORM: its per-row bookkeeping cost more than the rows' own conversion."""
    result = db.session.connection().execute(query.execution_options(yield_per=BATCH))
    yield from result.partitions(BATCH)


class _BatchQuery:
    """A query of integer and text columns for the rows of a batch of responses, given their ids: built
    once, each batch binds its ids. Rows come back as the driver's tuples.

    An export reads ten answers or so per response: wrapping each in a SQLAlchemy Row cost more than the
    database's own work (about 1.2 µs a row, against the baseline dump's 1.5 µs for fetching and writing
    one). SQLAlchemy still compiles and binds the query; its rows would be the same values, as no dialect
    converts integers or text on the way out. On PostgreSQL the ids are one array parameter (`= ANY`):
    with an IN list, psycopg parsed the statement's thousand placeholders again for every batch (a
    quarter of an export's time there)."""

    def __init__(self, query, column):
        self.listed = query.where(column.in_(bindparam("ids", expanding=True)))
        self.array = query.where(column == any_(bindparam("ids", type_=ARRAY(Integer))))

    def rows(self, response_ids: list[int]) -> list[tuple]:
        connection = db.session.connection()
        query = self.array if connection.dialect.name == "postgresql" else self.listed
        result = connection.execute(query, {"ids": response_ids})
        try:
            return result.cursor.fetchall()
        finally:
            result.close()


_ANSWERS = _BatchQuery(select(Answer.response_id, Answer.question_key, Answer.value_int, Answer.value_text)
                       .order_by(Answer.response_id, Answer.value_int, Answer.id), Answer.response_id)
_TAGS = _BatchQuery(select(ResponseTag.response_id, ResponseTag.tag)
                    .order_by(ResponseTag.response_id, ResponseTag.tag), ResponseTag.response_id)


def _answer_values(types: dict[str, str], response_ids: list[int]) -> dict[int, dict[str, object]]:
    values: dict[int, dict[str, object]] = {rid: {} for rid in response_ids}
    for response_id, key, value_int, value_text in _ANSWERS.rows(response_ids):
        qtype = types.get(key)
        if qtype == "multi":
            values[response_id].setdefault(key, []).append(value_text)
        elif qtype == "yesno":
            values[response_id][key] = bool(value_int)
        elif qtype in ("rating", "nps"):
            values[response_id][key] = value_int
        else:
            values[response_id][key] = value_text
    return values


def _tags(response_ids: list[int]) -> dict[int, list[str]]:
    tags: dict[int, list[str]] = {rid: [] for rid in response_ids}
    for response_id, tag in _TAGS.rows(response_ids):
        tags[response_id].append(tag)
    return tags


def export_records(selection: Selection) -> Iterator[dict]:
    """One dict per response: metadata, segment attributes, native answer values and theme tags."""
    types = question_types(selection.survey)
    for batch in _batches(_responses(selection)):
        ids = [row.id for row in batch]
        answers, tags = _answer_values(types, ids), _tags(ids)
        for row in batch:
            yield {
                "response_id": row.id, "submitted_at": iso(row.submitted_at), "updated_at": iso(row.updated_at),
                "version": row.number, "email": row.email, "source": row.source,
                "attributes": row.attributes or {}, "answers": answers[row.id],
                "quote_consent": row.quote_consent, "contact_consent": row.contact_consent, "tags": tags[row.id],
            }


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
    return Table(header, _table_rows(selection, types, attributes))


def _table_rows(selection: Selection, types: dict[str, str], attribute_names: list[str]) -> Iterator[list]:
    """The cells csv_cell and neutralise make of export_records, built straight from the query's rows.

    Going through a record per response, and converting and neutralising every cell, was most of an
    export's time. Here only text can start like a formula, so only text is neutralised (numbers, dates
    and yes/no never are); a set of attributes is turned into cells once per distinct JSON text."""
    query = _responses(selection).with_only_columns(
        Response.id, Response.submitted_at, Response.updated_at, SurveyVersion.number, Contact.email,
        cast(Response.attributes, Text), Response.source, Response.quote_consent, Response.contact_consent)
    attribute_cells = _AttributeCells(attribute_names)
    for batch in _batches(query):
        ids = [row[0] for row in batch]
        answers, tags = _answer_cells(types, ids), _tags(ids)
        for response_id, submitted_at, updated_at, number, email, attributes, source, quote, contact in batch:
            yield [response_id, iso(submitted_at), iso(updated_at), number, neutralise(email or ""),
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


def _answer_cells(types: dict[str, str], response_ids: list[int]) -> dict[int, list]:
    """Each response's answer cells in the order of `types`: as csv_cell writes _answer_values (a later
    answer to a single-valued question replaces an earlier one) and neutralised where they are text."""
    column = {key: i for i, key in enumerate(types)}
    kinds = list(types.values())
    cells = {rid: [""] * len(kinds) for rid in response_ids}
    several: dict[tuple[int, int], list[str]] = {}  # (response, column) → a multi question's options
    for response_id, key, value_int, value_text in _ANSWERS.rows(response_ids):
        i = column.get(key)
        if i is None:  # an answer to a question no version has (the header has no column for it)
            continue
        kind = kinds[i]
        if kind in ("rating", "nps"):
            cells[response_id][i] = "" if value_int is None else value_int
        elif kind == "yesno":
            cells[response_id][i] = "yes" if value_int else "no"
        elif kind == "multi":
            several.setdefault((response_id, i), []).append(value_text)
        else:
            cells[response_id][i] = neutralise("" if value_text is None else value_text)
    for (response_id, i), options in several.items():
        cells[response_id][i] = neutralise(";".join(options))
    return cells


class CsvWriter:
    """csv.writer with "\n" line ends that also quotes a field holding a lone carriage return: Python
    3.11's writer quotes only the line terminator's characters, and spreadsheets end the row at a CR."""

    def __init__(self, out: TextIO | _Lines):
        self.out = out
        self.plain = csv.writer(out, lineterminator="\n")
        self.quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
        self.sink = _Lines()
        self.batch = csv.writer(self.sink, lineterminator="\n")

    def writerow(self, row: list) -> None:
        has_cr = any(isinstance(cell, str) and "\r" in cell for cell in row)
        (self.quoted if has_cr else self.plain).writerow(row)

    def writerows(self, rows: list[list]) -> None:
        """The same lines as writerow for each row. Rows are written plainly all at once, and the text
        searched for a CR (which only a cell can hold): looking for one cell by cell cost more than
        writing them. A batch with a CR is written again row by row."""
        self.batch.writerows(rows)
        text = self.sink.take()
        if "\r" in text:
            for row in rows:
                self.writerow(row)
        else:
            self.out.write(text)


class _Lines:
    """A file-like sink for csv.writer that hands back what was written since the last call."""

    def __init__(self):
        self.parts: list[str] = []

    def write(self, text: str) -> None:
        self.parts.append(text)

    def take(self) -> str:
        text, self.parts = "".join(self.parts), []
        return text


def _row_batches(rows: Iterator[list]) -> Iterator[list[list]]:
    while batch := list(islice(rows, BATCH)):
        yield batch


def csv_chunks(selection: Selection) -> Iterator[str]:
    """The CSV export in chunks of about one batch (header first), for a streamed HTTP response."""
    sink = _Lines()
    writer = CsvWriter(sink)
    export = table(selection)
    writer.writerow(export.header)
    for batch in _row_batches(export.rows):
        writer.writerows(batch)
        yield sink.take()
    yield sink.take()


def write_csv(selection: Selection, out: TextIO) -> int:
    writer = CsvWriter(out)
    export = table(selection)
    writer.writerow(export.header)
    count = 0
    for batch in _row_batches(export.rows):
        writer.writerows(batch)
        count += len(batch)
    return count


def write_xlsx(selection: Selection, out: BinaryIO) -> int:
    """An Excel workbook written row by row (XlsxWriter's constant-memory mode). Text cells are written
    as strings, never formulas, and neutralised like the CSV so a re-saved CSV stays safe too."""
    workbook = xlsxwriter.Workbook(out, {"constant_memory": True, "in_memory": False,
                                         "strings_to_formulas": False, "strings_to_numbers": False,
                                         "strings_to_urls": False})
    sheet = workbook.add_worksheet("Responses")
    export = table(selection)
    widths = ColumnWidths(export.header)
    sheet.freeze_panes(1, 0)
    write_xlsx_row(sheet, 0, export.header, workbook.add_format({"bold": True}))
    count = 0
    for count, row in enumerate(export.rows, start=1):
        write_xlsx_row(sheet, count, row)
        widths.measure(row)
    widths.apply(sheet)
    workbook.close()
    return count


def write_xlsx_row(sheet, number: int, row: list, cell_format=None) -> None:
    """Numbers as numbers, everything else as a text cell: never a formula, whatever the text says."""
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

    def apply(self, sheet) -> None:
        for column, width in enumerate(self.widths):
            sheet.set_column(column, column, min(max(width + 2, 8), 50))


def write_json(selection: Selection, out: TextIO, *, lines: bool = False) -> int:
    """A JSON array (or JSON Lines with lines=True), written record by record."""
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
