"""A definition with display logic, sections and piping comes back unchanged through export-survey /
import-survey and the API; a broken one is refused there naming the question and the condition."""
import json

from survey.accounts import api_tokens
from survey.clock import utcnow
from tests.factories import logic_definition


def test_the_command_line_round_trips_logic_unchanged(runner, app, tmp_path):
    path = tmp_path / "survey.json"
    path.write_text(json.dumps(logic_definition()))
    assert runner.invoke(args=["import-survey", str(path)]).exit_code == 0
    exported = runner.invoke(args=["export-survey", "support-logic"])
    assert json.loads(exported.output) == logic_definition()
    path.write_text(exported.output)
    assert runner.invoke(args=["import-survey", str(path)]).exit_code == 0
    assert json.loads(runner.invoke(args=["export-survey", "support-logic"]).output) == logic_definition()


def test_import_refuses_a_condition_on_a_later_question(runner, app, tmp_path):
    definition = logic_definition()
    definition["questions"][0]["show_if"] = {"==": [{"var": "answers.resolved"}, "yes"]}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(definition))
    result = runner.invoke(args=["import-survey", str(path)])
    assert result.exit_code == 1
    assert "questions[0] (satisfaction).show_if: refers to 'resolved', which comes later" in result.output


def test_the_api_round_trips_logic_unchanged_and_refuses_a_bad_value(client, ctx):
    headers = {"Authorization": f"Bearer {api_tokens.create_token('e', 'editor', now=utcnow())[1]}"}
    created = client.post("/api/v1/surveys", json=logic_definition(), headers=headers)
    assert created.status_code == 201, created.json
    read = client.get("/api/v1/surveys/support-logic", headers=headers).json
    assert read["definition"] == logic_definition()
    bad = logic_definition(slug="other")
    bad["questions"][3]["show_if"] = {"==": [{"var": "answers.channel"}, "Fax"]}
    refused = client.post("/api/v1/surveys", json=bad, headers=headers)
    assert refused.status_code == 422, refused.json
    assert "questions[3] (topics).show_if: 'Fax' is not an option of 'channel'" in json.dumps(refused.json)
