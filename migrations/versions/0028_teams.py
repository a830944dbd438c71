"""teams: follow-up teams with their own response-time standard, root-cause codes, Slack/Teams channels

Revision ID: 76b083339709
Revises: 7c41e9a2d5b3
Create Date: 2026-12-07 20:10:00.000000

The default team is created from the standard that applied until now (HEARKEN_CASE_DUE_BUSINESS_DAYS
working days, Monday to Friday in HEARKEN_TIMEZONE): all day on weekdays, so N working days are N × 24
working hours and existing installations keep their due times. Existing cases join it.

"""
import os
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '76b083339709'
down_revision = '7c41e9a2d5b3'
branch_labels = None
depends_on = None


def _setting(name, default):
    try:
        from flask import current_app
        return current_app.config[name]
    except (RuntimeError, KeyError):
        return os.environ.get(f"HEARKEN_{name}", default)


def upgrade():
    teams = op.create_table(
        'teams',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('is_default', sa.Boolean(), nullable=False),
        sa.Column('lead_id', sa.Integer(), nullable=True),
        sa.Column('rule_attribute', sa.String(length=100), nullable=False),
        sa.Column('rule_values', sa.JSON(), nullable=False),
        sa.Column('timezone', sa.String(length=64), nullable=False),
        sa.Column('hours', sa.JSON(), nullable=False),
        sa.Column('holidays', sa.JSON(), nullable=False),
        sa.Column('first_contact_minutes', sa.Integer(), nullable=False),
        sa.Column('resolve_minutes', sa.Integer(), nullable=False),
        sa.Column('priorities', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['lead_id'], ['users.id'], name=op.f('fk_teams_lead_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_teams')),
        sa.UniqueConstraint('name', name=op.f('uq_teams_name')),
    )
    op.create_table(
        'root_causes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=60), nullable=False),
        sa.Column('label', sa.String(length=200), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_root_causes')),
        sa.UniqueConstraint('code', name=op.f('uq_root_causes_code')),
    )
    op.create_table(
        'chat_channels',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('url', sa.String(length=2000), nullable=False),
        sa.Column('events', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_chat_channels_team_id_teams'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_channels')),
    )
    op.create_index(op.f('ix_chat_channels_team_id'), 'chat_channels', ['team_id'])
    op.create_table(
        'chat_deliveries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('channel_id', sa.Integer(), nullable=False),
        sa.Column('event', sa.String(length=20), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('not_before', sa.DateTime(), nullable=False),
        sa.Column('claimed_until', sa.DateTime(), nullable=True),
        sa.Column('last_attempt_at', sa.DateTime(), nullable=True),
        sa.Column('last_status', sa.Integer(), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'sending', 'delivered', 'failed')",
                           name=op.f('ck_chat_deliveries_status')),
        sa.ForeignKeyConstraint(['channel_id'], ['chat_channels.id'],
                                name=op.f('fk_chat_deliveries_channel_id_chat_channels'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_deliveries')),
    )
    op.create_index(op.f('ix_chat_deliveries_channel_id'), 'chat_deliveries', ['channel_id'])
    op.create_index('ix_chat_deliveries_status_due', 'chat_deliveries', ['status', 'not_before'])
    with op.batch_alter_table('followup_cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('team_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('priority', sa.String(length=8), nullable=False, server_default='normal'))
        batch_op.add_column(sa.Column('resolve_due_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('escalated_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('root_cause_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_followup_cases_team_id'), ['team_id'])
        batch_op.create_foreign_key(batch_op.f('fk_followup_cases_team_id_teams'), 'teams', ['team_id'], ['id'],
                                    ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_followup_cases_root_cause_id_root_causes'), 'root_causes',
                                    ['root_cause_id'], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('followup_cases', schema=None) as batch_op:
        batch_op.alter_column('priority', existing_type=sa.String(length=8), existing_nullable=False,
                              server_default=None)

    days = int(_setting("CASE_DUE_BUSINESS_DAYS", 1))
    op.bulk_insert(teams, [{
        "id": 1, "name": "Everyone", "position": 0, "is_default": True, "lead_id": None, "rule_attribute": "",
        "rule_values": [], "timezone": str(_setting("TIMEZONE", "UTC")), "hours": [[0, 1440]] * 5 + [None, None],
        "holidays": [], "first_contact_minutes": days * 1440, "resolve_minutes": 5 * 1440, "priorities": {},
        "created_at": datetime.now(timezone.utc).replace(tzinfo=None)}])
    if op.get_context().dialect.name == "postgresql":  # the explicit id left the sequence behind
        op.execute("SELECT setval(pg_get_serial_sequence('teams', 'id'), 1)")
    op.execute("UPDATE followup_cases SET team_id = 1")


def downgrade():
    with op.batch_alter_table('followup_cases', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_followup_cases_root_cause_id_root_causes'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_followup_cases_team_id_teams'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_followup_cases_team_id'))
        batch_op.drop_column('root_cause_id')
        batch_op.drop_column('escalated_at')
        batch_op.drop_column('resolve_due_at')
        batch_op.drop_column('priority')
        batch_op.drop_column('team_id')
    op.drop_table('chat_deliveries')
    op.drop_table('chat_channels')
    op.drop_table('root_causes')
    op.drop_table('teams')
