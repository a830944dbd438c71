"""Responses: a survey's responses a page at a time (cursor pagination, the results filter), one response,
and historical responses imported from CSV."""
from __future__ import annotations

from itertools import islice

from flask import jsonify, request

from survey import exports
from survey.extensions import db
from survey.filters import response_conditions
from survey.models import Response
from survey.views.api import ID, ApiError, Param, operation
from survey.views.api.parameters import PAGE_PARAMS, cursor, query_moment
from survey.views.api.schemas import ref
from survey.views.api.surveys import FILTER_PARAMS, results_filter, survey_or_404

TAG = "Responses"


@operation("/surveys/<slug>/responses", "GET", role="analyst", summary="List a survey's responses", tag=TAG,
           params=(*PAGE_PARAMS,
                   Param("since", {"type": "string", "format": "date-time"},
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
    conditions = (*response_conditions(survey.id, chosen, today=None, whole_range=True), Response.id > after)
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
