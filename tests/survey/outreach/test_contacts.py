"""Contacts: CSV import (command and page), the profile page, and erasure that leaves no personal data."""
from __future__ import annotations

import io
import re
import sys
from datetime import timedelta

import pytest
from sqlalchemy import LargeBinary, String, Text, func, insert, select
from sqlalchemy.types import JSON

from survey import authoring, outreach
from survey.accounts import api_tokens
from survey.addresses import normalise_email
from survey.extensions import db
from survey.models import (
    Answer,
    AnswerCount,
    AuditEntry,
    ChangeEntry,
    ChangeLink,
    ChangeQuote,
    Contact,
    Invitation,
    OutboxMessage,
    Response,
    ResponseDraft,
    ResponseRevision,
    TriggerEvent,
)
from survey.models.outreach import RenderedEmail
from survey.outreach import contacts
from survey.outreach.invitations import invited_respondent
from survey.responding.submission import Consents, save_draft, submit_response
from tests.factories import NOW, make_invitation, make_survey, make_user
from tests.pages import log_in, post_form, text_of

GOOD = b"email,name,location,team\nAnn@Example.com,Ann,Leeds,Billing\nbob@example.com,Bob,York,\n"


def run_import(data: bytes):
    return contacts.import_contacts(io.BytesIO(data), now=NOW)


def all_contacts():
    return {c.email: (c.name, c.attributes) for c in db.session.scalars(select(Contact))}


def test_import_creates_then_updates_matching_case_insensitively(ctx):
    report = run_import(GOOD)
    assert (report.created, report.updated, report.unchanged, report.errors) == (2, 0, 0, [])
    assert all_contacts() == {"ann@example.com": ("Ann", {"location": "Leeds", "team": "Billing"}),
                              "bob@example.com": ("Bob", {"location": "York"})}
    again = run_import(b"\xef\xbb\xbfEMAIL,Location\nANN@example.com,Leeds\nbob@example.com,Hull\n")  # BOM
    assert (again.created, again.updated, again.unchanged) == (0, 1, 1)
    assert all_contacts()["bob@example.com"] == ("Bob", {"location": "Hull"})
    assert all_contacts()["ann@example.com"] == ("Ann", {"location": "Leeds", "team": "Billing"})


def test_a_file_with_a_bom_and_crlf_line_ends_imports_like_the_plain_one(ctx):
    """As Excel saves "CSV UTF-8": a BOM and CRLF (RFC 4180); a quoted name keeps its comma."""
    report = run_import(b"\xef\xbb\xbfemail,name,location\r\nann@example.com,\"Smith, Ann\",Leeds\r\n"
                        b"bob@example.com,Bob,Zo\xc3\xab\r\n")
    assert (report.created, report.errors) == (2, [])
    assert all_contacts() == {"ann@example.com": ("Smith, Ann", {"location": "Leeds"}),
                              "bob@example.com": ("Bob", {"location": "Zoë"})}


def test_bad_rows_are_reported_by_line_and_the_rest_imported(ctx):
    data = (b"email,name,location\n"
            b"ann@example.com,Ann,Leeds\n"
            b"not-an-address,X,York\n"
            b"\n"
            b"cat@example.com,Cat\n"
            b"ANN@example.com,Again,Bath\n"
            b"\"dan@example.com\",\"Dan\nDaniels\",Hull\n"
            b"eve@example.com,Eve," + b"x" * 201 + b"\n")
    report = run_import(data)
    assert [line for line, _ in report.errors] == [3, 5, 6, 9]
    reasons = dict(report.errors)
    assert "not a valid email" in reasons[3] and "expected 3 cells, found 2" in reasons[5]
    assert "already appears on line 2" in reasons[6] and "longer than 200" in reasons[9]
    assert sorted(all_contacts()) == ["ann@example.com", "dan@example.com"]
    assert all_contacts()["dan@example.com"][0] == "Dan Daniels"  # one line: names go into email headers


@pytest.mark.parametrize("data, message", [
    (b"", "the file is empty"),
    (b"name,location\nAnn,Leeds\n", "no 'email' column"),
    (b"email,Location,location\na@example.com,x,y\n", "appears twice"),
    (b"email,,team\na@example.com,x,y\n", "column 2 of the header has no name"),
    (b"email,name\na@example.com,Ren\xe9\n", "line 2 is not UTF-8"),
    (b"email,name\n\"a@example.com,Ann\n", "not valid CSV"),
    (b"email," + b",".join(b"c%d" % i for i in range(250)) + b"\n", "at most 200"),
])
def test_a_refused_file_changes_nothing(ctx, data, message):
    run_import(b"email\nkeep@example.com\n")
    report = run_import(data)
    assert report.file_error and message in report.file_error
    assert list(all_contacts()) == ["keep@example.com"]


def test_import_contacts_command_reports_rows_and_exits_1(ctx, runner, tmp_path):
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_bytes(GOOD)
    bad.write_bytes(b"email\nnope\nz@example.com\n")
    ok = runner.invoke(args=["import-contacts", str(good)])
    assert ok.exit_code == 0 and "created 2, updated 0, unchanged 0" in ok.output
    rejected = runner.invoke(args=["import-contacts", str(bad)])
    assert rejected.exit_code == 1 and "line 2:" in rejected.output and "created 1" in rejected.output
    refused = tmp_path / "refused.csv"
    refused.write_bytes(b"name\nx\n")
    result = runner.invoke(args=["import-contacts", str(refused)])
    assert result.exit_code == 1 and "nothing imported: the header has no 'email' column" in result.output


def test_upload_page_imports_and_reports(ctx, client):
    make_user()
    log_in(client, "manager@example.com")
    url = "/manage/contacts/import"
    done = post_form(client, url, {"file": (io.BytesIO(GOOD), "customers.csv")}, content_type="multipart/form-data")
    assert done.status_code == 200 and "created 2, updated 0, unchanged 0" in text_of(done)
    wrong = post_form(client, url, {"file": (io.BytesIO(GOOD), "<script>.xlsx")}, content_type="multipart/form-data")
    assert wrong.status_code == 422 and "Choose a .csv file" in text_of(wrong)
    assert "<script>" not in wrong.get_data(as_text=True)
    listing = text_of(client.get("/manage/contacts/?q=ann"))
    assert "ann@example.com" in listing and "bob@example.com" not in listing


def test_uploads_may_be_larger_than_other_requests_but_not_50_mb(ctx, client):
    make_user()
    log_in(client, "manager@example.com")
    url = "/manage/contacts/import"
    rows = b"".join(b"customer%d@example.com,Customer %d,Leeds\n" % (i, i) for i in range(60_000))
    big = b"email,name,location\n" + rows  # about 2.7 MB: over the 2 MiB limit of ordinary requests
    done = post_form(client, url, {"file": (io.BytesIO(big), "big.csv")}, content_type="multipart/form-data")
    assert done.status_code == 200 and "created 60000" in text_of(done)
    huge = post_form(client, url, {"file": (io.BytesIO(b"x" * (50 * 1024 * 1024)), "huge.csv")},
                     content_type="multipart/form-data")
    assert huge.status_code == 413 and "That was too large" in text_of(huge)
    assert db.session.scalar(select(func.count(Contact.id))) == 60_000


def test_agents_may_look_but_not_import_or_erase(ctx, client):
    make_user(role="agent")
    run_import(GOOD)
    contact_id = db.session.scalar(select(Contact.id).where(Contact.email == "ann@example.com"))
    log_in(client, "manager@example.com")
    assert client.get("/manage/contacts/").status_code == 200
    page = client.get(f"/manage/contacts/{contact_id}")
    assert page.status_code == 200 and "Erase this contact" not in text_of(page)
    assert post_form(client, "/manage/contacts/import", {}, page="/manage/contacts/").status_code == 403
    assert post_form(client, f"/manage/contacts/{contact_id}/erase", {"confirm": "ann@example.com"},
                     page="/manage/contacts/").status_code == 403


def answered_by_ann():
    survey = make_survey()
    run_import(GOOD)
    invitation = make_invitation(survey, email="ann@example.com")
    submit_response(survey.current_version, invited_respondent(invitation),
                    {"satisfaction": 2, "comment": "Call Ann Smith on 0113 496 0000", "channel": "Phone"},
                    Consents(contact=True), submission_key="k" * 20, now=NOW)
    return survey


def test_profile_shows_invitations_responses_and_scores(ctx, client):
    answered_by_ann()
    make_user()
    log_in(client, "manager@example.com")
    contact_id = db.session.scalar(select(Contact.id).where(Contact.email == "ann@example.com"))
    page = text_of(client.get(f"/manage/contacts/{contact_id}"))
    assert "location" in page and "Leeds" in page and "2/5 Dissatisfied" in page and "How did we do?" in page


def test_erasure_leaves_no_personal_data_anywhere_but_keeps_the_scores(ctx, client, runner):
    survey = answered_by_ann()
    make_user()
    log_in(client, "manager@example.com")
    contact_id = db.session.scalar(select(Contact.id).where(Contact.email == "ann@example.com"))
    url = f"/manage/contacts/{contact_id}"
    refused = post_form(client, f"{url}/erase", {"confirm": "someone@else.com"}, page=url)
    assert refused.status_code == 422 and db.session.get(Contact, contact_id) is not None
    done = post_form(client, f"{url}/erase", {"confirm": "ann@example.com"}, page=url)
    assert done.status_code == 302

    db.session.expire_all()
    needles = ("ann@example.com", "Ann Smith", "0113 496 0000")
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
        for row in db.session.execute(select(*columns)) if columns else []:
            assert not any(n.lower() in str(value).lower() for value in row for n in needles), table.name
    export = runner.invoke(args=["export-responses", survey.slug, "--format", "json"]).output
    assert "ann@" not in export.lower() and "Ann Smith" not in export
    response = db.session.scalar(select(Response))
    assert response.contact_id is None and response.attributes == {"location": "Leeds", "team": "Billing"}
    assert db.session.scalar(select(Answer.value_int).where(Answer.question_key == "satisfaction")) == 2
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "contact.erased"))
    assert audit.subject == f"contact:{contact_id}" and audit.detail == {"responses_anonymised": 1}
    assert db.session.scalar(select(func.count(Contact.id))) == 1  # Bob stays
    for page in ("/manage/contacts/", "/manage/contacts/?q=ann", f"/manage/surveys/{survey.slug}"):
        shown = client.get(page)
        assert shown.status_code == 200 and not any(n in text_of(shown) for n in needles), page
    assert client.get(url).status_code == 404


def test_erase_contact_command(ctx, runner):
    run_import(GOOD)
    assert runner.invoke(args=["erase-contact", "nobody@example.com", "--yes"]).exit_code == 1
    result = runner.invoke(args=["erase-contact", "BOB@example.com", "--yes"])
    assert result.exit_code == 0 and "Erased" in result.output
    assert list(all_contacts()) == ["ann@example.com"]


def test_the_import_is_audited_without_personal_data(ctx):
    run_import(GOOD + b"nope,Nope,Leeds,\n")
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "contacts.imported"))
    assert (audit.actor, audit.detail) == ("cli", {"created": 2, "updated": 0, "unchanged": 0, "skipped_erased": 0,
                                                   "rejected": 1})


@pytest.mark.parametrize("data, message", [
    (b"email,name\nann@example.com,Ann\nbob@example.com,B\xffb\n",
     "line 3 is not UTF-8 text (byte 18 of the line, 49 of the file)"),
    (b"email,name\nann@example.com,Ann\x00\n", "line 2 contains a NUL character"),
    (b"email," + b"x" * 65 + b"\na@example.com,1\n", "longer than 64 characters"),
    (b"\n", "line 1 is empty"),
    (b"email,,\n", "column 2 of the header has no name"),
])
def test_more_refused_files(ctx, data, message):
    report = run_import(data)
    assert report.file_error and message in report.file_error, report.file_error
    assert all_contacts() == {}


def test_a_failed_write_leaves_nothing_behind(ctx, monkeypatch):
    run_import(b"email,team\nann@example.com,Billing\n")

    def fail(*_args, **_columns):
        raise RuntimeError("disk full")
    monkeypatch.setattr(contacts.audit, "record", fail)  # after the inserts and updates have run
    with pytest.raises(RuntimeError):
        run_import(b"email,team\nann@example.com,Sales\nbob@example.com,Sales\n")
    assert all_contacts() == {"ann@example.com": ("", {"team": "Billing"})}


def test_a_contact_added_meanwhile_refuses_the_file_instead_of_failing(ctx, monkeypatch):
    upsert = contacts._upsert

    def racing(rows, now):
        written = upsert(rows, now)
        # What a concurrent writer's address looks like to this transaction: a unique violation.
        db.session.execute(insert(Contact), [{"email": "bob@example.com", "name": "", "attributes": {},
                                              "created_at": now}])
        return written
    monkeypatch.setattr(contacts, "_upsert", racing)
    report = run_import(GOOD)
    assert "added by someone else" in report.file_error and report.created == 0
    assert all_contacts() == {}


def test_search_is_literal_and_pages_by_50(ctx, client):
    make_user(role="agent")
    rows = b"".join(b"c%03d@example.com,Customer %d\n" % (i, i) for i in range(120))
    run_import(b"email,name\n" + rows + b"under_score@example.com,Pat 100%\n")
    log_in(client, "manager@example.com")
    assert "121 contacts" in text_of(client.get("/manage/contacts/"))
    assert "1 contact matching" in text_of(client.get("/manage/contacts/?q=100%25"))  # % is a character
    assert "1 contact matching" in text_of(client.get("/manage/contacts/?q=_"))
    last = text_of(client.get("/manage/contacts/?page=3"))
    assert "Page 3 of 3" in last and last.count("@example.com") == 21 + 1  # 21 rows + the logged-in user
    assert "<script>" not in client.get("/manage/contacts/?q=<script>").get_data(as_text=True)


def test_pages_out_of_range_show_the_first_page_or_an_empty_one(ctx, client):
    make_user(role="agent")
    run_import(b"email\n" + b"".join(b"c%03d@example.com\n" % i for i in range(120)))
    log_in(client, "manager@example.com")
    for wrong in ("0", "-3", "abc", ""):
        first = client.get(f"/manage/contacts/?page={wrong}").get_data(as_text=True)
        assert "Page 1 of 3" in first and "c000@example.com" in first and "page=2" in first, wrong
        assert ">Previous<" not in first
    middle = client.get("/manage/contacts/?q=example&page=2").get_data(as_text=True)
    assert "Page 2 of 3" in middle and "c050@example.com" in middle and "c049@" not in middle
    assert "?q=example&amp;page=1\">Previous<" in middle and "?q=example&amp;page=3\">Next<" in middle
    past = client.get("/manage/contacts/?page=4")
    html = past.get_data(as_text=True)
    assert past.status_code == 200 and "120 contacts." in html and "<tbody>" not in html and "Page " not in html


def test_search_takes_every_character_literally_and_ignores_case(ctx, client):
    """%, _, \\ and / (SQLAlchemy's escape character) are characters, not wildcards or escapes; an upper-case
    letter outside ASCII finds its lower case on both databases."""
    make_user(role="agent")
    run_import("email,name\n"
               "ann@example.com,50% off\nbob@example.com,50 percent off\n"
               "cat_1@example.com,Cat\ncatx1@example.com,Catx\n"
               "dan@example.com,C:\\Users\\dan\nfay@example.com,Users\n"
               "gus@example.com,a/b\nhal@example.com,ab\n"
               "ivy@example.com,élodie\n".encode())
    log_in(client, "manager@example.com")

    def found(query):
        page = client.get("/manage/contacts/", query_string={"q": query}).get_data(as_text=True)
        return re.findall(r'href="/manage/contacts/\d+">([^<]+)</a>', page)
    assert found("50%") == ["ann@example.com"]
    assert found("cat_1") == ["cat_1@example.com"]
    assert found("\\users") == ["dan@example.com"]
    assert found("a/b") == ["gus@example.com"]
    assert found("%") == ["ann@example.com"] and found("_") == ["cat_1@example.com"]
    assert found("\\") == ["dan@example.com"] and found("/") == ["gus@example.com"]
    assert found("ÉLO") == ["ivy@example.com"] and found("CAT_") == ["cat_1@example.com"]


def test_profile_lists_every_invitation_and_the_score_over_time(ctx, client):
    survey = answered_by_ann()
    first = db.session.scalar(select(Invitation))
    later = Invitation(token="t" * 43, survey_id=survey.id, contact_id=first.contact_id, source="campaign",
                       created_at=NOW + timedelta(days=29), scheduled_for=NOW + timedelta(days=29))
    db.session.add(later)
    db.session.commit()
    submit_response(survey.current_version, invited_respondent(later), {"satisfaction": 4, "recommend": 9},
                    Consents(), submission_key="m" * 20, now=NOW + timedelta(days=30))
    make_user(role="agent")
    log_in(client, "manager@example.com")
    page = text_of(client.get(f"/manage/contacts/{first.contact_id}"))
    assert "Score over time" in page and "NPS 9" in page and "Billing" in page
    over_time = page[page.index("Score over time"):]
    assert over_time.index("2/5 Dissatisfied") < over_time.index("4/5 Satisfied")
    assert "2026-11-01" in over_time and "2026-12-01" in over_time
    invitations = page[page.index("<h2>Invitations"):]
    assert "campaign" in invitations and "link" in invitations and "2026-11-30 12:00" in invitations


def test_erasure_reaches_every_copy_and_keeps_the_counts(ctx, runner):
    survey, other = make_survey(), make_survey(slug="nps-check", title="NPS check")
    run_import(b"email,name,location,phone\nAnn@Example.com,Ann Smith,Leeds,0113 496 0000\n"
               b"bob@example.com,Bob,York,0113 496 9999\n")
    invitation = make_invitation(survey, email="ann@example.com")
    submit_response(survey.current_version, invited_respondent(invitation),
                    {"satisfaction": 4, "comment": "Please ask for Ann Smith"}, Consents(), submission_key="a" * 20,
                    now=NOW)
    # A later version drops the text question; the first revision still holds its answer.
    authoring.remove_question(survey, "comment", now=NOW + timedelta(days=1))
    survey = authoring.find_survey(survey.slug)
    submit_response(survey.current_version, invited_respondent(invitation), {"satisfaction": 5}, Consents(),
                    submission_key="b" * 20, now=NOW + timedelta(days=1))
    draft_for = make_invitation(other, email="ann@example.com")
    save_draft(other.current_version, invited_respondent(draft_for), {"q-comment": ["ring Ann Smith"]}, now=NOW)
    campaign = outreach.create_campaign(other, segment={"location": ["Leeds"]}, at=None, reminders=0,
                                        reminder_days=3, now=NOW)
    outreach.launch(campaign, now=NOW)
    token, _secret = api_tokens.create_token("helpdesk", "editor", now=NOW)
    outreach.record_event(token, email="ANN@example.com", survey_slug=survey.slug, now=NOW, delay=timedelta(days=40))
    assert db.session.scalar(select(func.count(OutboxMessage.id))) >= 1
    answered = db.session.scalar(select(Response.id))
    db.session.add(ChangeEntry(title="Shorter queues", you_said="Waits", we_did="More staff", we_did_html="",
                               changed_on=NOW.date(), created_at=NOW, updated_at=NOW,
                               links=[ChangeLink(response_id=answered)],
                               quotes=[ChangeQuote(response_id=answered, text="The wait on the phone was long")]))
    db.session.commit()
    counts = db.session.execute(select(AnswerCount.segment_name, AnswerCount.value_int, AnswerCount.count)
                                .order_by(AnswerCount.id)).all()

    contact = contacts.find_contact("ANN@example.com")
    assert contacts.erase_contact(contact, actor="cli", actor_id=None, now=NOW + timedelta(days=2)) == 1

    db.session.expire_all()
    needles = ("ann@example.com", "ann smith", "0113 496 0000", "invitation:")
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
        for row in db.session.execute(select(*columns)) if columns else []:
            assert not any(n in str(value).lower() for value in row for n in needles), (table.name, row)
    for model in (ResponseDraft, ChangeQuote, RenderedEmail):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0, model.__name__
    # Invitations, emails and events stay for the figures, with nothing that leads back to Ann.
    assert db.session.scalar(select(func.count(Invitation.id))) == 4  # two links, a campaign, an event
    assert db.session.scalar(select(func.count(Invitation.id)).where(Invitation.contact_id.is_not(None))) == 0
    assert not {m.status for m in db.session.scalars(select(OutboxMessage))} & {"pending", "sending"}
    assert {(m.recipient, m.subject, m.text_body, m.html_body, str(m.headers), m.contact_id)
            for m in db.session.scalars(select(OutboxMessage))} == {("", "", "", None, "{}", None)}
    assert db.session.execute(select(TriggerEvent.contact_id, TriggerEvent.event_key)).all() == [(None, None)]
    response = db.session.scalar(select(Response))
    assert response.attributes == {"location": "Leeds"}  # the configured segment stays; the phone does not
    assert response.respondent_key.startswith("erased:") and response.invitation_id == invitation.id
    assert db.session.scalar(select(ChangeLink.response_id)) == response.id  # still counts for the change
    assert [r.answers for r in db.session.scalars(select(ResponseRevision).order_by(ResponseRevision.id))] == [
        {"satisfaction": 4}, {"satisfaction": 5}]
    assert db.session.execute(select(AnswerCount.segment_name, AnswerCount.value_int, AnswerCount.count)
                              .order_by(AnswerCount.id)).all() == counts
    for form in ("csv", "json", "jsonl"):
        export = runner.invoke(args=["export-responses", survey.slug, "--format", form])
        assert export.exit_code == 0 and not any(n in export.output.lower() for n in needles[:3]), form
        assert "Leeds" in export.output
    assert all_contacts() == {"bob@example.com": ("Bob", {"location": "York", "phone": "0113 496 9999"})}


def email_validator_state() -> dict:
    """Every email_validator module's namespace, as any thread validating an address sees it."""
    return {name: dict(vars(module)) for name, module in sys.modules.items()
            if name == "email_validator" or name.startswith("email_validator.")}


def test_every_address_is_validated_even_at_a_domain_seen_before(ctx, monkeypatch):
    """Through email_validator's public validate_email alone: an import changes nothing in the library,
    which every other thread validating an address meanwhile would see."""
    before, unchanged = email_validator_state(), []

    def watched(email):
        unchanged.append(email_validator_state() == before)
        return normalise_email(email)
    monkeypatch.setattr(contacts, "normalise_email", watched)
    report = run_import(b"email\na@example..com\nb@example..com\nc@example.com\nd@-bad.example\n"
                        b"e@ex ample.com\nf@example.com\n")
    assert [line for line, _ in report.errors] == [2, 3, 5, 6] and report.created == 2
    assert unchanged == [True] * 6


# --- erasure keeps history; imports respect it -------------------------------------------------------------

FOUR = (b"email,name,location\nann@example.com,Ann Smith,Leeds\nbob@example.com,Bob Jones,Leeds\n"
        b"cat@example.com,Cat Brown,York\ndan@example.com,Dan Green,York\n")


def nothing_of(needles: tuple[str, ...]) -> None:
    """No row of any table holds any of these, in any text, JSON or binary column."""
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON | LargeBinary)]
        for row in db.session.execute(select(*columns)) if columns else []:
            for value in row:
                text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
                assert not any(n.lower() in text.lower() for n in needles), (table.name, row)


def test_erasure_changes_no_figure_and_kills_the_old_link(ctx, client, smtp):
    from survey.background import dispatch
    from survey.clock import local_date, utcnow
    from survey.outreach.invitations import mark_opened
    from survey.results import dashboard
    from survey.results.filters import ResultsFilter

    survey = make_survey()
    run_import(FOUR)
    now = utcnow()
    campaign = outreach.create_campaign(survey, segment={}, at=None, reminders=1, reminder_days=3, now=now)
    outreach.launch(campaign, now=now)
    assert dispatch.run_once(now=now).sent == 4
    by_email = {i.contact.email: i for i in db.session.scalars(select(Invitation))}
    for number, email in enumerate(("ann@example.com", "bob@example.com")):
        invitation = by_email[email]
        mark_opened(invitation, now=now)
        submit_response(survey.current_version, invited_respondent(invitation), {"satisfaction": 4 + number},
                        Consents(), submission_key=f"{number}" * 20, now=now)
    ann_link = f"/r/{by_email['ann@example.com'].token}"
    assert client.get(ann_link).status_code == 200
    make_user()
    log_in(client, "manager@example.com")
    today = local_date(now, "UTC")

    def figures():
        db.session.expire_all()
        stats = [(s.campaign.queued, s.sent, s.failed, s.pending, s.opened, s.responded, s.response_rate,
                  s.reminders_sent) for s in outreach.campaign_stats(survey)]
        board = dashboard.build(survey, ResultsFilter(end=today), today=today,
                                settings=dashboard.Settings.from_config(ctx.config))
        pages = [text_of(client.get(f"/manage/surveys/{survey.slug}/sending")),
                 text_of(client.get(f"/manage/surveys/{survey.slug}/results?to={today}"))]
        return stats, board.cards, pages

    before = figures()
    assert before[0] == [(4, 4, 0, 0, 2, 2, 0.5, 0)]  # 2 of 4 answered
    assert any(card.title == "Response rate" for card in before[1])
    contacts.erase_contact(contacts.find_contact("ann@example.com"), actor="cli", actor_id=None, now=now)
    assert figures() == before
    assert client.get(ann_link).status_code == 404
    assert client.get(f"{ann_link}/thanks").status_code == 404
    nothing_of(("ann@example.com", "Ann Smith"))
    # Bob, who also answered, still has his link.
    assert client.get(f"/r/{by_email['bob@example.com'].token}").status_code == 200


def erase(email: str) -> None:
    from survey.clock import utcnow
    contacts.erase_contact(contacts.find_contact(email), actor="cli", actor_id=None, now=utcnow())


def test_importing_the_same_file_again_skips_the_erased_person_without_naming_them(ctx, client, runner, tmp_path):
    run_import(GOOD)
    erase("ann@example.com")
    again = run_import(GOOD.replace(b"Ann@Example.com", b"ANN@example.COM"))  # however it is written
    assert (again.created, again.updated, again.unchanged, again.skipped_erased) == (0, 0, 1, 1)
    assert again.summary() == "created 0, updated 0, unchanged 1, 1 skipped (erased on request)"
    assert list(all_contacts()) == ["bob@example.com"]
    path = tmp_path / "contacts.csv"
    path.write_bytes(GOOD)
    result = runner.invoke(args=["import-contacts", str(path)])
    assert result.exit_code == 0 and "1 skipped (erased on request)" in result.output
    assert "ann" not in result.output.lower()
    make_user()
    log_in(client, "manager@example.com")
    page = post_form(client, "/manage/contacts/import", {"file": (io.BytesIO(GOOD), "contacts.csv")},
                     page="/manage/contacts/import", content_type="multipart/form-data")
    assert "1 skipped (erased on request)" in text_of(page) and "ann@" not in text_of(page).lower()
    audit = db.session.scalars(select(AuditEntry.detail).where(AuditEntry.action == "contacts.imported")).all()
    assert audit[-1]["skipped_erased"] == 1
    assert list(all_contacts()) == ["bob@example.com"]
    nothing_of(("ann@example.com", "Ann"))


def test_the_api_upsert_and_events_skip_an_erased_person(ctx, client):
    from survey.clock import utcnow

    survey = make_survey()
    run_import(GOOD)
    erase("ann@example.com")
    _row, secret = api_tokens.create_token("crm", "editor", now=utcnow())
    headers = {"Authorization": f"Bearer {secret}"}
    upsert = client.post("/api/v1/contacts", headers=headers, json={"contacts": [
        {"email": "ann@example.com", "name": "Ann Smith"}, {"email": "eve@example.com"}]})
    assert upsert.status_code == 200, upsert.json
    assert upsert.json == {"created": 1, "updated": 0, "unchanged": 0, "skipped_erased": 1}
    event = client.post("/api/v1/events", headers=headers, json={
        "email": "Ann@Example.com", "name": "Ann Smith", "survey": survey.slug, "id": "order-9"})
    assert event.status_code == 202, event.json
    assert event.json["event"]["outcome"] == "skipped_erased" and event.json["event"]["invitation_id"] is None
    assert db.session.scalar(select(func.count(Invitation.id))) == 0
    assert sorted(all_contacts()) == ["bob@example.com", "eve@example.com"]
    make_user()
    log_in(client, "manager@example.com")
    assert "1 skipped because the customer was erased on request" in text_of(
        client.get(f"/manage/surveys/{survey.slug}/sending"))
    nothing_of(("ann@example.com", "Ann Smith"))


def test_a_personal_link_is_refused_for_an_erased_person_until_an_admin_forgets_the_erasure(ctx, runner):
    make_survey()
    run_import(GOOD)
    erase("ann@example.com")
    link = runner.invoke(args=["survey-link", "support-csat", "--email", "ann@example.com"])
    assert link.exit_code == 1 and "erased on the customer's request" in link.output
    assert list(all_contacts()) == ["bob@example.com"]
    unknown = runner.invoke(args=["forget-erasure", "bob@example.com"])
    assert unknown.exit_code == 1 and "no erasure is recorded for bob@example.com" in unknown.output
    forgotten = runner.invoke(args=["forget-erasure", "ANN@example.com"])
    assert forgotten.exit_code == 0 and "may be imported again" in forgotten.output
    assert run_import(GOOD).created == 1  # back, as a new contact with only what the file says
    assert all_contacts()["ann@example.com"] == ("Ann", {"location": "Leeds", "team": "Billing"})
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "erasure.forgotten"))
    assert audit.actor == "cli" and "ann" not in str(audit.detail) + audit.subject


def test_the_tombstone_is_a_keyed_hash_with_a_key_outside_the_database(ctx):
    import hashlib

    from survey.models import ErasedAddress
    from survey.outreach import erasures

    run_import(GOOD)
    erase("ann@example.com")
    digest = db.session.scalar(select(ErasedAddress.digest))
    for guess in (b"ann@example.com", b"email:ann@example.com"):  # a dictionary attack needs the key
        assert digest not in (hashlib.sha256(guess).hexdigest(), hashlib.sha1(guess).hexdigest())
    assert erasures.is_erased("ann@example.com") and not erasures.is_erased("bob@example.com")
    ctx.config["ERASURE_KEY"] = "another key"  # another key: the tombstone matches nothing
    assert not erasures.is_erased("ann@example.com")
