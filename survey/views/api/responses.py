"""Responses: a survey's responses a page at a time (cursor pagination, the results filter), one response,
and historical responses imported from CSV."""
from __future__ import annotations

from itertools import islice

from flask import current_app, g, jsonify, request

from survey.clock import local_date, utcnow
from survey.extensions import db
from survey.models import Response
from survey.results.filters import response_conditions
from survey.transfer import exports, response_import
from survey.views.api.parameters import PAGE_PARAMS, cursor, query_moment
from survey.views.api.registry import ID, ApiError, Param, operation
from survey.views.api.schemas import ref
from survey.views.api.surveys import FILTER_PARAMS, results_filter, survey_or_404

TAG = "Responses"


@operation("/surveys/<slug>/responses", "GET", role="analyst", summary="List a survey's responses", tag=TAG,
           params=(*PAGE_PARAMS,
                   Param("since", {"type": "string", "minLength": 1, "format": "date-time"},
                         "only responses given or changed at or after this moment (UTC unless an offset is given)"),
                   *FILTER_PARAMS),
           description="Oldest first. Pages are cut by response id (keyset), so following next_cursor never skips "
                       "or repeats a response, however many arrive meanwhile. Each item is the JSON export format.",
           responses={200: ("A page of responses", ref("ResponsePage")),
                      404: ("No survey with that slug", ref("Error"))})
def list_responses(slug: str):
    survey = survey_or_404(slug)
    after, limit = cursor()
    chosen = results_filter(request.args)
    today = local_date(utcnow(), current_app.config["TIMEZONE"])  # unused with whole_range, as in exports.filtered
    conditions = (*response_conditions(survey.id, chosen, today, whole_range=True), Response.id > after)
    records = list(islice(exports.export_records(exports.Selection(survey, query_moment("since"), conditions)),
                          limit + 1))
    more = len(records) > limit
    records = records[:limit]
    return jsonify({"data": records, "next_cursor": str(records[-1]["response_id"]) if more else None})


@operation(f"/responses/<{ID}:response_id>", "GET", role="analyst", summary="Read one response", tag=TAG,
           responses={200: ("The response", ref("Response")), 404: ("No response with that id", ref("Error"))})
def read_response(response_id: int):
    response = db.session.get(Response, response_id)
    if response is None:
        raise ApiError(404, "not_found", f"no response with the id {response_id}", "response_id")
    selection = exports.Selection(response.version.survey, None, (Response.id == response.id,))
    return jsonify(next(iter(exports.export_records(selection))))


@operation("/surveys/<slug>/responses/import", "POST", role="editor", summary="Import historical responses (CSV)",
           tag=TAG, body={"type": "string", "description": "the historical responses CSV (docs/formats.md)"},
           body_media_type="text/csv",
           description="The CSV format of `import-responses` (docs/formats.md), as the request body with "
                       "Content-Type: text/csv; up to HEARKEN_MAX_UPLOAD_LENGTH bytes. All or nothing: any bad "
                       "row and nothing is stored; `error.problems` lists the first 100 problems by row and "
                       "column. Rows imported before (same content) are skipped, so a retry is safe. Imported "
                       "responses count in results at once, open no follow-up case and send nothing.",
           responses={200: ("What was imported", ref("ImportResult")), 404: ("No survey with that slug", ref("Error")),
                      409: ("Another import ran at the same time; send it again", ref("Error"))})
def import_responses(slug: str):
    survey = survey_or_404(slug)
    if request.mimetype != "text/csv":
        raise ApiError(415, "unsupported_media_type", "send the CSV with Content-Type: text/csv")
    try:
        outcome = response_import.import_responses(survey, request.stream, now=utcnow(),
                                                   actor=f"api:{g.api_token.name}")
    except response_import.ResponseImportError as error:
        if error.problems and error.problems[0].message == response_import.CONCURRENT:
            raise ApiError(409, "conflict", response_import.CONCURRENT) from None
        first = error.problems[0] if error.problems else None
        raise ApiError(422, "invalid", f"{error.summary()}; {first}" if first else error.summary(),
                       first.column if first else None,
                       problems=[problem._asdict() for problem in error.problems]) from None
    return jsonify({"imported": outcome.imported, "skipped": outcome.skipped, "skipped_erased": outcome.skipped_erased,
                    "contacts_created": outcome.contacts_created,
                    "per_version": {str(number): count for number, count in sorted(outcome.per_version.items())}})
