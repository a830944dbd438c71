"""survey versions: when responses open a follow-up case (low scores, or every response)

Revision ID: 9e4a7c2b5d13
Revises: 3f7a9c2d5e14
Create Date: 2026-12-07 02:40:00.000000

Every version stored before keeps the rule it had: low scores and "you may contact me" only.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9e4a7c2b5d13'
down_revision = '3f7a9c2d5e14'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('survey_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('follow_up', sa.String(length=20), nullable=False,
                                      server_default='low_scores'))
    with op.batch_alter_table('survey_versions', schema=None) as batch_op:
        batch_op.alter_column('follow_up', existing_type=sa.String(length=20), existing_nullable=False,
                              server_default=None)


def downgrade():
    with op.batch_alter_table('survey_versions', schema=None) as batch_op:
        batch_op.drop_column('follow_up')
