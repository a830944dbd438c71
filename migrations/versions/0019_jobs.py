"""jobs: long work done by the dispatcher, with its input and result files in chunks

Revision ID: 5b1d0c7e9a24
Revises: c4e8a2f61b97
Create Date: 2026-12-07 14:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b1d0c7e9a24'
down_revision = 'c4e8a2f61b97'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'jobs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('state', sa.String(length=12), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=True),
        sa.Column('api_token_id', sa.Integer(), nullable=True),
        sa.Column('actor', sa.String(length=100), nullable=False),
        sa.Column('survey_id', sa.Integer(), nullable=True),
        sa.Column('params', sa.JSON(), nullable=False),
        sa.Column('input_name', sa.String(length=255), nullable=True),
        sa.Column('phase', sa.String(length=40), nullable=False),
        sa.Column('done', sa.Integer(), nullable=False),
        sa.Column('total', sa.Integer(), nullable=True),
        sa.Column('outcome', sa.JSON(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('result_name', sa.String(length=255), nullable=True),
        sa.Column('result_type', sa.String(length=120), nullable=True),
        sa.Column('result_size', sa.Integer(), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('claimed_until', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=True),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.Column('watched_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint("state IN ('queued', 'running', 'done', 'refused', 'failed')",
                           name=op.f('ck_jobs_state')),
        sa.ForeignKeyConstraint(['api_token_id'], ['api_tokens.id'], name=op.f('fk_jobs_api_token_id_api_tokens'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_jobs_owner_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_jobs_survey_id_surveys'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs')),
    )
    op.create_index('ix_jobs_state_id', 'jobs', ['state', 'id'])
    op.create_index(op.f('ix_jobs_owner_id'), 'jobs', ['owner_id'])
    op.create_index(op.f('ix_jobs_api_token_id'), 'jobs', ['api_token_id'])
    op.create_index(op.f('ix_jobs_survey_id'), 'jobs', ['survey_id'])
    op.create_table(
        'job_files',
        sa.Column('job_id', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=8), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_job_files_job_id_jobs'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('job_id', 'role', 'seq', name=op.f('pk_job_files')),
    )


def downgrade():
    op.drop_table('job_files')
    op.drop_index(op.f('ix_jobs_survey_id'), table_name='jobs')
    op.drop_index(op.f('ix_jobs_api_token_id'), table_name='jobs')
    op.drop_index(op.f('ix_jobs_owner_id'), table_name='jobs')
    op.drop_index('ix_jobs_state_id', table_name='jobs')
    op.drop_table('jobs')
