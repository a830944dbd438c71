"""display logic: conditions and sections on questions, "not asked" on responses

Revision ID: 5c1e8a93d0b7
Revises: a7c41e9f2b06
Create Date: 2026-12-07 19:20:00.000000

A question may be shown only when a condition on earlier answers or the contact holds (`show_if`), may end
the survey (`end_if`) and belongs to a section (a page); a version lists its sections. A response records
which questions were not shown to its respondent, so exports tell "not asked" from "not answered". Every
new column is empty for existing rows: their surveys have no logic and every question was asked.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c1e8a93d0b7'
down_revision = 'a7c41e9f2b06'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('questions') as batch_op:
        batch_op.add_column(sa.Column('show_if', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('end_if', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('section', sa.String(length=64), nullable=False, server_default=''))
    with op.batch_alter_table('survey_versions') as batch_op:
        batch_op.add_column(sa.Column('sections', sa.JSON(), nullable=True))
    with op.batch_alter_table('responses') as batch_op:
        batch_op.add_column(sa.Column('not_asked', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('responses') as batch_op:
        batch_op.drop_column('not_asked')
    with op.batch_alter_table('survey_versions') as batch_op:
        batch_op.drop_column('sections')
    with op.batch_alter_table('questions') as batch_op:
        batch_op.drop_column('section')
        batch_op.drop_column('end_if')
        batch_op.drop_column('show_if')
