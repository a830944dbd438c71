"""change entries: the editor's choice whether the public page shows the measured impact's numbers

Revision ID: 3e7a1c5b9d42
Revises: 6b9d3f1e2a58
Create Date: 2026-12-07 02:30:00.000000

Entries stored before keep NULL, "not chosen": the public page then shows their numbers only while they
are being measured or when they show a real improvement, until an editor chooses.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3e7a1c5b9d42'
down_revision = '6b9d3f1e2a58'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('change_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('impact_numbers', sa.Boolean(), nullable=True))


def downgrade():
    with op.batch_alter_table('change_entries', schema=None) as batch_op:
        batch_op.drop_column('impact_numbers')
