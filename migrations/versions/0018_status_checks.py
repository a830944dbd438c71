"""status columns: CHECK constraints naming the statuses the code knows

Revision ID: c4e8a2f61b97
Revises: 93d6eef46271
Create Date: 2026-12-08 09:00:00.000000

Every status column (surveys, outbox, webhook deliveries, follow-up cases, alerts, change entries) may hold
only the values of its status enum in survey/models, written out here: a migration must not change when
the application does. A row holding any other value would make the constraint fail half-way (PostgreSQL) or
be copied into a table that refuses it (SQLite's batch rebuild), so the upgrade looks first and refuses,
naming each table, value and row count, before it changes anything.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4e8a2f61b97'
down_revision = '93d6eef46271'
branch_labels = None
depends_on = None

STATUSES = {
    'surveys': ('draft', 'published', 'closed'),
    'outbox': ('pending', 'sending', 'sent', 'failed', 'cancelled'),
    'webhook_deliveries': ('pending', 'sending', 'delivered', 'failed'),
    'followup_cases': ('new', 'contacted', 'resolved', 'unreachable'),
    'alerts': ('open', 'acknowledged', 'resolved'),
    'change_entries': ('planned', 'in_progress', 'done'),
}


class UnknownStatus(RuntimeError):
    pass


def _listed(values) -> str:
    return ", ".join(f"'{value}'" for value in values)


def _unknown() -> list[str]:
    found = []
    for table, values in STATUSES.items():
        rows = op.get_bind().execute(sa.text(
            f"SELECT status, count(*) FROM {table} WHERE status NOT IN ({_listed(values)}) "
            "GROUP BY status ORDER BY status")).all()
        found += [f"{table}.status holds {status!r} in {count} row{'s' if count != 1 else ''} "
                  f"(known: {', '.join(values)})" for status, count in rows]
    return found


def upgrade():
    if found := _unknown():
        raise UnknownStatus("0018 (status checks) cannot upgrade: " + "; ".join(found) + ". Set these rows to a "
                            "known status (or delete them), then run the upgrade again; nothing was changed.")
    for table, values in STATUSES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_check_constraint(op.f(f'ck_{table}_status'), f"status IN ({_listed(values)})")


def downgrade():
    for table in STATUSES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f'ck_{table}_status'), type_='check')
