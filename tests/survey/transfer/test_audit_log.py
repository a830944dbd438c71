"""The audit log: every action issue 24 lists leaves an entry through the one helper, entries hold no
password and no erased customer's data, the filtered pages and CSV read it back, and the retention period
deletes old entries in whole days."""
from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta

from sqlalchemy import delete, select

from survey import changes, outreach
from survey.accounts import api_tokens, sso
from survey.accounts.users import authenticate, create_user
from survey.authoring.editing import change_status
from survey.background import dispatch
from survey.brand import save as save_branding
from survey.extensions import db
from survey.followups import teams
from survey.models import AuditEntry, Contact, audit
from survey.outreach import contacts
from survey.transfer import audit_log
from survey.webhooks import chat
from survey.webhooks import events as webhooks
from tests.factories import NOW, PASSWORD, make_survey, make_user

SECRET = "correct horse battery"


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def entry(action: str) -> AuditEntry:
    return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)).one()


def test_sign_ins_succeeded_and_failed_are_logged_without_the_password_or_an_unknown_address(ctx):
    user = make_user(email="ed@example.com")
    assert authenticate("ed@example.com", PASSWORD, now=NOW, address="203.0.113.5") is user
    assert authenticate("ed@example.com", "wrong " + SECRET, now=NOW, address="203.0.113.6") is None
    assert authenticate(SECRET, SECRET, now=NOW) is None  # a password typed into the email field
    assert actions() == ["user.created", "user.signed_in", "user.sign_in_failed", "user.sign_in_failed"]
    _created, signed_in, wrong, unknown = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))
    assert (signed_in.actor, signed_in.subject, signed_in.detail["address"]) == (f"user:{user.id}", f"user:{user.id}",
                                                                                  "203.0.113.5")
    assert wrong.subject == f"user:{user.id}" and wrong.detail["reason"] == "wrong password"
    assert unknown.subject == "account:unknown"
    stored = json.dumps([e.detail for e in (signed_in, wrong, unknown)] + [e.subject for e in (wrong, unknown)])
    assert SECRET not in stored and PASSWORD not in stored


def test_accounts_and_role_changes_are_logged(ctx):
    create_user("new@example.com", PASSWORD, "analyst", now=NOW)
    settings = sso.settings_from({"OIDC_ISSUER": "https://login.example.com", "OIDC_CLIENT_ID": "h",
                                  "OIDC_CLIENT_SECRET": "s", "OIDC_ROLE_MAP": "admins=admin,staff=analyst"})
    claims = {"sub": "s-1", "email": "new@example.com", "email_verified": True, "groups": ["staff"]}
    sso.sign_in(claims, settings, now=NOW)  # linked, same role: no role change
    sso.sign_in({**claims, "groups": ["admins"]}, settings, now=NOW)
    assert actions() == ["user.created", "user.signed_in", "user.role_changed", "user.signed_in"]
    changed = entry("user.role_changed")
    assert (changed.detail["role_before"], changed.detail["role"]) == ("analyst", "admin")


def test_publishing_campaigns_exports_and_settings_are_logged(ctx, app):
    app.config["WEBHOOK_ALLOWED_HOSTS"] = "127.0.0.1"
    survey = make_survey(status="draft")
    db.session.add(Contact(email="ann@example.com", name="Ann", attributes={"location": "Leeds"}, created_at=NOW))
    db.session.commit()
    change_status(survey, "publish", now=NOW)
    outreach.create_campaign(survey, segment={"location": ["Leeds"]}, at=None, reminders=1, reminder_days=3, now=NOW)
    change = changes.save_change(None, changes.ChangeInput(
        title="Call-backs", you_said="x", we_did="y", category="Support", status="done",
        changed_on=date(2026, 10, 15)), actor_id=None, now=NOW)
    changes.publish(change, now=NOW, impact_numbers=False)
    audit_log.record_export("responses", f"survey:{survey.id}", now=NOW, fmt="csv",
                            filter_args={"where": "location=Leeds", "q": "Ann Smith"})
    change_status(survey, "close", now=NOW)
    save_branding("#0a5c36", None, remove_logo=False, actor_id=None, now=NOW)
    team = teams.save_team(None, teams.TeamInput(name="Leeds", rule_attribute="location", rule_values="Leeds"),
                           now=NOW)
    channel = chat.add_channel(None, "slack", "http://127.0.0.1:9/slack/T/B/secret", ("alert",), now=NOW)
    hook = webhooks.EndpointInput("http://127.0.0.1:9/hooks/secret", "CRM", ("alert.raised",))
    endpoint = webhooks.create_endpoint(hook, allowed_hosts="127.0.0.1", actor_id=None, now=NOW)
    webhooks.set_active(endpoint, False, now=NOW)
    chat.delete_channel(channel, now=NOW)
    teams.delete_team(team, now=NOW)
    assert actions() == ["survey.published", "campaign.created", "change.published", "responses.exported",
                         "survey.closed", "branding.changed", "team.created", "chat_channel.added", "webhook.created",
                         "webhook.disabled", "chat_channel.removed", "team.deleted"]
    assert entry("campaign.created").detail["segment"] == {"location": ["Leeds"]}
    exported = entry("responses.exported").detail
    assert exported["filter"]["where"] == "location=Leeds" and "Ann Smith" not in json.dumps(exported)
    # A Slack or webhook URL is a credential: only its host is kept.
    assert "secret" not in json.dumps([e.detail for e in db.session.scalars(select(AuditEntry))])
    assert {e.actor for e in db.session.scalars(select(AuditEntry))} == {"cli"}  # no request: the command line


def test_an_api_token_is_logged_when_made_revoked_and_on_its_first_use_each_day(ctx):
    token, _secret = api_tokens.create_token("crm", "editor", now=NOW)
    token_id = token.id
    db.session.commit()  # as after a request: no transaction of this session holds the write lock
    for moment in (NOW, NOW + timedelta(minutes=5), NOW + timedelta(hours=3), NOW + timedelta(days=1)):
        assert api_tokens.record_use(token_id, now=moment, name="crm", address="198.51.100.7")
    api_tokens.revoke_token(token, now=NOW + timedelta(days=2))
    assert actions() == ["api_token.created", "api_token.used", "api_token.used", "api_token.revoked"]
    used = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "api_token.used")).all()
    assert [e.at for e in used] == [NOW, NOW + timedelta(days=1)] and used[0].actor == "api:crm"
    db.session.expire_all()
    assert db.session.get(type(token), token.id).last_used_at == NOW + timedelta(days=1)


def test_an_erased_contact_leaves_no_email_or_name_in_any_entry(ctx):
    survey = make_survey()
    ann = Contact(email="ann.smith@example.com", name="Ann Smith", attributes={"location": "Leeds"}, created_at=NOW)
    db.session.add(ann)
    db.session.commit()
    contacts.import_contacts(io.BytesIO(b"email,name\nann.smith@example.com,Ann Smith\n"), now=NOW)
    outreach.create_campaign(survey, segment={}, at=None, reminders=0, reminder_days=3, now=NOW)
    # Should an entry ever mention them (a future action, a free-text detail), erasure forgets them too.
    audit.record("test.note", "contact", now=NOW, note="called Ann Smith", who={"email": "ANN.SMITH@example.com"},
                 other="Annabel Smithson")
    db.session.commit()
    contacts.erase_contact(ann, actor="user:1", actor_id=None, now=NOW)
    stored = json.dumps([[e.actor, e.subject, e.detail] for e in db.session.scalars(select(AuditEntry))]).lower()
    assert "ann.smith@example.com" not in stored and "ann smith" not in stored
    assert entry("test.note").detail == {"note": "[erased]", "who": {"email": "[erased]"}, "other": "Annabel Smithson"}
    assert entry("contact.erased").detail == {"responses_anonymised": 0}


def test_the_log_reads_back_newest_first_filtered_by_actor_action_and_local_days(ctx, app):
    app.config["TIMEZONE"] = "Europe/London"
    user = make_user(email="ed@example.com")
    db.session.execute(delete(AuditEntry))
    moments = [datetime(2026, 7, 1, 22, 30), datetime(2026, 7, 1, 23, 30), datetime(2026, 7, 3, 9, 0)]
    for at in moments:  # 23:30 UTC is 00:30 on 2 July in London (summer time)
        audit.record("survey.published", "survey:1", now=at, actor=f"user:{user.id}", actor_id=user.id)
    audit.record("contacts.imported", "contacts", now=moments[0], actor="cli", created=3)
    db.session.commit()
    everything = audit_log.page(audit_log.AuditFilter(), limit=2)
    assert [r.entry.at for r in everything.rows] == [moments[0], moments[2]]  # newest first by id
    rest = audit_log.page(audit_log.AuditFilter(), before=everything.older, limit=2)
    assert [r.entry.at for r in rest.rows] == [moments[1], moments[0]] and rest.older is None
    parsed = audit_log.parse_filter({"actor": f"user:{user.id}", "start": "2026-07-02", "end": "2026-07-02"})
    assert parsed.problems == {}
    (only,) = audit_log.page(parsed.filter).rows
    assert only.entry.at == moments[1] and only.who == "ed@example.com" and only.what == "survey published"
    assert audit_log.parse_filter({"start": "2026-13-01", "end": "x"}).problems.keys() == {"start", "end"}
    assert "cannot be before" in audit_log.parse_filter({"start": "2026-07-02", "end": "2026-07-01"}).problems["end"]
    imports = audit_log.AuditFilter(action="contacts.imported")
    rows = list(csv.reader(io.StringIO("".join(audit_log.csv_chunks(imports)))))
    assert rows[0] == list(audit_log.COLUMNS) and len(rows) == 2 and json.loads(rows[1][6]) == {"created": 3}
    assert {("cli", "cli"), (f"user:{user.id}", "ed@example.com")} <= set(audit_log.actor_choices())


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(ctx):
    audit.record("api_token.created", '=HYPERLINK("https://evil.example")', now=NOW, actor="cli")
    db.session.commit()
    rows = list(csv.reader(io.StringIO("".join(audit_log.csv_chunks(audit_log.AuditFilter())))))
    assert rows[1][5].startswith("'=")


def test_entries_past_the_retention_period_go_in_whole_days_and_the_purge_is_logged(ctx, app):
    app.config["AUDIT_RETENTION_DAYS"] = 30
    now = datetime(2026, 12, 8, 15, 0)
    for at in (now - timedelta(days=40), now - timedelta(days=30, hours=16), now - timedelta(days=30, hours=1),
               now - timedelta(days=1)):
        audit.record("survey.published", "survey:1", now=at, actor="cli")
    db.session.commit()
    assert audit_log.purge_expired(now=now) == 2  # before 2026-11-08 00:00 UTC; 11-07 23:00 and earlier
    assert audit_log.purge_expired(now=now + timedelta(hours=1)) == 0  # the same day: nothing more, nothing logged
    kept = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [e.action for e in kept] == ["survey.published", "survey.published", "audit.purged"]
    assert kept[-1].detail == {"deleted": 2, "before": "2026-11-08T00:00:00Z", "retention_days": 30}
    assert kept[-1].actor == "system"


def test_the_dispatchers_pass_purges_the_log(ctx, app):
    app.config["AUDIT_RETENTION_DAYS"] = 1
    audit.record("survey.published", "survey:1", now=NOW - timedelta(days=5), actor="cli")
    db.session.commit()

    class Nothing(dispatch.Transport):
        def send(self, envelope):  # pragma: no cover — nothing is queued
            raise AssertionError(envelope)

    report = dispatch.run_once(now=NOW, transport=Nothing(), with_jobs=False)
    assert report.errors == [] and actions() == ["audit.purged"]


def test_purge_audit_command_reports_what_it_deleted(ctx, runner):
    audit.record("survey.published", "survey:1", now=datetime(2000, 1, 1), actor="cli")
    db.session.commit()
    result = runner.invoke(args=["purge-audit"])
    assert result.exit_code == 0 and "Deleted 1 audit entry older than 365 days." in result.output
