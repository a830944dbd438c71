from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from survey.extensions import Model


class AnswerCount(Model):
    """How many answers had each value, per survey, version, question, day and segment: the rollup that
    trend detection and results read, so their cost grows with days × values × segments, not with responses.

    Kept current on every write (survey.results.rollups); `segment_name` and `segment_value` are "" for the
    row that counts all respondents. A cell belongs to the version its responses answered, so the results
    page filters by version from the rollup too; every other reader sums over versions. Only the configured
    segment attributes (HEARKEN_SEGMENT_ATTRIBUTES) are rolled up: an attribute with a value per customer
    would make this table as large as the answers.
    """

    __tablename__ = "answer_counts"
    __table_args__ = (UniqueConstraint("survey_id", "question_key", "local_date", "segment_name", "segment_value",
                                       "value_int", "version_id", name="uq_answer_counts_cell"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    # Last in the key: readers that sum over versions still find their cells by the key's leading columns.
    version_id: Mapped[int] = mapped_column(ForeignKey("survey_versions.id", ondelete="CASCADE"))
    question_key: Mapped[str] = mapped_column(String(64))
    local_date: Mapped[date]
    segment_name: Mapped[str] = mapped_column(String(64))
    segment_value: Mapped[str] = mapped_column(String(200))
    value_int: Mapped[int]
    count: Mapped[int]
