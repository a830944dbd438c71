"""answer sentiment: each English comment's VADER compound score, stored once

Revision ID: 3f8a1c52e907
Revises: 3f7d2c9a41e8
Create Date: 2026-12-09 10:00:00.000000

Free-text answers already stored are scored here, in batches: those of responses given in English (the
response's language, else its version's). Comments in other languages keep no score ("not analysed").
Scored comments are then counted into answer_counts under their label (−1 negative, 0 neutral, 1 positive:
survey.results.rollups.counted), for all respondents and each segment attribute the table holds, as
rollups.rebuild would count them; text questions had no cells before, so nothing is counted twice.

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '3f8a1c52e907'
down_revision = '3f7d2c9a41e8'
branch_labels = None
depends_on = None

BATCH = 5000
THRESHOLD = 0.05  # VADER's authors' cut-off (analysis.sentiment.THRESHOLD)
SEGMENT_VALUE_WIDTH = 200  # answer_counts.segment_value


def upgrade():
    with op.batch_alter_table('answers') as batch_op:
        batch_op.add_column(sa.Column('sentiment', sa.Double(), nullable=True))

    from analysis.sentiment import sentiment

    connection = op.get_bind()
    # Text answers: their question (by the response's version and the answer's key) is a text question.
    query = sa.text(
        "SELECT a.id, a.value_text, COALESCE(r.language, v.language) FROM answers a "
        "JOIN responses r ON r.id = a.response_id JOIN survey_versions v ON v.id = r.version_id "
        "JOIN questions q ON q.version_id = r.version_id AND q.key = a.question_key "
        "WHERE q.type = 'text' AND a.value_text IS NOT NULL AND a.id > :after ORDER BY a.id LIMIT :batch")
    update = sa.text("UPDATE answers SET sentiment = :score WHERE id = :id")
    after = 0
    while rows := connection.execute(query, {"after": after, "batch": BATCH}).all():
        after = rows[-1][0]
        scored = [{"id": answer_id, "score": found.compound} for answer_id, text, language in rows
                  if (found := sentiment(text, language or "en")) is not None]
        if scored:
            connection.execute(update, scored)
    _count_comments(connection)


def _count_comments(connection):
    postgres = connection.dialect.name == "postgresql"
    names = connection.execute(sa.text(
        "SELECT DISTINCT segment_name FROM answer_counts WHERE segment_name <> '' ORDER BY segment_name")).scalars()
    label = (f"CASE WHEN a.sentiment >= {THRESHOLD} THEN 1 WHEN a.sentiment <= -{THRESHOLD} THEN -1 ELSE 0 END")
    for name in ["", *list(names)]:
        parameters = {"name": name}
        value, where = "''", ["a.sentiment IS NOT NULL"]
        if name:
            if postgres:
                found, parameters["attribute"] = "(r.attributes ->> :attribute)", name
            else:
                found, parameters["path"] = "json_extract(r.attributes, :path)", f'$."{name}"'
            value = f"substr({found}, 1, {SEGMENT_VALUE_WIDTH})"
            where += [f"{value} IS NOT NULL", f"{value} <> ''"]
        # Grouped by position: an expression holding a bound parameter is not the same one in GROUP BY.
        groups = [1, 2, 3, *([5] if name else []), 6, 7]
        connection.execute(sa.text(
            "INSERT INTO answer_counts (survey_id, question_key, local_date, segment_name, segment_value, value_int, "
            f"version_id, count) SELECT r.survey_id, a.question_key, r.local_date, CAST(:name AS VARCHAR(64)), "
            f"{value}, {label}, r.version_id, count(*) FROM answers a JOIN responses r ON r.id = a.response_id "
            f"WHERE {' AND '.join(where)} GROUP BY {', '.join(map(str, groups))}").bindparams(**parameters))


def downgrade():
    with op.batch_alter_table('answers') as batch_op:
        batch_op.drop_column('sentiment')
