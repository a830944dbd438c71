"""questions: settings, what only some question types have (a matrix's statements)

Revision ID: 7c41e9a2d5b3
Revises: a7c41e9d25b3
Create Date: 2026-12-07 19:20:00.000000

A matrix question keeps its statements here (its scale in `options`, as a rating does); a choice keeps
whether it offers "Other, please specify". One JSON column rather than one per setting, because each
setting belongs to one or two types and is NULL everywhere else.

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '7c41e9a2d5b3'
down_revision = 'a7c41e9d25b3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('settings', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_column('settings')
