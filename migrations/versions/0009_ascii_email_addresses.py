"""contacts and users: international domains stored in their ASCII (xn--) form

Revision ID: 5f1a7c3e9b24
Revises: 2d6c4a9e8f13
Create Date: 2026-11-26 11:10:00.000000

Addresses are now stored as mail servers take them (survey.outreach.invitations.normalise_email): an address with
an international domain stored before could not be given a name in an email header, and the campaign it
was in failed to launch. Each such address is rewritten to its ASCII form, unless that form is already
taken by another row (then it stays, and only its own messages fail). An address with characters outside
ASCII before the @ has no ASCII form and stays as it is; the dispatcher fails its messages, saying why.
Downgrading keeps the ASCII forms: every version reads them.

"""
from alembic import op
import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email


# revision identifiers, used by Alembic.
revision = '5f1a7c3e9b24'
down_revision = '2d6c4a9e8f13'
branch_labels = None
depends_on = None


def _ascii_form(address: str) -> str | None:
    try:
        return validate_email(address, check_deliverability=False, allow_smtputf8=False).ascii_email.lower()
    except EmailNotValidError:
        return None


def upgrade():
    connection = op.get_bind()
    for table in ("contacts", "users"):
        rows = connection.execute(sa.text(f"SELECT id, email FROM {table}")).all()
        taken = {email for _id, email in rows}
        for row_id, email in rows:
            if email.isascii() or (ascii_form := _ascii_form(email)) is None or ascii_form in taken:
                continue
            connection.execute(sa.text(f"UPDATE {table} SET email = :email WHERE id = :id"),
                               {"email": ascii_form, "id": row_id})
            taken.add(ascii_form)


def downgrade():
    pass
