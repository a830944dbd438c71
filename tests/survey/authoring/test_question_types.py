"""The definitions of issue 23's question types: parsed, refused with where and what, written back unchanged."""
import pytest

from survey.authoring.definitions import (
    DefinitionError,
    parse_question,
    parse_survey,
    question_definition,
    survey_definition,
)
from tests.factories import make_survey
from tests.survey.types_definition import types_definition

MATRIX = {"key": "service", "type": "matrix", "text": "How satisfied were you with…", "scale": ["Bad", "Good"],
          "statements": [{"key": "wait", "text": "Wait time"}, {"key": "staff", "text": "Staff"}]}


def test_every_new_type_round_trips_through_the_definition(ctx):
    definition = types_definition()
    survey = make_survey(definition=definition)
    assert survey_definition(survey.slug, survey.current_version)["questions"] == definition["questions"]
    assert [q.key for q in survey.current_version.question("service").parts()] == ["service.wait", "service.staff"]
    assert [q.key for q in survey.current_version.question("channel").parts()] == ["channel", "channel.other"]


@pytest.mark.parametrize("changes, problem", [
    ({"statements": []}, "statements: must be a list of statements"),
    ({"statements": [{"key": "Wait", "text": "x"}]}, "statements[0].key: must start with a lower-case letter"),
    ({"statements": [{"key": "wait", "text": "x"}, {"key": "wait", "text": "y"}]},
     "statements[1].key: 'wait' is used twice"),
    ({"statements": [{"key": "wait", "text": ""}]}, "statements[0].text: is required"),
    ({"statements": [{"key": "wait", "text": "x", "weight": 2}]}, "statements[0].weight: unknown field"),
    ({"key": "k" * 60, "statements": [{"key": "waiting", "text": "x"}]},
     f"statements[0].key: {'k' * 60}.waiting is longer than 64 characters"),
    ({"scale": ["Only"]}, "scale: needs 2 to 11 labels, got 1"),
    ({"options": ["a", "b"]}, "options: not used by a matrix question"),
    ({"other": True}, "other: only choice and multi questions"),
])
def test_a_bad_matrix_is_refused_saying_where(changes, problem):
    with pytest.raises(DefinitionError) as raised:
        parse_question({**MATRIX, **changes})
    assert any(p.startswith(problem) for p in raised.value.problems), raised.value.problems


def test_other_is_for_choices_and_may_not_repeat_other():
    with pytest.raises(DefinitionError) as raised:
        parse_question({"key": "c", "type": "choice", "text": "?", "options": ["A", "other"], "other": True})
    assert raised.value.problems == ['options: \'Other\' is added by "other": true; remove it from the options']
    with pytest.raises(DefinitionError) as raised:
        parse_question({"key": "r", "type": "rating", "text": "?", "scale": ["a", "b"], "statements": []})
    assert raised.value.problems == ["statements: not used by a rating question"]
    assert question_definition(parse_question({"key": "c", "type": "multi", "text": "?", "options": ["A", "B"],
                                               "other": True}))["other"] is True


def test_a_matrix_keeps_its_points_and_scale_positions_across_versions():
    earlier = parse_question(MATRIX)
    assert "a 3-point scale needs a new key" in parse_question({**MATRIX, "scale": ["a", "b", "c"]}
                                                                ).compatible_with(earlier)
    reworded = parse_question({**MATRIX, "scale": ["Poor", "Good"], "statements": [{"key": "new", "text": "New"}]})
    assert reworded.compatible_with(earlier) is None  # statements are keyed: added and removed freely
    assert parse_survey(types_definition()).questions[1].statements == (("wait", "Wait time"), ("staff", "Staff"))


def test_the_ces_preset_is_a_seven_point_rating():
    from survey.authoring.definitions import CES_SCALE, ces_question
    spec = ces_question("effort", "Acme")
    assert question_definition(spec) == {"key": "effort", "type": "rating",
                                         "text": "Acme made it easy for me to handle my issue.",
                                         "scale": list(CES_SCALE), "preset": "ces"}
    assert parse_question(question_definition(spec)) == spec
    with pytest.raises(DefinitionError) as raised:
        parse_question({"key": "e", "type": "rating", "text": "?", "scale": ["a", "b"], "preset": "ces"})
    assert raised.value.problems == ["preset: the Customer Effort Score is a rating question on a 7-point "
                                     "agreement scale"]
