"""complaints: the sent form's submission key, unique, so a form sent twice is one complaint

Revision ID: 6b9d3f1e2a58
Revises: 8c2e4b6d1f37
Create Date: 2026-12-07 02:10:00.000000

Complaints stored before keep NULL (a unique column holds any number of NULLs on both databases).

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6b9d3f1e2a58'
down_revision = '8c2e4b6d1f37'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submission_key', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_complaints_submission_key'), ['submission_key'])


def downgrade():
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_complaints_submission_key'), type_='unique')
        batch_op.drop_column('submission_key')
