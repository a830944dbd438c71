"""Sections (pages) edited without JSON: each verb rewrites the sections and the questions' `section` together,
versions as question edits do, and is refused — changing nothing — naming the section when a condition or
piped text would break."""
from dataclasses import replace
from datetime import timedelta

import pytest

from survey import authoring
from survey.authoring.definitions import SectionSpec, parse_question, parse_section, question_spec
from survey.authoring.editing import LogicError, new_section_key
from survey.outreach.invitations import invited_respondent
from survey.responding.submission import Consents, submit_response
from tests.factories import NOW, logic_definition, make_invitation, make_survey

LATER = NOW + timedelta(days=1)


def layout(survey):
    """[(section, [question keys])] of the current version, in order."""
    version = survey.current_version
    return [(s["key"], [q.key for q in version.questions if q.section == s["key"]]) for s in version.sections or ()]


def sectioned(**kwargs):
    return make_survey(definition=logic_definition(), **kwargs)


def unchanged(survey, before):
    assert len(survey.versions) == 1
    assert layout(survey) == before


def test_split_into_pages_puts_every_question_in_one_first_section(ctx):
    survey = make_survey(status="draft")
    authoring.split_into_sections(survey, SectionSpec("your_visit", "Your visit"), now=LATER)
    assert survey.current_version.sections == [{"key": "your_visit", "title": "Your visit"}]
    assert {q.section for q in survey.current_version.questions} == {"your_visit"}
    with pytest.raises(authoring.AuthoringError, match="already split into pages"):
        authoring.split_into_sections(survey, SectionSpec("again", "Again"), now=LATER)


def test_a_survey_without_questions_cannot_be_split(ctx):
    survey = make_survey(status="draft", definition={"slug": "empty", "title": "Empty", "questions": []})
    with pytest.raises(authoring.AuthoringError, match="Add a question first"):
        authoring.split_into_sections(survey, SectionSpec("page", "Page"), now=LATER)
    assert survey.current_version.sections is None


def test_a_new_section_starts_at_a_question_and_takes_the_rest_of_its_section(ctx):
    survey = sectioned(status="draft")
    authoring.add_section(survey, SectionSpec("nps", "Recommending us", intro="One more."), first="recommend",
                          now=LATER)
    assert layout(survey) == [("rating", ["satisfaction"]), ("nps", ["recommend"]),
                              ("problems", ["channel", "topics"]), ("more", ["resolved", "comment"])]
    assert survey.current_version.sections[1] == {"key": "nps", "title": "Recommending us", "intro": "One more."}
    assert len(survey.versions) == 1


@pytest.mark.parametrize("section, first, message", [
    (SectionSpec("rating", "Again"), "recommend", "'rating' is already used by another section"),
    (SectionSpec("new", "New"), "channel", "already begins section 'problems'"),
    (SectionSpec("new", "New"), "satisfaction", "already begins section 'rating'"),
    (SectionSpec("new", "New"), "nothing", "no question with the key 'nothing'"),
])
def test_adding_a_section_is_refused_with_the_reason_and_changes_nothing(ctx, section, first, message):
    survey = sectioned(status="draft")
    before = layout(survey)
    with pytest.raises(authoring.AuthoringError, match=message):
        authoring.add_section(survey, section, first=first, now=LATER)
    unchanged(survey, before)


def test_a_section_condition_may_read_only_questions_before_it(ctx):
    survey = sectioned(status="draft")
    before = layout(survey)
    reads_later = {"==": [{"var": "answers.topics"}, "Billing"]}
    with pytest.raises(LogicError) as refused:
        authoring.add_section(survey, SectionSpec("late", "Late", show_if=reads_later), first="topics", now=LATER)
    assert refused.value.problems == ["sections[2] (late).show_if: refers to 'topics', which comes later in the "
                                      "survey (a condition reads only answers given before it)"]
    unchanged(survey, before)
    authoring.add_section(survey, SectionSpec("late", "Late", show_if={"==": [{"var": "answers.channel"}, "Phone"]}),
                          first="topics", now=LATER)
    assert layout(survey)[2] == ("late", ["topics"])


def test_rename_a_section_its_key_intro_and_condition(ctx):
    survey = sectioned(status="draft")
    authoring.update_section(survey, "problems", SectionSpec(
        "trouble", "What went wrong?", intro="Sorry, {contact.name|friend}.",
        show_if={"<=": [{"var": "answers.satisfaction"}, 3]}), now=LATER)
    assert layout(survey)[1] == ("trouble", ["channel", "topics"])
    assert survey.current_version.sections[1] == {
        "key": "trouble", "title": "What went wrong?", "intro": "Sorry, {contact.name|friend}.",
        "show_if": {"<=": [{"var": "answers.satisfaction"}, 3]}}


@pytest.mark.parametrize("section, message", [
    (SectionSpec("more", "Clash"), "'more' is already used by another section"),
    (SectionSpec("problems", "Bad", show_if={"==": [{"var": "answers.comment"}, "x"]}),
     r"sections\[1\] \(problems\)\.show_if: refers to 'comment', which comes later"),
    (SectionSpec("problems", "You said {answers.topics}"), r"sections\[1\] \(problems\)\.title"),
])
def test_updating_a_section_that_would_break_is_refused_naming_it(ctx, section, message):
    survey = sectioned(status="draft")
    before, stored = layout(survey), survey.current_version.sections
    with pytest.raises(authoring.AuthoringError, match=message):
        authoring.update_section(survey, "problems", section, now=LATER)
    unchanged(survey, before)
    assert survey.current_version.sections == stored


def test_removing_a_section_moves_its_questions_to_the_previous_one_or_the_next(ctx):
    survey = sectioned(status="draft")
    authoring.remove_section(survey, "more", now=LATER)
    assert layout(survey) == [("rating", ["satisfaction", "recommend"]),
                              ("problems", ["channel", "topics", "resolved", "comment"])]
    authoring.remove_section(survey, "problems", now=LATER)
    assert layout(survey) == [("rating", ["satisfaction", "recommend", "channel", "topics", "resolved", "comment"])]
    authoring.add_section(survey, SectionSpec("rest", "The rest"), first="channel", now=LATER)
    authoring.remove_section(survey, "rating", now=LATER)  # the first: its questions join the next
    assert layout(survey) == [("rest", ["satisfaction", "recommend", "channel", "topics", "resolved", "comment"])]


def test_removing_the_first_section_is_refused_when_the_next_ones_condition_would_read_inside_it(ctx):
    survey = sectioned(status="draft")
    authoring.remove_section(survey, "more", now=LATER)  # fine: "more" joins "problems"
    before = layout(survey)
    with pytest.raises(LogicError, match=r"sections\[0\] \(problems\)\.show_if: refers to 'satisfaction'"):
        authoring.remove_section(survey, "rating", now=LATER)
    unchanged(survey, before)


def test_removing_the_last_section_leaves_a_survey_without_sections(ctx):
    survey = make_survey(status="draft")
    authoring.split_into_sections(survey, SectionSpec("all", "All"), now=LATER)
    authoring.remove_section(survey, "all", now=LATER)
    assert survey.current_version.sections is None
    assert {q.section for q in survey.current_version.questions} == {""}
    with pytest.raises(authoring.AuthoringError, match="no section with the key 'all'"):
        authoring.remove_section(survey, "all", now=LATER)


def test_section_edits_after_responses_publish_a_new_version(ctx):
    survey = sectioned()
    invitation = make_invitation(survey, email="a@example.com")
    submit_response(survey.current_version, invited_respondent(invitation), {"satisfaction": 5}, Consents(),
                    submission_key="k1", now=NOW)
    authoring.update_section(survey, "more", SectionSpec("more", "Last words"), now=LATER)
    assert [v.number for v in survey.versions] == [1, 2]
    assert survey.versions[0].sections[2]["title"] == "A little more"
    assert survey.current_version.sections[2]["title"] == "Last words"


def test_moving_a_question_to_another_section_places_it_with_that_section(ctx):
    survey = sectioned(status="draft")
    resolved = replace(parse_question({"key": "resolved", "type": "yesno", "text": "Resolved?"}), section="rating")
    authoring.update_question(survey, "resolved", resolved, now=LATER)  # an earlier section: last of it
    assert layout(survey)[0] == ("rating", ["satisfaction", "recommend", "resolved"])
    topics = question_spec(survey.current_version.question("topics"))
    authoring.update_question(survey, "topics", replace(topics, section="more"), now=LATER)
    assert layout(survey)[1:] == [("problems", ["channel"]), ("more", ["topics", "comment"])]  # a later one: first


def test_moving_the_only_question_of_a_section_out_is_refused_naming_it(ctx):
    survey = sectioned(status="draft")
    authoring.remove_question(survey, "comment", now=LATER)
    before = layout(survey)
    resolved = replace(parse_question({"key": "resolved", "type": "yesno", "text": "Resolved?"}), section="rating")
    with pytest.raises(LogicError, match="only question of section 'more'"):
        authoring.update_question(survey, "resolved", resolved, now=LATER)
    unchanged(survey, before)


def test_moving_a_question_above_the_answer_it_reads_is_refused(ctx):
    survey = sectioned(status="draft")
    before = layout(survey)
    topics = survey.current_version.question("topics")
    with pytest.raises(LogicError, match=r"\(topics\)\.show_if: refers to 'channel', which comes later"):
        authoring.update_question(survey, "topics", replace(question_spec(topics), section="rating"), now=LATER)
    unchanged(survey, before)


def test_a_new_question_joins_its_section(ctx):
    survey = sectioned(status="draft")
    extra = replace(parse_question({"key": "extra", "type": "yesno", "text": "More?"}), section="rating")
    authoring.add_question(survey, extra, now=LATER)
    assert layout(survey)[0] == ("rating", ["satisfaction", "recommend", "extra"])


def test_a_section_key_is_made_from_its_title(ctx):
    survey = sectioned(status="draft")
    assert new_section_key(survey, "Your visit, café") == "your_visit_cafe"
    assert new_section_key(survey, "Rating") == "rating_2"
    assert new_section_key(survey, "2026!") == "page_2026"


def test_parse_section_names_the_field():
    with pytest.raises(Exception) as refused:
        parse_section({"key": "Bad Key", "title": ""})
    assert [p.split(":")[0] for p in refused.value.problems] == ["key", "title"]


def test_moving_a_question_up_or_down_across_a_pages_edge_moves_it_onto_that_page(ctx):
    survey = sectioned(status="draft")
    authoring.move_question(survey, "channel", -1, now=LATER)
    assert layout(survey)[:2] == [("rating", ["satisfaction", "recommend", "channel"]), ("problems", ["topics"])]
    authoring.move_question(survey, "channel", 1, now=LATER)
    assert layout(survey)[:2] == [("rating", ["satisfaction", "recommend"]), ("problems", ["channel", "topics"])]
    authoring.move_question(survey, "recommend", 1, now=LATER)
    assert layout(survey)[:2] == [("rating", ["satisfaction"]), ("problems", ["recommend", "channel", "topics"])]
    before = layout(survey)
    with pytest.raises(LogicError, match="only question of section 'rating'"):
        authoring.move_question(survey, "satisfaction", 1, now=LATER)
    unchanged(survey, before)
