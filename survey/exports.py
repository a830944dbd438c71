"""Responses out: CSV (in the import format of INTERFACES.md) and JSON, streamed in batches so memory
stays constant however many responses there are."""
from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import datetime
from typing import TextIO

from sqlalchemy import select

from survey.extensions import db
from survey.models import Answer, Contact, Question, Response, Survey, SurveyVersion

BATCH = 1000
# A spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: object) -> object:
    if isinstance(cell, str) and cell.startswith(FORMULA_PREFIXES):
        return "'" + cell
    return cell


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds") + "Z"


def question_types(survey: Survey) -> dict[str, str]:
    """Every question key the survey ever had → its type, newest version's order first."""
    rows = db.session.execute(
        select(Question.key, Question.type).join(SurveyVersion)
        .where(SurveyVersion.survey_id == survey.id)
        .order_by(SurveyVersion.number.desc(), Question.position)
    ).all()
    types: dict[str, str] = {}
    for key, qtype in rows:
        types.setdefault(key, qtype)
    return types


def _responses(survey: Survey, since: datetime | None):
    query = (select(Response.id, Response.submitted_at, Response.updated_at, SurveyVersion.number,
                    Contact.email, Response.attributes, Response.source, Response.quote_consent,
                    Response.contact_consent)
             .join(SurveyVersion, Response.version_id == SurveyVersion.id)
             .outerjoin(Contact, Response.contact_id == Contact.id)
             .where(Response.survey_id == survey.id).order_by(Response.id))
    if since is not None:
        query = query.where(Response.updated_at >= since)
    return query


def _attribute_names(survey: Survey, since: datetime | None) -> list[str]:
    names: set[str] = set()
    query = _responses(survey, since).with_only_columns(Response.attributes)
    for attributes in db.session.scalars(query.execution_options(yield_per=BATCH)):
        names.update(attributes or {})
    return sorted(names)


def _answer_values(types: dict[str, str], response_ids: list[int]) -> dict[int, dict[str, object]]:
    values: dict[int, dict[str, object]] = {rid: {} for rid in response_ids}
    rows = db.session.execute(
        select(Answer.response_id, Answer.question_key, Answer.value_int, Answer.value_text)
        .where(Answer.response_id.in_(response_ids)).order_by(Answer.response_id, Answer.value_int, Answer.id)
    )
    for response_id, key, value_int, value_text in rows:
        qtype = types.get(key)
        if qtype == "multi":
            values[response_id].setdefault(key, []).append(value_text)
        elif qtype == "yesno":
            values[response_id][key] = bool(value_int)
        elif qtype in ("rating", "nps"):
            values[response_id][key] = value_int
        else:
            values[response_id][key] = value_text
    return values


def export_records(survey: Survey, since: datetime | None = None) -> Iterator[dict]:
    """One dict per response: metadata, segment attributes and native answer values."""
    types = question_types(survey)
    result = db.session.execute(_responses(survey, since).execution_options(yield_per=BATCH))
    for batch in result.partitions(BATCH):
        answers = _answer_values(types, [row.id for row in batch])
        for row in batch:
            yield {
                "response_id": row.id, "submitted_at": iso(row.submitted_at), "updated_at": iso(row.updated_at),
                "version": row.number, "email": row.email, "source": row.source,
                "attributes": row.attributes or {}, "answers": answers[row.id],
                "quote_consent": row.quote_consent, "contact_consent": row.contact_consent,
            }


def csv_cell(value: object) -> object:
    """An answer as the import format writes it: positions and 0–10 as numbers, multi joined by ';'."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ";".join(value)
    return "" if value is None else value


def write_csv(survey: Survey, out: TextIO, since: datetime | None = None) -> int:
    keys = list(question_types(survey))
    attributes = _attribute_names(survey, since)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["response_id", "submitted_at", "updated_at", "version", "email", "source",
                     *(f"attr.{name}" for name in attributes), *keys, "quote_consent", "contact_consent"])
    count = 0
    for record in export_records(survey, since):
        writer.writerow([neutralise(cell) for cell in (
            record["response_id"], record["submitted_at"], record["updated_at"], record["version"],
            record["email"] or "", record["source"],
            *(record["attributes"].get(name, "") for name in attributes),
            *(csv_cell(record["answers"].get(key)) for key in keys),
            csv_cell(record["quote_consent"]), csv_cell(record["contact_consent"]),
        )])
        count += 1
    return count


def write_json(survey: Survey, out: TextIO, since: datetime | None = None, *, lines: bool = False) -> int:
    """A JSON array (or JSON Lines with lines=True), written record by record."""
    count = 0
    for record in export_records(survey, since):
        if lines:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            out.write(("[\n" if count == 0 else ",\n") + json.dumps(record, ensure_ascii=False))
        count += 1
    if not lines:
        out.write("[]\n" if count == 0 else "\n]\n")
    return count
