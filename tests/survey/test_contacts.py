"""Contacts: CSV import (command and page), the profile page, and erasure that leaves no personal data."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import String, Text, func, select
from sqlalchemy.types import JSON

from survey import contacts
from survey.extensions import db
from survey.invitations import invited_respondent
from survey.models import Answer, AuditEntry, Contact, Response
from survey.responding import Consents, submit_response
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
    assert all_contacts()["dan@example.com"][0] == "Dan\nDaniels"


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
    audit = db.session.scalar(select(AuditEntry))
    assert audit.action == "contact.erased" and "ann" not in str(audit.detail).lower()
    assert db.session.scalar(select(func.count(Contact.id))) == 1  # Bob stays


def test_erase_contact_command(ctx, runner):
    run_import(GOOD)
    assert runner.invoke(args=["erase-contact", "nobody@example.com", "--yes"]).exit_code == 1
    result = runner.invoke(args=["erase-contact", "BOB@example.com", "--yes"])
    assert result.exit_code == 0 and "Erased" in result.output
    assert list(all_contacts()) == ["ann@example.com"]
