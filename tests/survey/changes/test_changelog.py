"""What we changed because of you: editors' pages, the public page and feed, no personal data in public,
hostile input inert, customers told once, and the quarterly digest."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime
from unittest import mock

import feedparser
import pytest
from sqlalchemy import event, func, select
from sqlalchemy import insert as sa_insert

from survey import database
from survey.changes import changelog as changes
from survey.extensions import db
from survey.models import ChangeEntry, ChangeNotice, Contact, OutboxMessage
from survey.outreach.invitations import invited_respondent
from survey.responding.submission import Consents, submit_response
from survey.results import rollups
from tests.factories import NOW, make_invitation, make_survey, make_user
from tests.pages import log_in, post_form, text_of

HOSTILE = '<script>alert(1)</script><img src=x onerror=alert(2)> [click](javascript:alert(3))'


def customer_response(survey, email, name, comment, *, quote=True, contact=True, key=None, location="Leeds"):
    invitation = make_invitation(survey, email=email)
    contact_row = invitation.contact
    contact_row.name, contact_row.attributes = name, {"location": location}
    db.session.commit()
    submit_response(survey.current_version, invited_respondent(invitation),
                    {"satisfaction": 2, "comment": comment}, Consents(quote=quote, contact=contact),
                    submission_key=key or ("k" * 16 + email[:8]), now=NOW)
    return db.session.scalar(select(func.max(db.metadata.tables["responses"].c.id)))


def make_change(**overrides):
    data = dict(title="Call-backs within a day", you_said="Nobody called you back.",
                we_did="We now call **every** customer back within one working day.", category="Support",
                status="done", changed_on=date(2026, 10, 15))
    data.update(overrides)
    return changes.save_change(None, changes.ChangeInput(**data), actor_id=None, now=NOW)


def test_only_published_undeleted_entries_are_public_and_carry_no_personal_data(ctx, client):
    survey = make_survey()
    ann = customer_response(survey, "ann.smith@example.com", "Ann Smith",
                            "Ann Smith here, nobody called me back on 0113 496 0000 or ann.smith@example.com!")
    bob = customer_response(survey, "bob@example.com", "Bob Jones", "Nobody ever calls back.", quote=False)
    entry = make_change()
    changes.set_links(entry, response_ids=[ann, bob], alert_ids=[], now=NOW)
    draft = make_change(title="A plan still in draft")
    assert "Call-backs" not in text_of(client.get("/changes"))
    with pytest.raises(changes.ChangeError):  # Bob did not agree to be quoted
        changes.add_quote(entry, bob, "Nobody ever calls back.", now=NOW)
    with pytest.raises(changes.ChangeError):  # not the customer's words
        changes.add_quote(entry, ann, "Best company ever", now=NOW)
    changes.add_quote(entry, ann, "Ann Smith here, nobody called me back on 0113 496 0000 or ann.smith@example.com!",
                      now=NOW)
    changes.publish(entry, now=NOW)

    page = text_of(client.get("/changes"))
    assert "Call-backs within a day" in page and "raised by 2 customers" in page
    assert "nobody called me back" in page and "A plan still in draft" not in page
    for secret in ("Ann", "Smith", "Bob", "Jones", "ann.smith@example.com", "0113 496 0000", "bob@example.com"):
        assert secret not in page, secret
    feed = client.get("/changes.atom").get_data(as_text=True)
    assert "Ann Smith" not in feed and "0113" not in feed

    changes.unpublish(entry, now=NOW)
    assert "Call-backs" not in text_of(client.get("/changes"))
    changes.publish(entry, now=NOW)
    changes.delete_change(entry, now=NOW)
    assert "Call-backs" not in text_of(client.get("/changes"))
    assert "Call-backs" not in client.get("/changes.atom").get_data(as_text=True)
    assert draft.published_at is None


def test_hostile_markdown_and_text_are_inert(ctx, client):
    entry = make_change(title=HOSTILE[:200], you_said=HOSTILE, we_did=HOSTILE + "\n\n<iframe src=x></iframe>")
    changes.publish(entry, now=NOW)
    html = client.get("/changes").get_data(as_text=True)
    # Shown as text, never as markup: no tag, no event handler attribute, no script link.
    for page in (html, feedparser.parse(client.get("/changes.atom").get_data()).entries[0].content[0].value):
        assert not re.search(r"<(script|img|iframe)", page, re.I)
        assert not re.search(r"<[^>]*\son\w+\s*=", page, re.I)
        assert not re.search(r"href=[\"']?javascript:", page, re.I)
    assert "&lt;script&gt;" in html


@pytest.mark.parametrize("markdown, html", [
    ("[click](javascript:alert(3))", "<p>click</p>"),
    ("[**bold** text](data:text/html,x \"a title\")", "<p><strong>bold</strong> text</p>"),
    ('<a href="vbscript:x" title="say href=&quot;yes">raw</a> and <a>bare</a>', "<p>raw and bare</p>"),
    ("[bad](javascript:1)[good](https://example.com/a?b=1&c=2)",
     '<p>bad<a href="https://example.com/a?b=1&amp;c=2" rel="noopener noreferrer nofollow">good</a></p>'),
    ("[mail](mailto:team@example.com 'Write')",
     '<p><a href="mailto:team@example.com" title="Write" rel="noopener noreferrer nofollow">mail</a></p>'),
])
def test_a_link_the_sanitiser_takes_the_address_from_becomes_its_text(markdown, html):
    """A link to a scheme that is not allowed loses its href; what remains is its text, not an <a> without
    an address (with a rel, which is what nh3 alone left). Allowed links keep href, title and rel."""
    assert changes.render_markdown(markdown) == html


def test_page_and_feed_are_cacheable_and_revalidate_when_entries_change(ctx, client):
    entry = make_change()
    changes.publish(entry, now=NOW)
    first = client.get("/changes")
    assert first.headers["Cache-Control"] == "public, no-cache" and first.headers["ETag"]
    assert first.headers["Last-Modified"]
    assert client.get("/changes", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    changes.unpublish(entry, now=datetime(2026, 11, 2))
    again = client.get("/changes", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200 and "Call-backs" not in text_of(again)
    assert 'property="og:title"' in first.get_data(as_text=True)


def test_a_warm_page_is_one_read_through_the_driver_and_a_new_response_renews_it(ctx, client):
    """The kept page is served after one read of what its version is made of, with no session statement;
    impact figures move with responses, so a new one gives a new version."""
    survey = make_survey()
    changes.publish(make_change(), now=NOW)
    first = client.get("/changes")
    statements: list[str] = []
    event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    with mock.patch.object(database, "read_row", wraps=database.read_row) as read_row:
        again = client.get("/changes")
    assert again.get_data() == first.get_data() and again.headers["ETag"] == first.headers["ETag"]
    assert again.last_modified == first.last_modified == NOW.replace(microsecond=0, tzinfo=UTC)
    assert read_row.call_count == 1 and statements == []
    customer_response(survey, "ann.smith@example.com", "Ann Smith", "Thanks for calling back.")
    assert client.get("/changes", headers={"If-None-Match": first.headers["ETag"]}).status_code == 200


def test_the_feed_and_a_category_named_feed_are_kept_apart(ctx, client):
    """Rendered pages are kept by ETag: the feed and /changes?category=feed must not share one."""
    changes.publish(make_change(), now=NOW)
    page = client.get("/changes?category=feed")
    feed = client.get("/changes.atom")
    assert feed.mimetype == "application/atom+xml" and feed.get_data().startswith(b"<?xml")
    assert feed.headers["ETag"] != page.headers["ETag"]
    assert client.get("/changes?category=feed").get_data(as_text=True).startswith("<!doctype html>")


def test_a_visitors_pending_message_is_not_kept_in_the_shared_page(ctx, client, app):
    """The page is rendered once for everyone: a message waiting in one visitor's session (here a manager
    who logged out in another tab) must not be shown to the next visitor."""
    changes.publish(make_change(), now=NOW)
    with client.session_transaction() as session:
        session["_flashes"] = [("message", "You are logged out.")]
    assert "You are logged out." not in text_of(client.get("/changes"))
    assert "You are logged out." not in text_of(app.test_client().get("/changes"))


def test_atom_feed_is_valid_for_a_real_parser(ctx, client):
    changes.publish(make_change(), now=NOW)
    changes.publish(make_change(title="Longer opening hours", category="Stores", status="in_progress"), now=NOW)
    response = client.get("/changes.atom")
    assert response.mimetype == "application/atom+xml"
    feed = feedparser.parse(response.get_data())
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10" and len(feed.entries) == 2
    assert {e.title for e in feed.entries} == {"Call-backs within a day", "Longer opening hours"}
    assert all(e.link.startswith("https://feedback.example.test/changes#change-") for e in feed.entries)
    assert "<strong>every</strong>" in next(e for e in feed.entries if e.title.startswith("Call")).content[0].value


def test_category_filter_and_summary(ctx, client):
    changes.publish(make_change(changed_on=date.today()), now=NOW)
    changes.publish(make_change(title="Longer opening hours", category="Stores", changed_on=date.today()), now=NOW)
    page = text_of(client.get("/changes?category=Stores"))
    assert "Longer opening hours" in page and "Call-backs" not in page
    assert "In the last quarter we made 2 changes you asked for" in text_of(client.get("/changes"))


def test_publishing_tells_linked_customers_who_agreed_once(ctx, runner):
    survey = make_survey()
    ann = customer_response(survey, "ann@example.com", "Ann", "Call me back please")
    bob = customer_response(survey, "bob@example.com", "Bob", "No contact please", contact=False)
    cat = customer_response(survey, "cat@example.com", "Cat", "Gone", key="c" * 20)
    db.session.scalar(select(Contact).where(Contact.email == "cat@example.com")).unsubscribed_at = NOW
    db.session.commit()
    entry = make_change()
    changes.set_links(entry, response_ids=[ann, bob, cat], alert_ids=[], now=NOW)
    report = changes.publish(entry, now=NOW)
    assert (report.notified, report.skipped_unsubscribed) == (1, 1)
    changes.unpublish(entry, now=NOW)
    assert changes.publish(entry, now=NOW).notified == 0  # once per entry
    (email,) = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "change")).all()
    assert email.recipient == "ann@example.com" and "You told us: Nobody called you back." in email.text_body
    assert email.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    other = make_change(title="Second change")
    changes.set_links(other, response_ids=[ann], alert_ids=[], now=NOW)
    assert changes.publish(other, now=NOW).skipped_recent == 1  # the notification cap (7 days)


def test_impact_says_measuring_until_there_is_enough_data_then_shows_the_difference(ctx):
    survey = make_survey()
    entry = make_change(impact_survey="support-csat", impact_question="satisfaction",
                        impact_segment="location=Leeds")
    assert changes.impact(entry, now=datetime(2026, 11, 1)).more_needed >= 30
    from tests.survey.alerts.test_trends import add_answers, month_rows

    add_answers(survey, [(d, loc, v) for d, loc, v in month_rows("Leeds", date(2026, 9, 20), 60, 100)]
                + month_rows("Leeds", date(2026, 10, 20), 85, 100))
    rollups.rebuild(survey.id)
    db.session.commit()
    result = changes.impact(entry, now=datetime(2026, 11, 1))
    assert (result.n_before, result.n_after, result.before, result.after) == (100, 100, 0.6, 0.85)
    assert result.significant and result.low > 0
    with pytest.raises(changes.ChangeError) as error:
        make_change(impact_survey="support-csat", impact_question="comment")
    assert "impact_question" in error.value.problems


def test_impact_counts_the_organisations_days_and_outlives_its_question(ctx, app):
    """The "after" window ends with the organisation's today (answers are counted by local day), and a
    question removed from the survey since is still measured on the scale it had."""
    from survey import authoring
    from tests.survey.alerts.test_trends import add_answers, month_rows

    app.config["TIMEZONE"] = "Pacific/Auckland"
    survey = make_survey()
    entry = make_change(impact_survey="support-csat", impact_question="satisfaction", changed_on=date(2026, 10, 1))
    add_answers(survey, month_rows(None, date(2026, 9, 20), 60, 100) + month_rows(None, date(2026, 10, 16), 85, 100))
    evening = datetime(2026, 10, 15, 20, 0)  # 16 October, 9 in the morning, in Auckland
    assert changes.impact(entry, now=evening).n_after == 100
    authoring.remove_question(survey, "satisfaction", now=NOW)
    result = changes.impact(entry, now=evening)
    assert (result.before, result.after) == (0.6, 0.85)


def test_quarterly_digest_previews_then_sends_once(ctx, runner):
    survey = make_survey()
    ann = customer_response(survey, "ann@example.com", "Ann", "Call me back")
    entry = make_change(changed_on=date(2026, 8, 1))
    changes.set_links(entry, response_ids=[ann], alert_ids=[], now=NOW)
    changes.publish(entry, now=NOW)
    db.session.execute(ChangeNotice.__table__.delete())
    db.session.commit()
    preview = runner.invoke(args=["changes-digest", "--quarter", "2026Q3"])
    assert preview.exit_code == 0 and "To: 1 customers" in preview.output and "Call-backs" in preview.output
    before = db.session.scalar(select(func.count(OutboxMessage.id)))
    sent = runner.invoke(args=["changes-digest", "--quarter", "2026Q3", "--send"])
    assert sent.exit_code == 0 and "for 1 customers" in sent.output
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == before + 1
    assert "for 0 customers" in runner.invoke(args=["changes-digest", "--quarter", "2026Q3", "--send"]).output
    for far in ("9999Q4", "0000Q1", "0001Q1"):
        refused = runner.invoke(args=["changes-digest", "--quarter", far])
        assert refused.exit_code == 1 and "outside the years 1900–2999" in refused.output, refused.output
    bad = runner.invoke(args=["changes-digest", "--quarter", "Q3-2026"])
    assert bad.exit_code == 1 and "write it like 2026Q3" in bad.output


def test_editor_pages_create_link_quote_and_publish(ctx, client):
    survey = make_survey()
    ann = customer_response(survey, "ann@example.com", "Ann", "Please call back faster")
    make_user()
    log_in(client, "manager@example.com")
    created = post_form(client, "/manage/changes/new", {
        "title": "Faster call-backs", "you_said": "Call back faster", "we_did": "We **did**", "category": "Support",
        "status": "done", "changed_on": "2026-10-15", "impact_survey": "", "impact_question": "",
        "impact_segment": ""})
    assert created.status_code == 302, text_of(created)
    url = created.headers["Location"]
    assert post_form(client, f"{url}/links", {"responses": f"{ann}"}, page=url).status_code == 302
    assert post_form(client, f"{url}/quotes", {"response_id": str(ann), "text": "call back faster"},
                     page=url).status_code == 302
    assert post_form(client, f"{url}/publish", page=url).status_code == 302
    page = text_of(client.get("/changes"))
    assert "Faster call-backs" in page and "“call back faster”" in page
    bad = post_form(client, "/manage/changes/new", {"title": "", "you_said": "x", "we_did": "y",
                                                     "status": "done", "changed_on": "not a date"})
    assert bad.status_code == 422
    far = post_form(client, "/manage/changes/new", {"title": "Later", "you_said": "x", "we_did": "y",
                                                     "status": "planned", "changed_on": "9999-12-30",
                                                     "impact_survey": survey.slug, "impact_question": "satisfaction"})
    assert far.status_code == 422 and "9999-12-30 is outside the years 1900–2999" in text_of(far)
    assert db.session.scalar(select(func.count(ChangeEntry.id))) == 1


def test_a_refused_quote_shows_only_in_its_own_form(ctx, client):
    """One form per quotable response: each its own field id, and the refusal and text only in the one sent."""
    survey = make_survey()
    ann = customer_response(survey, "ann@example.com", "Ann", "Please call back faster")
    bob = customer_response(survey, "bob@example.com", "Bob", "The queue was long")
    make_user()
    log_in(client, "manager@example.com")
    entry = make_change()
    changes.set_links(entry, response_ids=[ann, bob], alert_ids=[], now=NOW)
    url = f"/manage/changes/{entry.id}"
    refused = post_form(client, f"{url}/quotes", {"response_id": str(ann), "text": "we are great"}, page=url)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and html.count("trim their answer") == 1
    assert f'id="quote-{ann}"' in html and f'id="quote-{bob}"' in html and 'id="text"' not in html
    assert html.count("we are great") == 1


def test_agents_cannot_edit_changes(ctx, client):
    make_user(role="agent")
    log_in(client, "manager@example.com")
    assert client.get("/manage/changes/").status_code == 200
    assert post_form(client, "/manage/changes/new", {"title": "x"}, page="/manage/changes/").status_code == 403


def test_erasing_a_quoted_customer_changes_the_etag_and_the_quote_is_gone(ctx, client):
    from survey.outreach import contacts

    survey = make_survey()
    ann = customer_response(survey, "ann@example.com", "Ann", "They never called me back at all")
    entry = make_change()
    changes.set_links(entry, response_ids=[ann], alert_ids=[], now=NOW)
    changes.add_quote(entry, ann, "never called me back", now=NOW)
    changes.publish(entry, now=NOW)
    before = client.get("/changes")
    assert "never called me back" in text_of(before)
    contact = db.session.scalar(select(Contact).where(Contact.email == "ann@example.com"))
    contacts.erase_contact(contact, actor="test", actor_id=None, now=datetime(2026, 11, 3))
    after = client.get("/changes", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and "never called me back" not in text_of(after)


def test_a_line_break_in_a_title_cannot_break_the_email(ctx):
    entry = make_change(title="Faster\r\nBcc: x@evil.example call-backs")
    assert entry.title == "Faster Bcc: x@evil.example call-backs"


# --- the public impact box: the editor's choice, words not syntax --------------------------------------

AFTER = datetime(2026, 11, 1)
IMPACT = dict(impact_survey="support-csat", impact_question="satisfaction", impact_segment="location=Leeds")


def leeds_answers(survey, before_top, after_top, n=100):
    """Leeds' top box in the 90 days before 15 October 2026 and after it (`before_top`, `after_top` of n)."""
    from tests.factories import add_answers
    from tests.survey.alerts.test_trends import month_rows

    add_answers(survey, month_rows("Leeds", date(2026, 9, 20), before_top, n)
                + month_rows("Leeds", date(2026, 10, 20), after_top, n))


def impact_paragraph(html: str) -> str:
    (box,) = re.findall(r'<p class="impact">.*?</p>', html, re.S)
    return box


def api_change(client, entry_id):
    """The entry as the API reads it, checked against its description (/api/v1/openapi.json)."""
    import secrets

    from jsonschema import Draft202012Validator

    from survey.accounts import api_tokens
    from tests.survey.views.test_api import bearer

    _row, secret = api_tokens.create_token(f"agent-{secrets.token_hex(4)}", "agent", now=NOW)
    body = client.get(f"/api/v1/changes/{entry_id}", headers=bearer(secret)).json
    components = client.get("/api/v1/openapi.json").json["components"]
    Draft202012Validator({"$ref": "#/components/schemas/Change", "components": components}).validate(body)
    return body


def test_a_real_drop_is_published_only_by_an_explicit_choice(ctx, client):
    survey = make_survey()
    leeds_answers(survey, 90, 70)
    ann = customer_response(survey, "ann@example.com", "Ann", "Call me back", location="York")
    entry = make_change(**IMPACT)
    changes.set_links(entry, response_ids=[ann], alert_ids=[], now=NOW)
    with pytest.raises(changes.ChangeError) as refused:
        changes.publish(entry, now=AFTER)
    assert "a real drop" in refused.value.problems["impact_numbers"]
    assert changes.impact(entry, now=AFTER).verdict == "worsening"
    db.session.rollback()
    assert entry.published_at is None and entry.impact_numbers is None  # nothing changed: no email either
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0

    changes.publish(entry, now=AFTER, impact_numbers=False)
    page = client.get("/changes").get_data(as_text=True)
    assert "Call-backs within a day" in page and 'class="impact"' not in page
    feed = client.get("/changes.atom").get_data(as_text=True)
    assert "Call-backs within a day" in feed and "before (of" not in feed
    body = api_change(client, entry.id)
    assert body["impact"] is None and body["impact_numbers"] is False

    changes.choose_impact_numbers(entry, True, now=datetime(2026, 11, 2))
    box = text_of(client.get("/changes"))
    assert ("Customers answering “Extremely satisfied” to “Overall, how satisfied are you with our service?” "
            "in Leeds: 90 % before (of 100), 70 % after (of 100), −20 points") in box
    assert "a real drop." in box and "location=Leeds" not in box and "extremely satisfied" not in box
    feed = feedparser.parse(client.get("/changes.atom").get_data())
    assert "70 % after (of 100), −20 points" in feed.entries[0].content[0].value  # HTML, escaped once
    body = api_change(client, entry.id)
    assert body["impact_numbers"] is True and body["impact"]["verdict"] == "worsening"
    assert (body["impact"]["label"], body["impact"]["segment_words"]) == ("Extremely satisfied", "in Leeds")


def test_an_unclear_result_stays_off_the_page_until_an_editor_chooses(ctx, client):
    """Published while still measuring (no choice needed then), the numbers later turn out inconclusive:
    the page leaves them out rather than showing them by accident, and the API and feed agree."""
    survey = make_survey()
    entry = make_change(**IMPACT)
    changes.publish(entry, now=NOW)
    assert "about" in text_of(client.get("/changes")) and "more responses needed" in text_of(client.get("/changes"))
    leeds_answers(survey, 90, 85)
    page = client.get("/changes").get_data(as_text=True)
    assert "Call-backs within a day" in page and 'class="impact"' not in page
    assert changes.impact(entry, now=AFTER).verdict == "inconclusive"
    assert api_change(client, entry.id)["impact"] is None
    changes.choose_impact_numbers(entry, True, now=datetime(2026, 11, 2))
    assert "not yet distinguishable from chance" in text_of(client.get("/changes"))
    # Another figure is another result: the choice made about the old one no longer holds.
    changes.save_change(entry, changes.ChangeInput(
        title=entry.title, you_said=entry.you_said, we_did=entry.we_did, category=entry.category, status="done",
        changed_on=entry.changed_on, impact_survey="support-csat", impact_question="satisfaction"), actor_id=None,
        now=AFTER)
    assert entry.impact_numbers is None


def test_an_improvement_needs_no_choice_and_reads_in_the_questions_own_words(ctx, client):
    """The label is the question's top option and the segment reads as words ("for the Billing team")."""
    from tests.factories import make_definition

    definition = make_definition()
    definition["questions"][0] = {"key": "satisfaction", "type": "rating", "text": "How easy was it to get help?",
                                  "scale": ["Very difficult", "Difficult", "Neither", "Easy", "Very easy"]}
    survey = make_survey(definition=definition)
    rows = [{"team": "Billing"}] * 200
    from survey.models import Answer, Response

    ids = db.session.scalars(sa_insert(Response).returning(Response.id, sort_by_parameter_order=True), [
        {"respondent_key": f"team:{i}", "survey_id": survey.id, "version_id": survey.current_version.id,
         "source": "import", "submitted_at": datetime(2026, 9, 20) if i < 100 else datetime(2026, 10, 20),
         "local_date": date(2026, 9, 20) if i < 100 else date(2026, 10, 20),
         "updated_at": datetime(2026, 10, 20), "revisions_count": 1, "attributes": attributes}
        for i, attributes in enumerate(rows)]).all()
    db.session.execute(sa_insert(Answer), [{"response_id": rid, "question_key": "satisfaction",
                                            "value_int": 5 if (i < 60 or 100 <= i < 185) else 4}
                                           for i, rid in enumerate(ids)])
    rollups.rebuild(survey.id)
    db.session.commit()
    entry = make_change(impact_survey="support-csat", impact_question="satisfaction",
                        impact_segment="team=Billing")
    changes.publish(entry, now=AFTER)  # no choice needed
    box = text_of(client.get("/changes"))
    assert "team=Billing" not in box and "xtremely satisfied" not in box
    assert ("Customers answering “Very easy” to “How easy was it to get help?” for the Billing team: 60 % before "
            "(of 100), 85 % after (of 100), +25 points") in box and "a real improvement." in box
    assert changes.impact(entry, now=AFTER).verdict == "improvement"


@pytest.mark.parametrize("name, value, words", [
    ("location", "Leeds", "in Leeds"), ("team", "Billing", "for the Billing team"),
    ("team", "Billing team", "for the Billing team"), ("touchpoint", "checkout", "at checkout"),
    ("customer_tier", "Gold", "where customer tier is Gold"), ("", "", "")])
def test_segments_read_as_words(ctx, name, value, words):  # ctx: the words come from the catalogs
    assert changes.segment_words(name, value) == words


def test_the_editor_previews_the_box_as_customers_will_see_it_and_must_choose(ctx, client):
    survey = make_survey()
    leeds_answers(survey, 90, 70)
    make_user()
    log_in(client, "manager@example.com")
    entry = make_change(**IMPACT)
    url = f"/manage/changes/{entry.id}"
    editor = client.get(url).get_data(as_text=True)
    assert "Customers will see no measured effect under the entry until you choose" in editor
    assert "The numbers show a real drop." in editor
    assert "Publish with the numbers" in editor and "Publish without the numbers" in editor
    assert "Publish and tell the customers" not in editor
    preview = impact_paragraph(editor)

    refused = post_form(client, f"{url}/publish", page=url)  # a stale page's plain Publish button
    assert refused.status_code == 422 and "choose whether the public page shows the numbers" in text_of(refused)
    db.session.expire_all()
    assert db.session.get(ChangeEntry, entry.id).published_at is None
    assert post_form(client, f"{url}/publish", {"impact_numbers": "maybe"}, page=url).status_code == 422

    assert post_form(client, f"{url}/publish", {"impact_numbers": "yes"}, page=url).status_code == 302
    db.session.expire_all()
    published = db.session.get(ChangeEntry, entry.id)
    assert published.published_at is not None and published.impact_numbers is True
    assert impact_paragraph(client.get("/changes").get_data(as_text=True)) == preview  # the same box, to the byte
    assert "Customers see this under the entry:" in text_of(client.get(url))

    assert post_form(client, f"{url}/impact", {"impact_numbers": "no"}, page=url).status_code == 302
    assert 'class="impact"' not in client.get("/changes").get_data(as_text=True)
    assert "Your choice: publish without the numbers." in text_of(client.get(url))


# --- the quarterly digest: each status under its own words ----------------------------------------------

def test_the_digest_counts_only_done_work_as_changed_and_says_each_status_in_its_words(ctx):
    survey = make_survey()
    raised = [customer_response(survey, f"c{i}@example.com", f"C{i}", "Please", key=f"digest-key-{i:08d}")
              for i in range(4)]
    entries = {
        "Call-backs within a day": ("done", date(2026, 8, 1), raised[:1]),
        "Delivery slots online": ("in_progress", date(2026, 9, 1), raised[:3]),
        "One case owner": ("planned", date(2027, 1, 10), raised),  # raised most, but only planned
        "Clearer bills": ("planned", date(2026, 9, 10), []),
    }
    for title, (status, day, responses) in entries.items():
        entry = make_change(title=title, status=status, changed_on=day)
        changes.set_links(entry, response_ids=responses, alert_ids=[], now=NOW)
        changes.publish(entry, now=NOW)
    prepared = changes.digest("2026Q3", now=NOW)
    text = prepared.text
    assert "We changed" in text and "We are changing" in text and "We plan to" in text
    changed, rest = text.split("We are changing")
    assert "The biggest things we changed because you told us:" in changed and "Call-backs" in changed
    assert "One case owner" not in changed and "Delivery slots" not in changed
    assert "Delivery slots online (since 1 September 2026; raised by 3 customers)" in rest
    assert "One case owner (planned for 10 January 2027; raised by 4 customers)" in rest
    assert "Clearer bills (planned for 10 September 2026)" in rest
    assert "1. Call-backs within a day (1 August 2026; raised by 1 customer)" in changed
    html = prepared.html
    assert html.index("We changed") < html.index("Call-backs") < html.index("We are changing") \
        < html.index("Delivery slots") < html.index("We plan to") < html.index("One case owner")
    assert prepared.subject == "2026Q3: what we changed because of you"
    assert [(s.heading, [i.change.title for i in s.items]) for s in prepared.sections] == [
        ("We changed", ["Call-backs within a day"]), ("We are changing", ["Delivery slots online"]),
        ("We plan to", ["One case owner", "Clearer bills"])]


@pytest.mark.parametrize("status, day, words", [
    ("done", date(2026, 10, 15), "15 October 2026"), ("done", date(2026, 12, 1), "planned for 1 December 2026"),
    ("in_progress", date(2026, 10, 15), "since 15 October 2026"),
    ("in_progress", date(2026, 12, 1), "planned for 1 December 2026"),
    ("planned", date(2026, 12, 1), "planned for 1 December 2026")])
def test_the_digest_says_future_dates_are_planned(ctx, status, day, words):
    assert changes.when_words(status, day, date(2026, 11, 1)) == words


def test_a_french_contact_gets_the_digest_in_french_and_others_in_english(ctx):
    survey = make_survey()
    ann = customer_response(survey, "ann@example.com", "Ann", "Call me back")
    marie = customer_response(survey, "marie@example.com", "Marie", "Rappelez-moi", key="m" * 16 + "marie")
    contact = db.session.scalar(select(Contact).where(Contact.email == "marie@example.com"))
    contact.attributes = {"location": "Leeds", "language": "fr"}
    entry = make_change(changed_on=date(2026, 8, 1))
    changes.set_links(entry, response_ids=[ann, marie], alert_ids=[], now=NOW)
    changes.publish(entry, now=NOW)
    db.session.execute(ChangeNotice.__table__.delete())
    db.session.execute(OutboxMessage.__table__.delete())
    db.session.commit()
    assert changes.send_digest("2026Q3", now=NOW) == 2
    emails = {m.recipient: m for m in db.session.scalars(select(OutboxMessage))}
    french, english = emails["marie@example.com"], emails["ann@example.com"]
    assert french.subject == "2026Q3 : ce que nous avons changé grâce à vous"
    assert "Bonjour Marie," in french.text_body and "Nous avons changé" in french.text_body
    assert "1 août 2026" in french.text_body and "Voici notre point du 2026Q3" in french.text_body
    assert 'lang="fr"' in (french.html_body or "") and "Tout ce que nous avons changé" in (french.html_body or "")
    assert english.subject == "2026Q3: what we changed because of you" and "Hello Ann," in english.text_body
    assert "1 August 2026" in english.text_body and "We changed" in english.text_body


def test_segment_words_follow_the_page_language(client, app):
    with app.test_request_context("/changes?lang=fr"):
        from flask_babel import refresh
        refresh()
        assert changes.segment_words("location", "Leeds") == "à Leeds"
        assert changes.segment_words("team", "Billing team") == "pour l’équipe Billing"
        assert changes.segment_words("region", "North") == "où region vaut North"
