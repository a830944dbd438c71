"""The migrations are the schema: `flask db upgrade` then `flask db check` finds no drift from the models
(on SQLite, and on PostgreSQL when the suite runs there)."""
from survey.extensions import db


def test_upgrade_then_check_reports_no_drift(runner, app):
    upgrade = runner.invoke(args=["db", "upgrade"])
    assert upgrade.exit_code == 0, upgrade.output
    check = runner.invoke(args=["db", "check"])
    assert check.exit_code == 0, check.output


def test_check_would_notice_drift(runner, app):
    """The check above can fail: a model column that no migration creates is reported."""
    table = db.metadata.tables["contacts"]
    column = db.Column("not_migrated", db.String(10))
    table.append_column(column)
    try:
        assert runner.invoke(args=["db", "check"]).exit_code != 0
    finally:
        table._columns.remove(column)


def test_upgrading_a_sqlite_database_with_data_loses_nothing(tmp_path):
    """SQLite batch migrations rebuild tables; with foreign keys on, dropping a parent table would cascade-
    delete its children. Data written at the first revision must survive every later one."""
    from sqlalchemy import text

    from survey import database
    from tests.conftest import build_app

    app = build_app(f"sqlite:///{tmp_path / 'old.sqlite3'}", tmp_path)
    with app.app_context():
        database.upgrade(revision="84ef41ecf710")
        with db.engine.begin() as connection:
            for statement in (
                "INSERT INTO contacts (id, email, name, attributes, created_at) "
                "VALUES (1, 'a@example.com', 'A', '{\"location\": \"Leeds\"}', '2026-01-01')",
                "INSERT INTO surveys (id, slug, status, created_at, updated_at) "
                "VALUES (1, 's', 'published', '2026-01-01', '2026-01-01')",
                "INSERT INTO survey_versions (id, survey_id, number, title, intro, created_at) "
                "VALUES (1, 1, 1, 'T', '', '2026-01-01')",
                "INSERT INTO invitations (id, token, survey_id, contact_id, created_at) "
                "VALUES (1, 'token', 1, 1, '2026-01-01')",
                "INSERT INTO responses (id, respondent_key, survey_id, version_id, invitation_id, contact_id, source, "
                "submitted_at, updated_at, revisions_count, quote_consent, contact_consent, attributes) VALUES "
                "(1, 'k', 1, 1, 1, 1, 'link', '2026-03-04 10:00:00', '2026-03-04', 1, 0, 0, "
                "'{\"location\": \"Leeds\"}')",
                "INSERT INTO answers (response_id, question_key, value_int) VALUES (1, 'q', 5)",
            ):
                connection.execute(text(statement))
        database.upgrade()
        with db.engine.connect() as connection:
            def one(sql):
                return connection.execute(text(sql)).one()
            assert one("SELECT count(*) FROM invitations") == (1,)
            assert one("SELECT invitation_id, contact_id, local_date FROM responses") == (1, 1, "2026-03-04")
            assert one("SELECT count(*) FROM answers") == (1,)
            assert one("SELECT sum(count) FROM answer_counts WHERE segment_name = '' AND question_key <> '*'") == (1,)
            assert one("SELECT sum(count) FROM answer_counts WHERE segment_name = '' AND question_key = '*'") == (1,)
            assert one("SELECT segment_value FROM answer_counts WHERE segment_name = 'location' "
                       "AND question_key <> '*'") == ("Leeds",)
        db.engine.dispose()


def test_rendered_emails_downgrade_and_upgrade_again_keeping_the_queued_messages(runner, app):
    """0008 adds outbox_rendered (each email's bytes rendered when queued). Downgrading drops only that
    table: the messages stay queued, and the code before it renders them when it sends them."""
    from sqlalchemy import func, inspect, select

    from survey import mail
    from survey.clock import utcnow
    from survey.models import OutboxMessage

    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    with app.app_context():
        mail.queue(mail.Rendered("Hello", "Body", None, {}), kind="notice", recipient="a@example.com", now=utcnow())
        db.session.commit()
    down = runner.invoke(args=["db", "downgrade", "7b3e0c5d2a61"])
    assert down.exit_code == 0, down.output
    with app.app_context():
        assert "outbox_rendered" not in inspect(db.engine).get_table_names()
        assert db.session.scalar(select(func.count(OutboxMessage.id))) == 1
    up = runner.invoke(args=["db", "upgrade"])
    assert up.exit_code == 0, up.output
    with app.app_context():
        assert "outbox_rendered" in inspect(db.engine).get_table_names()
    assert runner.invoke(args=["db", "check"]).exit_code == 0


def test_international_domains_stored_before_are_rewritten_in_ascii(runner, app):
    """0009: an international domain becomes its xn-- form (unless that form is taken); an address with
    no ASCII form stays as it was."""
    from sqlalchemy import text

    assert runner.invoke(args=["db", "downgrade", "2d6c4a9e8f13"]).exit_code == 0
    with app.app_context():
        with db.engine.begin() as connection:
            for number, email in enumerate(["bo@exämple.com", "zoë@example.com", "cy@müller.de",
                                            "cy@xn--mller-kva.de"], start=1):
                connection.execute(text("INSERT INTO contacts (id, email, name, attributes, created_at) "
                                        "VALUES (:id, :email, '', '{}', '2026-01-01')"), {"id": number, "email": email})
        db.engine.dispose()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    with app.app_context():
        with db.engine.connect() as connection:
            emails = connection.execute(text("SELECT email FROM contacts ORDER BY id")).scalars().all()
        db.engine.dispose()
    assert emails == ["bo@xn--exmple-cua.com", "zoë@example.com", "cy@müller.de", "cy@xn--mller-kva.de"]


def test_endpoints_registered_before_keep_hearken_signature_and_new_ones_get_standard_webhooks(runner, app):
    """0010 adds webhook_endpoints.signature_scheme: every existing endpoint keeps the scheme its receiver
    checks (Hearken-Signature), with its deliveries (SQLite rebuilds the table, and they cascade from it);
    the column has no database default, so a new endpoint gets what the application decides."""
    from sqlalchemy import inspect, text

    from survey import webhooks
    from survey.clock import utcnow

    assert runner.invoke(args=["db", "downgrade", "5f1a7c3e9b24"]).exit_code == 0
    with app.app_context():
        assert "signature_scheme" not in {c["name"] for c in inspect(db.engine).get_columns("webhook_endpoints")}
        with db.engine.begin() as connection:
            connection.execute(text(  # no id given: PostgreSQL's sequence must hand out the next one later
                "INSERT INTO webhook_endpoints (url, description, events, secret, active, created_at) "
                "VALUES ('https://crm.example.com/hooks', '', '[\"case.updated\"]', 'whsec_old-secret_x', "
                ":yes, '2026-11-01')"), {"yes": True})
            connection.execute(text(
                "INSERT INTO webhook_deliveries (endpoint_id, delivery_id, event, body, status, attempts, not_before, "
                "created_at) SELECT id, 'd1', 'case.updated', '{}', 'pending', 0, '2026-11-01', '2026-11-01' "
                "FROM webhook_endpoints"))
        db.engine.dispose()
    upgrade = runner.invoke(args=["db", "upgrade"])
    assert upgrade.exit_code == 0, upgrade.output
    with app.app_context():
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT signature_scheme, secret FROM webhook_endpoints")).all() == [
                ("hearken", "whsec_old-secret_x")]
            assert connection.execute(text("SELECT delivery_id FROM webhook_deliveries")).scalars().all() == ["d1"]
        default = {c["name"]: c["default"] for c in inspect(db.engine).get_columns("webhook_endpoints")}
        assert default["signature_scheme"] is None
        created = webhooks.create_endpoint(webhooks.EndpointInput("https://8.8.8.8/hooks", "", ("case.updated",)),
                                           allowed_hosts=(), actor_id=None, now=utcnow())
        assert created.signature_scheme == "standard"
        db.engine.dispose()
    assert runner.invoke(args=["db", "check"]).exit_code == 0


def test_erasure_history_downgrades_and_upgrades_again(runner, app):
    """0011: invitations may lose their contact (erasure keeps them anonymised) and erased addresses are
    kept as keyed hashes. Downgrading drops the anonymised invitations, unlinking their responses first (the
    older schema cannot hold them), and keeps everything else."""
    from sqlalchemy import inspect, select

    from survey.clock import utcnow
    from survey.models import Invitation, Response
    from survey.outreach import contacts
    from survey.outreach.invitations import invited_respondent
    from survey.responding.submission import Consents, submit_response
    from tests.factories import make_invitation, make_survey

    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    with app.app_context():
        survey = make_survey()
        ann, bob = (make_invitation(survey, email=f"{name}@example.com") for name in ("ann", "bob"))
        for number, invitation in enumerate((ann, bob)):
            submit_response(survey.current_version, invited_respondent(invitation), {"satisfaction": 5},
                            Consents(), submission_key=f"{number}" * 20, now=utcnow())
        contacts.erase_contact(contacts.find_contact("ann@example.com"), actor="test", actor_id=None, now=utcnow())
        db.session.remove()
        db.engine.dispose()
    down = runner.invoke(args=["db", "downgrade", "5f1a7c3e9b24"])
    assert down.exit_code == 0, down.output
    with app.app_context():
        assert "erased_addresses" not in inspect(db.engine).get_table_names()
        assert db.session.execute(select(Invitation.id, Invitation.contact_id)).all() == [(2, 2)]
        assert sorted(db.session.execute(select(Response.invitation_id)).scalars(), key=str) == [2, None]
        db.session.remove()
        db.engine.dispose()
    up = runner.invoke(args=["db", "upgrade"])
    assert up.exit_code == 0, up.output
    assert runner.invoke(args=["db", "check"]).exit_code == 0


def test_answer_counts_are_counted_again_by_version_and_back(runner, app):
    """0017 keys answer_counts by version: a stored cell summed every version's answers, so the table is
    counted again from the answers, each cell under its version, exactly as rollups.rebuild counts (the
    segment attributes being those the table held). Downgrading sums the versions again."""
    from sqlalchemy import inspect, select, text

    from survey.models import AnswerCount
    from survey.results import rollups

    assert runner.invoke(args=["db", "downgrade", "9e4a7c2b5d13"]).exit_code == 0
    long_value = "L" * 250  # cut to the column's 200 characters, as the application cuts it
    with app.app_context():
        with db.engine.begin() as connection:
            for statement in (
                "INSERT INTO surveys (id, slug, status, created_at, updated_at) "
                "VALUES (1, 's', 'published', '2026-01-01', '2026-01-01')",
                "INSERT INTO survey_versions (id, survey_id, number, title, intro, follow_up, created_at) VALUES "
                "(1, 1, 1, 'T', '', 'low_scores', '2026-01-01'), (2, 1, 2, 'T', '', 'low_scores', '2026-02-01')",
                "INSERT INTO responses (id, respondent_key, survey_id, version_id, source, submitted_at, local_date, "
                "updated_at, revisions_count, quote_consent, contact_consent, attributes) VALUES "
                "(1, 'a', 1, 1, 'link', '2026-03-04 10:00:00', '2026-03-04', '2026-03-04', 1, :no, :no, "
                "'{\"location\": \"Leeds\", \"team\": \"Billing\", \"customer_since\": \"2019\"}'), "
                "(2, 'b', 1, 2, 'link', '2026-03-04 11:00:00', '2026-03-04', '2026-03-04', 2, :no, :no, "
                "'{\"location\": \"Leeds\"}'), "
                "(3, 'c', 1, 2, 'link', '2026-03-05 11:00:00', '2026-03-05', '2026-03-05', 1, :no, :no, '{}'), "
                f"(4, 'd', 1, 1, 'import', '2026-03-05 12:00:00', '2026-03-05', '2026-03-05', 1, :no, :no, "
                f"'{{\"location\": \"{long_value}\", \"team\": \"\"}}')",
                "INSERT INTO answers (response_id, question_key, value_int, value_text) VALUES "
                "(1, 'q', 5, NULL), (1, 'comment', NULL, 'Fine'), (2, 'q', 5, NULL), (2, 'r', 9, NULL), "
                "(3, 'q', 2, NULL), (4, 'q', 5, NULL)",
                # What the rollup held before (whatever it was, it named the segment attributes counted).
                "INSERT INTO answer_counts (survey_id, question_key, local_date, segment_name, segment_value, "
                "value_int, count) VALUES (1, 'q', '2026-03-04', '', '', 5, 7), "
                "(1, 'q', '2026-03-04', 'location', 'Leeds', 5, 7), (1, 'q', '2026-03-04', 'team', 'Billing', 5, 1)",
            ):
                connection.execute(text(statement), {"no": False})
        db.engine.dispose()
    upgrade = runner.invoke(args=["db", "upgrade"])
    assert upgrade.exit_code == 0, upgrade.output

    def cells(*, by_version: bool = True) -> dict:
        found: dict = {}
        for c in db.session.scalars(select(AnswerCount)):
            cell = (c.question_key, str(c.local_date), c.segment_name, c.segment_value, c.value_int)
            cell += (c.version_id,) if by_version else ()
            found[cell] = found.get(cell, 0) + c.count
        return found

    with app.app_context():
        migrated = cells()
        assert migrated[("q", "2026-03-04", "", "", 5, 1)] == 1 and migrated[("q", "2026-03-04", "", "", 5, 2)] == 1
        assert migrated[("q", "2026-03-04", "location", "Leeds", 5, 1)] == 1
        assert migrated[("q", "2026-03-05", "location", "L" * 200, 5, 1)] == 1
        assert migrated[("*", "2026-03-05", "", "", 1, 1)] == 1 and migrated[("*", "2026-03-05", "", "", 1, 2)] == 1
        assert migrated[("*", "2026-03-04", "team", "Billing", 1, 1)] == 1
        assert not any(name == "customer_since" for _k, _d, name, *_rest in migrated)
        rollups.rebuild(1)
        db.session.commit()
        assert cells() == migrated  # what the application counts
        summed = cells(by_version=False)
        db.session.remove()
        db.engine.dispose()
    down = runner.invoke(args=["db", "downgrade", "9e4a7c2b5d13"])
    assert down.exit_code == 0, down.output
    with app.app_context():
        assert "version_id" not in {c["name"] for c in inspect(db.engine).get_columns("answer_counts")}
        with db.engine.connect() as connection:
            rows = connection.execute(text("SELECT question_key, local_date, segment_name, segment_value, value_int, "
                                           "count FROM answer_counts")).all()
        assert {(key, str(day), name, value, answer): n for key, day, name, value, answer, n in rows} == summed
        db.engine.dispose()
    up = runner.invoke(args=["db", "upgrade"])
    assert up.exit_code == 0, up.output
    assert runner.invoke(args=["db", "check"]).exit_code == 0


STATUS_TABLES = ("surveys", "outbox", "webhook_deliveries", "followup_cases", "alerts", "change_entries")


def status_checks() -> dict[str, list[str]]:
    from sqlalchemy import inspect

    inspector = inspect(db.engine)
    return {table: sorted(check["name"] for check in inspector.get_check_constraints(table)
                          if check["name"].endswith("_status")) for table in STATUS_TABLES}


def test_status_checks_wait_until_no_row_holds_an_unknown_status(runner, app):
    """0018 adds a CHECK per status column. A row holding a status no code knows makes the upgrade refuse
    before it changes anything, naming the table, the value and how many rows; once the rows are corrected
    it upgrades, keeping every row. Downgrading drops the checks and keeps the rows."""
    from sqlalchemy import text

    assert runner.invoke(args=["db", "downgrade", "93d6eef46271"]).exit_code == 0
    outbox_row = ("INSERT INTO outbox (message_id, kind, recipient, subject, text_body, headers, status, attempts, "
                  "not_before, created_at) VALUES (:id, 'notice', 'a@example.com', 'S', 'B', '{}', :status, 0, "
                  "'2026-12-01', '2026-12-01')")
    with app.app_context():
        assert status_checks() == {table: [] for table in STATUS_TABLES}
        with db.engine.begin() as connection:
            connection.execute(text("INSERT INTO surveys (id, slug, status, created_at, updated_at) VALUES "
                                    "(1, 'old', 'archived', '2026-01-01', '2026-01-01'), "
                                    "(2, 'live', 'published', '2026-01-01', '2026-01-01')"))
            for number, status in enumerate(("retry", "sent", "retry")):
                connection.execute(text(outbox_row), {"id": f"<m{number}@example.com>", "status": status})
        db.engine.dispose()
    refused = runner.invoke(args=["db", "upgrade"])
    assert refused.exit_code == 1  # flask-migrate prints the migration's RuntimeError as "Error: …"
    assert "Error: 0018 (status checks) cannot upgrade" in refused.output
    assert "surveys.status holds 'archived' in 1 row (known: draft, published, closed)" in refused.output
    assert "outbox.status holds 'retry' in 2 rows" in refused.output and "nothing was changed" in refused.output
    with app.app_context():
        if db.engine.dialect.name == "sqlite":  # the refused run's connection went back to the pool with its checks
            with db.engine.connect() as connection:
                assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert status_checks() == {table: [] for table in STATUS_TABLES}
        with db.engine.begin() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == "93d6eef46271"
            connection.execute(text("UPDATE surveys SET status = 'closed' WHERE status = 'archived'"))
            connection.execute(text("UPDATE outbox SET status = 'failed' WHERE status = 'retry'"))
        db.engine.dispose()
    upgraded = runner.invoke(args=["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    with app.app_context():
        assert status_checks() == {table: [f"ck_{table}_status"] for table in STATUS_TABLES}
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT slug, status FROM surveys ORDER BY id")).all() == [
                ("old", "closed"), ("live", "published")]
            assert connection.execute(text("SELECT status FROM outbox ORDER BY id")).scalars().all() == [
                "failed", "sent", "failed"]
        db.engine.dispose()
    assert runner.invoke(args=["db", "check"]).exit_code == 0
    assert runner.invoke(args=["db", "downgrade", "93d6eef46271"]).exit_code == 0
    with app.app_context():
        assert status_checks() == {table: [] for table in STATUS_TABLES}
        with db.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM outbox")).scalar() == 3
        db.engine.dispose()
    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0


def test_the_database_refuses_a_status_no_code_knows(ctx):
    """Each status column takes only its enum's values: a row written with another is refused by the
    database itself, whichever code path (or hand) wrote it."""
    import pytest
    from sqlalchemy import func, select, update
    from sqlalchemy.exc import IntegrityError

    from survey import changes, followups, mail, models, webhooks
    from survey.clock import utcnow
    from tests.factories import make_survey

    now = utcnow()
    survey = make_survey()
    mail.queue(mail.Rendered("Hello", "Body", None, {}), kind="notice", recipient="a@example.com", now=now)
    followups.record_complaint(followups.ComplaintInput("complaint", "Slow.", "", "", ""), sender="10.0.0.1", now=now)
    endpoint = webhooks.create_endpoint(webhooks.EndpointInput("https://8.8.8.8/hooks", "", ("case.updated",)),
                                        allowed_hosts=(), actor_id=None, now=now)
    webhooks.send_ping(endpoint, now=now)
    changes.save_change(None, changes.ChangeInput(title="T", you_said="Y", we_did="W", category="C", status="done",
                                                  changed_on=now.date()), actor_id=None, now=now)
    db.session.add(models.Alert(
        fingerprint="f", series_key="s", survey_id=survey.id, question_key="q", metric="top2", kind="change",
        segment={}, period_before="2026-10", period_after="2026-11", n_before=1, n_after=1, value_before=1.0,
        value_after=0.0, difference=-1.0, p_value=0.01, q_value=0.01, method="m", direction="drop", created_at=now))
    db.session.commit()
    tables = (models.Survey, models.OutboxMessage, models.WebhookDelivery, models.FollowUpCase, models.Alert,
              models.ChangeEntry)
    for model in tables:
        assert db.session.scalar(select(func.count()).select_from(model)) == 1, model
        with pytest.raises(IntegrityError, match="ck_"), db.session.begin_nested():
            db.session.execute(update(model).values(status="archived"))
    db.session.rollback()


def test_the_status_checks_name_exactly_the_values_of_the_status_enums():
    """0018 writes the statuses out (a migration must not change with the code); the models' checks are built
    from the enums. A status added to an enum needs a migration that widens its check: this says which."""
    import importlib.util
    from pathlib import Path

    from survey import models

    path = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0018_status_checks.py"
    spec = importlib.util.spec_from_file_location("status_checks", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    enums = {"surveys": models.SurveyStatus, "outbox": models.OutboxStatus, "webhook_deliveries": models.DeliveryStatus,
             "followup_cases": models.CaseStatus, "alerts": models.AlertStatus, "change_entries": models.ChangeStatus}
    assert {table: tuple(enum) for table, enum in enums.items()} == migration.STATUSES
    for table, enum in enums.items():
        checks = [c for c in db.metadata.tables[table].constraints if c.name == f"ck_{table}_status"]
        assert [str(check.sqltext) for check in checks] == [f"status IN ({migration._listed(enum)})"]


def test_comments_stored_before_are_scored_and_counted(runner, app):
    """0029 scores the English comments already stored (not the French ones) and counts them into
    answer_counts exactly as rollups.rebuild would."""
    from sqlalchemy import select, text

    from analysis.sentiment import sentiment
    from survey.models import Answer, AnswerCount
    from survey.results import rollups
    from tests.factories import NOW, make_survey

    assert runner.invoke(args=["db", "upgrade"]).exit_code == 0
    with app.app_context():
        survey = make_survey()
        survey_id, version = survey.id, survey.current_version.id
        db.session.execute(text(
            "INSERT INTO responses (id, respondent_key, survey_id, version_id, source, submitted_at, local_date, "
            "updated_at, revisions_count, quote_consent, contact_consent, attributes, language, not_asked) VALUES "
            "(1, 'a', :s, :v, 'import', :now, :day, :now, 1, false, false, '{\"location\": \"Leeds\"}', NULL, '[]'),"
            "(2, 'b', :s, :v, 'import', :now, :day, :now, 1, false, false, '{}', 'fr', '[]')"),
            {"s": survey_id, "v": version, "now": NOW, "day": NOW.date()})
        db.session.execute(text("INSERT INTO answers (response_id, question_key, value_text) VALUES "
                                "(1, 'comment', 'Awful, I am furious.'), (2, 'comment', 'Nul, très déçu.')"))
        rollups.rebuild(survey_id)  # the table holds the segment attributes the migration counts comments for
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    assert runner.invoke(args=["db", "downgrade", "76b083339709"]).exit_code == 0
    up = runner.invoke(args=["db", "upgrade"])
    assert up.exit_code == 0, up.output
    with app.app_context():
        assert db.session.execute(select(Answer.response_id, Answer.sentiment).order_by(Answer.response_id)).all() \
            == [(1, sentiment("Awful, I am furious.").compound), (2, None)]
        cells = select(AnswerCount.question_key, AnswerCount.segment_name, AnswerCount.segment_value,
                       AnswerCount.value_int, AnswerCount.count).where(AnswerCount.question_key == "comment")
        migrated = sorted(db.session.execute(cells).all())
        assert ("comment", "", "", rollups.NEGATIVE, 1) in migrated
        rollups.rebuild(survey_id)
        assert sorted(db.session.execute(cells).all()) == migrated
        db.session.rollback()
