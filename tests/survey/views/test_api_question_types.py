"""Issue 23's question types through the API: created and read back unchanged, answers keyed per matrix
statement and "Other" text, results per statement, refusals naming the field, and the OpenAPI document."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from survey.accounts import api_tokens
from survey.clock import utcnow
from survey.responding.submission import Consents, Respondent, submit_response
from tests.factories import add_answers, make_survey
from tests.survey.types_definition import types_definition


@pytest.fixture
def tokens(ctx) -> dict[str, dict]:
    return {role: {"Authorization": f"Bearer {api_tokens.create_token(role, role, now=utcnow())[1]}"}
            for role in ("analyst", "editor")}


def test_a_survey_of_new_types_round_trips_through_the_api(client, tokens):
    created = client.post("/api/v1/surveys", json=types_definition(), headers=tokens["editor"])
    assert created.status_code == 201, created.json
    read = client.get("/api/v1/surveys/types", headers=tokens["analyst"]).json
    assert read["definition"] == types_definition()


@pytest.mark.parametrize("question, field", [
    ({"key": "m", "type": "matrix", "text": "?", "scale": ["a", "b"], "statements": [{"key": "A", "text": "x"}]},
     "questions[0].statements[0].key"),
    ({"key": "m", "type": "matrix", "text": "?", "scale": ["a", "b"]}, "questions[0].statements"),
    ({"key": "c", "type": "rating", "text": "?", "scale": ["a", "b"], "other": True}, "questions[0].other"),
])
def test_a_bad_new_type_is_refused_naming_its_field(client, tokens, question, field):
    response = client.post("/api/v1/surveys", json=types_definition(questions=[question]), headers=tokens["editor"])
    assert response.status_code == 422, response.json
    assert response.json["error"]["field"] == field


def test_answers_and_results_name_each_statement(client, tokens, ctx):
    survey = make_survey(definition=types_definition())
    response_id = submit_response(
        survey.current_version, Respondent(key="r", source="public"),
        {"overall": 3, "service.wait": 4, "channel": "Other", "channel.other": "By pigeon"}, Consents(),
        submission_key="k" * 20, now=datetime(2026, 9, 2, 9)).response_id
    one = client.get(f"/api/v1/responses/{response_id}", headers=tokens["analyst"])
    assert one.status_code == 200, one.json
    assert one.json["answers"] == {"overall": 3, "service.wait": 4, "channel": "Other", "channel.other": "By pigeon"}
    add_answers(survey, [(date(2026, 9, 1), None, 5)], key="service.staff")
    results = client.get("/api/v1/surveys/types/results?from=2026-09-01&to=2026-09-30", headers=tokens["analyst"])
    assert results.status_code == 200, results.json
    questions = {q["key"]: q for q in results.json["questions"]}
    assert list(questions)[:3] == ["overall", "service.wait", "service.staff"]
    assert questions["spend"]["summary"][0] == {"label": "Answers", "value": "0"}
    assert questions["overall"]["summary"] == []


def test_the_openapi_document_describes_the_new_fields(client):
    schema = client.get("/api/v1/openapi.json").json["components"]["schemas"]["Question"]
    assert "matrix" in schema["properties"]["type"]["enum"]
    assert {"statements", "other", "min", "max", "integer", "preset"} <= set(schema["properties"])
