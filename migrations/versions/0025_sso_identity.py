"""users: the single sign-on identity (issuer, subject) an account is linked to

Revision ID: a9925b37f363
Revises: 5c1e8a93d0b7
Create Date: 2026-12-07 19:30:00.000000

Existing accounts keep NULL (not linked): their first sign-in through the provider links them by a verified
email address (survey/accounts/sso.py).

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a9925b37f363'
down_revision = '5c1e8a93d0b7'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('oidc_issuer', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('oidc_subject', sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint('uq_users_oidc_issuer_oidc_subject', ['oidc_issuer', 'oidc_subject'])


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint('uq_users_oidc_issuer_oidc_subject', type_='unique')
        batch_op.drop_column('oidc_subject')
        batch_op.drop_column('oidc_issuer')
