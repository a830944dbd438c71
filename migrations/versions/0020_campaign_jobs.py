"""campaigns: the job that launches a campaign sent from the page

Revision ID: 8d3f5a1c7e60
Revises: 5b1d0c7e9a24
Create Date: 2026-12-07 15:00:00.000000

A campaign sent "now" from the page is launched by a job (survey.background.jobs), so the page answers at
once; the dispatcher's pass leaves a campaign with a job to that job.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8d3f5a1c7e60'
down_revision = '5b1d0c7e9a24'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('campaigns') as batch:
        batch.add_column(sa.Column('job_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f('fk_campaigns_job_id_jobs'), 'jobs', ['job_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('campaigns') as batch:
        batch.drop_constraint(op.f('fk_campaigns_job_id_jobs'), type_='foreignkey')
        batch.drop_column('job_id')
