"""An alert's evidence: the segment's comments, the words that rose or fell, the ratings that moved with it;
the same summary in the alerts digest and on a follow-up case."""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from html import unescape

from sqlalchemy import func, insert, select

from survey import followups
from survey.alerts import evidence, trends
from survey.background import dispatch
from survey.extensions import db
from survey.models import Alert, Answer, Response
from survey.results import rollups
from survey.results.settings import Settings
from tests.factories import make_definition, make_survey, make_user
from tests.pages import log_in


def words_of(response) -> str:
    """The page as a reader sees it: tags gone, white space single."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())

NOW = datetime(2026, 12, 5, 9, 0)
OCTOBER, NOVEMBER = date(2026, 10, 12), date(2026, 11, 12)
SCALE = ["Extremely dissatisfied", "Dissatisfied", "Neither", "Satisfied", "Extremely satisfied"]
QUEUE = ["Long queue at the desk", "The queue was slow", "Queue again!", "Waited in a queue for ages",
         "A queue, then a rude reply"]
FILLER = [("Staff were kind and helpful", "en"), ("Quick answer, thank you", "en"),
          ("Le personnel était très aimable", "fr"), ("Good service overall", "en"), ("Easy to reach by phone", "en"),
          ("Il y a eu une file d'attente", "fr")]


def evidence_survey():
    return make_survey(definition=make_definition(slug="evidence", questions=[
        {"key": "satisfaction", "type": "rating", "text": "Overall, how satisfied are you?", "scale": SCALE},
        {"key": "service", "type": "matrix", "text": "How was", "scale": SCALE,
         "statements": [{"key": "wait", "text": "the wait"}, {"key": "staff", "text": "our staff"}]},
        {"key": "comment", "type": "text", "text": "Anything else?", "long": True}]))


def month(day, location, *, top, wait_top, comments=0, queue=0, n=100):
    """n responses on `day`: `top` extremely satisfied, `wait_top` extremely satisfied with the wait, the first
    `comments` with a comment of which `queue` mention the queue."""
    rows = []
    for i in range(n):
        answers = {"satisfaction": 5 if i < top else 4, "service.wait": 5 if i < wait_top else 3,
                   "service.staff": 5 if i < 80 else 4}
        language = "en"
        if i < queue:
            answers["comment"] = QUEUE[i % len(QUEUE)]
        elif i < comments:
            answers["comment"], language = FILLER[i % len(FILLER)]
        rows.append((day, location, language, answers, i))
    return rows


def add_responses(survey, rows):
    version = survey.current_version
    base = db.session.scalar(select(func.count(Response.id))) or 0
    ids = db.session.scalars(insert(Response).returning(Response.id, sort_by_parameter_order=True), [
        {"respondent_key": f"e:{base + i}", "survey_id": survey.id, "version_id": version.id, "source": "link",
         "submitted_at": datetime.combine(day, time(8)) + timedelta(minutes=minute), "local_date": day,
         "updated_at": datetime.combine(day, time(8)), "revisions_count": 1, "attributes": {"location": location},
         "language": language} for i, (day, location, language, _answers, minute) in enumerate(rows)]).all()
    db.session.execute(insert(Answer), [
        {"response_id": rid, "question_key": key, "value_int": value if isinstance(value, int) else None,
         "value_text": value if isinstance(value, str) else None}
        for rid, (_d, _l, _lang, answers, _m) in zip(ids, rows, strict=True) for key, value in answers.items()])
    rollups.rebuild(survey.id)
    db.session.commit()
    return ids


def story():
    """Leeds: satisfaction 90 % → 75 %, the wait 80 % → 50 %, staff steady, and the queue mentioned in 20 of
    100 comments in October and 60 of 100 in November. York: nothing changes (40 comments a month). Hull:
    10 comments a month."""
    survey = evidence_survey()
    rows = month(OCTOBER, "Leeds", top=90, wait_top=80, comments=100, queue=20)
    rows += month(NOVEMBER, "Leeds", top=75, wait_top=50, comments=100, queue=60)
    for day in (OCTOBER, NOVEMBER):
        rows += month(day, "York", top=88, wait_top=80, comments=40)
        rows += month(day, "Hull", top=88, wait_top=80, comments=10)
    add_responses(survey, rows)
    return survey


def alert_for(survey, location, question="satisfaction"):
    """An alert as trend detection stores one (the numbers do not matter to the evidence)."""
    alert = Alert(fingerprint=f"test|{location}|{question}", series_key=f"test|{location}|{question}",
                  survey_id=survey.id, question_key=question, metric="top_box", kind="change",
                  segment={"location": location}, period_before="2026-10", period_after="2026-11", n_before=100,
                  n_after=100, value_before=0.9, value_after=0.75, difference=-0.15, ci_low=-0.25, ci_high=-0.05,
                  p_value=0.004, q_value=0.01, method="score", direction="drop", details={}, created_at=NOW)
    db.session.add(alert)
    db.session.commit()
    return alert


def test_the_queue_that_tripled_in_leeds_stands_out_with_its_z_and_the_wait_moved_with_it(ctx):
    survey = story()
    alert = alert_for(survey, "Leeds")
    found = trends.evidence_of(alert, settings=Settings(), today=NOW.date())
    assert (found.periods.before_label, found.periods.after_label) == ("2026-10", "2026-11")
    assert (found.words.comments_before, found.words.comments_after) == (100, 100)
    assert [t.term for t in found.words.rose] == ["queue"] and found.words.fell == ()
    queue = found.words.rose[0]
    assert (queue.before, queue.after, queue.ratio) == (20, 60, 3.0)
    assert queue.z > found.words.threshold > 3  # Bonferroni over every word and phrase said 3 times or more
    assert queue.label == "“queue” mentions ×3"
    # The wait fell 30 points in the same segment and months; staff did not move; satisfaction is the alert.
    (wait,) = found.moved.ratings
    assert (wait.key, round(wait.difference, 2)) == ("service.wait", -0.3) and wait.q_value < 0.001
    assert found.moved.tested == 2
    assert found.summary == ["Other ratings: “How was — the wait” −30.0 points (q < 0.001).",
                             "Words: “queue” mentions ×3."]


def test_nothing_distinctive_and_too_few_comments_are_said_plainly(ctx):
    survey = story()
    york = trends.evidence_of(alert_for(survey, "York"), settings=Settings(), today=NOW.date())
    assert york.words.enough and york.words.tested > 0 and not york.words.rose and not york.words.fell
    assert york.summary == ["Other ratings: no other rating moved significantly (2 tested).",
                            "Words: no word stands out."]
    hull = evidence.words(alert_for(survey, "Hull"), evidence.compared_periods(alert_for(survey, "Hull", "x")),
                          today=NOW.date(), minimum=30)
    assert not hull.enough and hull.tested == 0
    assert hull.summary == "not enough comments to compare words (10 and 10; at least 30 in each period)"


def test_a_gap_alert_compares_its_period_with_the_one_before():
    gap = Alert(period_before="2026-W02", period_after="2026-W02")
    periods = evidence.compared_periods(gap)
    assert (periods.unit, periods.before_label, periods.after_label) == ("week", "2026-W01", "2026-W02")


def test_the_evidence_page_lists_comments_newest_first_with_rating_and_language_then_the_words(ctx, client):
    survey = story()
    leeds, york, hull = (alert_for(survey, location) for location in ("Leeds", "York", "Hull"))
    make_user(email="analyst@example.com", role="analyst")
    log_in(client, "analyst@example.com")
    page = words_of(client.get(f"/manage/alerts/{leeds.id}/evidence"))
    assert "90 % of 100 responses" in page  # the alert's numbers, as on its page
    assert "“How was — the wait” −30.0 points (q < 0.001)" in page and "“queue” mentions ×3" in page
    assert re.search(r"queue 20 60 ×3 \d\.\d", page)  # the word's row: before, after, per comment, z
    assert "100 comments from location = Leeds" in page
    # Newest first (the day's last answers lead), each with its language and its satisfaction; 25 a page.
    wrote = page[page.index("What customers wrote"):]
    assert wrote.index("English (en) · Satisfied (4/5) Good service overall") \
        < wrote.index("French (fr) · Satisfied (4/5) Le personnel était très aimable") \
        < wrote.index("English (en) · Satisfied (4/5) Quick answer, thank you")
    body = client.get(f"/manage/alerts/{leeds.id}/evidence").get_data(as_text=True)
    assert body.count('class="answer-text"') == 25 and 'lang="fr"' in body
    older = re.search(r'href="([^"]*evidence\?after=\d+)"', body).group(1)
    second = client.get(older.replace("&amp;", "&")).get_data(as_text=True)
    assert second.count('class="answer-text"') == 25
    assert "No word stands out." in words_of(client.get(f"/manage/alerts/{york.id}/evidence"))
    assert "Not enough comments to compare words: 10 comments in 2026-10 and 10 in 2026-11" \
        in words_of(client.get(f"/manage/alerts/{hull.id}/evidence"))
    assert client.get("/manage/alerts/99999/evidence").status_code == 404


def test_the_digest_and_the_case_page_say_what_moved_with_the_drop(ctx, smtp, client):
    story()
    boss = make_user(email="boss@example.com", role="analyst")
    boss.notify_alerts = True
    db.session.commit()
    trends.run(now=NOW)
    assert dispatch.run_once(now=NOW).sent == 1
    (message,) = smtp.messages
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    leeds = db.session.scalar(select(Alert).where(Alert.question_key == "satisfaction", Alert.kind == "change",
                                                  Alert.segment["location"].as_string() == "Leeds"))
    for part in (text, html.replace("&#34;", '"')):
        assert "“How was — the wait” −30.0 points (q < 0.001)" in part.replace("&lt;", "<")
        assert "“queue” mentions ×3" in part
    assert f"/manage/alerts/{leeds.id}/evidence" in text

    response_id = db.session.scalar(select(Response.id).where(Response.local_date == NOVEMBER,
                                                              Response.attributes["location"].as_string() == "Leeds")
                                    .limit(1))
    case = followups.open_manually(db.session.get(Response, response_id), actor=boss, now=NOW)
    make_user(email="agent@example.com", role="agent")
    log_in(client, "boss@example.com")
    page = words_of(client.get(f"/manage/cases/{case.id}"))
    assert "Part of a drop" in page and "“queue” mentions ×3" in page and "location=Leeds" in page
    client.post("/logout", data={})
    log_in(client, "agent@example.com")
    assert "Part of a drop" not in words_of(client.get(f"/manage/cases/{case.id}"))  # alerts are results


def test_an_accepted_theme_that_rose_with_the_alert_is_named_apart_from_the_ratings(ctx):
    from survey.models import Theme
    from survey.results import theme_tags

    survey = story()
    db.session.add(Theme(survey_id=survey.id, name="waiting", status="accepted", terms=["queue", "wait*"],
                         created_at=NOW, decided_at=NOW))
    db.session.commit()
    theme_tags.tag_survey(survey.id, now=NOW)  # tags the comments mentioning it: 20 of 100, then 60 of 100
    found = trends.evidence_of(alert_for(survey, "Leeds"), settings=Settings(), today=NOW.date())
    ratings = {r.key: r for r in found.moved.ratings}
    assert set(ratings) == {"service.wait", "waiting"} and ratings["waiting"].is_theme
    assert (ratings["waiting"].value_before, ratings["waiting"].value_after) == (0.2, 0.6)
    assert found.moved.tested == 3 and found.moved.themes_tested == 1
    assert found.summary[0] == "Other ratings: “How was — the wait” −30.0 points (q < 0.001)."
    assert re.fullmatch(r"Themes: “waiting” mentions 20 % → 60 % \(q < 0\.001\)\.", found.summary[1])
