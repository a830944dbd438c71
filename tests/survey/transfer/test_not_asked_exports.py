"""Exports of a survey with display logic tell "not asked" from "not answered"; others are unchanged."""
import csv
import io
import json

from sqlalchemy import select

from survey.extensions import db
from survey.models import Response
from survey.outreach.invitations import public_respondent
from survey.responding.submission import Consents, submit_response
from tests.factories import NOW, logic_definition, make_survey


def answer(survey, key: str, values: dict) -> None:
    submit_response(survey.current_version, public_respondent(key * 20), values, Consents(),
                    submission_key=key * 20, now=NOW)


def test_csv_and_json_list_the_questions_not_asked(ctx, runner, tmp_path):
    survey = make_survey(definition=logic_definition())
    answer(survey, "a", {"satisfaction": 5, "recommend": 8})  # the "What went wrong" page skipped
    answer(survey, "b", {"satisfaction": 1, "channel": "Phone", "topics": ["Billing"]})  # all asked
    rows = list(csv.DictReader(io.StringIO(runner.invoke(args=["export-responses", survey.slug]).output)))
    assert list(rows[0])[-2:] == ["tags", "not_asked"]
    assert [row["not_asked"] for row in rows] == ["channel;topics", ""]
    # Both leave "channel" empty in a cell: one was not asked, the other did not answer "resolved".
    assert rows[0]["channel"] == "" and rows[1]["resolved"] == ""
    records = json.loads(runner.invoke(args=["export-responses", survey.slug, "--format", "json"]).output)
    assert [r["not_asked"] for r in records] == [["channel", "topics"], []]
    # The export imports again (the column is read and ignored).
    path = tmp_path / "export.csv"
    path.write_text(runner.invoke(args=["export-responses", survey.slug]).output)
    result = runner.invoke(args=["import-responses", survey.slug, str(path)])
    assert result.exit_code == 0, result.output
    # So does an archive, logic and all.
    archive = tmp_path / "archive.json"
    assert runner.invoke(args=["export-archive", survey.slug, "--output", str(archive)]).exit_code == 0
    result = runner.invoke(args=["import-archive", str(archive), "--slug", "copy"])
    assert result.exit_code == 0, result.output
    assert json.loads(runner.invoke(args=["export-survey", "copy"]).output)["sections"] == \
        logic_definition()["sections"]


def test_a_survey_without_logic_has_no_not_asked_column(ctx, runner):
    survey = make_survey()
    answer(survey, "c", {"satisfaction": 5})
    output = runner.invoke(args=["export-responses", survey.slug]).output
    assert output.splitlines()[0].endswith(",tags")
    records = json.loads(runner.invoke(args=["export-responses", survey.slug, "--format", "json"]).output)
    assert "not_asked" not in records[0]
    assert db.session.scalar(select(Response.not_asked)) is None
