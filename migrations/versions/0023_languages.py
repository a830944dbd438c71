"""languages: a survey version's default language and translations, and the language of each response

Revision ID: a7c41e9f2b06
Revises: 9a043e970cf7
Create Date: 2026-12-07 19:40:00.000000

A survey holds its texts in several languages (its default `language` and `translations` per language,
docs/formats.md); a response records the language it was answered in, so the response browser and exports
can show it while results still combine answers by question key. Existing versions are English, and
existing responses' language is unknown (NULL), as is an imported one's.

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a7c41e9f2b06'
down_revision = '9a043e970cf7'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('survey_versions') as batch:
        batch.add_column(sa.Column('language', sa.String(length=16), nullable=False, server_default='en'))
        batch.add_column(sa.Column('translations', sa.JSON(), nullable=True))
    with op.batch_alter_table('responses') as batch:
        batch.add_column(sa.Column('language', sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table('responses') as batch:
        batch.drop_column('language')
    with op.batch_alter_table('survey_versions') as batch:
        batch.drop_column('translations')
        batch.drop_column('language')
