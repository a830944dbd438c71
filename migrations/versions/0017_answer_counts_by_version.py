"""answer_counts: a cell per survey version, so the results page filters by version from the rollup

Revision ID: 93d6eef46271
Revises: 9e4a7c2b5d13
Create Date: 2026-12-07 04:40:00.000000

A stored cell sums the answers of every version, and nothing can split it again, so the table is emptied
and counted afresh from the answers (the GROUP BY of survey.results.rollups.rebuild, written out here: a
migration must not change when the application does). The segment attributes counted are those the table
already holds, so an installation keeps its own HEARKEN_SEGMENT_ATTRIBUTES. On the benchmarks' survey (a million
responses, ten million answers, one segment attribute) it took 46 s on SQLite, each further attribute
adding a pass over the answers. The downgrade counts the cells without the version again.

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '93d6eef46271'
down_revision = '9e4a7c2b5d13'
branch_labels = None
depends_on = None

CELL = ['survey_id', 'question_key', 'local_date', 'segment_name', 'segment_value', 'value_int']
RESPONSES_KEY = '*'  # the question key of the cells counting responses (survey.rollups.RESPONSES_KEY)
SEGMENT_VALUE_WIDTH = 200  # answer_counts.segment_value


def _segment_names() -> list[str]:
    return list(op.get_bind().execute(sa.text(
        "SELECT DISTINCT segment_name FROM answer_counts WHERE segment_name <> '' ORDER BY segment_name")).scalars())


def _count(names: list[str], *, by_version: bool) -> None:
    """Fill the empty table: answers with a value from the answers, responses (RESPONSES_KEY) from the
    responses, for all respondents and each segment attribute in `names`."""
    postgres = op.get_bind().dialect.name == "postgresql"
    columns = ", ".join(CELL) + (", version_id" if by_version else "")
    version = ", r.version_id" if by_version else ""
    for name in ["", *names]:
        parameters = {"name": name}
        value, where = "''", []
        if name:
            # As the application reads an attribute (SQLAlchemy's JSON index), cut to the column's width.
            if postgres:
                found, parameters["attribute"] = "(r.attributes ->> :attribute)", name
            else:
                found, parameters["path"] = "json_extract(r.attributes, :path)", f'$."{name}"'
            value = f"substr({found}, 1, {SEGMENT_VALUE_WIDTH})"
            where = [f"{value} IS NOT NULL", f"{value} <> ''"]
        # Grouped by position (1 survey, 2 key, 3 day, 5 segment value, 6 value, 7 version): an expression
        # holding a bound parameter is not the same expression in GROUP BY as in the select list.
        segment = [5] if name else []
        versions = [7] if by_version else []
        for select, conditions, groups in (
                (f"r.survey_id, a.question_key, r.local_date, CAST(:name AS VARCHAR(64)), {value}, a.value_int"
                 f"{version}, count(*) FROM answers a JOIN responses r ON r.id = a.response_id",
                 ["a.value_int IS NOT NULL", *where], [1, 2, 3, *segment, 6, *versions]),
                (f"r.survey_id, '{RESPONSES_KEY}', r.local_date, CAST(:name AS VARCHAR(64)), {value}, 1{version}, "
                 "count(*) FROM responses r", where, [1, 3, *segment, *versions])):
            op.execute(sa.text(
                f"INSERT INTO answer_counts ({columns}, count) SELECT {select}"
                + (f" WHERE {' AND '.join(conditions)}" if conditions else "")
                + f" GROUP BY {', '.join(map(str, groups))}").bindparams(**parameters))


def upgrade():
    names = _segment_names()
    op.execute(sa.text("DELETE FROM answer_counts"))
    with op.batch_alter_table('answer_counts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version_id', sa.Integer(), nullable=False))
        batch_op.drop_constraint('uq_answer_counts_cell', type_='unique')
        batch_op.create_unique_constraint('uq_answer_counts_cell', [*CELL, 'version_id'])
        batch_op.create_foreign_key(batch_op.f('fk_answer_counts_version_id_survey_versions'), 'survey_versions',
                                    ['version_id'], ['id'], ondelete='CASCADE')
    _count(names, by_version=True)


def downgrade():
    names = _segment_names()
    op.execute(sa.text("DELETE FROM answer_counts"))
    with op.batch_alter_table('answer_counts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_answer_counts_version_id_survey_versions'), type_='foreignkey')
        batch_op.drop_constraint('uq_answer_counts_cell', type_='unique')
        batch_op.create_unique_constraint('uq_answer_counts_cell', CELL)
        batch_op.drop_column('version_id')
    _count(names, by_version=False)
