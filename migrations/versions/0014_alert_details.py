"""alerts: details of the finding (a trend's shape and slope, "recovered", the year-over-year comparison)

Revision ID: 3f7a9c2d5e14
Revises: 3e7a1c5b9d42
Create Date: 2026-12-08 10:00:00.000000

Alerts raised before keep NULL: they are described as they were.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3f7a9c2d5e14'
down_revision = '3e7a1c5b9d42'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('details', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_column('details')
