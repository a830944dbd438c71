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
