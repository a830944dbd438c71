from datetime import timedelta

import pytest

from survey import authoring
from survey.authoring.definitions import parse_question, parse_survey
from survey.outreach.invitations import invited_respondent
from survey.responding.submission import Consents, submit_response
from tests.factories import NOW, make_definition, make_invitation, make_survey

LATER = NOW + timedelta(days=1)


def keys(survey):
    return [q.key for q in survey.current_version.questions]


def answer(survey, email="a@example.com", key="k1", **values):
    invitation = make_invitation(survey, email=email)
    return submit_response(survey.current_version, invited_respondent(invitation),
                           values or {"satisfaction": 5}, Consents(), submission_key=key, now=NOW)


def test_edits_change_the_current_version_while_it_has_no_responses(ctx):
    survey = make_survey(status="draft")
    authoring.add_question(survey, parse_question({"key": "extra", "type": "yesno", "text": "More?"}), now=LATER)
    authoring.move_question(survey, "extra", -10, now=LATER)
    authoring.remove_question(survey, "comment", now=LATER)
    assert len(survey.versions) == 1
    assert keys(survey) == ["extra", "satisfaction", "recommend", "channel", "topics", "resolved"]


def test_edit_after_responses_publishes_a_new_version_and_old_responses_keep_theirs(ctx):
    survey = make_survey()
    first = survey.current_version
    answer(survey)
    authoring.update_question(survey, "satisfaction", parse_question(
        {"key": "satisfaction", "type": "rating", "text": "How satisfied are you today?",
         "scale": ["Very bad", "Bad", "OK", "Good", "Very good"]}), now=LATER)
    assert [v.number for v in survey.versions] == [1, 2]
    assert survey.status == "published"
    assert survey.current_version.question("satisfaction").text == "How satisfied are you today?"
    assert first.question("satisfaction").text.startswith("Overall")
    # further edits go to the new version (it has no responses yet)
    authoring.move_question(survey, "comment", -1, now=LATER)
    assert len(survey.versions) == 2


def test_a_key_cannot_change_meaning_across_versions(ctx):
    survey = make_survey()
    answer(survey)
    with pytest.raises(authoring.AuthoringError, match="was a rating question in an earlier version"):
        authoring.update_question(survey, "satisfaction",
                                  parse_question({"key": "satisfaction", "type": "text", "text": "Tell us"}), now=LATER)
    with pytest.raises(authoring.AuthoringError, match="5-point scale"):
        authoring.update_question(survey, "satisfaction", parse_question(
            {"key": "satisfaction", "type": "rating", "text": "x", "scale": ["Bad", "OK", "Good"]}), now=LATER)
    assert len(survey.versions) == 1 or survey.current_version.question("satisfaction").type == "rating"


def test_options_answered_by_position_cannot_move_across_versions(ctx):
    """Choice answers and scale points are stored by position: removing "Phone" from the front would count
    every Phone answer as Email. Rewording in place and adding or removing at the end keep positions."""
    survey = make_survey()
    answer(survey, channel="Phone", satisfaction=5)

    def channel(*options):
        return parse_question({"key": "channel", "type": "choice", "text": "How did you contact us?",
                               "options": list(options)})
    with pytest.raises(authoring.AuthoringError, match="had 'Email' in another place"):
        authoring.update_question(survey, "channel", channel("Email", "In store"), now=LATER)
    with pytest.raises(authoring.AuthoringError, match="had 'Extremely satisfied' in another place"):
        scale = list(reversed(survey.current_version.question("satisfaction").options))
        authoring.update_question(survey, "satisfaction", parse_question(
            {"key": "satisfaction", "type": "rating", "text": "x", "scale": scale}), now=LATER)
    authoring.update_question(survey, "channel", channel("Telephone", "Email", "In store", "Chat"), now=LATER)
    authoring.update_question(survey, "channel", channel("Telephone", "Email"), now=LATER)
    assert survey.current_version.question("channel").options == ["Telephone", "Email"]


def test_import_of_an_existing_slug_publishes_a_new_version(ctx):
    survey = make_survey(status="draft")
    spec = parse_survey(make_definition(title="How did we do this time?"))
    same, created = authoring.import_survey(spec, actor=None, now=LATER)
    assert not created and same.id == survey.id
    assert [v.number for v in survey.versions] == [1, 2]
    assert survey.status == "published" and survey.title == "How did we do this time?"


def test_publish_close_reopen_and_duplicate(ctx):
    survey = make_survey(status="draft")
    authoring.change_status(survey, "publish", now=LATER)
    assert survey.status == "published"
    with pytest.raises(authoring.AuthoringError):
        authoring.change_status(survey, "publish", now=LATER)
    authoring.change_status(survey, "close", now=LATER)
    assert survey.status == "closed"
    authoring.change_status(survey, "publish", now=LATER)
    copy = authoring.duplicate_survey(survey, actor=None, now=LATER)
    assert copy.slug == "support-csat-copy" and copy.status == "draft"
    assert keys(copy) == keys(survey)
    assert authoring.duplicate_survey(survey, actor=None, now=LATER).slug == "support-csat-copy-2"


def test_an_empty_survey_cannot_be_published(ctx):
    survey = make_survey(status="draft", questions=[])
    with pytest.raises(authoring.AuthoringError, match="at least one question"):
        authoring.change_status(survey, "publish", now=LATER)


def test_unique_slug_from_title(ctx):
    make_survey()
    assert authoring.unique_slug("Support CSAT") == "support-csat-2"
    assert authoring.unique_slug("Ünïcode & spaces!") == "unicode-spaces"
    assert authoring.unique_slug("!!!") == "survey"
