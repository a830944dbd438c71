"""outbox: each message's bytes, rendered when it is queued, so the dispatcher only sends

Revision ID: 2d6c4a9e8f13
Revises: 7b3e0c5d2a61
Create Date: 2026-11-26 02:10:00.000000

Messages already in the outbox have no rendered bytes and are rendered when sent, as before.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '2d6c4a9e8f13'
down_revision = '7b3e0c5d2a61'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('outbox_rendered',
    sa.Column('outbox_id', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id'], name=op.f('fk_outbox_rendered_outbox_id_outbox'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('outbox_id', name=op.f('pk_outbox_rendered'))
    )


def downgrade():
    op.drop_table('outbox_rendered')
