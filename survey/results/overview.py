"""Numbers about responses, counted in the database."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from survey.extensions import db
from survey.models import Response, Survey


@dataclass(frozen=True)
class SurveyRow:
    survey: Survey
    responses: int


def survey_overview() -> list[SurveyRow]:
    counts = dict(db.session.execute(
        select(Response.survey_id, func.count()).group_by(Response.survey_id)
    ).all())
    surveys = db.session.scalars(select(Survey).order_by(Survey.updated_at.desc())).all()
    return [SurveyRow(survey, counts.get(survey.id, 0)) for survey in surveys]
