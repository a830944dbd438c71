"""Campaigns, reminders, the frequency cap, unsubscribing and triggered events, through a real SMTP server:
every email is parsed as received and its links are followed the way a customer (or a scanner) would."""
from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import create_engine, func, select

from survey import outreach
from survey.authoring.editing import find_survey
from survey.background import dispatch
from survey.clock import utcnow
from survey.extensions import db
from survey.models import Campaign, Contact, Invitation, OutboxMessage, Response, ResponseDraft, ResponseRevision
from survey.outreach.campaigns import LaunchReport
from tests.conftest import BASE_URL
from tests.factories import NOW, make_definition, make_survey
from tests.pages import hidden_fields, text_of

LINK = re.compile(r"https?://[^\s\"'<>]+")


def add_contacts(*rows):
    """rows: (email, name, {attributes})."""
    for email, name, attributes in rows:
        db.session.add(Contact(email=email, name=name, attributes=attributes, created_at=NOW))
    db.session.commit()


def three_locations(ctx):
    make_survey()
    add_contacts(("ann@example.com", "Ann", {"location": "Leeds"}),
                 ("bob@example.com", "Bob", {"location": "Leeds"}),
                 ("cat@example.com", "Cat", {"location": "York"}))


def links_in(message) -> list[str]:
    found = []
    for part in message.walk():
        if part.get_content_type() in ("text/plain", "text/html"):
            found += [link.replace("&amp;", "&") for link in LINK.findall(part.get_content())]
    return sorted(set(found))


def path_of(link: str) -> str:
    parts = urlsplit(link)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def state() -> tuple:
    """Everything a GET must never change."""
    return (db.session.scalar(select(func.count(Response.id))),
            db.session.scalar(select(func.count(ResponseRevision.id))),
            db.session.scalar(select(func.count(ResponseDraft.id))),
            db.session.scalar(select(func.count(Contact.id)).where(Contact.unsubscribed_at.is_not(None))),
            db.session.scalar(select(func.count(Invitation.id)).where(Invitation.opened_at.is_not(None))))


def test_campaign_to_a_segment_sends_personal_multipart_emails(ctx, runner, smtp):
    three_locations(ctx)
    result = runner.invoke(args=["send-survey", "support-csat", "--where", "location=Leeds"])
    assert result.exit_code == 0, result.output
    assert "2 contacts matched, 2 invitations queued, 0 skipped by the frequency cap, 0 unsubscribed" in result.output
    sent = runner.invoke(args=["dispatch", "--once"])
    assert "sent 2," in sent.output, sent.output

    assert sorted(m["To"] for m in smtp.messages) == ["Ann <ann@example.com>", "Bob <bob@example.com>"]
    message = next(m for m in smtp.messages if "ann@" in m["To"])
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert message["Subject"] == "How did we do? — Hearken"
    assert message["From"] == "Hearken <feedback@example.test>"
    assert message["Message-ID"] == db.session.scalar(
        select(OutboxMessage.message_id).where(OutboxMessage.recipient.contains("ann@")))
    assert "Hello Ann," in message.get_body(("plain",)).get_content()
    unsubscribe = message["List-Unsubscribe"].strip("<>")
    assert unsubscribe.startswith(f"{BASE_URL}/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # One-click rating buttons for the first question (a five-point scale) in both parts.
    html = message.get_body(("html",)).get_content()
    assert html.count("?rating=") == 5 and "Extremely satisfied" in html
    assert all(link.startswith(BASE_URL) for link in links_in(message))
    invitation = db.session.scalar(select(Invitation).join(Contact).where(Contact.email == "ann@example.com"))
    assert invitation.sent_at is not None and invitation.source == "campaign"


def test_no_get_on_any_link_in_an_email_records_anything(ctx, runner, smtp, client):
    three_locations(ctx)
    runner.invoke(args=["send-survey", "support-csat"])
    runner.invoke(args=["dispatch"])
    before = state()
    links = [link for message in smtp.messages for link in links_in(message)]
    assert len(links) >= 3 * 8  # 5 ratings, the survey, unsubscribe, changes page per email
    for link in links:  # what a mail security scanner does
        response = client.get(path_of(link))
        assert response.status_code == 200, link
    db.session.expire_all()
    assert state() == before


def test_one_click_rating_preselects_and_is_recorded_only_on_submit(ctx, runner, smtp, client):
    three_locations(ctx)
    runner.invoke(args=["send-survey", "support-csat", "--where", "location=York"])
    runner.invoke(args=["dispatch"])
    link = next(link for link in links_in(smtp.messages[0]) if link.endswith("rating=4"))
    page = client.get(path_of(link))
    html = page.get_data(as_text=True)
    assert re.search(r'name="q-satisfaction" value="4" checked', html)
    assert db.session.scalar(select(func.count(Response.id))) == 0
    fields = hidden_fields(html) | {"q-satisfaction": "4"}
    assert client.post(urlsplit(link).path, data=fields).status_code == 303
    db.session.expire_all()
    response = db.session.scalar(select(Response))
    assert response.answers[0].value_int == 4 and response.attributes == {"location": "York"}
    assert db.session.scalar(select(Invitation.opened_at)) is not None


def test_frequency_cap_applies_across_surveys_and_skips_are_counted(ctx, runner, smtp):
    three_locations(ctx)
    make_survey(definition=make_definition(slug="nps", title="Would you recommend us?"))
    runner.invoke(args=["send-survey", "support-csat", "--where", "location=York"])
    second = runner.invoke(args=["send-survey", "nps"])
    assert "3 contacts matched, 2 invitations queued, 1 skipped by the frequency cap" in second.output
    campaign = db.session.scalars(select(Campaign).order_by(Campaign.id.desc())).first()
    assert (campaign.matched, campaign.queued, campaign.skipped_cap) == (3, 2, 1)


def test_unsubscribe_get_changes_nothing_post_unsubscribes_and_later_sends_skip(ctx, runner, smtp, client):
    three_locations(ctx)
    runner.invoke(args=["send-survey", "support-csat", "--where", "location=York"])
    runner.invoke(args=["dispatch"])
    path = path_of(smtp.messages[0]["List-Unsubscribe"].strip("<>"))
    page = client.get(path)
    assert "Stop survey emails?" in text_of(page)
    assert db.session.scalar(select(Contact.unsubscribed_at).where(Contact.email == "cat@example.com")) is None
    # RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click" with no cookies and no CSRF token.
    done = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "You are unsubscribed" in text_of(done)
    db.session.expire_all()
    assert db.session.scalar(select(Contact.unsubscribed_at).where(Contact.email == "cat@example.com")) is not None
    make_survey(definition=make_definition(slug="later"))
    later = runner.invoke(args=["send-survey", "later", "--where", "location=York"])
    assert "1 contacts matched, 0 invitations queued, 0 skipped by the frequency cap, 1 unsubscribed" in later.output
    assert client.get("/unsubscribe/not-a-real-token").status_code == 404


def test_reminders_go_only_to_non_responders_and_stop_after_n(ctx, runner, smtp, client):
    three_locations(ctx)
    runner.invoke(args=["send-survey", "support-csat", "--where", "location=Leeds",
                        "--reminders", "1", "--reminder-days", "3"])
    runner.invoke(args=["dispatch"])
    ann = next(m for m in smtp.messages if "ann@" in m["To"])
    survey_link = next(link for link in links_in(ann) if "/r/" in link and "rating" not in link)
    fields = hidden_fields(client.get(path_of(survey_link)).get_data(as_text=True)) | {"q-satisfaction": "5"}
    assert client.post(path_of(survey_link), data=fields).status_code == 303
    smtp.clear()

    assert dispatch.run_once(now=utcnow() + timedelta(days=2)).sent == 0  # not yet due
    report = dispatch.run_once(now=utcnow() + timedelta(days=3, hours=1))
    assert report.sent == 1 and [m["To"] for m in smtp.messages] == ["Bob <bob@example.com>"]
    assert smtp.messages[0]["Subject"].startswith("Reminder: ")
    assert dispatch.run_once(now=utcnow() + timedelta(days=9)).sent == 0  # only one reminder was asked for


def test_a_scheduled_campaign_waits_for_its_time(ctx, runner, smtp):
    three_locations(ctx)
    at = (utcnow() + timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    result = runner.invoke(args=["send-survey", "support-csat", "--at", at])
    assert "scheduled for" in result.output
    assert dispatch.run_once().sent == 0
    assert dispatch.run_once(now=utcnow() + timedelta(days=1, minutes=5)).sent == 3
    past = runner.invoke(args=["send-survey", "support-csat", "--at", "2020-01-01 10:00"])
    assert past.exit_code == 1 and "in the past" in past.output


def test_a_send_now_campaign_claimed_by_a_dispatcher_first_is_launched_once(ctx):
    """"Send now" commits a due campaign before launching it; a dispatcher may launch it in between. The
    page's launch then finds it launched instead of queueing every invitation a second time."""
    from survey import outreach

    three_locations(ctx)
    now = utcnow()
    campaign = outreach.create_campaign(find_survey("support-csat"), segment={}, at=None, reminders=0,
                                        reminder_days=3, now=now)
    (claimed, report), = outreach.launch_due_campaigns(now=now)  # the dispatcher got there first
    assert claimed.id == campaign.id and report.queued == 3
    again = outreach.launch(campaign, now=now)
    assert again == report
    assert db.session.scalar(select(func.count()).select_from(Invitation)) == 3
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 3


def test_the_dispatch_loop_launches_due_campaigns_beside_the_sending(ctx, smtp):
    """`flask dispatch --once` launches a due campaign in its pass, then sends; `--loop` launches it in its
    thread of jobs, so that the pass sending email is not held up by a campaign of a million contacts."""
    import time

    from survey import outreach

    three_locations(ctx)
    now = utcnow()
    campaign_id = outreach.create_campaign(find_survey("support-csat"), segment={}, at=None, reminders=0,
                                           reminder_days=3, now=now).id
    assert dispatch.run_once(now=now, with_jobs=False).sent == 0  # the loop's pass: no launch
    assert db.session.scalar(select(Campaign.launched_at).where(Campaign.id == campaign_id)) is None

    def launched() -> bool:
        time.sleep(0.02)
        db.session.rollback()
        return db.session.scalar(select(Campaign.launched_at).where(Campaign.id == campaign_id)) is not None

    dispatch.run_forever(interval=0.05, detect_every=3600, echo=print, should_stop=launched)
    assert db.session.scalar(select(Campaign.queued).where(Campaign.id == campaign_id)) == 3
    dispatch.run_once()  # what the loop's last pass did not send yet
    assert len(smtp.messages) == 3


def test_send_survey_rejects_bad_input_and_changes_nothing(ctx, runner):
    three_locations(ctx)
    make_survey(definition=make_definition(slug="draft"), status="draft")
    assert "only a published survey" in runner.invoke(args=["send-survey", "draft"]).output
    bad = runner.invoke(args=["send-survey", "support-csat", "--where", "location"])
    assert bad.exit_code == 1 and "attribute=value" in bad.output
    assert runner.invoke(args=["send-survey", "nope"]).exit_code == 1
    assert runner.invoke(args=["send-survey", "support-csat", "--reminders", "9"]).exit_code == 2
    assert db.session.scalar(select(func.count(Campaign.id))) == 0
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_without_smtp_messages_are_written_as_eml_files(ctx, runner, instance_path):
    three_locations(ctx)
    ctx.config["SMTP_HOST"] = None
    runner.invoke(args=["send-survey", "support-csat", "--where", "location=York"])
    assert "sent 1," in runner.invoke(args=["dispatch"]).output
    message_id = db.session.scalar(select(OutboxMessage.message_id)).strip("<>")
    files = list((instance_path / "outbox").glob("*.eml"))
    assert any(message_id.split("@")[0] in f.name for f in files)


def test_a_name_with_a_line_break_cannot_add_a_header_or_a_recipient(ctx, runner, smtp):
    make_survey()
    add_contacts(("ann@example.com", "Ann\r\nBcc: thief@evil.example", {}))
    runner.invoke(args=["send-survey", "support-csat"])
    assert "sent 1," in runner.invoke(args=["dispatch"]).output
    (message,) = smtp.messages
    assert message["Bcc"] is None
    assert message["To"].addresses[0].addr_spec == "ann@example.com"



def test_an_international_address_is_sent_in_ascii_or_refused_at_import_never_blocking_a_campaign(
        ctx, runner, smtp, tmp_path):
    """An international domain is kept in its xn-- form, which every server takes; a name before the @ in
    other characters needs SMTPUTF8, so the import refuses that row. One such address stored before (by
    older versions) fails its own message, not the whole campaign."""
    make_survey()
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("email,name\nann@example.com,Ann\njosé@example.com,José\nbo@exämple.com,Bo\n")
    result = runner.invoke(args=["import-contacts", str(contacts)])
    assert result.exit_code == 1 and "line 3:" in result.output and "created 2" in result.output
    assert "Internationalized characters before the @-sign" in result.output
    add_contacts(("zoë@example.com", "Zoë", {}))  # as an older version stored it
    assert runner.invoke(args=["send-survey", "support-csat"]).exit_code == 0
    dispatched = runner.invoke(args=["dispatch"]).output
    assert "sent 2," in dispatched and "zoë@example.com has characters outside ASCII" in dispatched
    assert sorted(m["To"].addresses[0].addr_spec for m in smtp.messages) == ["ann@example.com",
                                                                             "bo@xn--exmple-cua.com"]
    failed = db.session.scalar(select(OutboxMessage).where(OutboxMessage.status == "failed"))
    assert failed.recipient == "zoë@example.com" and "SMTPUTF8" in failed.last_error


def test_two_campaigns_launched_at_once_keep_the_frequency_cap(app):
    """Two dispatchers each launch a due campaign to the same contact, both having chosen it before either
    wrote: the contact's lock and the cap checked under it let one invitation through, not two."""
    import threading

    from sqlalchemy import event

    from survey import outreach

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite's writers take turns: two launches cannot interleave")
        surveys = [make_survey(), make_survey(definition=make_definition(slug="nps-relationship"))]
        add_contacts(("ann@example.com", "Ann", {}))
        now = utcnow()
        for survey in surveys:
            outreach.create_campaign(survey, segment={}, at=None, reminders=0, reminder_days=3, now=now)
        engine = db.engine
    barrier, first_read, waited = threading.Barrier(2, timeout=10), threading.local(), []

    def read_then_wait(connection, cursor, statement, parameters, context, executemany):
        # Both launches have chosen their first chunk of contacts (the segment's SELECT) before either locks them.
        if statement.startswith("SELECT contacts.id \nFROM contacts") and "FOR UPDATE" not in statement \
                and not getattr(first_read, "done", False):
            first_read.done = True
            barrier.wait()
            waited.append(True)

    errors = []

    def dispatcher():
        try:
            with app.app_context():
                outreach.launch_due_campaigns(now=now)
        except Exception as error:  # noqa: BLE001 — reported below
            errors.append(error)

    event.listen(engine, "after_cursor_execute", read_then_wait)
    try:
        threads = [threading.Thread(target=dispatcher) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        event.remove(engine, "after_cursor_execute", read_then_wait)
    assert not errors and len(waited) == 2
    with app.app_context():
        assert db.session.scalar(select(func.count(Invitation.id))) == 1
        assert sorted(db.session.scalars(select(Campaign.queued))) == [0, 1]
        assert sorted(db.session.scalars(select(Campaign.skipped_cap))) == [0, 1]


SEGMENT_CONTACTS = (
    ("ann@example.com", {"location": "Leeds", "tier": "2"}),
    ("bob@example.com", {"location": "leeds", "tier": "2"}),  # another case: not Leeds
    ("cat@example.com", {"tier": "2"}),  # no location at all
    ("dan@example.com", {"location": "", "tier": "2"}),  # an empty location
    ("eve@example.com", {"location": "Leeds", "tier": "02"}),  # a number written another way
    ("fay@example.com", {"location": "York", "tier": "2"}),
    ("gus@example.com", {"location": " Leeds", "tier": "2.0"}),  # spaces count, as they are stored
    ("hal@example.com", {"location": "Leeds", "tier": "2"}),  # unsubscribed: matched, then skipped
    ("ivy@example.com", {}),
)


def launch_to(segment: dict[str, list[str]]):
    from survey import outreach

    campaign = outreach.create_campaign(find_survey("support-csat"), segment=segment, at=None, reminders=0,
                                        reminder_days=3, now=NOW)
    report = outreach.launch(campaign, now=NOW)
    invited = db.session.scalars(select(Contact.email).join(Invitation).where(Invitation.campaign_id == campaign.id)
                                 .order_by(Contact.email)).all()
    return report, invited


def test_a_segment_selects_exactly_the_contacts_whose_attributes_are_one_of_its_values(ctx):
    """Attribute values match as stored: the same case, no spaces trimmed, numbers as the same text; a missing
    or empty attribute matches no value. Every attribute named must match (any of its values)."""
    ctx.config["FREQUENCY_CAP_DAYS"] = 0  # each launch below invites whoever it matches, however recently asked
    make_survey()
    for email, attributes in SEGMENT_CONTACTS:
        db.session.add(Contact(email=email, name="", attributes=attributes, created_at=NOW,
                               unsubscribed_at=NOW if email.startswith("hal") else None))
    db.session.commit()
    report, invited = launch_to({"location": ["Leeds", "York"], "tier": ["2"]})
    assert invited == ["ann@example.com", "fay@example.com"]
    assert (report.matched, report.queued, report.skipped_unsubscribed) == (3, 2, 1)
    assert launch_to({"tier": ["02", "2.0"]})[1] == ["eve@example.com", "gus@example.com"]
    assert launch_to({"location": ["leeds"]})[1] == ["bob@example.com"]
    assert launch_to({"location": ["Leeds"]})[1] == ["ann@example.com", "eve@example.com"]
    assert launch_to({"location": ["Leeds"], "tier": ["9"]})[1] == []
    with pytest.raises(outreach.OutreachError, match="no contact has an attribute 'team'; known attributes: "
                                                     "location, tier"):
        launch_to({"location": ["Leeds"], "team": ["A"]})
    assert launch_to({})[1] == [email for email, _ in SEGMENT_CONTACTS if not email.startswith("hal")]


def test_a_launch_reads_only_the_contacts_its_segment_selects(ctx):
    """The segment is a condition in SQL: launching to 3 contacts of 400 reads those 3 rows, not 400 to sort
    through (a campaign to a city among 100 000 contacts read every one, with its attributes)."""
    from sqlalchemy import event, insert

    from survey import outreach

    survey = make_survey()
    db.session.execute(insert(Contact), [
        {"email": f"c{n}@example.com", "name": "", "attributes": {"location": "Leeds" if n % 130 == 0 else "York"},
         "created_at": NOW} for n in range(400)])
    db.session.commit()
    read = []
    counting = False

    def count_rows(connection, cursor, statement, parameters, context, executemany):
        # Each statement that reads contacts, counted again by the database itself (a cursor does not say
        # how many rows it returns before they are fetched). PostgreSQL's locking reads (FOR UPDATE) cannot
        # be counted in a subquery; they lock chunks of the ids already selected.
        nonlocal counting
        if counting or executemany or not statement.lstrip().upper().startswith("SELECT") \
                or "FROM contacts" not in statement or "FOR UPDATE" in statement:
            return
        counting = True
        try:
            read.append(connection.exec_driver_sql(f"SELECT count(*) FROM ({statement}) AS q", parameters).scalar())
        finally:
            counting = False

    campaign = outreach.create_campaign(survey, segment={"location": ["Leeds"]}, at=None, reminders=0,
                                        reminder_days=3, now=NOW)
    event.listen(db.engine, "after_cursor_execute", count_rows)
    try:
        report = outreach.launch(campaign, now=NOW)
    finally:
        event.remove(db.engine, "after_cursor_execute", count_rows)
    assert (report.matched, report.queued) == (4, 4)
    # Counted (one row: the progress's total), selected, locked and loaded (SQLite), then checked against
    # the cap and unsubscribes.
    assert read and max(read) == 4 and sum(read) <= 1 + 3 * 4, read


def test_a_segment_attribute_name_with_a_double_quote_is_refused():
    """SQLite's JSON paths cannot name such an attribute, so the segment could match nothing there while it
    matched on PostgreSQL: refused, with the reason."""
    from survey import outreach

    with pytest.raises(outreach.OutreachError, match="cannot hold a double quote"):
        outreach.parse_segment(['na"me=x'])
    assert outreach.parse_segment([" location = Leeds ", "location=York"]) == {"location": ["Leeds", "York"]}


def test_sending_now_creates_the_campaign_with_the_first_chunk_of_its_launch(ctx, runner, monkeypatch):
    """The campaign was committed, then launched in a second transaction: a launch that failed left a due
    campaign behind, which the next dispatcher pass sent although the sender was told it failed. It is
    committed with its first chunk: a small campaign is one transaction."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    three_locations(ctx)

    def broken(*args, **kwargs):
        raise RuntimeError("the template is broken")

    monkeypatch.setattr("survey.mail.invitation_email", broken)
    failed = runner.invoke(args=["send-survey", "support-csat"])
    assert isinstance(failed.exception, RuntimeError)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Campaign.id))) == 0
    monkeypatch.undo()
    commits = []

    def count(session):
        commits.append(session)

    event.listen(Session, "after_commit", count)
    try:
        assert runner.invoke(args=["send-survey", "support-csat"]).exit_code == 0
    finally:
        event.remove(Session, "after_commit", count)
    assert len(commits) == 1
    assert db.session.scalar(select(func.count(Invitation.id))) == 3


# --- large campaigns: chunks that commit, a launch that stops and goes on -----------------------------

def many_contacts(count: int, *, unsubscribed=(), start: int = 0) -> list[int]:
    """`count` contacts c0@example.com …, those numbered in `unsubscribed` unsubscribed: their ids."""
    from sqlalchemy import insert

    return list(db.session.scalars(insert(Contact).returning(Contact.id, sort_by_parameter_order=True), [
        {"email": f"c{n}@example.com", "name": f"Customer {n}", "attributes": {"location": "Leeds"},
         "created_at": NOW, "unsubscribed_at": NOW if n in unsubscribed else None}
        for n in range(start, start + count)]))


def recently_invited(contact_ids: list[int], *, survey) -> None:
    """These contacts were emailed another survey a week ago: the frequency cap holds them back."""
    for contact_id in contact_ids:
        db.session.add(Invitation(token=f"earlier-{contact_id}", survey_id=survey.id, contact_id=contact_id,
                                  created_at=NOW, source="event", scheduled_for=NOW - timedelta(days=7)))
    db.session.commit()


def fail_at_chunk(monkeypatch, number: int) -> list[list[int]]:
    """Make the launch raise when it writes its `number`th chunk (after `number - 1` committed ones), once;
    returns the ids of each chunk as the launch invites them."""
    from survey.outreach import campaigns

    chunks: list[list[int]] = []
    original = campaigns._invite_chunk

    def invite_chunk(audience, ids, position):
        chunks.append(list(ids))
        original(audience, ids, position)
        if len(chunks) == number:
            raise RuntimeError("the dispatcher died here")

    monkeypatch.setattr(campaigns, "_invite_chunk", invite_chunk)
    return chunks


def invited_by(campaign_id: int) -> list[int]:
    return sorted(db.session.scalars(select(Invitation.contact_id).where(Invitation.campaign_id == campaign_id)))


def test_a_launch_that_stopped_part_way_goes_on_with_no_one_invited_twice_and_the_right_counts(ctx, monkeypatch):
    """Chunks commit as they go: a launch that dies after two of them leaves those invitations and emails
    (and the counts so far on the campaign, which stays unlaunched); the next dispatcher pass launches it
    again and passes over whom it invited, counting them as queued. The cap and unsubscribes hold in every
    chunk, across the break."""
    from survey import outreach
    from survey.outreach import campaigns

    monkeypatch.setattr(campaigns, "LAUNCH_CHUNK", 4)
    survey, other = make_survey(), make_survey(definition=make_definition(slug="nps-relationship"))
    ids = many_contacts(14, unsubscribed={1, 6, 13})
    recently_invited([ids[2], ids[5], ids[9]], survey=other)
    campaign = outreach.create_campaign(survey, segment={}, at=None, reminders=0, reminder_days=3, now=NOW)
    chunks = fail_at_chunk(monkeypatch, 3)
    with pytest.raises(RuntimeError, match="died"):
        outreach.launch_due_campaigns(now=NOW)
    db.session.rollback()
    first_two = ids[:8]
    assert chunks[:2] == [first_two[:4], first_two[4:]]
    # Committed: the first two chunks, each contact's invitation with its email; the third rolled back.
    invited = [ids[0], ids[3], ids[4], ids[7]]  # 1 and 6 unsubscribed, 2 and 5 capped
    assert invited_by(campaign.id) == invited
    assert sorted(db.session.scalars(select(OutboxMessage.contact_id).where(
        OutboxMessage.campaign_id == campaign.id))) == invited
    stopped = db.session.get(Campaign, campaign.id)
    assert stopped.launched_at is None
    assert (stopped.matched, stopped.queued, stopped.skipped_cap, stopped.skipped_unsubscribed) == (8, 4, 2, 2)

    monkeypatch.undo()
    monkeypatch.setattr(campaigns, "LAUNCH_CHUNK", 4)
    (again, report), = outreach.launch_due_campaigns(now=NOW + timedelta(minutes=1))
    assert again.id == campaign.id
    assert report == LaunchReport(matched=14, queued=8, skipped_cap=3, skipped_unsubscribed=3)
    assert invited_by(campaign.id) == [ids[n] for n in (0, 3, 4, 7, 8, 10, 11, 12)]
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 8
    launched = db.session.get(Campaign, campaign.id)
    assert launched.launched_at is not None and launched.queued == 8
    assert outreach.launch_due_campaigns(now=NOW + timedelta(minutes=2)) == []  # done: nothing is due


def test_a_launch_commits_every_chunk_and_holds_nothing_per_contact(ctx, monkeypatch):
    """The launch was one transaction: on SQLite the write lock for its whole length (every customer's
    answer waited), and every invitation it made stayed in the session until the end. Now each chunk is
    committed: others see its invitations and may write between two chunks, and the session holds no more
    after a thousand contacts than after one chunk."""
    from sqlalchemy import update

    from survey import database, outreach
    from survey.outreach import campaigns
    from survey.progress import Progress

    monkeypatch.setattr(campaigns, "LAUNCH_CHUNK", 50)
    survey = make_survey()
    many_contacts(230)
    campaign = outreach.create_campaign(survey, segment={}, at=None, reminders=0, reminder_days=3, now=NOW)
    other = create_engine(db.engine.url)  # another process's connection

    class Watching(Progress):
        def __init__(self):
            self.seen, self.wrote, self.held = [], [], []

        def checkpoint(self, done, state):
            super().checkpoint(done, state)
            self.held.append(len(db.session.identity_map))
            with other.connect() as connection:
                self.seen.append(connection.execute(select(func.count(Invitation.id))).scalar())
            # Another writer, refused at once if the launch still held the lock (SQLite: BEGIN IMMEDIATE once).
            self.wrote.append(database.write_without_waiting(
                update(Contact).where(Contact.id == -1).values(name="")))

    watching = Watching()
    try:
        assert outreach.launch(campaign, now=NOW, progress=watching).queued == 230
    finally:
        other.dispose()
    assert watching.seen == [50, 100, 150, 200]  # the last 30 are committed with the campaign's launch
    assert all(watching.wrote)
    assert max(watching.held) < 20 and watching.held[0] == watching.held[-1], watching.held


def test_each_email_put_together_by_a_launch_is_the_one_rendered_in_full(ctx):
    """A launch renders its email once with stand-ins and fills in each contact (mail.InvitationEmails):
    texts, headers and bytes are what rendering every email in full gives, whatever the names hold."""
    from survey import mail, outreach

    survey = make_survey()
    names = ["Ann", "", 'José Ñúñez <x> & "y"', "O'Brien, Jr.", "Ann\r\nBcc: thief@evil.example", "名字" * 12,
             "x" * 200, "  spaced   out  ", "=?utf-8?q?encoded?="]
    add_contacts(*[(f"c{n}@example.com", name, {}) for n, name in enumerate(names)], ("zoë@example.com", "Zoë", {}))
    outreach.launch(outreach.create_campaign(survey, segment={}, at=None, reminders=0, reminder_days=3, now=NOW),
                    now=NOW)
    rows = db.session.scalars(select(OutboxMessage)).all()
    assert len(rows) == len(names) + 1
    for row in rows:
        invitation = db.session.get(Invitation, row.invitation_id)
        full = mail.render_invitation(invitation)
        assert (row.subject, row.text_body, row.html_body, row.headers) == (full.subject, full.text, full.html,
                                                                            full.headers)
        assert row.recipient == mail.address(invitation.contact.name, invitation.contact.email)
        rendered = mail.render(row)  # the row's columns rendered in full, with a boundary of its own
        assert row.raw == rendered.replace(boundary_of(rendered), boundary_of(row.raw))


def test_emails_are_rendered_in_full_when_the_template_uses_a_name_in_another_way(ctx, monkeypatch):
    from dataclasses import replace

    from survey import mail

    survey = make_survey()
    original = mail.invitation_email

    def shouting(version, token, addressee, **kwargs):  # as a template filtering the name would
        return original(version, token, replace(addressee, name=addressee.name.upper()), **kwargs)

    monkeypatch.setattr(mail, "invitation_email", shouting)
    emails = mail.InvitationEmails(survey.current_version)
    assert not emails.exact
    email = emails.email("personal-token", mail.Addressee("Ann", "ann@example.com", "unsubscribe-token"))
    assert "Hello ANN," in email.text_body and "/r/personal-token" in email.text_body
    rendered = mail.render(email)
    assert email.raw == rendered.replace(boundary_of(rendered), boundary_of(email.raw))


def boundary_of(data: bytes) -> bytes:
    found = re.search(rb'boundary="([^"]+)"', data)
    assert found is not None
    return found.group(1)


def test_two_dispatchers_launching_one_large_campaign_invite_each_contact_once(app, monkeypatch):
    """Chunks commit, so the campaign's row is free between two of them: a second dispatcher's pass may take
    the campaign there and launch it from its first contact, passing over those the first invited; the first
    then finds the row held and gives way. Each contact is invited once and the counts are the campaign's."""
    import threading

    from survey import outreach
    from survey.outreach import campaigns
    from survey.progress import Progress

    monkeypatch.setattr(campaigns, "LAUNCH_CHUNK", 5)
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite's writers take turns: two launches cannot interleave")
        survey = make_survey()
        many_contacts(120, unsubscribed={2, 70})
        campaign_id = outreach.create_campaign(survey, segment={}, at=None, reminders=0, reminder_days=3,
                                               now=NOW).id
    first_committed, second_launching, first_done = threading.Event(), threading.Event(), threading.Event()
    checkpoint, invite_chunk, launch = Progress.checkpoint, campaigns._invite_chunk, campaigns._launch
    gave_way: dict[str, bool] = {}

    def first_pauses(self, done, state):  # the first dispatcher, after its first chunk's commit
        checkpoint(self, done, state)
        if threading.current_thread().name == "first" and not first_committed.is_set():
            first_committed.set()
            assert second_launching.wait(10)

    def second_holds(audience, ids, position):  # the second dispatcher, holding the row in its first chunk
        if threading.current_thread().name == "second" and not second_launching.is_set():
            second_launching.set()
            assert first_done.wait(10)
        invite_chunk(audience, ids, position)

    def launching(*args, **kwargs):
        report = launch(*args, **kwargs)
        gave_way[threading.current_thread().name] = report is None
        return report

    monkeypatch.setattr(Progress, "checkpoint", first_pauses)
    monkeypatch.setattr(campaigns, "_invite_chunk", second_holds)
    monkeypatch.setattr(campaigns, "_launch", launching)
    errors, reports = [], []

    def dispatcher():
        try:
            with app.app_context():
                reports.extend(report for _campaign, report in outreach.launch_due_campaigns(now=NOW))
        except Exception as error:  # noqa: BLE001 — reported below
            errors.append(error)
        finally:
            if threading.current_thread().name == "first":
                first_done.set()

    first = threading.Thread(target=dispatcher, name="first")
    first.start()
    assert first_committed.wait(10)
    second = threading.Thread(target=dispatcher, name="second")
    second.start()
    for thread in (first, second):
        thread.join(timeout=60)
    assert not errors
    assert gave_way == {"first": True, "second": False}
    assert reports == [LaunchReport(matched=120, queued=118, skipped_cap=0, skipped_unsubscribed=2)]
    with app.app_context():
        assert db.session.scalar(select(func.count(Invitation.id))) == 118
        assert db.session.scalar(select(func.count(func.distinct(Invitation.contact_id)))) == 118
        assert db.session.scalar(select(func.count(OutboxMessage.id))) == 118
        campaign = db.session.get(Campaign, campaign_id)
        assert campaign.launched_at is not None and (campaign.matched, campaign.queued) == (120, 118)


# --- the audience preview -------------------------------------------------------------------------------

def test_the_audience_preview_counts_what_the_launch_then_does(ctx):
    """12 contacts in Leeds (2 unsubscribed, 3 asked a week ago, one of those also unsubscribed) and 4
    elsewhere: the preview says 12 matched, 2 unsubscribed, 2 capped, 8 invited, and the launch agrees."""
    survey = make_survey()
    leeds = many_contacts(12, unsubscribed={0, 1})
    db.session.add(Contact(email="york@example.com", name="", attributes={"location": "York"}, created_at=NOW))
    db.session.commit()
    recently_invited([leeds[1], leeds[2], leeds[3]], survey=survey)
    segment = {"location": ["Leeds"]}
    preview = outreach.preview_audience(segment, now=NOW, sample_size=3)
    assert (preview.matched, preview.skipped_unsubscribed, preview.skipped_cap, preview.invited) == (12, 2, 2, 8)
    assert [c.email for c in preview.sample] == ["c4@example.com", "c5@example.com", "c6@example.com"]
    assert db.session.scalar(select(func.count(Invitation.id))) == 3  # the preview wrote nothing
    campaign = outreach.create_campaign(find_survey("support-csat"), segment=segment, at=None, reminders=0,
                                        reminder_days=3, now=NOW)
    report = outreach.launch(campaign, now=NOW)
    assert report == LaunchReport(matched=12, queued=8, skipped_cap=2, skipped_unsubscribed=2)
    assert invited_by(campaign.id) == leeds[4:]


def test_an_unknown_segment_attribute_is_refused_by_name_and_nothing_is_created(ctx, runner):
    three_locations(ctx)
    with pytest.raises(outreach.OutreachError) as refused:
        outreach.preview_audience({"locaton": ["Leeds"]}, now=NOW)
    assert str(refused.value) == "no contact has an attribute 'locaton'; known attributes: location"
    assert refused.value.field == "segment"
    result = runner.invoke(args=["send-survey", "support-csat", "--where", "locaton=Leeds"])
    assert result.exit_code != 0
    assert "no contact has an attribute 'locaton'; known attributes: location" in result.output
    assert db.session.scalar(select(func.count(Campaign.id))) == 0


def test_send_survey_can_preview_its_audience_without_sending(ctx, runner):
    three_locations(ctx)
    result = runner.invoke(args=["send-survey", "support-csat", "--where", "location=Leeds", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "2 contacts match; 0 skipped by the frequency cap, 0 unsubscribed; 2 would be invited" in result.output
    assert "ann@example.com" in result.output
    assert db.session.scalar(select(func.count(Campaign.id))) == 0
