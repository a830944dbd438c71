"""Display logic: the JsonLogic subset, its checks against the questions, and the route a customer takes."""
import copy

import pytest

from survey.authoring import logic
from survey.authoring.definitions import DefinitionError, parse_survey, question_definition, section_definition
from tests.factories import make_definition

RATING = {"var": "answers.satisfaction"}


def data(answers=None, contact=None):
    return {"answers": answers or {}, "contact": contact or {}}


@pytest.mark.parametrize("condition, answers, expected", [
    ({"<=": [RATING, 2]}, {"satisfaction": 2}, True),
    ({"<=": [RATING, 2]}, {"satisfaction": 3}, False),
    ({"<=": [RATING, 2]}, {}, False),  # not answered: no comparison holds
    ({">": [RATING, 2]}, {}, False),
    ({"<": [1, RATING, 4]}, {"satisfaction": 3}, True),
    ({"<": [1, RATING, 4]}, {"satisfaction": 4}, False),
    ({"==": [{"var": "answers.channel"}, "Phone"]}, {"channel": "Phone"}, True),
    ({"!=": [{"var": "answers.channel"}, "Phone"]}, {}, True),
    ({"in": ["Billing", {"var": "answers.topics"}]}, {"topics": ["Billing", "Product"]}, True),
    ({"in": ["Billing", {"var": "answers.topics"}]}, {"topics": ["Product"]}, False),
    ({"in": ["Billing", {"var": "answers.topics"}]}, {}, False),
    ({"in": [{"var": "answers.channel"}, ["Phone", "Email"]]}, {"channel": "Email"}, True),
    ({"and": [{"==": [{"var": "answers.resolved"}, "no"]}, {"<=": [RATING, 2]}]},
     {"resolved": "no", "satisfaction": 1}, True),
    ({"or": [{"==": [{"var": "answers.resolved"}, "no"]}, {"<=": [RATING, 2]}]}, {"satisfaction": 5}, False),
    ({"!": {"==": [{"var": "answers.resolved"}, "yes"]}}, {}, True),
    ({"!!": [{"var": "answers.comment"}]}, {"comment": "hi"}, True),
    ({"==": [{"var": "answers.satisfaction"}, "2"]}, {"satisfaction": 2}, False),  # no loose equality
])
def test_evaluate(condition, answers, expected):
    assert logic.evaluate(condition, data(answers)) is expected


def test_contact_conditions_are_false_without_a_contact_unless_written_otherwise():
    leeds = {"==": [{"var": "contact.location"}, "Leeds"]}
    assert logic.evaluate(leeds, data(contact={"location": "Leeds"}))
    assert not logic.evaluate(leeds, data(contact={"location": "York"}))
    assert not logic.evaluate(leeds, data())  # the public link: no contact
    assert logic.evaluate({"!": leeds}, data())


def questions():
    return parse_survey(make_definition()).questions


@pytest.mark.parametrize("condition, problem", [
    ({"<=": [{"var": "answers.nope"}, 2]}, "refers to 'nope', which is not a question of this survey"),
    ({"<=": [{"var": "answers.comment"}, 2]}, "refers to 'comment', which comes later in the survey"),
    ({"<=": [RATING, 6]}, "6 is not an answer to 'satisfaction' (a whole number from 1 to 5)"),
    ({"==": [RATING, "Dissatisfied"]}, "'Dissatisfied' is not an answer to 'satisfaction'"),
    ({"==": [{"var": "answers.channel"}, "Fax"]}, "'Fax' is not an option of 'channel'"),
    ({"in": ["Tax", {"var": "answers.topics"}]}, "'Tax' is not an option of 'topics'"),
    ({"in": [{"var": "answers.channel"}, ["Phone", "Fax"]]}, "'Fax' is not an option of 'channel'"),
    ({"==": [{"var": "answers.resolved"}, True]}, "True is not an answer to 'resolved' (\"yes\" or \"no\")"),
    ({">": [{"var": "answers.channel"}, "Phone"]}, "'>' compares numbers, and 'channel' is a choice question"),
    ({"==": [{"var": "answers.recommend"}, 11]}, "11 is not an answer to 'recommend' (a whole number from 0 to 10)"),
    ({"merge": [1, 2]}, "unknown operator 'merge'"),
    ({"var": "answers.satisfaction", "==": 1}, "an operation is an object with one operator"),
    ({"==": [{"var": "satisfaction"}, 1]}, "must name answers.<question key> or contact.<field>"),
    ({"==": [RATING]}, "'==' takes 2 arguments, got 1"),
    ([RATING], "must be a condition object"),
])
def test_problems_name_what_is_wrong(condition, problem):
    found = logic.problems(condition, "questions[5] (comment).show_if", questions()[:5], later=["comment"])
    assert any(problem in p for p in found), found
    assert all(p.startswith("questions[5] (comment).show_if: ") for p in found)


def test_a_condition_that_fits_has_no_problems():
    condition = {"and": [{"<=": [RATING, 2]}, {"in": ["Billing", {"var": "answers.topics"}]},
                         {"==": [{"var": "contact.location"}, "Leeds"]}]}
    assert logic.problems(condition, "x", questions()[:5]) == []


def test_a_deep_condition_is_refused_not_recursed_into():
    condition: dict = {"!": True}
    for _ in range(100):
        condition = {"!": condition}
    assert any("is too large" in p for p in logic.problems(condition, "x", []))


LOGIC = make_definition(
    sections=[{"key": "rating", "title": "Your visit"},
              {"key": "problems", "title": "What went wrong",
               "intro": "You rated us {answers.satisfaction} — tell us more.",
               "show_if": {"<=": [RATING, 2]}},
              {"key": "more", "title": "A little more"}],
)
for _question, _section in zip(LOGIC["questions"], ["rating", "rating", "problems", "problems", "more", "more"],
                               strict=True):
    _question["section"] = _section
LOGIC["questions"][3]["show_if"] = {"==": [{"var": "answers.channel"}, "Phone"]}
LOGIC["questions"][1]["end_if"] = {"==": [{"var": "answers.recommend"}, 10]}
LOGIC["questions"][5]["text"] = "Anything else, {contact.name|friend}?"


def test_a_definition_with_logic_parses_and_round_trips():
    spec = parse_survey(copy.deepcopy(LOGIC))
    assert [s.key for s in spec.sections] == ["rating", "problems", "more"]
    assert spec.questions[3].show_if == {"==": [{"var": "answers.channel"}, "Phone"]}
    again = parse_survey({"slug": spec.slug, "title": spec.title, "intro": spec.intro,
                          "sections": [section_definition(s) for s in spec.sections],
                          "questions": [question_definition(q) for q in spec.questions]})
    assert again == spec


@pytest.mark.parametrize("change, problem", [
    (lambda d: d["questions"][0].update(show_if={"==": [{"var": "answers.recommend"}, 3]}),
     "questions[0] (satisfaction).show_if: refers to 'recommend', which comes later in the survey"),
    (lambda d: d["questions"][3].update(show_if={"==": [{"var": "answers.channel"}, "Fax"]}),
     "questions[3] (topics).show_if: 'Fax' is not an option of 'channel'"),
    (lambda d: d["sections"][1].update(show_if={"<=": [{"var": "answers.channel"}, 2]}),
     "sections[1] (problems).show_if: refers to 'channel', which comes later in the survey"),
    (lambda d: d["sections"][1].update(show_if={"<=": [RATING, "low"]}),
     "sections[1] (problems).show_if: 'low' is not an answer to 'satisfaction'"),
    (lambda d: d["questions"][0].update(text="You said {answers.comment}"),
     "questions[0] (satisfaction).text: {answers.comment} is not answered before this text is shown"),
    (lambda d: d.update(intro="Hello {answers.satisfaction}"), "intro: {answers.satisfaction} is not answered"),
    (lambda d: d["questions"][2].update(why="{answers.nothing}"), "{answers.nothing} names no question"),
    (lambda d: d["questions"][2].update(section="elsewhere"), "questions[2] (channel).section: 'elsewhere' is not"),
    (lambda d: d["questions"][2].pop("section"), "questions[2] (channel).section: every question needs a section"),
    (lambda d: d["questions"][5].update(section="rating"), "the questions of section 'rating' must follow each other"),
    (lambda d: d["sections"].append({"key": "empty", "title": "Empty"}), "sections[3] (empty).key: no question"),
    (lambda d: d["sections"].reverse(), "sections: list them in the order of their questions"),
    (lambda d: d["sections"][0].update(colour="red"), "sections[0].colour: unknown field"),
    (lambda d: d["questions"][0].update(show_if="yes"), "questions[0].show_if: must be a condition object"),
])
def test_a_bad_definition_is_refused_naming_the_question_and_the_condition(change, problem):
    definition = copy.deepcopy(LOGIC)
    change(definition)
    with pytest.raises(DefinitionError) as caught:
        parse_survey(definition)
    assert any(problem in p for p in caught.value.problems), caught.value.problems


def route(answers, contact=None):
    spec = parse_survey(copy.deepcopy(LOGIC))
    conditions = {s.key: s.show_if for s in spec.sections}
    return logic.route(spec.questions, conditions, answers, contact or {})


def test_route_skips_a_section_whose_condition_fails():
    found = route({"satisfaction": 4})
    assert found.asked == ["satisfaction", "recommend", "resolved", "comment"]
    assert found.not_asked == ["channel", "topics"]


def test_route_asks_a_question_only_when_its_condition_holds_on_asked_answers():
    assert route({"satisfaction": 1, "channel": "Phone"}).asked == [
        "satisfaction", "recommend", "channel", "topics", "resolved", "comment"]
    assert "topics" in route({"satisfaction": 1, "channel": "Email"}).not_asked
    # An answer to a question not asked counts as none, whatever the form sent.
    assert "topics" in route({"satisfaction": 4, "channel": "Phone"}).not_asked


def test_end_if_ends_the_survey_after_its_question():
    found = route({"satisfaction": 1, "recommend": 10})
    assert found.asked == ["satisfaction", "recommend"] and found.ended_after == "recommend"
    assert found.not_asked == ["channel", "topics", "resolved", "comment"]


def test_a_survey_without_logic_has_none():
    spec = parse_survey(make_definition())
    assert not logic.has_logic(spec.questions, {})
    assert logic.has_logic(parse_survey(copy.deepcopy(LOGIC)).questions, {})


def test_an_edit_that_breaks_a_condition_is_refused_naming_the_question(ctx):
    from survey.authoring import AuthoringError, move_question, remove_question
    from tests.factories import NOW, logic_definition, make_survey

    survey = make_survey(definition=logic_definition(), status="draft")
    with pytest.raises(AuthoringError, match=r"questions\[2\] \(topics\)\.show_if: refers to 'channel', which is "
                                             "not a question of this survey"):
        remove_question(survey, "channel", now=NOW)
    with pytest.raises(AuthoringError, match=r"refers to 'channel', which comes later"):
        move_question(survey, "topics", -1, now=NOW)
    assert [q.key for q in survey.current_version.questions][2:4] == ["channel", "topics"]


# --- conditions on a matrix statement and on a number -----------------------------------------------------

def typed():
    from tests.factories import typed_logic_definition
    return typed_logic_definition()


WAIT, MINUTES = {"var": "answers.service.wait"}, {"var": "answers.minutes"}


@pytest.mark.parametrize("condition, answers, expected", [
    ({"<=": [WAIT, 2]}, {"service.wait": 2}, True),
    ({"<=": [WAIT, 2]}, {"service.wait": 3, "service.staff": 1}, False),
    ({"<=": [WAIT, 2]}, {}, False),
    ({">=": [MINUTES, 30]}, {"minutes": 30}, True),
    ({">": [MINUTES, 30]}, {"minutes": 30.5}, True),
    ({"<": [MINUTES, 30]}, {"minutes": 45}, False),
    ({"==": [MINUTES, 30]}, {"minutes": 30.0}, True),  # a number equals the same number, whole or not
    ({"<": [MINUTES, 30]}, {}, False),  # not answered: neither above nor below
])
def test_evaluate_statements_and_numbers(condition, answers, expected):
    assert logic.evaluate(condition, data(answers)) is expected


@pytest.mark.parametrize("condition, problem", [
    ({"<=": [{"var": "answers.service.price"}, 2]},
     "refers to service.price, which is not a statement of 'service' ('wait', 'staff')"),
    ({"<=": [{"var": "answers.service"}, 2]}, "refers to 'service', a matrix: name one of its statements"),
    ({"<=": [WAIT, 6]}, "6 is not an answer to 'service.wait' (a whole number from 1 to 5)"),
    ({"==": [WAIT, "Poor"]}, "'Poor' is not an answer to 'service.wait'"),
    ({">": [MINUTES, "30"]}, "'30' is not an answer to 'minutes' (a whole number from 0 to 240"),
    ({">": [MINUTES, 300]}, "300 is not an answer to 'minutes' (a whole number from 0 to 240)"),
    ({">": [MINUTES, -1]}, "-1 is not an answer to 'minutes'"),
    ({"==": [MINUTES, 2.5]}, "2.5 is not an answer to 'minutes' (it accepts whole numbers only)"),
    ({"==": [{"var": "answers.minutes.x"}, 1]}, "only a matrix question's statements are named after a dot"),
    ({">": [{"var": "answers.long_wait"}, 1]}, "'>' compares numbers, and 'long_wait' is a text question"),
    ({"==": [{"var": "contact.a.b"}, 1]}, "a contact field is named without a dot"),
])
def test_statement_and_number_conditions_that_cannot_hold_are_refused(condition, problem):
    earlier = parse_survey(typed()).questions[:3]
    found = logic.problems(condition, "questions[3] (staff_note).show_if", earlier, later=["staff_note"])
    assert any(problem in p for p in found), found


def test_a_ranking_cannot_be_tested():
    earlier = parse_survey(make_definition(questions=[
        {"key": "rank", "type": "ranking", "text": "Rank", "options": ["Price", "Speed"]}])).questions
    found = logic.problems({"==": [{"var": "answers.rank"}, "Price"]}, "questions[1] (x).show_if", earlier)
    assert found == ["questions[1] (x).show_if: refers to 'rank', a ranking, whose answer (every option in order) "
                     "a condition cannot test"]


def test_a_later_statement_is_named_as_later():
    definition = typed()
    definition["questions"][0]["show_if"] = {"<=": [{"var": "answers.minutes"}, 2]}
    with pytest.raises(DefinitionError, match=r"questions\[0\] \(service\)\.show_if: refers to 'minutes', which "
                                              "comes later"):
        parse_survey(definition)
    definition = typed()
    definition["questions"][1]["show_if"] = {"<=": [{"var": "answers.service.nope"}, 2]}
    with pytest.raises(DefinitionError, match=r"questions\[1\] \(minutes\)\.show_if: refers to service\.nope"):
        parse_survey(definition)


def test_route_reads_a_statement_and_a_number():
    spec = parse_survey(typed())
    conditions = {s.key: s.show_if for s in spec.sections}

    def asked(answers):
        return logic.route(spec.questions, conditions, answers, {}).asked

    assert asked({"service.wait": 4, "service.staff": 5, "minutes": 10}) == ["service", "minutes", "comment"]
    assert asked({"service.wait": 1, "service.staff": 2, "minutes": 45}) == [
        "service", "minutes", "long_wait", "staff_note", "wait_reason", "comment"]
    assert logic.answer_keys({"<=": [WAIT, 2]}) == {"service"}


def test_the_editor_types_numbers_and_offers_statements():
    assert logic.simple_condition("answers.minutes", ">=", "30", "numeric") == {">=": [MINUTES, 30]}
    assert logic.simple_condition("answers.minutes", "<", "2,5", "numeric") == {"<": [MINUTES, 2.5]}
    assert logic.simple_condition("answers.minutes", "<", "soon", "numeric") == {"<": [MINUTES, "soon"]}
    assert logic.simple_condition("answers.service.wait", "<=", "2", "rating") == {"<=": [WAIT, 2]}
    assert logic.describe({"<=": [WAIT, 2]}) == "service.wait is at most 2"
    from types import SimpleNamespace
    matrix = SimpleNamespace(key="service", type="matrix", text="How was our service?",
                             statements=[{"key": "wait", "text": "The waiting time"}])
    number = SimpleNamespace(key="minutes", type="numeric", text="Minutes?", statements=[])
    ranking = SimpleNamespace(key="rank", type="ranking", text="Rank", statements=[])
    assert logic.editor_subjects([matrix, ranking, number]) == [
        ("service.wait", "the answer to “The waiting time” (in “How was our service?”)", "rating"),
        ("minutes", "the answer to “Minutes?”", "numeric")]
