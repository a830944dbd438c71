import pytest

from survey.authoring.definitions import DefinitionError, parse_question, parse_survey, question_definition
from tests.factories import DEFINITION, make_definition


def test_interfaces_example_parses_with_every_type():
    spec = parse_survey(DEFINITION)
    assert spec.slug == "support-csat"
    assert [q.type for q in spec.questions] == ["rating", "nps", "choice", "multi", "yesno", "text"]
    assert spec.questions[0].options[-1] == "Extremely satisfied"
    assert spec.questions[0].why.startswith("We track")
    assert spec.questions[0].required and not spec.questions[1].required
    assert spec.questions[5].long


def test_round_trip_through_the_json_format():
    spec = parse_survey(DEFINITION)
    again = parse_survey({"slug": spec.slug, "title": spec.title, "intro": spec.intro,
                          "questions": [question_definition(q) for q in spec.questions]})
    assert again == spec


@pytest.mark.parametrize("question, problem", [
    ({"key": "Bad Key", "type": "text", "text": "x"}, "key: must start with a lower-case letter"),
    ({"key": "source", "type": "choice", "text": "How did you hear of us?", "options": ["Friend", "Ad"]},
     "key: 'source' is a column of the response CSV files; choose another key, e.g. source_answer"),
    ({"key": "q", "type": "slider", "text": "x"}, "type: must be one of"),
    ({"key": "q", "type": ["rating"], "text": "x", "scale": ["a", "b"]}, "type: must be one of"),
    ({"key": "q", "type": {"rating": 1}, "text": "x"}, "type: must be one of"),
    ({"key": "q", "type": "text", "text": "  "}, "text: is required"),
    ({"key": "q", "type": "rating", "text": "x"}, "scale: must be a list of labels"),
    ({"key": "q", "type": "rating", "text": "x", "scale": ["only one"]}, "scale: needs 2 to 11 labels"),
    ({"key": "q", "type": "choice", "text": "x", "options": ["A", "a"]}, "options: labels must be different"),
    ({"key": "q", "type": "multi", "text": "x", "options": ["Billing; invoices", "Delivery"]},
     "options: 'Billing; invoices' contains “;”, which separates ticked options in CSV files"),
    ({"key": "q", "type": "nps", "text": "x", "options": ["A", "B"]}, "options: not used by a nps question"),
    ({"key": "q", "type": "yesno", "text": "x", "long": True}, "long: only text questions can be long"),
    ({"key": "q", "type": "text", "text": "x", "required": "yes"}, "required: must be true or false"),
    ({"key": "q", "type": "text", "text": "x", "colour": "red"}, "colour: unknown field"),
    ({"key": "q", "type": "text", "text": "x" * 2001}, "text: is longer than 2000 characters"),
])
def test_each_bad_question_field_is_named(question, problem):
    with pytest.raises(DefinitionError) as caught:
        parse_question(question)
    assert any(problem in message for message in caught.value.problems), caught.value.problems


def test_survey_errors_say_where():
    definition = make_definition(slug="Not a slug!")
    definition["questions"][2]["options"] = "Phone"
    definition["questions"].append({"key": "satisfaction", "type": "text", "text": "again"})
    with pytest.raises(DefinitionError) as caught:
        parse_survey(definition)
    problems = caught.value.problems
    assert any(p.startswith("slug:") for p in problems)
    assert "questions[2].options: must be a list of labels" in problems
    assert "questions[6].key: 'satisfaction' is used twice" in problems


@pytest.mark.parametrize("data", [None, [], "text", 3])
def test_non_object_is_rejected(data):
    with pytest.raises(DefinitionError):
        parse_survey(data)
