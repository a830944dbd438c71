"""branding: the organisation's accent colour and logo

Revision ID: 9a043e970cf7
Revises: 3e9b7d21c4f8
Create Date: 2026-12-07 19:30:00.000000

One row (id 1) that every process reads, so an admin's change shows on every page and in every email at
once, whichever gunicorn worker took the request. No row means Hearken's own colours and no logo.

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '9a043e970cf7'
down_revision = '3e9b7d21c4f8'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'branding',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('accent_colour', sa.String(length=7), nullable=True),
        sa.Column('logo', sa.LargeBinary(), nullable=True),
        sa.Column('logo_type', sa.String(length=16), nullable=True),
        sa.Column('logo_digest', sa.String(length=16), nullable=True),
        sa.Column('logo_width', sa.Integer(), nullable=True),
        sa.Column('logo_height', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_branding_updated_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_branding')),
    )


def downgrade():
    op.drop_table('branding')
