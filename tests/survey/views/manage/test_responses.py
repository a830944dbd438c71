"""The response browser: filters and search, keyset pages, one response with its context, themes; bad
filters named; only analysts and above; nothing changes on GET; hostile text inert."""
from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import date, datetime
from html import unescape
from urllib.parse import urlencode

import pytest
from flask import url_for
from sqlalchemy import event, func, select

from survey import authoring
from survey.extensions import db
from survey.models import Answer, FollowUpCase, Response, ResponseTag
from survey.outreach.invitations import invited_respondent
from survey.responding.submission import Consents, submit_response
from survey.results import browsing
from survey.results.filters import ResultsFilter
from tests.factories import NOW, add_answers, make_invitation, make_survey, make_user
from tests.pages import csrf_token, log_in, post_form

TODAY = date(2026, 11, 20)
HOSTILE = '<script>alert(1)</script>" onmouseover="x \u202eevil 😀'
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;&#34; onmouseover=&#34;x"


def story(survey):
    """Three happy Leeds responses in October, two unhappy York ones in September, with comments."""
    ids = add_answers(survey, [(date(2026, 10, 5), "Leeds", 5)] * 3 + [(date(2026, 9, 5), "York", 1)] * 2)
    for response_id, text in zip(ids, ["Delivery was late", "50%_off code failed", "fine", "LATE again", ""],
                                 strict=True):
        if text:
            db.session.add(Answer(response_id=response_id, question_key="comment", value_text=text))
    db.session.commit()
    return ids


def answer(survey, email, values, *, name="", attributes=None, key=None, now=NOW):
    """A customer answers through their personal link (so the response has a contact)."""
    invitation = make_invitation(survey, email=email)
    invitation.contact.name = name
    invitation.contact.attributes = attributes or {"location": "Leeds", "phone": "+44 113 496 0000"}
    db.session.commit()
    return submit_response(survey.current_version, invited_respondent(invitation), values, Consents(quote=True),
                           submission_key=key or f"key-{email}-{values}"[:60].ljust(20, "x"), now=now).response_id


def ids_of(page):
    return [row.response.id for row in page.rows]


@contextmanager
def counted_queries():
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def snapshot():
    """Everything a page could change by mistake."""
    return (db.session.execute(select(Response.id, Response.updated_at, Response.revisions_count)
                               .order_by(Response.id)).all(),
            db.session.execute(select(ResponseTag.response_id, ResponseTag.tag).order_by(ResponseTag.id)).all(),
            db.session.scalar(select(func.count(Answer.id))), db.session.scalar(select(func.count(FollowUpCase.id))))


# --- the domain functions ---------------------------------------------------------------------------------


def test_every_filter_and_the_search(ctx):
    survey = make_survey()
    ids = story(survey)

    def listed(score=None, **chosen):
        return ids_of(browsing.list_responses(survey, ResultsFilter(**chosen), today=TODAY, score=score))

    # newest given first: October's three (the same moment: highest id first), then September's two, although
    # September's were stored later (imported history)
    newest_first = [ids[2], ids[1], ids[0], ids[4], ids[3]]
    assert listed() == newest_first
    assert listed(start=date(2026, 10, 1)) == ids[:3][::-1]
    assert listed(end=date(2026, 9, 30)) == ids[3:][::-1]
    assert listed(segment=("location", "York")) == ids[3:][::-1]
    assert listed(version=1) == newest_first and listed(version=2) == []
    assert listed(search="late") == [ids[0], ids[3]]  # case-insensitive
    assert listed(search="50%_off") == [ids[1]]
    assert listed(search="50__off") == [] and listed(search="50%") == [ids[1]] and listed(search="%") == [ids[1]]
    browsing.tag_response(db.session.get(Response, ids[2]), "  Delivery  ", actor=make_user(), now=NOW)
    assert listed(tag="delivery") == [ids[2]]
    assert listed(score="low") == ids[3:][::-1]  # satisfaction 1 of 5: the bottom two boxes
    db.session.add_all([Answer(response_id=ids[0], question_key="recommend", value_int=6),
                        Answer(response_id=ids[1], question_key="recommend", value_int=7)])
    db.session.commit()
    assert listed(score="low") == [ids[0], ids[4], ids[3]]  # NPS 6 is low, 7 is not
    assert listed(score="low", segment=("location", "Leeds")) == [ids[0]]
    with pytest.raises(ValueError):
        listed(score="high")


def test_the_search_takes_every_character_literally_and_ignores_case(ctx):
    """%, _, \\ and / (SQLAlchemy's escape character) are characters, not wildcards or escapes; an upper-case
    letter outside ASCII finds its lower case on both databases."""
    survey = make_survey()
    texts = ["50% off", "50 percent off", "code a_1", "code ax1", "C:\\Users\\dan", "Users", "a/b", "ab",
             "élodie"]
    ids = add_answers(survey, [(date(2026, 10, 5), "Leeds", 5)] * len(texts))
    db.session.add_all([Answer(response_id=response_id, question_key="comment", value_text=text)
                        for response_id, text in zip(ids, texts, strict=True)])
    db.session.commit()

    def found(search):
        page = browsing.list_responses(survey, ResultsFilter(search=search), today=TODAY, score=None)
        return [texts[ids.index(response_id)] for response_id in ids_of(page)]
    assert found("50%") == ["50% off"] and found("a_1") == ["code a_1"]
    assert found("\\users") == ["C:\\Users\\dan"] and found("a/b") == ["a/b"]
    assert found("%") == ["50% off"] and found("_") == ["code a_1"]
    assert found("\\") == ["C:\\Users\\dan"] and found("/") == ["a/b"]
    assert found("ÉLO") == ["élodie"] and found("CODE A_") == ["code a_1"]


def test_pages_have_no_gaps_or_repeats_even_when_responses_arrive_meanwhile(ctx):
    survey = make_survey()
    original = add_answers(survey, [(date(2026, 10, d % 28 + 1), "Leeds", 4) for d in range(23)])
    seen, after = [], None
    while True:
        page = browsing.list_responses(survey, ResultsFilter(), today=TODAY, after_id=after, limit=5)
        assert len(page.rows) <= 5 and page.total == 23 + (len(seen) > 0)
        seen += ids_of(page)
        if page.next_after is None:
            break
        after = page.next_after
        if len(seen) == 5:  # a new response arrives between the first and second page
            add_answers(survey, [(date(2026, 10, 30), "Leeds", 3)])
    assert len(seen) == len(set(seen)) == 23 and sorted(seen) == sorted(original)
    assert seen == sorted(seen, reverse=True)


def test_a_page_is_a_fixed_number_of_queries(ctx):
    survey = make_survey()
    add_answers(survey, [(date(2026, 10, 1), "Leeds", 4)] * 5)
    authoring.remove_question(survey, "channel", now=NOW)  # the next responses arrive in version 2
    assert survey.current_version.number == 2
    add_answers(survey, [(date(2026, 10, 2), "York", 2)] * 5)
    counts, survey_id = {}, survey.id
    for limit in (2, 50):
        db.session.expunge_all()
        survey_again = db.session.get(type(survey), survey_id)
        with counted_queries() as statements:
            page = browsing.list_responses(survey_again, ResultsFilter(), today=TODAY, limit=limit)
            for row in page.rows:  # what the page template reads
                _ = [row.response.version.number, row.response.tags, row.scores, row.excerpt]
        counts[limit] = len(statements)
    assert {row.response.version.number for row in page.rows} == {1, 2}
    assert counts[2] == counts[50] <= 6, counts


def test_tags_are_normalised_idempotent_and_checked(ctx):
    survey = make_survey()
    response = db.session.get(Response, story(survey)[0])
    user = make_user()
    assert browsing.tag_response(response, "  Delivery  ", actor=user, now=NOW) == "delivery"
    assert browsing.tag_response(response, "  Late   Delivery ", actor=user, now=NOW) == "late delivery"
    browsing.tag_response(response, "LATE delivery", actor=user, now=NOW)
    assert [t.tag for t in response.tags] == ["delivery", "late delivery"]
    for bad in ("", "   ", "x" * 65, " ".join(["ab"] * 22), "billing; refunds"):
        with pytest.raises(browsing.TagError, match="at most 64|Write the theme|separates themes"):
            browsing.tag_response(response, bad, actor=user, now=NOW)
    assert browsing.tag_response(response, "y" * 64, actor=user, now=NOW) == "y" * 64
    assert db.session.scalar(select(func.count(ResponseTag.id))) == 3
    assert browsing.survey_tags(survey) == [("delivery", 1), ("late delivery", 1), ("y" * 64, 1)]
    assert browsing.untag_response(response, "Late delivery", actor=user, now=NOW) is True
    assert browsing.untag_response(response, "late delivery", actor=user, now=NOW) is False
    assert [tag for tag, _n in browsing.survey_tags(survey)] == ["delivery", "y" * 64]


def test_themes_are_counted_per_survey(ctx):
    survey, other = make_survey(), make_survey(slug="other")
    ids, other_ids = story(survey), story(other)
    user = make_user()
    for response_id in ids[:3]:
        browsing.tag_response(db.session.get(Response, response_id), "delivery", actor=user, now=NOW)
    browsing.tag_response(db.session.get(Response, ids[3]), "billing", actor=user, now=NOW)
    browsing.tag_response(db.session.get(Response, other_ids[0]), "billing", actor=user, now=NOW)
    assert browsing.survey_tags(survey) == [("delivery", 3), ("billing", 1)]
    assert browsing.survey_tags(other) == [("billing", 1)]


# --- the pages ----------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    """The pages' default date range ends today: keep "today" where the stories above are dated."""
    monkeypatch.setattr("survey.views.manage.responses.utcnow", lambda: datetime.combine(TODAY, datetime.min.time()))


@pytest.fixture
def setup(app):
    with app.app_context():
        survey = make_survey()
        ids = story(survey)
        make_user(email="analyst@example.com", role="analyst")
        make_user(email="agent@example.com", role="agent")
        return survey.slug, ids


def listed_ids(html):
    return [int(n) for n in re.findall(r'href="/manage/responses/(\d+)"', html)]


def test_the_browser_filters_and_links_to_exports(client, setup):
    slug, ids = setup
    log_in(client, "analyst@example.com")
    url = f"/manage/surveys/{slug}/responses"
    listing = client.get(f"{url}?q=LATE&from=2026-09-01")
    html = listing.get_data(as_text=True)
    assert listing.status_code == 200 and "2 responses" in html
    assert listed_ids(html) == [ids[0], ids[3]] and "Delivery was late" in html and ">fine<" not in html
    assert "Extremely satisfied (5/5)" in html and "location: " in html
    assert listed_ids(client.get(f"{url}?where=location%3DYork").get_data(as_text=True)) == ids[3:][::-1]
    assert listed_ids(client.get(f"{url}?version=1&to=2026-09-30").get_data(as_text=True)) == ids[3:][::-1]
    assert listed_ids(client.get(f"{url}?q=50%25_off").get_data(as_text=True)) == [ids[1]]
    assert listed_ids(client.get(f"{url}?q=50__off").get_data(as_text=True)) == []
    low = client.get(f"{url}?score=low").get_data(as_text=True)
    assert listed_ids(low) == ids[3:][::-1] and "Show every score" in low
    index = client.get("/manage/").get_data(as_text=True)
    assert f'href="{url}"' in index


def test_export_links_carry_the_filter(client, setup, app):
    slug, _ = setup
    log_in(client, "analyst@example.com")
    html = unescape(client.get(f"/manage/surveys/{slug}/responses?where=location%3DLeeds&q=late&tag=Delivery")
                    .get_data(as_text=True))
    with app.test_request_context():
        for endpoint in ("manage.exports.responses_csv", "manage.exports.responses_xlsx"):  # a link, a form
            link = url_for(endpoint, slug=slug)
            assert re.search(re.escape(link) + r'\?[^"]*where=location%3DLeeds', html), endpoint
            assert re.search(re.escape(link) + r'\?[^"]*q=late[^"]*tag=delivery', html), endpoint


def test_imported_history_is_listed_by_when_it_was_given_across_pages(ctx):
    """Answers imported after newer ones have higher ids; the browser orders by submission time, and its
    keyset pages continue by (time, id) without gaps or repeats, ties at the same moment included."""
    survey = make_survey()
    recent = add_answers(survey, [(date(2026, 10, 20), "Leeds", 4)] * 3)
    history = add_answers(survey, [(date(2026, 10, day), "York", 3) for day in (1, 1, 2, 3, 3, 3)])
    seen, after = [], None
    while True:
        page = browsing.list_responses(survey, ResultsFilter(), today=TODAY, after_id=after, limit=2)
        seen += ids_of(page)
        if (after := page.next_after) is None:
            break
    assert seen == recent[::-1] + [history[5], history[4], history[3], history[2], history[1], history[0]]
    elsewhere = make_survey(slug="other")
    assert ids_of(browsing.list_responses(elsewhere, ResultsFilter(), today=TODAY, after_id=recent[0])) == []
    assert ids_of(browsing.list_responses(survey, ResultsFilter(), today=TODAY, after_id=10**6))[:1] == [recent[2]]


def test_results_and_responses_default_to_the_same_range(client, app, monkeypatch):
    """Without dates both pages end with the last complete month, and say the same number of responses."""
    monkeypatch.setattr("survey.views.manage.results.utcnow", lambda: datetime.combine(TODAY, datetime.min.time()))
    with app.app_context():
        survey = make_survey()
        add_answers(survey, [(date(2026, 10, 29), "Leeds", 4)] * 2 + [(date(2026, 11, 1), "Leeds", 5)])
        make_user(email="analyst@example.com", role="analyst")
        slug = survey.slug
    log_in(client, "analyst@example.com")
    results = client.get(f"/manage/surveys/{slug}/results").get_data(as_text=True)
    responses = client.get(f"/manage/surveys/{slug}/responses").get_data(as_text=True)
    assert "2 responses from 2025-11-01 to 2026-10-31" in results
    assert "2 responses from 2025-11-01 to 2026-10-31" in responses and len(listed_ids(responses)) == 2
    assert "include it, up to today" in responses
    everything = client.get(f"/manage/surveys/{slug}/responses?to=2026-11-20").get_data(as_text=True)
    assert "3 responses from 2025-12-01 to 2026-11-20" in everything and len(listed_ids(everything)) == 3


def test_the_next_page_link_keeps_the_filter(client, app):
    with app.app_context():
        survey = make_survey()
        leeds = add_answers(survey, [(date(2026, 10, 1), "Leeds", 4)] * 53 + [(date(2026, 10, 2), "York", 4)] * 3)[:53]
        make_user(email="analyst@example.com", role="analyst")
        slug = survey.slug
    log_in(client, "analyst@example.com")
    first = client.get(f"/manage/surveys/{slug}/responses?where=location%3DLeeds").get_data(as_text=True)
    assert "53 responses" in first and len(listed_ids(first)) == 50
    (older,) = re.findall(r'href="([^"]*after=[^"]*)"', first)
    assert "where=location%3DLeeds" in older
    second = client.get(unescape(older)).get_data(as_text=True)
    assert sorted(listed_ids(first) + listed_ids(second)) == sorted(leeds)
    assert "after=" not in second


@pytest.mark.parametrize("query, field", [("from=notadate", "from"), ("to=2026-02-30", "to"),
                                          ("period=year", "period"), ("where=nonsense", "where"),
                                          ("where=colour%3Dred", "where"), ("version=abc", "version"),
                                          ("version=-1", "version"), ("score=high", "score")])
def test_bad_filters_are_named_on_a_400_page(client, setup, query, field):
    slug, ids = setup
    log_in(client, "analyst@example.com")
    page = client.get(f"/manage/surveys/{slug}/responses?{query}&after=x")
    html = page.get_data(as_text=True)
    assert page.status_code == 400
    assert re.search(r'class="error-summary" role="alert">.*<li>' + field + ":", html, re.S)
    assert "Traceback" not in html and listed_ids(html)  # the rest of the page still works


def test_one_response_laid_out_with_the_customer_and_the_follow_up(client, app):
    with app.app_context():
        survey, other = make_survey(), make_survey(slug="second")
        first = answer(survey, "ann@example.com", {"satisfaction": 4, "recommend": 8, "topics": ["Billing", "Product"],
                                                   "resolved": True, "comment": "Fine\nin the end"}, name="Ann Smith")
        answer(survey, "ann@example.com", {"satisfaction": 5, "recommend": 9}, name="Ann Smith", key="changed-mind-key")
        later = answer(other, "ann@example.com", {"satisfaction": 1}, name="Ann Smith", now=datetime(2026, 11, 3))
        make_user(email="analyst@example.com", role="analyst")
    log_in(client, "analyst@example.com")
    url = f"/manage/responses/{first}"
    html = client.get(url).get_data(as_text=True)
    assert "Extremely satisfied (5/5)" in html and "NPS 9" in html and "2 revisions" in html
    assert "personal link" in html and "Ann Smith" in html and "tel:+441134960000" in html
    assert "<dt>location (when they answered)</dt>" in html
    assert f'href="/manage/responses/{later}"' in html  # their other response
    assert re.search(r'Earlier follow-ups: <a href="/manage/cases/\d+">', html)  # the low score in "second"
    assert "Open a follow-up" in html
    opened = post_form(client, f"{url}/case", page=url)
    assert opened.status_code == 302
    html = client.get(url).get_data(as_text=True)
    assert "Open a follow-up" not in html and re.search(r'<a href="/manage/cases/\d+">Case \d+</a>', html)
    with app.app_context():
        multi = answer(make_survey(slug="third"), "bo@example.com",
                       {"satisfaction": 3, "topics": ["Billing", "Product"], "resolved": True, "comment": "ok"})
    html = client.get(f"/manage/responses/{multi}").get_data(as_text=True)
    assert '<ul><li dir="auto">Billing</li><li dir="auto">Product</li></ul>' in html and ">Yes<" in html
    assert '<p class="answer-text" dir="auto">ok</p>' in html
    assert client.get("/manage/responses/999999").status_code == 404


def test_tagging_through_the_page(client, setup, app):
    slug, ids = setup
    log_in(client, "analyst@example.com")
    url = f"/manage/responses/{ids[0]}"
    added = post_form(client, f"{url}/tags", {"tag": "  Delivery  "}, page=url)
    assert added.status_code == 302 and added.headers["Location"].endswith(url)
    again = post_form(client, f"{url}/tags", {"tag": "DELIVERY"}, page=url, follow_redirects=True)
    assert "Tagged “delivery”." in again.get_data(as_text=True)
    for bad, message in (("x" * 65, "at most 64 characters"), ("   ", "Write the theme")):
        page = post_form(client, f"{url}/tags", {"tag": bad}, page=url, follow_redirects=True)
        assert page.status_code == 200 and message in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.execute(select(ResponseTag.response_id, ResponseTag.tag)).all() == [(ids[0], "delivery")]
    themes = client.get(f"/manage/surveys/{slug}/responses?tag=delivery").get_data(as_text=True)
    assert "1 response " in themes and re.search(r'dir="auto">delivery</a> \(1\)', themes)
    assert listed_ids(themes) == [ids[0]]
    removed = post_form(client, f"{url}/tags/remove", {"tag": "Delivery"}, page=url, follow_redirects=True)
    assert "Theme removed." in removed.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(ResponseTag.id))) == 0


def test_tag_posts_need_the_csrf_token(client, setup, app):
    _slug, ids = setup
    log_in(client, "analyst@example.com")
    with app.app_context():
        browsing.tag_response(db.session.get(Response, ids[0]), "billing", actor=make_user(), now=NOW)
    url = f"/manage/responses/{ids[0]}"
    assert client.post(f"{url}/tags", data={"tag": "no-token"}).status_code == 400
    assert client.post(f"{url}/tags/remove", data={"tag": "billing"}).status_code == 400
    assert client.post(f"{url}/tags", data={"tag": "forged", "csrf_token": "forged"}).status_code == 400
    with app.app_context():
        assert db.session.scalars(select(ResponseTag.tag)).all() == ["billing"]


def test_reading_changes_nothing(client, setup, app):
    slug, ids = setup
    with app.app_context():
        browsing.tag_response(db.session.get(Response, ids[0]), "billing", actor=make_user(), now=NOW)
        before = snapshot()
    log_in(client, "analyst@example.com")
    for url in (f"/manage/surveys/{slug}/responses", f"/manage/surveys/{slug}/responses?tag=billing&score=low&q=x",
                f"/manage/surveys/{slug}/responses?after={ids[2]}", f"/manage/responses/{ids[0]}",
                f"/manage/responses/{ids[3]}", f"/manage/responses/{ids[0]}/tags?tag=new"):
        assert client.get(url).status_code in (200, 405), url
    assert client.get(f"/manage/responses/{ids[0]}/tags/remove?tag=billing").status_code == 405
    with app.app_context():
        assert snapshot() == before


def test_agents_and_strangers_are_kept_out(client, setup, app):
    slug, ids = setup
    with app.app_context():
        before = snapshot()
    reads = [f"/manage/surveys/{slug}/responses", f"/manage/responses/{ids[0]}"]
    writes = [f"/manage/responses/{ids[0]}/tags", f"/manage/responses/{ids[0]}/tags/remove"]
    token = csrf_token(client)
    for url in reads:
        assert "/login" in client.get(url).headers["Location"]
    for url in writes:
        assert "/login" in client.post(url, data={"tag": "x", "csrf_token": token}).headers["Location"]
    log_in(client, "agent@example.com")
    token = csrf_token(client, "/manage/cases/")
    assert all(client.get(url).status_code == 403 for url in reads)
    assert all(client.post(url, data={"tag": "x", "csrf_token": token}).status_code == 403 for url in writes)
    assert "/responses" not in client.get("/manage/").get_data(as_text=True)
    with app.app_context():
        assert snapshot() == before


def test_hostile_text_is_inert(client, app):
    with app.app_context():
        survey = make_survey()
        (imported,) = add_answers(survey, [(date(2026, 10, 5), HOSTILE, 1)])
        db.session.add(Answer(response_id=imported, question_key="comment", value_text=HOSTILE + "y" * 5000))
        db.session.add(ResponseTag(response_id=imported, tag=HOSTILE.lower()[:64], created_at=NOW))
        db.session.commit()
        linked = answer(survey, "eve@example.com", {"satisfaction": 2, "comment": HOSTILE}, name=HOSTILE,
                        attributes={"location": HOSTILE, "phone": HOSTILE, HOSTILE: "value"},
                        now=datetime(2026, 10, 6))
        make_user(email="analyst@example.com", role="analyst")
        slug = survey.slug
    log_in(client, "analyst@example.com")
    tagged = post_form(client, f"/manage/responses/{linked}/tags", {"tag": HOSTILE}, page=f"/manage/responses/{linked}",
                       follow_redirects=True).get_data(as_text=True)
    listing_url = f"/manage/surveys/{slug}/responses?from=2026-10-01"
    filtered_url = f"{listing_url}&{urlencode({'where': 'location=' + HOSTILE})}"
    pages = {"flash": tagged, "listing": client.get(listing_url).get_data(as_text=True),
             "filtered": client.get(filtered_url).get_data(as_text=True)}
    for response_id in (imported, linked):
        pages[response_id] = client.get(f"/manage/responses/{response_id}").get_data(as_text=True)
    for name, html in pages.items():
        assert "<script>alert(1)" not in html and '" onmouseover="' not in html, name
        assert ESCAPED in html, name
        assert "\u202eevil" in html and "😀" in html, name
    assert "y" * 5000 in pages[imported]  # the whole answer on its own page
    assert "y" * 200 not in pages["listing"]  # an excerpt in the list
    with app.app_context():
        assert db.session.scalar(select(func.count(ResponseTag.id)).where(ResponseTag.response_id == linked)) == 1
