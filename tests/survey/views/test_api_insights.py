"""Issue 25 in the API and the exports: key drivers, themes, the share of negative comments, each comment's
sentiment."""
from __future__ import annotations

from datetime import date

from survey.accounts import api_tokens
from survey.clock import utcnow
from survey.extensions import db
from survey.models import Theme
from survey.results import drivers, sentiments
from survey.results.filters import ResultsFilter
from survey.transfer import exports
from tests.factories import NOW
from tests.survey.results.test_drivers import add_rated, driver_survey
from tests.survey.results.test_sentiments import add_comments


def token(role: str = "analyst") -> dict:
    return {"Authorization": f"Bearer {api_tokens.create_token(role, role, now=utcnow())[1]}"}


def test_the_drivers_api_gives_the_pages_numbers_and_names_a_bad_key(ctx, client):
    survey = driver_survey()
    add_rated(survey, 80)
    headers = token()
    answer = client.get(f"/api/v1/surveys/{survey.slug}/drivers?from=2026-10-01&to=2026-10-31", headers=headers)
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    page = drivers.build(survey, ResultsFilter(start=date(2026, 10, 1), end=date(2026, 10, 31)), today=utcnow().date())
    assert body["enough"] and body["n"] == 80 and body["r_squared"] == page.found.r_squared
    assert [(d["key"], d["importance"], d["low"], d["fix_first"]) for d in body["drivers"]] == \
        [(row.key, row.importance, row.low, row.fix_first) for row in page.rows]
    chosen = client.get(f"/api/v1/surveys/{survey.slug}/drivers?attributes=aspects.wait,aspects.fixed",
                        headers=headers).get_json()
    assert chosen["attributes"] == ["aspects.wait", "aspects.fixed"]
    bad = client.get(f"/api/v1/surveys/{survey.slug}/drivers?overall=nope", headers=headers)
    assert bad.status_code == 400 and "overall" in bad.get_json()["error"]["message"]
    assert client.get(f"/api/v1/surveys/{survey.slug}/drivers", headers=token("agent")).status_code == 403


def test_the_themes_api_lists_accepted_proposed_and_rejected(ctx, client):
    survey = driver_survey()
    db.session.add_all([Theme(survey_id=survey.id, name="waiting", status="accepted", terms=["queue", "wait*"],
                              created_at=NOW),
                        Theme(survey_id=survey.id, name="parking", status="proposed", top_terms=["car", "park"],
                              comments=12, created_at=NOW),
                        Theme(survey_id=survey.id, name="weather", status="rejected", created_at=NOW)])
    db.session.commit()
    body = client.get(f"/api/v1/surveys/{survey.slug}/themes", headers=token()).get_json()
    assert body["accepted"] == [{"name": "waiting", "terms": ["queue", "wait*"], "responses": 0}]
    assert [(p["name"], p["top_terms"], p["comments"]) for p in body["proposed"]] == [("parking", ["car", "park"], 12)]
    assert body["rejected"] == ["weather"]


def test_comments_sentiment_is_in_the_results_api_the_responses_api_and_the_json_export(ctx, client):
    from tests.factories import make_survey

    survey = make_survey()
    ids = add_comments(survey, [(date(2026, 10, 5), "en", "Terrible, slow and rude."),
                                (date(2026, 10, 6), "fr", "Très bien"), (date(2026, 10, 7), "en", "Great help!")])
    headers = token()
    results = client.get(f"/api/v1/surveys/{survey.slug}/results?from=2026-10-01&to=2026-10-31",
                         headers=headers).get_json()
    (comments,) = results["comments"]
    assert comments["key"] == "comment" and comments["analysed"] == 2
    record = client.get(f"/api/v1/responses/{ids[0]}", headers=headers).get_json()
    assert record["sentiment"]["comment"]["label"] == "negative" and record["sentiment"]["comment"]["score"] < 0
    assert client.get(f"/api/v1/responses/{ids[1]}", headers=headers).get_json()["sentiment"] == {}  # not analysed
    records = list(exports.export_records(exports.Selection(survey, None, ())))
    labels = [r["sentiment"].get("comment", {}).get("label") for r in records]
    assert labels == ["negative", None, "positive"]
    assert sentiments.label(records[2]["sentiment"]["comment"]["score"]) == "positive"
