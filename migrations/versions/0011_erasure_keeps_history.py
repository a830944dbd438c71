"""erasure keeps anonymised invitations; tombstones of erased addresses

Revision ID: 8c2e4b6d1f37
Revises: 3c8e2f6a1d47
Create Date: 2026-12-07 10:00:00.000000

invitations.contact_id becomes nullable: erasing a contact now keeps their invitations with no contact and
a fresh token (the old link dead), so campaign counts and response rates do not change. erased_addresses
holds a keyed hash of each erased address, which contact imports skip.

Downgrading deletes the anonymised invitations (the older schema cannot hold an invitation without a
contact), unlinking the responses given on them first, as erasure did before, and drops the tombstones.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8c2e4b6d1f37'
down_revision = '3c8e2f6a1d47'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.alter_column('contact_id', existing_type=sa.Integer(), nullable=True)

    op.create_table('erased_addresses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('erased_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_erased_addresses')),
    sa.UniqueConstraint('digest', name=op.f('uq_erased_addresses_digest'))
    )


def downgrade():
    op.drop_table('erased_addresses')
    # Foreign keys are off while SQLite migrates (docs/design.md), so no cascade runs: unlink by hand.
    anonymous = "SELECT id FROM invitations WHERE contact_id IS NULL"
    op.execute(f"UPDATE responses SET invitation_id = NULL WHERE invitation_id IN ({anonymous})")
    op.execute(f"UPDATE trigger_events SET invitation_id = NULL WHERE invitation_id IN ({anonymous})")
    op.execute(f"DELETE FROM outbox_rendered WHERE outbox_id IN "
               f"(SELECT id FROM outbox WHERE invitation_id IN ({anonymous}))")
    op.execute(f"DELETE FROM outbox WHERE invitation_id IN ({anonymous})")
    op.execute("DELETE FROM invitations WHERE contact_id IS NULL")
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.alter_column('contact_id', existing_type=sa.Integer(), nullable=False)
