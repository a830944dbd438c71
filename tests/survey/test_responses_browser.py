"""The response browser: filters and search, keyset pages, one response with its context, themes; bad
filters named; hostile text inert."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from survey import browsing
from survey.extensions import db
from survey.filters import ResultsFilter
from survey.models import Answer, ResponseTag
from tests.factories import add_answers, make_survey, make_user
from tests.pages import log_in, post_form

TODAY = date(2026, 11, 20)
HOSTILE = '<script>alert(1)</script>" onmouseover="alert(2) \u202eevil 😀'


def story(survey):
    ids = add_answers(survey, [(date(2026, 10, 5), "Leeds", 5)] * 3 + [(date(2026, 9, 5), "York", 1)] * 2)
    for response_id, text in zip(ids, ["Delivery was late", "50%_off code failed", "fine", "LATE again", ""],
                                 strict=True):
        if text:
            db.session.add(Answer(response_id=response_id, question_key="comment", value_text=text))
    db.session.commit()
    return ids


def ids_of(page):
    return [row.response.id for row in page.rows]


def test_filters_and_search(ctx):
    survey = make_survey()
    ids = story(survey)
    def listed(**chosen):
        return ids_of(browsing.list_responses(survey, ResultsFilter(**chosen), today=TODAY))
    assert listed() == ids[::-1]  # newest first
    assert listed(segment=("location", "York")) == ids[3:][::-1]
    assert listed(start=date(2026, 10, 1)) == ids[:3][::-1]
    assert listed(search="late") == [ids[3], ids[0]]  # case-insensitive
    assert listed(search="50%_off") == [ids[1]] and listed(search="50__off") == []  # % and _ are literal
    assert listed(version=1) == ids[::-1] and listed(version=2) == []
    browsing.tag_response(db.session.get(browsing.Response, ids[2]), "  Delivery  ", actor=make_user(), now=TODAY)
    assert listed(tag="delivery") == [ids[2]]


def test_pages_have_no_gaps_or_repeats(ctx):
    survey = make_survey()
    add_answers(survey, [(date(2026, 10, d % 28 + 1), "Leeds", 4) for d in range(23)])
    seen, after = [], None
    while True:
        page = browsing.list_responses(survey, ResultsFilter(), today=TODAY, after_id=after, limit=5)
        seen += ids_of(page)
        assert page.total == 23
        if page.next_after is None:
            break
        after = page.next_after
    assert len(seen) == len(set(seen)) == 23


def test_tags_are_normalised_idempotent_and_checked(ctx):
    survey = make_survey()
    response = db.session.get(browsing.Response, story(survey)[0])
    user = make_user()
    assert browsing.tag_response(response, "  Late   Delivery ", actor=user, now=TODAY) == "late delivery"
    browsing.tag_response(response, "LATE delivery", actor=user, now=TODAY)
    assert [t.tag for t in response.tags] == ["late delivery"]
    for bad in ("", "   ", "x" * 65):
        with pytest.raises(browsing.TagError):
            browsing.tag_response(response, bad, actor=user, now=TODAY)
    assert db.session.scalar(select(db.func.count(ResponseTag.id))) == 1
    assert browsing.survey_tags(survey) == [("late delivery", 1)]
    browsing.untag_response(response, "Late delivery")
    assert browsing.survey_tags(survey) == []


@pytest.fixture
def setup(app):
    with app.app_context():
        survey = make_survey()
        ids = story(survey)
        make_user(email="analyst@example.com", role="analyst")
        make_user(email="agent@example.com", role="agent")
        return survey.slug, ids


def test_pages_list_read_and_tag(client, setup):
    slug, ids = setup
    log_in(client, "analyst@example.com")
    listing = client.get(f"/manage/surveys/{slug}/responses?q=late&from=2026-09-01")
    assert listing.status_code == 200
    html = listing.get_data(as_text=True)
    assert "2 responses" in html and "Delivery was late" in html and "fine" not in html
    detail_url = f"/manage/responses/{ids[0]}"
    detail = client.get(detail_url).get_data(as_text=True)
    assert "Extremely satisfied (5/5)" in detail and "Open a follow-up" in detail
    before = client.get(detail_url).get_data(as_text=True)
    assert before.count('class="tag"') == 0  # GET changed nothing
    assert post_form(client, f"{detail_url}/tags", {"tag": "Delivery"}, page=detail_url).status_code == 302
    assert post_form(client, f"{detail_url}/tags", {"tag": "x" * 65}, page=detail_url,
                     follow_redirects=True).get_data(as_text=True).count("at most 64 characters") == 1
    themes = client.get(f"/manage/surveys/{slug}/responses?tag=delivery").get_data(as_text=True)
    assert "1 responses" in themes and "delivery</a> (1)" in themes
    assert client.post(f"{detail_url}/tags", data={"tag": "no-token"}).status_code == 400
    post_form(client, f"{detail_url}/tags/remove", {"tag": "delivery"}, page=detail_url)
    with client.application.app_context():
        assert db.session.scalar(select(db.func.count(ResponseTag.id))) == 0


def test_bad_filters_are_named(client, setup):
    slug, _ = setup
    log_in(client, "analyst@example.com")
    page = client.get(f"/manage/surveys/{slug}/responses?from=notadate&where=nonsense&version=abc&after=x")
    html = page.get_data(as_text=True)
    assert page.status_code == 400
    assert "from: &#39;notadate&#39; is not a date" in html and "where: write ATTRIBUTE=VALUE" in html
    assert "version: &#39;abc&#39; is not a version number" in html


def test_agents_and_strangers_are_kept_out(client, setup):
    slug, ids = setup
    urls = [f"/manage/surveys/{slug}/responses", f"/manage/responses/{ids[0]}"]
    assert all(client.get(url).status_code == 302 for url in urls)
    log_in(client, "agent@example.com")
    assert all(client.get(url).status_code == 403 for url in urls)


def test_hostile_text_is_inert(client, app):
    with app.app_context():
        survey = make_survey()
        response_id, = add_answers(survey, [(date(2026, 10, 5), HOSTILE, 1)])
        db.session.add(Answer(response_id=response_id, question_key="comment", value_text=HOSTILE + "x" * 5000))
        db.session.add(ResponseTag(response_id=response_id, tag=HOSTILE.lower()[:64], created_at=TODAY))
        db.session.commit()
        make_user(email="analyst@example.com", role="analyst")
        slug = survey.slug
    log_in(client, "analyst@example.com")
    for url in (f"/manage/surveys/{slug}/responses", f"/manage/responses/{response_id}",
                f"/manage/surveys/{slug}/results?to=2026-11-20"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>alert(1)" not in html and '" onmouseover="' not in html, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url
