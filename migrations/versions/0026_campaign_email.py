"""campaigns: each campaign's email subject, opening line and sender name

Revision ID: a7c41e9d25b3
Revises: a9925b37f363
Create Date: 2026-12-07 19:15:00.000000

NULL keeps the wording every campaign had before (the survey's title and the organisation's name). The
outbox keeps the sender's display name of each message, since From is written when it is sent.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7c41e9d25b3'
down_revision = 'a9925b37f363'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('campaigns') as batch:
        batch.add_column(sa.Column('email_subject', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('email_opening', sa.String(length=1000), nullable=True))
        batch.add_column(sa.Column('email_sender_name', sa.String(length=100), nullable=True))
    with op.batch_alter_table('outbox') as batch:
        batch.add_column(sa.Column('sender_name', sa.String(length=100), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox') as batch:
        batch.drop_column('sender_name')
    with op.batch_alter_table('campaigns') as batch:
        batch.drop_column('email_sender_name')
        batch.drop_column('email_opening')
        batch.drop_column('email_subject')
