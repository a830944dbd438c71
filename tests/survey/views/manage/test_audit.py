"""The audit log page (admins): entries newest first with who, what and when, filters that keep what was
typed and name a bad date, older pages, and the CSV of exactly the filtered entries (itself logged)."""
from __future__ import annotations

import csv
import io
from datetime import datetime

from sqlalchemy import select

from survey.extensions import db
from survey.models import AuditEntry, audit
from tests.factories import make_survey, make_user
from tests.pages import log_in, text_of


def test_an_admin_reads_filters_pages_and_exports_the_log(ctx, client):
    admin = make_user(email="admin@example.com", role="admin")
    log_in(client, "admin@example.com")  # logged as a sign-in, by the admin
    for number in range(3):
        audit.record("survey.published", f"survey:{number}", now=datetime(2026, 7, 1 + number, 9), actor="cli",
                     slug=f"<b>s{number}</b>")
    db.session.commit()
    page = client.get("/manage/audit/")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "admin@example.com" in text and "signed in" in text
    assert text.index("survey:2") < text.index("survey:1") < text.index("survey:0")  # newest first
    assert "&lt;b&gt;s2&lt;/b&gt;" in text and "<b>s2</b>" not in text
    filtered = text_of(client.get("/manage/audit/?actor=cli&start=2026-07-02&end=2026-07-03"))
    assert "survey:1" in filtered and "survey:2" in filtered and "survey:0" not in filtered
    assert "signed in</td>" not in filtered
    response = client.get("/manage/audit/audit.csv?actor=cli&start=2026-07-02&end=2026-07-03")
    assert response.headers["Content-Type"].startswith("text/csv") and response.is_streamed
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert [row[5] for row in rows[1:]] == ["survey:2", "survey:1"]
    db.session.commit()  # a new transaction: this test's session sees what the requests wrote
    exported = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "audit.exported")).one()
    assert exported.actor == f"user:{admin.id}" and exported.detail["filter"] == {"actor": "cli", "start": "2026-07-02",
                                                                            "end": "2026-07-03"}


def test_older_entries_are_a_link_away_and_a_bad_date_is_named(ctx, client, monkeypatch):
    from survey.transfer import audit_log

    monkeypatch.setattr(audit_log, "PAGE_SIZE", 2)
    make_user(email="admin@example.com", role="admin")
    log_in(client, "admin@example.com")
    for number in range(3):
        audit.record("team.created", f"team:{number}", now=datetime(2026, 7, 1), actor="cli")
    db.session.commit()
    first = client.get("/manage/audit/?action=team.created").get_data(as_text=True)
    assert "team:2" in first and "team:0" not in first and "Older entries" in first
    older = first.split('href="')[first.split('href="').index(next(
        part for part in first.split('href="') if "before=" in part))].split('"')[0].replace("&amp;", "&")
    rest = client.get(older).get_data(as_text=True)
    assert "team:0" in rest and "team:2" not in rest and "Newest" in rest
    refused = client.get("/manage/audit/?start=2026-02-30")
    assert refused.status_code == 400 and "From: write a date as 2026-12-31" in text_of(refused)
    assert client.get("/manage/audit/audit.csv?end=someday").status_code == 400


def test_exporting_responses_from_the_page_is_logged(ctx, client):
    survey = make_survey()
    make_user(email="analyst@example.com", role="analyst")
    log_in(client, "analyst@example.com")
    slug = survey.slug
    assert client.get(f"/manage/surveys/{slug}/responses.csv?q=Ann").status_code == 200
    results = client.get(f"/manage/surveys/{slug}/results.csv")
    assert results.status_code == 200, results.get_data(as_text=True)
    db.session.commit()  # a new transaction: this test's session sees what the requests wrote
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action.like("%.exported"))
                                 .order_by(AuditEntry.id)).all()
    assert [(e.action, e.detail["format"]) for e in entries] == [("responses.exported", "csv"),
                                                                  ("results.exported", "csv")]
    assert "Ann" not in str(entries[0].detail)
