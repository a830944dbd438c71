"""Each campaign's email: subject, opening line and sender name, with {contact.…} placeholders filled per
contact (escaped in HTML, on one line in headers), the launch's fast path byte-identical to a full rendering,
and what the manager previews being the email that is sent."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from survey import mail, outreach
from survey.extensions import db
from survey.models import Campaign, Contact, Invitation, OutboxMessage
from tests.factories import NOW, make_survey
from tests.survey.outreach.test_campaigns import add_contacts, boundary_of

WORDING = mail.Wording(subject="{contact.name|Hello there}, how was {contact.location|our shop}?",
                       opening="Thanks for visiting {contact.location|us}, {contact.name|friend}.",
                       sender_name="Ann at Acme")


def launch(survey, wording: mail.Wording, segment=None):
    campaign = outreach.create_campaign(survey, segment=segment or {}, at=None, reminders=1, reminder_days=3, now=NOW,
                                        wording=wording)
    return campaign, outreach.launch(campaign, now=NOW)


def test_a_campaigns_wording_is_filled_per_contact_and_each_email_is_the_one_rendered_in_full(ctx):
    survey = make_survey()
    hostile = 'Zoë <b>"&"</b>\r\nBcc: thief@evil.example'
    add_contacts(("ann@example.com", "Ann", {"location": "Leeds"}), ("bob@example.com", "", {"location": hostile}),
                 ("cat@example.com", hostile, {"team": "B"}), ("dan@example.com", "名字" * 30, {"location": "x" * 200}))
    campaign, report = launch(survey, WORDING)
    assert report.queued == 4
    rows = {row.recipient.rpartition("<")[2].rstrip(">"): row for row in db.session.scalars(select(OutboxMessage))}
    ann = rows["ann@example.com"]
    assert ann.subject == "Ann, how was Leeds?" and ann.sender_name == "Ann at Acme"
    assert "Thanks for visiting Leeds, Ann." in ann.text_body and "Thanks for visiting Leeds, Ann." in ann.html_body
    bob = rows["bob@example.com"]
    assert bob.subject == 'Hello there, how was Zoë <b>"&"</b> Bcc: thief@evil.example?'  # one line
    assert "&lt;b&gt;&#34;&amp;&#34;&lt;/b&gt;" in bob.html_body and "<b>" not in bob.html_body
    assert rows["cat@example.com"].subject.endswith("how was our shop?")
    for row in rows.values():
        assert b"\r\nBcc:" not in row.raw and b"\nBcc:" not in row.raw
        full = mail.render_invitation(db.session.get(Invitation, row.invitation_id))
        assert (row.subject, row.text_body, row.html_body, row.headers) == (full.subject, full.text, full.html,
                                                                            full.headers)
        rendered = mail.render(row)
        assert row.raw == rendered.replace(boundary_of(rendered), boundary_of(row.raw))
    # Reminders, rendered in full, keep the campaign's subject and sender.
    reminder = mail.render_invitation(db.session.get(Invitation, ann.invitation_id), reminder=True)
    assert reminder.subject == "Reminder: Ann, how was Leeds?"


def test_the_fast_path_stays_exact_and_fast_with_a_personal_subject(ctx):
    survey = make_survey()
    emails = mail.InvitationEmails(survey.current_version, WORDING)
    assert emails.exact
    people = [mail.Addressee(f"Customer {n}", f"c{n}@example.com", f"u{n}",
                             attributes={"location": f"Town {n}"})
              for n in range(300)]
    started = time.perf_counter()
    assembled = [emails.email(f"t{n}", person) for n, person in enumerate(people)]
    fast = time.perf_counter() - started
    started = time.perf_counter()
    for n, person in enumerate(people[:30]):
        emails.rendered(f"t{n}", person, "<x@example.com>")
    full = (time.perf_counter() - started) * 10
    assert assembled[7].subject == "Customer 7, how was Town 7?"
    assert fast < full / 3, (fast, full)


def test_the_sender_name_is_the_from_of_the_sent_email_with_the_usual_address(ctx, runner, smtp):
    survey = make_survey()
    add_contacts(("ann@example.com", "Ann", {"location": "Leeds"}))
    launch(survey, mail.Wording(sender_name="Ann at Acme, Support"))
    assert "sent 1," in runner.invoke(args=["dispatch", "--once"]).output
    message = smtp.messages[0]
    assert message["From"] == '"Ann at Acme, Support" <feedback@example.test>'
    assert message["Subject"] == "How did we do? — Hearken"  # the default, as before


@pytest.mark.parametrize("subject, opening, sender, field, says", [
    ("Hi {answers.rating}", None, None, "email_subject", "{answers.rating}: answers come after the email"),
    ("Hi {customer.name}", None, None, "email_subject", "{customer.name}: unknown placeholder"),
    (None, "In {contact.locaton}", None, "email_opening", "no contact has an attribute 'locaton'; known: name, "
                                                          "email, location"),
    (None, None, "{contact.name} at Acme", "email_sender_name", "the sender name is the same for every contact"),
    ("x" * 201, None, None, "email_subject", "at most 200 characters, got 201"),
    ("Hi {contact.name|a|b}", None, None, "email_subject", "is not a placeholder we can fill"),
])
def test_wording_that_cannot_be_filled_is_refused_naming_the_field(ctx, subject, opening, sender, field, says):
    survey = make_survey()
    add_contacts(("ann@example.com", "Ann", {"location": "Leeds"}))
    with pytest.raises(outreach.OutreachError) as refused:
        launch(survey, mail.Wording(subject, opening, sender))
    assert says in str(refused.value) and refused.value.field == field
    assert db.session.scalar(select(Campaign.id)) is None


def test_line_breaks_in_the_wording_never_reach_a_header(ctx):
    assert outreach.check_wording("Hi\r\nBcc: x@evil.example", " a\nb ", "Ann\r\nTo: x") == mail.Wording(
        "Hi Bcc: x@evil.example", "a b", "Ann To: x")
    assert mail.named_sender("Hearken <feedback@example.test>", "Ann\r\nBcc: x") == \
        '"Ann Bcc: x" <feedback@example.test>'


def test_the_preview_is_the_email_its_sample_contact_gets(ctx):
    survey = make_survey()
    add_contacts(("ann@example.com", "Ann", {"location": "Leeds"}), ("bob@example.com", "Bob", {"location": "York"}))
    preview = outreach.preview_email(survey, {"location": ["York"]}, WORDING, now=NOW)
    assert preview.contact.email == "bob@example.com"
    assert preview.sender.startswith("Ann at Acme <feedback@")
    launch(survey, WORDING, segment={"location": ["York"]})
    row = db.session.scalar(select(OutboxMessage))
    assert (preview.rendered.subject, preview.reminder_subject) == (row.subject, "Reminder: " + row.subject)
    links = ("example-personal-link", "example-unsubscribe-token")
    invitation = db.session.get(Invitation, row.invitation_id)
    contact = db.session.get(Contact, row.contact_id)
    for ours, real in ((preview.rendered.text, row.text_body), (preview.rendered.html, row.html_body)):
        assert ours.replace(links[0], invitation.token).replace(links[1], contact.unsubscribe_token) == real


def test_send_survey_takes_the_wording_and_previews_it(ctx, runner):
    make_survey()
    add_contacts(("ann@example.com", "Ann", {"location": "Leeds"}))
    args = ["send-survey", "support-csat", "--subject", "{contact.name|Hi}: two minutes?", "--opening",
            "You visited {contact.location}.", "--sender-name", "Ann at Acme"]
    shown = runner.invoke(args=[*args, "--dry-run"])
    assert shown.exit_code == 0, shown.output
    assert "From: Ann at Acme <feedback@" in shown.output and "\nSubject: Ann: two minutes?" in shown.output
    assert "You visited Leeds." in shown.output and db.session.scalar(select(Campaign.id)) is None
    refused = runner.invoke(args=["send-survey", "support-csat", "--subject", "{answers.x}"])
    assert refused.exit_code != 0 and "email subject: {answers.x}: answers come after the email" in refused.output
    assert runner.invoke(args=args).exit_code == 0
    campaign = db.session.scalar(select(Campaign))
    assert (campaign.email_subject, campaign.email_opening, campaign.email_sender_name) == (
        "{contact.name|Hi}: two minutes?", "You visited {contact.location}.", "Ann at Acme")
    assert db.session.scalar(select(OutboxMessage.subject)) == "Ann: two minutes?"
