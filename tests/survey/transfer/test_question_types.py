"""Issue 23's question types through every way out and back in: the CSV and JSON exports (one column per
matrix statement, "<key>.other" for what "Other" says), the CSV import, the archive, and the survey
definition commands."""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime

import pytest
from sqlalchemy import select

from survey.authoring.definitions import survey_definition
from survey.extensions import db
from survey.models import Survey
from survey.responding.submission import Consents, Respondent, submit_response
from survey.transfer import archives, exports, response_import
from tests.factories import NOW, make_survey
from tests.survey.types_definition import types_definition

ANSWERS = [
    {"overall": 3, "service.wait": 2, "service.staff": 5, "channel": "Other", "channel.other": "By pigeon",
     "topics": ["Billing", "Other"], "topics.other": "Refunds; and more", "spend": 12.5, "orders": 3,
     "visit": "2026-09-30", "priorities": ["Speed", "Care", "Price"]},
    {"overall": 1, "service.wait": 1, "channel": "Phone", "topics": ["Delivery"], "spend": 0.0000001},
]


def answered_survey(slug="types") -> Survey:
    survey = make_survey(definition=types_definition(slug=slug))
    for i, values in enumerate(ANSWERS):
        submit_response(survey.current_version, Respondent(key=f"r{i}", source="public"), values, Consents(),
                        submission_key=f"{i}" * 20, now=datetime(2026, 10, 1 + i, 12))
    return survey


def answers_of(survey: Survey) -> list[dict]:
    return [record["answers"] for record in exports.export_records(exports.Selection(survey))]


def test_the_json_export_keys_each_statement_and_other_text_by_its_answer_key(ctx):
    assert answers_of(answered_survey()) == ANSWERS


def test_the_csv_export_has_a_column_per_statement_and_imports_back_unchanged(ctx):
    survey = answered_survey()
    text = "".join(exports.csv_chunks(exports.Selection(survey)))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [name for name in rows[0] if "." in name or name in ("channel", "topics")] == [
        "service.wait", "service.staff", "channel", "channel.other", "topics", "topics.other"]
    assert (rows[0]["service.wait"], rows[0]["channel"], rows[0]["channel.other"]) == ("2", "Other", "By pigeon")
    assert rows[0]["topics"] == "Billing;Other" and rows[1]["service.staff"] == ""
    assert (rows[0]["spend"], rows[1]["spend"], rows[0]["orders"], rows[0]["visit"]) == (
        "12.5", "0.0000001", "3", "2026-09-30")
    assert rows[0]["priorities"] == "Speed;Care;Price"

    copy = make_survey(definition=types_definition(slug="copy"))
    outcome = response_import.import_responses(copy, text.encode(), now=NOW, actor="test")
    assert outcome.imported == 2, outcome
    assert answers_of(copy) == ANSWERS


def test_a_bad_statement_or_other_cell_is_refused_by_row_and_column(ctx):
    survey = make_survey(definition=types_definition())
    data = ("submitted_at,overall,service.wait,channel,orders,visit,priorities\n"
            "2026-10-01,3,6,Fax,2.5,2027-01-01,Speed;Price\n")
    with pytest.raises(response_import.ResponseImportError) as refused:
        response_import.import_responses(survey, data.encode(), now=NOW, actor="test")
    assert [str(p) for p in refused.value.problems] == [
        "row 2, column service.wait: 6 is not on the 5-point scale (1–5)",
        "row 2, column channel: 'Fax' is not one of the options (Phone, Email, Other)",
        "row 2, column orders: '2.5': Please write a whole number.",
        "row 2, column visit: '2027-01-01': Please give a date from 2026-01-01 to 2026-12-31.",
        "row 2, column priorities: 'Speed;Price' does not rank every option once: write them all from first to "
        "last, joined by ; (Price;Speed;Care)"]


def test_the_archive_and_the_definition_commands_carry_every_new_type(ctx, app):
    survey = answered_survey()
    out = io.StringIO()
    archives.write_archive(survey, out, now=NOW)
    archives.import_archive(out.getvalue().encode(), slug="moved", now=NOW, actor="test")
    moved = db.session.scalar(select(Survey).where(Survey.slug == "moved"))
    assert answers_of(moved) == ANSWERS
    assert survey_definition("types", moved.current_version)["questions"] == types_definition()["questions"]

    runner = app.test_cli_runner()
    printed = runner.invoke(args=["export-survey", "types"])
    assert printed.exit_code == 0, printed.output
    definition = json.loads(printed.output)
    assert definition["questions"] == types_definition()["questions"]
    definition["slug"] = "again"
    imported = runner.invoke(args=["import-survey", "-"], input=json.dumps(definition))
    assert imported.exit_code == 0, imported.output
    db.session.expire_all()
    again = db.session.scalar(select(Survey).where(Survey.slug == "again"))
    assert survey_definition("again", again.current_version) == definition
