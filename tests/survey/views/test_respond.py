"""The customer's pages, through HTTP, with CSRF on."""
import re
from datetime import timedelta
from unittest import mock

from itsdangerous import URLSafeSerializer
from sqlalchemy import event, func, select, text

from survey.authoring.definitions import parse_survey
from survey.authoring.editing import change_status, find_survey, import_survey
from survey.clock import utcnow
from survey.extensions import db
from survey.models import Answer, FollowUpCase, Response, ResponseRevision
from survey.responding import submission as responding
from tests.conftest import BASE_URL
from tests.factories import make_definition, make_invitation, make_survey
from tests.pages import hidden_fields, post_form, text_of

GOOD = {"q-satisfaction": "5", "q-recommend": "9", "q-channel": "Email", "q-topics": ["Billing", "Product"],
        "q-resolved": "yes", "q-comment": "Lovely <b>staff</b>"}


def given_survey(app, **kwargs) -> None:
    with app.app_context():
        make_survey(**kwargs)


def given_invitation(app) -> str:
    with app.app_context():
        return make_invitation(make_survey()).token


def stored(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Response))


def test_public_page_is_accessible_markup_with_no_third_party_resources(client, app):
    given_survey(app)
    response = client.get("/s/support-csat")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="en" dir="ltr">' in html and 'name="viewport"' in html
    # every closed question is a fieldset with a legend; text inputs have labels
    assert html.count("<fieldset") == 6  # five closed questions + the consent questions
    assert html.count("<legend") == 6
    assert '<label class="question-label" for="q-comment">' in html
    assert 'aria-describedby="why-satisfaction"' in html
    assert "Why we ask:" in html
    # nothing loaded from elsewhere: every src/href is a local path or a fragment
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert url.startswith(("/", "#")), url
    assert "<script" not in html
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "private, no-store"


def test_answering_the_public_link_stores_one_response_and_thanks_with_a_link_to_changes(client, app):
    given_survey(app)
    response = post_form(client, "/s/support-csat", GOOD)
    assert response.status_code == 303
    thanks = client.get(response.headers["Location"])
    assert 'href="/changes"' in thanks.get_data(as_text=True)
    assert client.get("/changes").status_code == 200
    with app.app_context():
        response = db.session.scalar(select(Response))
        assert response.source == "public" and response.contact_id is None
        assert sorted((a.question_key, a.value_int, a.value_text) for a in response.answers) == [
            ("channel", 2, "Email"), ("comment", None, "Lovely <b>staff</b>"), ("recommend", 9, None),
            ("resolved", 1, None), ("satisfaction", 5, None), ("topics", 1, "Billing"), ("topics", 3, "Product")]


def test_a_missing_required_answer_reshows_the_form_with_every_answer_kept(client, app):
    given_survey(app)
    answers = dict(GOOD, **{"q-satisfaction": ""})
    refused = post_form(client, "/s/support-csat", answers)
    # Answered with a redirect (Post/Redirect/Get): Back and reload never post this form again.
    assert refused.status_code == 303 and refused.headers["Location"].startswith("/s/support-csat?form=")
    response = client.get(refused.headers["Location"])
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert stored(app) == 0
    assert 'role="alert"' in html and 'href="#q-satisfaction-1"' in html
    assert 'id="err-satisfaction"' in html and 'aria-describedby="why-satisfaction err-satisfaction"' in html
    assert "Please answer this question." in html
    assert 'value="9" checked' in html and 'value="Billing" checked' in html and 'value="Product" checked' in html
    assert "Lovely &lt;b&gt;staff&lt;/b&gt;</textarea>" in html  # kept, and escaped
    assert html.count("aria-invalid") == 5  # each radio of the failed question only


def test_an_out_of_range_value_is_refused_and_nothing_is_stored(client, app):
    given_survey(app)
    response = post_form(client, "/s/support-csat", dict(GOOD, **{"q-recommend": "12"}), follow_redirects=True)
    assert response.status_code == 422
    assert "That answer is not one of the choices" in text_of(response)
    assert stored(app) == 0


def test_a_long_answer_the_browser_allowed_is_stored_with_its_line_breaks_counted_once(client, app):
    """The textarea's maxlength counts a line break as one character; the browser posts it as CRLF."""
    given_survey(app)
    comment = ("a" * 249 + "\r\n") * 20  # 5 000 characters as the browser counts them
    assert post_form(client, "/s/support-csat", dict(GOOD, **{"q-comment": comment})).status_code == 303
    with app.app_context():
        (text,) = db.session.scalars(select(Answer.value_text).where(Answer.question_key == "comment"))
    assert text == comment.replace("\r\n", "\n").strip() and len(text) == 4999


def test_submitting_the_same_form_twice_stores_one_response(client, app):
    given_survey(app)
    fields = hidden_fields(client.get("/s/support-csat").get_data(as_text=True))
    first = client.post("/s/support-csat", data={**fields, **GOOD})
    second = client.post("/s/support-csat", data={**fields, **GOOD})  # double click / back and resubmit
    assert first.status_code == second.status_code == 303
    assert stored(app) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ResponseRevision)) == 1


def test_two_tabs_of_a_personal_link_make_one_response(client, app):
    token = given_invitation(app)
    tab_one = hidden_fields(client.get(f"/r/{token}").get_data(as_text=True))
    tab_two = hidden_fields(client.get(f"/r/{token}").get_data(as_text=True))
    assert tab_one["submission_key"] != tab_two["submission_key"]
    client.post(f"/r/{token}", data={**tab_one, **GOOD})
    client.post(f"/r/{token}", data={**tab_two, **GOOD, "q-satisfaction": "4"})
    assert stored(app) == 1
    with app.app_context():
        assert db.session.scalar(select(Response.revisions_count)) == 2


def test_a_shared_device_never_shows_or_overwrites_another_persons_public_answers(client, app):
    """The next person in the same browser gets an empty form, and what they send is a response of their
    own. Each sent form is one response: the same form sent again is stored once, and a form crafted with
    someone else's submission key changes nothing."""
    given_survey(app)
    first = hidden_fields(client.get("/s/support-csat").get_data(as_text=True))
    client.post("/s/support-csat", data={**first, **GOOD, "q-comment": "Ann's private words"})
    html = client.get("/s/support-csat").get_data(as_text=True)
    assert "Ann's private words" not in html and "already answered" not in html
    assert 'checked' not in html and "Send my answers" in html
    second = hidden_fields(html)
    client.post("/s/support-csat", data={**second, **GOOD, "q-satisfaction": "1", "q-comment": "Bob"})
    client.post("/s/support-csat", data={**first, **GOOD, "q-satisfaction": "2", "q-comment": "Overwritten"})
    assert stored(app) == 2
    with app.app_context():
        comments = db.session.scalars(select(Answer.value_text).where(Answer.question_key == "comment")
                                      .order_by(Answer.response_id)).all()
        assert comments == ["Ann's private words", "Bob"]
        assert db.session.scalar(select(func.count()).select_from(ResponseRevision)) == 2


def test_a_public_link_leaves_a_managers_login_its_own_lifetime(client, app):
    """Opening and answering a public survey never makes the browser's session cookie permanent (it did:
    a manager who answered their own survey got a 31-day login)."""
    given_survey(app)
    for response in (client.get("/s/support-csat"), post_form(client, "/s/support-csat", GOOD)):
        cookies = response.headers.getlist("Set-Cookie")
        assert not [c for c in cookies if c.startswith("session=") and "Expires=" in c], cookies


def test_only_the_browser_that_sent_answers_is_told_they_were_received(client, app):
    given_survey(app)
    fields = hidden_fields(client.get("/s/support-csat").get_data(as_text=True))
    done = client.post("/s/support-csat", data={**fields, **GOOD})
    assert "have been received" in text_of(client.get(done.headers["Location"]))
    # The receipt names no submission key (it sits in the history of a shared device).
    assert fields["submission_key"] not in URLSafeSerializer(app.secret_key, salt="hearken.public-receipt").loads(
        done.headers["Location"].split("receipt=")[1])
    for url in ("/s/support-csat/thanks", "/s/support-csat/thanks?receipt=forged"):
        page = text_of(app.test_client().get(url))
        assert "have been received" not in page and "No answers have been sent from this page" in page
    with app.app_context():
        token = make_invitation(find_survey("support-csat")).token
    assert "No answers have been sent" in text_of(client.get(f"/r/{token}/thanks"))
    done = post_form(client, f"/r/{token}", GOOD)
    assert "have been received" in text_of(client.get(done.headers["Location"]))


def test_only_a_customer_we_can_reach_is_offered_a_call_back(client, app):
    """A public link knows no customer: "you may contact me" would open a case nobody can work. It is not
    offered (nor taken from a crafted form); the thank-you page points to the contact form instead."""
    token = given_invitation(app)
    public = client.get("/s/support-csat").get_data(as_text=True)
    assert 'name="consent_quote"' in public and 'name="consent_contact"' not in public
    done = post_form(client, "/s/support-csat", dict(GOOD, consent_contact="y"))
    assert 'href="/complain"' in client.get(done.headers["Location"]).get_data(as_text=True)
    personal = client.get(f"/r/{token}").get_data(as_text=True)
    assert 'name="consent_contact"' in personal
    done = post_form(client, f"/r/{token}", dict(GOOD, consent_contact="y"))
    assert 'href="/complain"' not in client.get(done.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert [(r.source, r.contact_consent) for r in db.session.scalars(select(Response).order_by(Response.id))] \
            == [("public", False), ("link", True)]
        assert [c.reason for c in db.session.scalars(select(FollowUpCase))] == ["contact_request"]


def test_personal_link_lets_the_customer_change_the_answer_until_the_survey_closes(client, app):
    token = given_invitation(app)
    assert post_form(client, f"/r/{token}", GOOD).status_code == 303
    html = client.get(f"/r/{token}").get_data(as_text=True)
    assert "You have already answered" in html and "Send my changes" in html
    assert 'value="5" checked' in html
    post_form(client, f"/r/{token}", dict(GOOD, **{"q-satisfaction": "2"}))
    assert stored(app) == 1
    with app.app_context():
        response = db.session.scalar(select(Response))
        assert response.source == "link" and response.contact.email == "customer@example.com"
        assert [a.value_int for a in response.answers if a.question_key == "satisfaction"] == [2]
        change_status(find_survey("support-csat"), "close", now=utcnow())
    closed = client.get(f"/r/{token}")
    assert closed.status_code == 410 and "This survey has closed" in text_of(closed)
    assert client.post(f"/r/{token}", data=GOOD).status_code == 410


def test_a_long_survey_can_be_saved_and_resumed_from_the_personal_link(client, app):
    token = given_invitation(app)
    saved = post_form(client, f"/r/{token}", {"q-comment": "Started this on the bus", "action": "save"})
    assert saved.status_code == 303 and saved.headers["Location"] == f"/r/{token}?saved=1"
    assert "Your answers are saved" in text_of(client.get(saved.headers["Location"]))
    assert stored(app) == 0
    other_device = app.test_client()
    html = other_device.get(f"/r/{token}").get_data(as_text=True)
    assert "Your saved answers are below." in html and "Started this on the bus</textarea>" in html


def test_an_expired_csrf_token_keeps_every_typed_answer(client, app):
    given_survey(app)
    fields = hidden_fields(client.get("/s/support-csat").get_data(as_text=True))
    fields["csrf_token"] = "expired-or-from-a-lost-session"
    refused = client.post("/s/support-csat", data={**fields, **GOOD})
    assert refused.status_code == 303 and stored(app) == 0
    response = client.get(refused.headers["Location"])
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Your answers are still here" in html and 'value="Email" checked' in html
    retry = client.post("/s/support-csat", data={**hidden_fields(html), **GOOD})
    assert retry.status_code == 303 and stored(app) == 1


def test_unknown_malformed_closed_and_draft_links_get_friendly_pages(client, app):
    given_survey(app, slug="closed-one", status="closed")
    given_survey(app, slug="draft-one", status="draft")
    for url, status in [("/s/nope", 404), ("/r/" + "x" * 43, 404), ("/r/short", 404), ("/r/%00%ff", 404),
                        ("/r/" + "a" * 300, 404), ("/s/closed-one", 410), ("/s/draft-one", 404),
                        ("/s/draft-one/thanks", 404)]:
        response = client.get(url)
        assert response.status_code == status, url
        assert "Traceback" not in response.get_data(as_text=True)
        assert "<h1>" in response.get_data(as_text=True)


def test_a_form_for_an_older_version_is_stored_against_that_version(client, app):
    given_survey(app)
    fields = hidden_fields(client.get("/s/support-csat").get_data(as_text=True))
    definition = make_definition()
    definition["questions"] = definition["questions"][:1]
    with app.app_context():
        import_survey(parse_survey(definition), actor=None, now=utcnow())
    assert client.post("/s/support-csat", data={**fields, **GOOD}).status_code == 303
    with app.app_context():
        response = db.session.scalar(select(Response))
        assert response.version.number == 1 and len(response.answers) == 7


def test_links_use_the_configured_base_url_not_the_host_header(runner, app):
    given_survey(app)
    result = runner.invoke(args=["survey-link", "support-csat", "--email", "Someone@Example.com"])
    assert result.exit_code == 0
    assert re.fullmatch(rf"{re.escape(BASE_URL)}/r/[A-Za-z0-9_-]{{43}}\n", result.output)


def test_the_public_link_looks_for_no_earlier_answers(client, app):
    """Each public form is its own respondent: the page never looks for answers or drafts to show."""
    given_survey(app)
    statements = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    assert post_form(client, "/s/support-csat", GOOD).status_code == 303
    statements.clear()
    html = client.get("/s/support-csat").get_data(as_text=True)
    assert not any(re.search(r"\bFROM (responses|response_drafts)\b", s) for s in statements)
    assert "Send my answers" in html and "You have already answered" not in html


def test_a_public_submission_stores_without_looking_for_an_earlier_response(client, app):
    """A public form is its own respondent: its response exists only if this very form was stored, which the
    insert's unique key refuses, so the submission does not look first (a round trip on every submission);
    and unless it is a refused form shown again, there is no kept copy of it to delete either."""
    given_survey(app)
    fields = hidden_fields(client.get("/s/support-csat").get_data(as_text=True))
    statements = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    assert client.post("/s/support-csat", data={**fields, **GOOD}).status_code == 303
    assert [s for s in statements if re.search(r"\bFROM (responses|response_drafts)\b", s)] == []
    assert client.post("/s/support-csat", data={**fields, **GOOD}).status_code == 303  # the same form again
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Response)) == 1


def test_a_kept_survey_definition_costs_one_query_and_every_change_to_it_shows_at_once(client, app):
    """Each process keeps the survey it answers from and checks it with one query per request (its stamp,
    read through the driver): closing, publishing again and a new version take effect on the very next
    request."""
    given_survey(app)
    assert client.get("/s/support-csat").status_code == 200
    statements = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    with mock.patch.object(responding, "read_stamp", wraps=responding.read_stamp) as read_stamp:
        assert client.get("/s/support-csat").status_code == 200
    assert read_stamp.call_args_list == [mock.call("support-csat")]
    assert not [s for s in statements if re.search(r"\bFROM (surveys|survey_versions|questions)\b", s)]
    with app.app_context():
        change_status(find_survey("support-csat"), "close", now=utcnow())
    assert client.get("/s/support-csat").status_code == 410
    with app.app_context():
        change_status(find_survey("support-csat"), "publish", now=utcnow())
        definition = make_definition()
        definition["title"], definition["questions"] = "Shorter survey", definition["questions"][:1]
        import_survey(parse_survey(definition), actor=None, now=utcnow())
    html = client.get("/s/support-csat").get_data(as_text=True)
    # One question, and no consents: nothing to quote, and a public link knows no one to call back.
    assert "Shorter survey" in html and html.count("<fieldset") == 1
    assert post_form(client, "/s/support-csat", {"q-satisfaction": "5"}).status_code == 303


def test_a_survey_changed_by_another_process_is_seen_by_the_next_request(client, app):
    """Another worker's change reaches this process only through the database (no flush here to notice
    it): its new `updated_at` is what makes the kept definition stale."""
    given_survey(app)
    assert "Shorter" not in client.get("/s/support-csat").get_data(as_text=True)
    with app.app_context():
        db.session.execute(text("UPDATE survey_versions SET title = 'Shorter survey'"))
        db.session.execute(text("UPDATE surveys SET updated_at = :now"), {"now": utcnow()})
        db.session.commit()
    assert "Shorter survey" in client.get("/s/support-csat").get_data(as_text=True)
    with app.app_context():
        db.session.execute(text("UPDATE surveys SET status = 'closed', updated_at = :now"), {"now": utcnow()})
        db.session.commit()
    assert client.get("/s/support-csat").status_code == 410


def test_after_sending_only_changes_can_be_sent_and_saving_says_nothing_was_sent(client, app):
    """"Save and finish later" after sending said "saved" and changed nothing: a later "actually it was
    awful" never reached staff. Now the page offers only "Send my changes", which opens the case."""
    token = given_invitation(app)
    post_form(client, f"/r/{token}", GOOD)
    html = client.get(f"/r/{token}").get_data(as_text=True)
    assert 'value="save"' not in html and "Send my changes" in html
    awful = dict(GOOD, **{"q-satisfaction": "1", "q-comment": "Actually it was awful"})
    refused = post_form(client, f"/r/{token}", dict(awful, action="save"))
    assert refused.status_code == 409 and "Nothing was sent" in text_of(refused)
    assert "Actually it was awful</textarea>" in text_of(refused)  # what they typed is still on the page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(responding.ResponseDraft)) == 0
        assert db.session.scalar(select(func.count()).select_from(FollowUpCase)) == 0
    assert post_form(client, f"/r/{token}", awful).status_code == 303
    with app.app_context():
        assert [c.reason for c in db.session.scalars(select(FollowUpCase))] == ["low_score"]
        assert db.session.scalar(select(Response.revisions_count)) == 2


def test_a_rating_chosen_in_the_email_is_shown_as_not_sent_with_one_button_that_sends_it(client, app):
    """Opening the link stores nothing (mail scanners open every link); the page says the rating is not
    sent yet, and "Send my rating" stores it with whatever else was answered, the rest optional."""
    with app.app_context():
        survey = make_survey(questions=[*make_definition()["questions"][:1],
                                        {**make_definition()["questions"][1], "required": True}])
        token = make_invitation(survey).token
    page = client.get(f"/r/{token}?rating=2")
    html = text_of(page)
    assert "You chose: <strong>Dissatisfied</strong>" in html and "not sent yet" in html and 'value="rating"' in html
    assert stored(app) == 0
    assert 'value="rating"' not in client.get(f"/r/{token}?rating=99").get_data(as_text=True)
    sent = client.post(f"/r/{token}", data={**hidden_fields(page.get_data(as_text=True)), "q-satisfaction": "2",
                                            "action": "rating"})
    assert sent.status_code == 303 and "have been received" in text_of(client.get(sent.headers["Location"]))
    with app.app_context():
        response = db.session.scalar(select(Response))
        assert [(a.question_key, a.value_int) for a in response.answers] == [("satisfaction", 2)]
    # Added later to the same response; the required question is required again in a full send.
    more = post_form(client, f"/r/{token}", {"q-satisfaction": "2", "q-comment": "Slow reply"},
                     follow_redirects=True)
    assert more.status_code == 422 and "Please answer this question" in text_of(more)
    assert post_form(client, f"/r/{token}", {"q-satisfaction": "2", "q-recommend": "3",
                                             "q-comment": "Slow reply"}).status_code == 303
    assert stored(app) == 1


def test_back_after_a_corrected_form_never_posts_it_again(client, app):
    """Refused, corrected, sent: the history holds GETs only. Back to the refused page says the answers were
    sent; the refused answers are kept an hour at most, and deleted once the form is sent."""
    given_survey(app)
    refused = post_form(client, "/s/support-csat", dict(GOOD, **{"q-satisfaction": "", "q-comment": "Kept"}))
    page = client.get(refused.headers["Location"])
    assert "Kept</textarea>" in text_of(page) and hidden_fields(page.get_data(as_text=True))["corrects"] == "1"
    sent = client.post("/s/support-csat", data={**hidden_fields(page.get_data(as_text=True)), **GOOD})
    assert sent.status_code == 303 and stored(app) == 1
    back = client.get(refused.headers["Location"])
    assert back.status_code == 200 and "Those answers were sent" in text_of(back)
    assert "Kept</textarea>" not in text_of(back) and "Lovely" not in text_of(back)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(responding.ResponseDraft)) == 0
    # A refused form left alone is shown for an hour, then no more.
    again = post_form(client, "/s/support-csat", dict(GOOD, **{"q-satisfaction": "", "q-comment": "Stale"}))
    with app.app_context():
        db.session.execute(text("UPDATE response_drafts SET saved_at = :old"),
                           {"old": utcnow() - responding.REFUSED_KEPT - timedelta(minutes=1)})
        db.session.commit()
    assert "Stale" not in text_of(client.get(again.headers["Location"]))


def test_a_personal_submission_looks_nothing_up_for_the_save_button(client, app):
    """Whether answers were sent before matters only to "save and finish later"; a submission finds the
    response it replaces while storing (locked), not in an extra query before."""
    token = given_invitation(app)
    fields = hidden_fields(client.get(f"/r/{token}").get_data(as_text=True))
    statements = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    assert client.post(f"/r/{token}", data={**fields, **GOOD}).status_code == 303
    lookups = [s for s in statements if re.search(r"SELECT responses\.id\s+FROM responses", s)]
    assert lookups == []
