"""Comments' sentiment: scored once when stored (English only, "not analysed" otherwise), shown on the
comment in the response browser and response view, filtered on there, and counted per period on the
results page as a share with its interval."""
from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import insert, select

from analysis.sentiment import sentiment
from survey.extensions import db
from survey.models import Answer, Response
from survey.outreach.invitations import invited_respondent
from survey.responding.submission import Consents, submit_response
from survey.results import browsing, dashboard, rollups, sentiments
from survey.results.filters import ResultsFilter
from tests.factories import NOW, make_invitation, make_survey, make_user
from tests.pages import log_in, text_of

TODAY = date(2026, 11, 20)
SETTINGS = dashboard.Settings(min_n=30, fdr=0.05, segment_names=("location",))
BAD, GOOD, FLAT = "Terrible service, I am very angry.", "Great help, thank you so much!", "I phoned on Tuesday."
FRENCH = "Service nul, très déçu."


def add_comments(survey, rows, *, scored=True):
    """rows: (day, language, comment); stored as the demo and imports store them; returns the response ids."""
    moment = NOW
    ids = db.session.scalars(insert(Response).returning(Response.id, sort_by_parameter_order=True), [
        {"respondent_key": f"c:{i}:{day}", "survey_id": survey.id, "version_id": survey.current_version.id,
         "source": "import", "submitted_at": datetime.combine(day, moment.time()), "local_date": day,
         "updated_at": moment, "revisions_count": 1, "attributes": {}, "language": language}
        for i, (day, language, _text) in enumerate(rows)]).all()
    db.session.execute(insert(Answer), [
        {"response_id": rid, "question_key": "comment", "value_int": None, "value_text": text,
         "sentiment": sentiments.score(text, language) if scored else None}
        for rid, (_day, language, text) in zip(ids, rows, strict=True)])
    db.session.execute(insert(Answer), [{"response_id": rid, "question_key": "satisfaction", "value_int": 4}
                                        for rid in ids])
    rollups.rebuild(survey.id)
    db.session.commit()
    return ids


def test_labels_follow_the_vader_authors_thresholds_and_other_languages_are_not_analysed():
    assert sentiments.score(BAD, "en") == sentiment(BAD).compound < -0.05
    assert sentiments.label(sentiments.score(BAD, "en-GB")) == "negative"
    assert sentiments.label(sentiments.score(GOOD, "en")) == "positive"
    assert sentiments.label(sentiments.score(FLAT, "en")) == "neutral"
    assert (sentiments.label(0.05), sentiments.label(0.0499), sentiments.label(-0.05)) == \
        ("positive", "neutral", "negative")
    assert sentiments.score(FRENCH, "fr") is None and sentiments.label(None) == "not analysed"


def test_a_submission_stores_its_comments_score_once_in_the_customers_language(ctx):
    survey = make_survey()
    version = survey.current_version
    for n, (language, email) in enumerate([("en", "a@example.com"), ("fr", "b@example.com"), (None, "c@example.com")]):
        respondent = invited_respondent(make_invitation(survey, email=email))
        submit_response(version, respondent, {"satisfaction": 2, "comment": BAD if language != "fr" else FRENCH},
                        Consents(), submission_key=f"{n}" * 20, now=NOW, language=language)
    stored = db.session.execute(select(Response.language, Answer.question_key, Answer.sentiment).join(Answer)
                                .order_by(Response.id, Answer.question_key)).all()
    assert stored == [("en", "comment", sentiment(BAD).compound), ("en", "satisfaction", None),
                      ("fr", "comment", None), ("fr", "satisfaction", None),
                      # no language recorded: the survey version's (English)
                      (None, "comment", sentiment(BAD).compound), (None, "satisfaction", None)]


def test_an_import_scores_its_comments_when_it_finishes(ctx):
    survey = make_survey()
    add_comments(survey, [(date(2026, 10, 1), None, GOOD), (date(2026, 10, 1), "fr", FRENCH)], scored=False)
    assert sentiments.score_unscored(survey.id) == 1
    assert db.session.scalars(select(Answer.sentiment).where(Answer.question_key == "comment")
                              .order_by(Answer.id)).all() == [sentiment(GOOD).compound, None]


def test_the_browser_filters_by_sentiment_and_shows_it_on_each_comment(ctx, client):
    survey = make_survey()
    day = date(2026, 10, 5)
    bad, good, flat, french = add_comments(survey, [(day, "en", BAD), (day, "en", GOOD), (day, "en", FLAT),
                                                    (day, "fr", FRENCH)])
    october = ResultsFilter(start=date(2026, 10, 1), end=date(2026, 10, 31))

    def shown(chosen):
        return [row.response.id for row in browsing.list_responses(survey, october, today=TODAY,
                                                                   sentiment=chosen).rows]
    assert shown("negative") == [bad] and shown("positive") == [good] and shown("neutral") == [flat]
    assert shown("not analysed") == [french] and len(shown(None)) == 4
    row = next(r for r in browsing.list_responses(survey, october, today=TODAY).rows if r.response.id == bad)
    assert [(c.sentiment, c.compound) for c in row.comments] == [("negative", sentiment(BAD).compound)]

    make_user(role="analyst")
    log_in(client, "manager@example.com")
    page = text_of(client.get(f"/manage/surveys/{survey.slug}/responses?from=2026-10-01&to=2026-10-31"
                              "&sentiment=not-analysed"))
    assert f"#{french}" in page and f"#{bad}" not in page and "with a comment not analysed" in page
    assert "not analysed</span>" in page
    page = text_of(client.get(f"/manage/surveys/{survey.slug}/responses?from=2026-10-01&to=2026-10-31"))
    assert f"negative ({sentiment(BAD).compound:+.2f})".replace("-", "−") in page
    refused = client.get(f"/manage/surveys/{survey.slug}/responses?sentiment=angry")
    assert refused.status_code == 400 and "sentiment: must be one of" in text_of(refused)
    detail = text_of(client.get(f"/manage/responses/{good}"))
    assert "Sentiment: <span class=\"sentiment sentiment-positive\"" in detail
    assert "Sentiment: <span class=\"sentiment sentiment-none\"" in text_of(client.get(f"/manage/responses/{french}"))


def test_the_results_page_shows_the_share_of_negative_comments_per_period(ctx, client):
    survey = make_survey()
    september, october = date(2026, 9, 10), date(2026, 10, 10)
    add_comments(survey, [(september, "en", BAD)] * 6 + [(september, "en", GOOD)] * 34
                 + [(september, "fr", FRENCH)] * 5 + [(october, "en", BAD)] * 3 + [(october, "en", GOOD)] * 7)
    board = dashboard.build(survey, ResultsFilter(start=date(2026, 9, 1), end=date(2026, 10, 31)), today=TODAY,
                            settings=SETTINGS)
    (comments,) = board.comments
    assert comments.question.key == "comment" and comments.analysed == 50  # the French ones are not counted
    sept, octo = comments.trend
    expected = dashboard.share_interval(6, 40, 30)
    assert (sept.label, sept.value, sept.low, sept.high, sept.n) == ("2026-09", 0.15, expected.low, expected.high, 40)
    assert (octo.value, octo.n) == (None, 10)  # 10 analysed comments: not enough, a gap

    make_user(role="analyst")
    log_in(client, "manager@example.com")
    page = text_of(client.get(f"/manage/surveys/{survey.slug}/results?from=2026-09-01&to=2026-10-31"))
    assert "Negative comments by month" in page and "50 comments analysed in this range" in page
    assert "not enough comments (30 needed)" in page and "15 %" in page


@pytest.mark.parametrize("chosen", ["angry", ""])
def test_an_unknown_sentiment_is_refused_by_the_domain(chosen):
    with pytest.raises(ValueError, match="unknown sentiment"):
        sentiments.condition(chosen)


def test_comments_are_counted_in_the_rollup_as_the_answers_give_them(ctx, monkeypatch):
    """The share of negative comments is read from answer_counts (a comment counts under its label), kept on
    write, through an edit, after an import's late scoring, and equal to what the answers give."""
    from survey.models import AnswerCount
    from tests.survey.results.test_dashboard import from_the_answers

    survey = make_survey()
    add_comments(survey, [(date(2026, 10, 3), None, BAD)] * 31, scored=False)
    sentiments.score_unscored(survey.id)  # as an import finishes
    respondent = invited_respondent(make_invitation(survey))
    for key, comment in (("a" * 20, GOOD), ("b" * 20, BAD)):  # an edit: the good comment becomes a bad one
        submit_response(survey.current_version, respondent, {"satisfaction": 3, "comment": comment}, Consents(),
                        submission_key=key, now=datetime(2026, 10, 20, 12), language="en")

    def cells():
        return sorted(db.session.execute(select(AnswerCount.question_key, AnswerCount.local_date,
                                                AnswerCount.segment_name, AnswerCount.value_int,
                                                AnswerCount.count).where(AnswerCount.count != 0)).all())
    kept = cells()
    assert ("comment", date(2026, 10, 3), "", rollups.NEGATIVE, 31) in kept
    rollups.rebuild(survey.id)
    assert cells() == kept
    october = ResultsFilter(start=date(2026, 10, 1), end=date(2026, 10, 31))
    fast = dashboard.build(survey, october, today=TODAY, settings=SETTINGS).comments
    with monkeypatch.context() as patch:
        from_the_answers(patch)
        slow = dashboard.build(survey, october, today=TODAY, settings=SETTINGS).comments
    assert fast == slow and fast[0].trend[0].value == 1.0 and fast[0].trend[0].n == 32
    # Erasing the customer deletes their comment, and its count with it.
    from survey.outreach import contacts
    contacts.erase_contact(contacts.find_contact("customer@example.com"), actor="test", actor_id=None, now=NOW)
    after = cells()
    assert ("comment", date(2026, 10, 20), "", rollups.NEGATIVE, 1) not in after
    rollups.rebuild(survey.id)
    assert cells() == after
