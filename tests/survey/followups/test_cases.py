"""Closing the loop: cases open for low scores, contact requests and complaints; staff work them; the
response-time standard is measured and overdue owners are reminded."""
from __future__ import annotations

import re
import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from survey import followups
from survey.authoring.definitions import DefinitionError, parse_question, survey_definition
from survey.clock import utcnow
from survey.extensions import db
from survey.models import Complaint, FollowUpCase, OutboxMessage, WebhookDelivery
from survey.outreach.invitations import invited_respondent
from survey.responding.submission import Consents, submit_response
from tests.factories import NOW, make_definition, make_invitation, make_survey, make_user
from tests.pages import hidden_fields, log_in, post_form, text_of

FRIDAY = datetime(2026, 11, 6, 15, 0)


def answer(survey, email, values, *, contact=False, key=None, now=FRIDAY):
    invitation = make_invitation(survey, email=email)
    invitation.contact.attributes = {"team": "Billing", "phone": "+44 113 496 0000"}
    db.session.commit()
    submit_response(survey.current_version, invited_respondent(invitation), values, Consents(contact=contact),
                    submission_key=key or f"key-{email}-{values}"[:60].ljust(20, "x"), now=now)


def cases():
    return db.session.scalars(select(FollowUpCase).order_by(FollowUpCase.id)).all()


def test_low_scores_and_contact_requests_open_one_case_each_due_a_working_day_later(ctx):
    survey = make_survey()
    answer(survey, "low@example.com", {"satisfaction": 2})
    answer(survey, "nps@example.com", {"satisfaction": 5, "recommend": 6})
    answer(survey, "call@example.com", {"satisfaction": 5}, contact=True)
    answer(survey, "happy@example.com", {"satisfaction": 4, "recommend": 9})
    answer(survey, "low@example.com", {"satisfaction": 1}, key="second-submission-key")  # changes their answer
    opened = cases()
    assert [c.reason for c in opened] == ["low_score", "low_score", "contact_request"]
    assert opened[0].summary.startswith("Dissatisfied (2/5)") and opened[1].summary.startswith("NPS 6")
    assert all(c.due_at == datetime(2026, 11, 9, 15, 0) for c in opened)  # Friday → Monday
    assert opened[0].team == "Everyone"  # the default team: no team rule matches


def test_each_question_may_set_its_own_low_score_threshold(ctx):
    definition = make_definition()
    definition["questions"][0]["follow_up_at"] = 3  # "Neither" and below
    definition["questions"][1]["follow_up_at"] = 4  # only NPS 0–4
    survey = make_survey(definition=definition)
    answer(survey, "neither@example.com", {"satisfaction": 3})
    answer(survey, "nps5@example.com", {"satisfaction": 4, "recommend": 5})
    answer(survey, "nps4@example.com", {"satisfaction": 4, "recommend": 4})
    assert [c.summary[:13] for c in cases()] == ["Neither (3/5)", "NPS 4: How li"]
    assert survey_definition(survey.slug, survey.current_version)["questions"][0]["follow_up_at"] == 3


def test_thresholds_are_checked_where_they_are_written():
    for question, value, message in [
            ({"type": "rating", "scale": ["a", "b", "c"]}, 3, "from 1 to 2"),
            ({"type": "nps"}, 10, "from 0 to 9"), ({"type": "nps"}, True, "whole number"),
            ({"type": "choice", "options": ["a", "b"]}, 1, "only rating and NPS")]:
        with pytest.raises(DefinitionError) as error:
            parse_question({"key": "q", "text": "Q?", **question, "follow_up_at": value})
        assert error.value.problems[0].startswith("follow_up_at: ") and message in error.value.problems[0]


def test_due_times_skip_weekends():
    assert followups.due_after(datetime(2026, 11, 5, 9), 1) == datetime(2026, 11, 6, 9)  # Thu → Fri
    assert followups.due_after(datetime(2026, 11, 7, 9), 1) == datetime(2026, 11, 9, 9)  # Sat → Mon
    assert followups.due_after(datetime(2026, 11, 6, 9), 3) == datetime(2026, 11, 11, 9)
    # Friday 16:00 in Los Angeles is Saturday 00:00 in UTC: due Monday 16:00 there, not on Sunday.
    assert followups.due_after(datetime(2026, 11, 7, 0), 1, "America/Los_Angeles") == datetime(2026, 11, 10, 0)
    # Across the end of summer time (1 November there) the local time of day is kept.
    assert followups.due_after(datetime(2026, 10, 30, 23), 1, "America/Los_Angeles") == datetime(2026, 11, 3, 0)


def test_complain_form_opens_a_case_and_says_what_happens_next(ctx, client):
    page = client.get("/complain")
    assert page.status_code == 200 and "Tell us what went wrong" in text_of(page)
    assert client.get("/").status_code == 200 and 'href="/complain"' in client.get("/").get_data(as_text=True)
    done = post_form(client, "/complain", {"kind": "complaint", "message": "The engineer never came.",
                                           "name": "Dee", "email": "Dee@Example.com", "phone": ""})
    assert done.status_code == 303
    received = text_of(client.get(done.headers["Location"]))
    assert "contact you by" in received and "a real person" in received
    (case,) = cases()
    assert case.reason == "complaint" and case.summary == "Complaint: The engineer never came."
    assert case.complaint.email == "dee@example.com"


def test_a_complaint_as_long_as_the_browser_allows_is_taken_with_its_line_breaks(ctx, client):
    message = ("x" * 99 + "\r\n") * 50  # 5 000 characters as the textarea's maxlength counts them
    assert post_form(client, "/complain", {"kind": "complaint", "message": message}).status_code == 303
    (case,) = cases()
    assert case.complaint.message == message.replace("\r\n", "\n").strip()


def test_bad_complaints_are_refused_with_a_message_and_bots_and_floods_are_stopped(ctx, client):
    bad = post_form(client, "/complain", {"kind": "complaint", "message": "x", "email": "not an address"})
    assert bad.status_code == 422 and "does not look right" in text_of(bad)
    empty = post_form(client, "/complain", {"kind": "complaint", "message": "  "})
    assert empty.status_code == 422
    both = text_of(post_form(client, "/complain", {"kind": "complaint", "message": "", "email": "not an address"}))
    assert "What happened, or what should we do?: This field is required." in both  # all at once, each named
    assert "Email (optional, so we can reply): That email address does not look right" in both
    odd = post_form(client, "/complain", {"kind": "praise", "message": "Lovely"}).get_data(as_text=True)
    # Every link of the error summary lands on something of the page.
    targets = re.findall(r'<li><a href="#([^"]+)"', odd)
    assert "kind" in targets and all(f'id="{target}"' in odd for target in targets)
    bot = post_form(client, "/complain", {"kind": "complaint", "message": "Buy pills", "website": "http://spam"})
    assert bot.status_code == 303
    assert db.session.scalar(select(func.count(Complaint.id))) == 0
    for i in range(followups.COMPLAINTS_PER_SENDER):
        assert post_form(client, "/complain", {"kind": "suggestion", "message": f"Idea {i}"}).status_code == 303
    flood = post_form(client, "/complain", {"kind": "suggestion", "message": "One more\r\nand more"})
    assert flood.status_code == 429 and "Your message is still below" in text_of(flood)
    assert "One more\nand more</textarea>" in text_of(flood)  # the refused send loses nothing
    assert db.session.scalar(select(func.count(Complaint.id))) == followups.COMPLAINTS_PER_SENDER


def test_a_complaint_form_sent_twice_is_one_complaint_and_one_case(ctx, client, app):
    """Back then Send, or a double click: the form's submission key makes it one complaint, also when both
    arrive at the same moment."""
    fields = hidden_fields(client.get("/complain").get_data(as_text=True))
    assert len(fields["submission_key"]) >= 16
    sent = {**fields, "kind": "complaint", "message": "The engineer never came."}
    first, second = client.post("/complain", data=sent), client.post("/complain", data=sent)
    assert first.status_code == second.status_code == 303
    assert db.session.scalar(select(func.count(Complaint.id))) == 1
    assert db.session.scalar(select(func.count(FollowUpCase.id))) == 1
    # Two requests at once, each meeting no complaint yet: the unique key decides, both are thanked.
    racing = {**hidden_fields(client.get("/complain").get_data(as_text=True)), "kind": "complaint",
              "message": "Twice at once"}
    db.session.rollback()
    barrier, statuses = threading.Barrier(2), []

    def send():
        barrier.wait(timeout=30)
        statuses.append(client_of(app, client).post("/complain", data=racing).status_code)

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [303, 303]
    assert db.session.scalar(select(func.count(Complaint.id))) == 2


def client_of(app, client):
    """A second browser holding the same session cookie (so the same CSRF token is valid)."""
    other = app.test_client()
    cookie = client.get_cookie("session")
    other.set_cookie("session", cookie.value)
    return other


def test_a_complaint_sent_after_its_page_timed_out_keeps_every_word(ctx, client):
    fields = hidden_fields(client.get("/complain").get_data(as_text=True))
    refused = client.post("/complain", data={**fields, "csrf_token": "expired", "kind": "complaint",
                                             "message": "Kept, every word", "email": "dee@example.com"})
    page = text_of(refused)
    assert refused.status_code == 400 and "Your message is still below" in page
    assert "\nKept, every word</textarea>" in page and 'value="dee@example.com"' in page
    again = client.post("/complain", data={**hidden_fields(refused.get_data(as_text=True)), "kind": "complaint",
                                           "message": "Kept, every word"})
    assert again.status_code == 303 and db.session.scalar(select(func.count(Complaint.id))) == 1


def test_an_agent_works_a_case_and_the_standard_is_measured(ctx, client):
    survey = make_survey()
    answer(survey, "low@example.com", {"satisfaction": 1, "resolved": True,
                                       "comment": "<script>alert(1)</script> still broken"},
           now=utcnow() - timedelta(hours=2))  # called back two hours later: within the standard
    agent = make_user(email="agent@example.com", role="agent")
    case = cases()[0]
    log_in(client, "agent@example.com")
    page = client.get(f"/manage/cases/{case.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "+44 113 496 0000" in html and "Calling them" in html
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html
    assert "<td>Yes</td>" in html and "Extremely dissatisfied (1/5)" in html  # answers read as on the response page
    url = f"/manage/cases/{case.id}"
    post_form(client, f"{url}/status", {"status": "contacted", "problem_fixed": "", "change_id": "",
                                        "note": "Called, engineer booked for Tuesday"}, page=url)
    post_form(client, f"{url}/status", {"status": "resolved", "problem_fixed": "yes", "change_id": "", "note": ""},
              page=url)
    db.session.expire_all()
    case = db.session.get(FollowUpCase, case.id)
    assert case.status == "resolved" and case.problem_fixed is True and case.owner_id == agent.id
    assert case.first_contact_at is not None and case.notes[0].text == "Called, engineer booked for Tuesday"
    listing = text_of(client.get("/manage/cases/?status=all"))
    assert "Everyone" in listing and "not enough cases (1 of 1)" in listing  # one case: no share yet


def test_overdue_owners_are_reminded_once(ctx):
    survey = make_survey()
    answer(survey, "low@example.com", {"satisfaction": 1})
    owner = make_user(email="owner@example.com", role="agent")
    case = cases()[0]
    followups.assign(case, owner, now=FRIDAY)
    assert followups.remind_overdue(now=case.due_at - timedelta(minutes=1)) == 0
    assert followups.remind_overdue(now=case.due_at + timedelta(minutes=1)) == 1
    assert followups.remind_overdue(now=case.due_at + timedelta(days=1)) == 0
    (email,) = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "case_overdue")).all()
    assert email.recipient == "owner@example.com" and f"/manage/cases/{case.id}" in email.text_body


def test_a_case_can_be_opened_by_hand_from_a_response(ctx, client):
    survey = make_survey()
    answer(survey, "fine@example.com", {"satisfaction": 4})
    make_user(role="agent")
    log_in(client, "manager@example.com")
    contact_id = db.session.scalar(select(FollowUpCase.contact_id)) or db.session.execute(
        select(func.max(db.metadata.tables["contacts"].c.id))).scalar()
    profile = f"/manage/contacts/{contact_id}"
    response_id = db.session.execute(select(func.max(db.metadata.tables["responses"].c.id))).scalar()
    opened = post_form(client, f"/manage/responses/{response_id}/case", page=profile)
    assert opened.status_code == 302
    (case,) = cases()
    assert case.reason == "manual" and case.owner.email == "manager@example.com"
    assert client.get("/manage/cases/").status_code == 200
    post_form(client, "/logout", page="/manage/cases/")
    assert client.get("/manage/cases/").status_code == 302  # login required


def test_the_complaint_limit_counts_per_sender_and_trusts_forwarded_addresses_only_when_told(ctx, client):
    spoofed = {"X-Forwarded-For": "203.0.113.9"}
    for i in range(followups.COMPLAINTS_PER_SENDER):
        post_form(client, "/complain", {"kind": "suggestion", "message": f"Idea {i}"}, headers=spoofed)
    # Without trusted proxies a forged header is ignored: the same sender is still limited.
    other = {"X-Forwarded-For": "198.51.100.7"}
    assert post_form(client, "/complain", {"kind": "suggestion", "message": "More"}, headers=other).status_code == 429


def test_behind_a_trusted_proxy_each_customer_has_their_own_limit(app, migrated, instance_path):
    from tests.conftest import build_app

    proxied = build_app(migrated, instance_path, TRUSTED_PROXIES=1)
    client = proxied.test_client()
    for i in range(followups.COMPLAINTS_PER_SENDER):
        post_form(client, "/complain", {"kind": "suggestion", "message": f"Idea {i}"},
                  headers={"X-Forwarded-For": "203.0.113.9"})
    assert post_form(client, "/complain", {"kind": "suggestion", "message": "Mine"},
                     headers={"X-Forwarded-For": "198.51.100.7"}).status_code == 303
    assert post_form(client, "/complain", {"kind": "suggestion", "message": "Again"},
                     headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 429
    with proxied.app_context():
        db.engine.dispose()


def test_erasing_a_contact_removes_their_complaints_and_the_notes_about_them(ctx):
    from survey.outreach import contacts

    survey = make_survey()
    answer(survey, "ann@example.com", {"satisfaction": 1})
    followups.record_complaint(followups.ComplaintInput("complaint", "I am Ann Smith, call 0113 496 0000",
                                                        "Ann Smith", "ann@example.com", "0113 496 0000"),
                               sender="192.0.2.1", now=FRIDAY)
    case = cases()[0]
    followups.add_note(case, author=make_user(), text="Ann Smith says the boiler is still broken", now=FRIDAY)
    contact = case.contact
    contacts.erase_contact(contact, actor="test", actor_id=None, now=FRIDAY)
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Complaint.id))) == 0
    remaining = cases()
    assert [c.reason for c in remaining] == ["low_score"] and remaining[0].notes == []
    assert "Ann" not in remaining[0].summary


def test_erasing_a_complainant_leaves_their_words_in_no_email_and_no_webhook(ctx):
    """Their complaint came before they were a contact: the overdue email to its owner, and the
    case.updated delivery (email null then), carried its words."""
    from survey import webhooks
    from survey.outreach import contacts

    survey = make_survey()
    webhooks.create_endpoint(webhooks.EndpointInput("http://127.0.0.1:9/hooks", "", ("case.updated",)),
                             allowed_hosts="127.0.0.1", actor_id=None, now=FRIDAY)
    followups.record_complaint(followups.ComplaintInput("complaint", "I am Ann Smith, call 0113 496 0000",
                                                        "Ann Smith", "ann@example.com", "0113 496 0000"),
                               sender="192.0.2.1", now=FRIDAY)
    webhooks.emit("case.updated", {"id": 999, "complaint_id": 9990, "summary": "someone else"}, now=FRIDAY)
    case = cases()[0]
    followups.assign(case, make_user(email="owner@example.com", role="agent"), now=FRIDAY)
    assert followups.remind_overdue(now=case.due_at + timedelta(minutes=1)) == 1
    answer(survey, "ann@example.com", {"satisfaction": 4})
    contacts.erase_contact(contacts.find_contact("ann@example.com"), actor="test", actor_id=None, now=FRIDAY)
    db.session.expire_all()
    texts = [*db.session.scalars(select(OutboxMessage.subject)), *db.session.scalars(select(OutboxMessage.text_body)),
             *db.session.scalars(select(WebhookDelivery.body))]
    assert texts and not [text for text in texts if "0113 496 0000" in text or "Ann Smith" in text]
    assert db.session.scalar(select(func.count(WebhookDelivery.id))) == 1  # someone else's stays


def test_an_anonymous_low_score_is_flagged_for_review_not_queued_as_a_call(ctx, client):
    """A public-link answer leaves no name, email or phone: its case says so, has no call script, and is
    outside the response-time standard (nobody can be contacted in time)."""
    make_survey()
    assert post_form(client, "/s/support-csat", {"q-satisfaction": "1"}).status_code == 303
    [case] = cases()
    assert case.reason == "review" and case.summary.startswith("Anonymous, to review: Extremely dissatisfied")
    assert followups.compliance(now=FRIDAY, since=FRIDAY - timedelta(days=90)) == []
    log_in(client, make_user(email="agent@example.com", role="agent").email)
    page = text_of(client.get(f"/manage/cases/{case.id}"))
    assert "Nobody to call" in page and "Calling them" not in page


def test_the_complaint_survey_opens_a_case_for_every_response_like_the_complaint_form(ctx, client):
    """/s/complaint (the complaint starter) opened no case: it has no score. Its definition now says every
    response opens one, with the customer's words as its summary; the rule is a survey setting that the
    editor, the JSON format and a new version keep."""
    from survey.authoring import starters
    from survey.authoring.definitions import parse_survey, survey_definition
    from survey.authoring.editing import create_survey, find_survey

    create_survey(starters.starter("complaint").spec, actor=None, now=FRIDAY, publish=True)
    assert post_form(client, "/s/complaint", {"q-topic": "Delivery", "q-details": "Left in the rain"}
                     ).status_code == 303
    [case] = cases()
    assert case.reason == "complaint" and case.summary == "Complaint: Left in the rain" and case.due_at
    survey = find_survey("complaint")
    definition = survey_definition("complaint", survey.current_version)
    assert definition["follow_up"] == "every_response"
    assert parse_survey(definition).follow_up == "every_response"
    with pytest.raises(DefinitionError, match="follow_up: must be one of low_scores, every_response"):
        parse_survey({**definition, "follow_up": "always"})
    # Turned off in the editor: a new version (this one has a response), and no case for the next answer.
    log_in(client, make_user(email="editor@example.com", role="editor").email)
    url = "/manage/surveys/complaint"
    (checkbox,) = re.findall(r'<input[^>]*name="every_response"[^>]*>', client.get(url).get_data(as_text=True))
    assert "checked" in checkbox
    post_form(client, f"{url}/details", {"title": "Tell us what went wrong", "intro": ""}, page=url)
    db.session.expire_all()
    assert [v.follow_up for v in find_survey("complaint").versions] == ["every_response", "low_scores"]
    post_form(client, "/s/complaint", {"q-topic": "Billing", "q-details": "Charged twice"})
    assert len(cases()) == 1


def test_cases_are_paged_by_id_in_one_status_or_all(ctx):
    made = [followups.record_complaint(followups.ComplaintInput("complaint", f"Complaint {n}", "", "", ""),
                                       sender=f"10.0.0.{n}", now=NOW) for n in range(3)]
    followups.set_status(made[1], "resolved", actor=make_user(), now=NOW)
    page = followups.cases_after(after=0, limit=2)
    assert (page.rows, page.more) == (made[:2], True)
    assert followups.cases_after(after=made[1].id, limit=2).rows == [made[2]]
    assert followups.cases_after(after=0, limit=10, status="resolved").rows == [made[1]]
