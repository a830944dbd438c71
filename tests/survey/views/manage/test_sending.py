"""The manager's sending pages: start a campaign, see its figures, preview the email, see failures."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from survey.background import dispatch, jobs
from survey.extensions import db
from survey.models import Campaign, Contact, OutboxMessage
from tests.factories import NOW, make_survey, make_user
from tests.pages import hidden_fields, log_in, post_form, text_of

SENDING = "/manage/surveys/support-csat/sending"


def words(response) -> str:
    """The page's text, tags taken out and spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", text_of(response)).split())


def send(client, data: dict, url: str = SENDING):
    """Send a campaign as a manager does: preview its audience, then press Send on that page."""
    shown = post_form(client, url, {**data, "action": "preview"})
    assert shown.status_code == 200, text_of(shown)
    return client.post(url, data={**hidden_fields(shown.get_data(as_text=True)), **data, "action": "send"})


def setup_survey(role="editor"):
    make_user(role=role)
    make_survey()
    for email, location in (("ann@example.com", "Leeds"), ("cat@example.com", "York")):
        db.session.add(Contact(email=email, name="", attributes={"location": location}, created_at=NOW))
    db.session.commit()


def test_an_editor_sends_to_a_segment_and_sees_the_figures(ctx, client, smtp):
    setup_survey()
    log_in(client, "manager@example.com")
    url = "/manage/surveys/support-csat/sending"
    done = send(client, {"segment": "location=Leeds", "reminders": "1", "reminder_days": "3"})
    assert done.status_code == 303 and "/manage/jobs/" in done.location  # answered at once: a job launches it
    assert "Waiting to start" in text_of(client.get(done.location))
    assert jobs.run_due() == 1
    assert "Queued 1 invitation of 1 matched (0 skipped" in text_of(client.get(done.location))  # not "1 invitations"
    dispatch.run_once()
    page = text_of(client.get(url))
    assert "location = Leeds" in page and "1 reminder after 3 days" in page
    assert "<td>1</td><td>1</td><td>0</td><td>0</td><td>0</td><td>0</td>" in page.replace("\n", "")


def test_a_campaign_whose_launch_fails_queues_nothing_and_no_pass_sends_it_later(ctx, client, monkeypatch):
    """Sent from the page, a campaign is launched by its job: when every attempt fails before its first chunk
    is written, the job says so, nothing was queued, and the dispatcher's pass never launches it behind the
    sender's back."""
    setup_survey()
    log_in(client, "manager@example.com")
    queued = send(client, {"reminders": "0", "reminder_days": "3"})

    def broken(*args, **kwargs):
        raise RuntimeError("the template is broken")

    monkeypatch.setattr("survey.mail.invitation_email", broken)
    assert jobs.run_due() == jobs.MAX_ATTEMPTS
    page = text_of(client.get(queued.location))
    assert "It failed" in page and "Nothing was sent" in page and "the template is broken" in page
    monkeypatch.undo()
    dispatch.run_once()
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0
    assert db.session.scalar(select(Campaign.launched_at)) is None


def test_bad_campaign_input_is_shown_at_the_field_and_nothing_is_queued(ctx, client):
    setup_survey()
    log_in(client, "manager@example.com")
    url = "/manage/surveys/support-csat/sending"
    bad = post_form(client, url, {"segment": "location", "reminders": "1", "reminder_days": "3"})
    assert bad.status_code == 422 and "must look like attribute=value" in text_of(bad)
    bad = post_form(client, url, {"segment": "", "reminders": "9", "reminder_days": "3"})
    assert bad.status_code == 422 and "between 0 and 5" in text_of(bad)
    assert db.session.scalar(select(func.count(Campaign.id))) == 0
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_analysts_see_but_cannot_send(ctx, client):
    setup_survey(role="analyst")
    log_in(client, "manager@example.com")
    page = client.get("/manage/surveys/support-csat/sending")
    assert page.status_code == 200 and "New campaign" not in text_of(page)
    token = post_form(client, SENDING, {"reminders": "0", "reminder_days": "3", "action": "send"})
    assert token.status_code == 403


def test_email_preview_shows_both_parts_in_a_sandbox(ctx, client):
    setup_survey()
    log_in(client, "manager@example.com")
    page = client.get("/manage/surveys/support-csat/email-preview")
    assert "How did we do? — Hearken" in text_of(page) and "Hello Alex Example," in text_of(page)
    frame = client.get("/manage/surveys/support-csat/email-preview.html")
    assert "sandbox" in frame.headers["Content-Security-Policy"] and "script-src" not in frame.headers[
        "Content-Security-Policy"]
    assert frame.get_data(as_text=True).count("?rating=") == 5
    assert db.session.scalar(select(func.count(Contact.id))) == 2  # the example customer was not saved


def test_outbox_page_lists_failures_with_their_reason(ctx, client, smtp):
    setup_survey()
    client.application.config["SMTP_HOST"] = "127.0.0.1"
    smtp.recorder.refuse["ann@example.com"] = "550 5.1.1 Mailbox <ann@example.com> unknown"
    log_in(client, "manager@example.com")
    send(client, {"reminders": "0", "reminder_days": "3"})
    jobs.run_due()
    dispatch.run_once()
    page = text_of(client.get("/manage/outbox"))
    assert "ann@example.com" in page and "unknown" in page


def test_a_launch_that_fails_part_way_says_how_many_were_queued(ctx, client, monkeypatch):
    """Launches commit chunk by chunk: when the second chunk keeps failing, the first one's invitations are
    queued and go out, and the job's page says so rather than "nothing was sent"."""
    from survey.outreach import campaigns

    setup_survey()
    log_in(client, "manager@example.com")
    queued = send(client, {"reminders": "0", "reminder_days": "3"})
    monkeypatch.setattr(campaigns, "LAUNCH_CHUNK", 1)
    chunks = []
    queue = campaigns._queue_invitations

    def second_breaks(audience, contacts):
        chunks.append(len(contacts))
        if len(chunks) > 1:
            raise RuntimeError("the relay's address book is full")
        queue(audience, contacts)
    monkeypatch.setattr(campaigns, "_queue_invitations", second_breaks)
    assert jobs.run_due() == jobs.MAX_ATTEMPTS
    page = " ".join(text_of(client.get(queued.location)).split())
    assert "It failed" in page and "Before it stopped, 1 of the 2 contacts in the audience were invited" in page
    assert "Nothing was sent" not in page
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 1


def test_the_audience_is_shown_before_sending_and_only_send_sends_what_was_shown(ctx, client):
    setup_survey()
    db.session.add(Contact(email="dan@example.com", name="Dan <b>", attributes={"location": "Leeds"}, created_at=NOW,
                           unsubscribed_at=NOW))
    db.session.commit()
    log_in(client, "manager@example.com")
    shown = post_form(client, SENDING, {"segment": "location=Leeds", "reminders": "0", "reminder_days": "3"})
    page = words(shown)
    assert shown.status_code == 200
    assert "Contacts matching 2" in page and "Skipped: unsubscribed 1" in page and "Will be invited 1" in page
    assert "ann@example.com" in page and "dan@example.com" not in page
    assert "Send to 1 contact" in page
    assert db.session.scalar(select(func.count(Campaign.id))) == 0  # previewing changes nothing
    # Send without having previewed this segment (another one was shown): previewed again, nothing sent.
    fields = hidden_fields(shown.get_data(as_text=True))
    again = client.post(SENDING, data={**fields, "segment": "location=York", "reminders": "0", "reminder_days": "3",
                                       "action": "send"})
    assert again.status_code == 200 and "Will be invited 1" in words(again)
    assert db.session.scalar(select(func.count(Campaign.id))) == 0
    done = send(client, {"segment": "location=Leeds", "reminders": "0", "reminder_days": "3"})
    assert done.status_code == 303
    assert db.session.scalar(select(func.count(Campaign.id))) == 1


def test_an_unknown_segment_attribute_is_refused_by_name_at_the_field(ctx, client):
    setup_survey()
    log_in(client, "manager@example.com")
    for action in ("preview", "send"):
        refused = post_form(client, SENDING, {"segment": "locaton=Leeds", "reminders": "0", "reminder_days": "3",
                                              "action": action})
        assert refused.status_code == 422
        html = refused.get_data(as_text=True)
        assert "no contact has an attribute &#39;locaton&#39;; known attributes: location" in html
        assert 'id="segment-error"' in html and 'aria-describedby="segment-hint segment-error"' in html
    assert db.session.scalar(select(func.count(Campaign.id))) == 0


def test_the_audience_step_shows_the_exact_email_of_a_sample_contact_and_send_keeps_its_wording(ctx, client):
    setup_survey()
    db.session.get(Contact, 1).name = "Ann <i>"
    db.session.commit()
    log_in(client, "manager@example.com")
    data = {"segment": "location=Leeds", "reminders": "0", "reminder_days": "3",
            "email_subject": "{contact.name|Hi}, a minute for {contact.location}?",
            "email_opening": "You visited {contact.location}.", "email_sender_name": "Ann at Acme"}
    shown = post_form(client, SENDING, data)
    page, raw = words(shown), shown.get_data(as_text=True)
    assert "As Ann &lt;i&gt; will receive it" in raw and "<dd>Ann at Acme &lt;feedback@" in raw
    assert "<dd>Ann &lt;i&gt;, a minute for Leeds?</dd>" in raw and "You visited Leeds." in page
    assert "<i>" not in raw
    frame = re.search(r'<iframe[^>]*src="([^"]+)"', shown.get_data(as_text=True)).group(1).replace("&amp;", "&")
    html = client.get(frame)
    assert html.status_code == 200 and "You visited Leeds." in html.get_data(as_text=True)
    assert "sandbox" in html.headers["Content-Security-Policy"]
    # Changing the wording after the preview previews again rather than sending.
    fields = hidden_fields(shown.get_data(as_text=True))
    again = client.post(SENDING, data={**fields, **data, "email_subject": "Other", "action": "send"})
    assert again.status_code == 200 and db.session.scalar(select(func.count(Campaign.id))) == 0
    assert send(client, data).status_code == 303
    campaign = db.session.scalar(select(Campaign))
    assert (campaign.email_subject, campaign.email_sender_name) == (data["email_subject"], "Ann at Acme")


def test_the_email_preview_refuses_wording_it_cannot_fill_by_field(ctx, client):
    setup_survey()
    log_in(client, "manager@example.com")
    refused = client.get("/manage/surveys/support-csat/email-preview?email_opening=In+{contact.locaton}")
    assert refused.status_code == 422
    assert "opening line: no contact has an attribute &#39;locaton&#39;" in refused.get_data(as_text=True)
    assert client.get("/manage/surveys/support-csat/email-preview.html?segment=locaton%3DLeeds").status_code == 422
