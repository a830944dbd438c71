"""themes: proposed and accepted themes of a survey's comments, who tagged a response, corrections that stick

Revision ID: 3f7d2c9a41e8
Revises: 08fb2fc621d1
Create Date: 2026-12-08 10:00:00.000000

Tags given before were all given by people: they become "manual", which re-tagging never takes off.

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '3f7d2c9a41e8'
down_revision = '08fb2fc621d1'
branch_labels = None
depends_on = None

# Written out, not imported: a migration must not change with the code (survey.models.themes.ThemeStatus).
STATUSES = ("proposed", "accepted", "rejected", "merged")


def upgrade():
    op.create_table(
        'themes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('survey_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('terms', sa.JSON(), nullable=False),
        sa.Column('top_terms', sa.JSON(), nullable=False),
        sa.Column('comments', sa.Integer(), nullable=True),
        sa.Column('examples', sa.JSON(), nullable=False),
        sa.Column('merged_into_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.CheckConstraint("status IN ({})".format(", ".join(f"'{s}'" for s in STATUSES)),
                           name=op.f('ck_themes_status')),
        sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_themes_survey_id_surveys'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['merged_into_id'], ['themes.id'], name=op.f('fk_themes_merged_into_id_themes'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_themes_decided_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_themes')),
    )
    op.create_index('ix_themes_survey_status', 'themes', ['survey_id', 'status'])
    op.create_table(
        'response_tag_removals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('response_id', sa.Integer(), nullable=False),
        sa.Column('tag', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['response_id'], ['responses.id'],
                                name=op.f('fk_response_tag_removals_response_id_responses'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_response_tag_removals_created_by_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_response_tag_removals')),
        sa.UniqueConstraint('response_id', 'tag', name=op.f('uq_response_tag_removals_response_id_tag')),
    )
    op.create_index(op.f('ix_response_tag_removals_response_id'), 'response_tag_removals', ['response_id'])
    with op.batch_alter_table('response_tags') as batch:
        batch.add_column(sa.Column('source', sa.String(length=8), nullable=False, server_default='manual'))


def downgrade():
    with op.batch_alter_table('response_tags') as batch:
        batch.drop_column('source')
    op.drop_index(op.f('ix_response_tag_removals_response_id'), table_name='response_tag_removals')
    op.drop_table('response_tag_removals')
    op.drop_index('ix_themes_survey_status', table_name='themes')
    op.drop_table('themes')
