"""Results out: the results page's numbers as CSV, JSON lines and Excel, from the command line and the page."""
from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date, timedelta

import pytest

from survey.results import dashboard
from survey.results.filters import ResultsFilter
from tests.factories import add_answers, make_definition, make_survey, make_user
from tests.pages import log_in

RANGE = ["--from", "2026-08-01", "--to", "2026-09-30"]


@pytest.fixture
def survey(ctx):
    questions = make_definition()["questions"]
    questions[0]["scale"][0] = "=cmd|' /C calc'!A0"
    survey = make_survey(questions=questions)
    rows = [(date(2026, 8, 1) + timedelta(days=i % 28), "Leeds", 5 if i % 10 < 9 else 3) for i in range(120)]
    rows += [(date(2026, 9, 1) + timedelta(days=i % 28), "=HYPERLINK(\"http://x\")", 5 if i % 4 else 2)
             for i in range(118)]
    add_answers(survey, rows)
    return survey


def test_the_csv_has_the_pages_numbers(ctx, runner, survey):
    result = runner.invoke(args=["export-results", "support-csat", *RANGE])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    board = dashboard.build(survey, ResultsFilter(start=date(2026, 8, 1), end=date(2026, 9, 30)),
                            today=date(2026, 11, 1), settings=dashboard.Settings.from_config(ctx.config))
    trend = [row for row in rows if row["kind"] == "trend" and row["question"] == "satisfaction"]
    expected = next(q for q in board.questions if q.question.key == "satisfaction").trend
    assert [(r["period"], float(r["value"]), int(r["n"])) for r in trend] == \
        [(p.label, pytest.approx(p.value), p.n) for p in expected]
    change = next(row for row in rows if row["kind"] == "change" and row["metric"] == "top_box")
    assert float(change["q_value"]) < 0.05 and float(change["value"]) < 0
    # Every row names its question by key, so rows join by it.
    assert {row["question"] for row in rows if row["kind"] == "change"} == {"satisfaction", ""}
    segments = {row["segment"] for row in rows if row["kind"] == "segment"}
    assert segments == {"location=Leeds", 'location==HYPERLINK("http://x")'}
    answers = [row["answer"] for row in rows if row["kind"] == "distribution" and row["question"] == "satisfaction"]
    # A label a spreadsheet would run as a formula is written as text.
    assert answers == ["'=cmd|' /C calc'!A0", "Dissatisfied", "Neither", "Satisfied", "Extremely satisfied"]


def test_json_lines_and_excel(ctx, runner, survey, tmp_path):
    lines = runner.invoke(args=["export-results", "support-csat", "--format", "jsonl", *RANGE]).output
    records = [json.loads(line) for line in lines.splitlines()]
    assert {record["kind"] for record in records} == {"change", "trend", "segment", "distribution"}
    assert runner.invoke(args=["export-results", "support-csat", "--format", "xlsx"]).exit_code == 2
    target = tmp_path / "results.xlsx"
    assert runner.invoke(args=["export-results", "support-csat", "--format", "xlsx", "--output", str(target),
                               *RANGE]).exit_code == 0
    with zipfile.ZipFile(target) as workbook:
        assert "xl/worksheets/sheet1.xml" in workbook.namelist()


@pytest.mark.parametrize("args, status, message", [
    (["--from", "yesterday"], 2, "Invalid value for '--from': 'yesterday'"),  # a bad date: a usage error
    (["--from", "2026-09-30", "--to", "2026-08-01"], 1, "--from: the start is after the end"),
    (["--where", "colour=red"], 1, "--where"),
    (["--period", "fortnight"], 1, "--period"),
])
def test_bad_filters_are_named(ctx, runner, survey, args, status, message):
    result = runner.invoke(args=["export-results", "support-csat", *args])
    assert result.exit_code == status and message in result.output


def test_the_results_page_offers_the_same_files(app, client, survey):
    make_user(email="analyst@example.com", role="analyst")
    log_in(client, "analyst@example.com")
    page = client.get("/manage/surveys/support-csat/results?from=2026-08-01&to=2026-09-30").get_data(as_text=True)
    assert "/manage/surveys/support-csat/results.csv?from=2026-08-01&amp;to=2026-09-30" in page
    response = client.get("/manage/surveys/support-csat/results.csv?from=2026-08-01&to=2026-09-30")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.get_data(as_text=True).splitlines()[0].startswith("\ufeffkind,question,metric,period")
    assert client.get("/manage/surveys/support-csat/results.xlsx").status_code == 200
    assert client.get("/manage/surveys/support-csat/results.csv?from=nope").status_code == 400
