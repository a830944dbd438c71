"""outbox: each message's bytes rendered when it is queued, so the dispatcher only sends

Revision ID: 2d6c4a9e8f13
Revises: 7b3e0c5d2a61
Create Date: 2026-11-26 02:10:00.000000

Rows already in the outbox keep raw NULL and are rendered when sent, as before.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '2d6c4a9e8f13'
down_revision = '7b3e0c5d2a61'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('raw', sa.LargeBinary(), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('raw')
