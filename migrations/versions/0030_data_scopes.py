"""data scopes: a user and an API token may be limited to values of segment attributes

Revision ID: 5d2f8c1a9e47
Revises: 3f9c1d2a7b64
Create Date: 2026-12-08 10:00:00.000000

`scope` is JSON, {attribute: [values]} as a campaign's segment is, NULL for everything (every existing
user and token keeps seeing everything).

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '5d2f8c1a9e47'
down_revision = '3f9c1d2a7b64'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scope', sa.JSON(), nullable=True))
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scope', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('scope')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('scope')
