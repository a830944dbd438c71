"""audit log indexes for its page; team members

Revision ID: 3f9c1d2a7b64
Revises: 76b083339709
Create Date: 2026-12-08 10:00:00.000000

The audit page lists entries newest first, filtered by actor and dates, and the dispatcher deletes those
past the retention period: both read `at`. Teams gain members (staff users); a team's lead, chosen before
members existed, becomes its first member so the rule "the lead is a member" holds from the start.

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '3f9c1d2a7b64'
down_revision = '76b083339709'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_at', ['at'])
        batch_op.create_index('ix_audit_log_actor_at', ['actor', 'at'])
    op.create_table(
        'team_members',
        sa.Column('team_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('added_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_team_members_team_id_teams'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_team_members_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('team_id', 'user_id', name=op.f('pk_team_members')),
    )
    op.create_index(op.f('ix_team_members_user_id'), 'team_members', ['user_id'])
    op.execute("INSERT INTO team_members (team_id, user_id, added_at) "
               "SELECT id, lead_id, created_at FROM teams WHERE lead_id IS NOT NULL")


def downgrade():
    op.drop_index(op.f('ix_team_members_user_id'), table_name='team_members')
    op.drop_table('team_members')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_actor_at')
        batch_op.drop_index('ix_audit_log_at')
