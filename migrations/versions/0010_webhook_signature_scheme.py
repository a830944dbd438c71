"""webhook endpoints: the signature scheme (Standard Webhooks, or the first release's Hearken-Signature)

Revision ID: 3c8e2f6a1d47
Revises: 5f1a7c3e9b24
Create Date: 2026-11-27 10:00:00.000000

New endpoints are signed the Standard Webhooks way ("standard"). Endpoints registered before keep the
scheme their receivers check ("hearken"): the column is added with that as its default, which fills
every existing row, and the default is then dropped so nothing but the application decides the scheme
of a new endpoint. Downgrading drops the column: every endpoint is then signed the "hearken" way again,
which is the only scheme the code before this revision knows.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3c8e2f6a1d47'
down_revision = '5f1a7c3e9b24'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signature_scheme', sa.String(length=20), nullable=False,
                                      server_default='hearken'))
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.alter_column('signature_scheme', existing_type=sa.String(length=20), existing_nullable=False,
                              server_default=None)


def downgrade():
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.drop_column('signature_scheme')
