"""Responses: a survey's responses a page at a time (cursor pagination, the results filter), one response,
and historical responses imported from CSV as a job, which is followed at /jobs/<id>."""
from __future__ import annotations

from itertools import islice

from flask import current_app, g, jsonify, request

from survey.background import jobs
from survey.clock import local_date, utcnow
from survey.extensions import db
from survey.links import external_url
from survey.models import Job, Response
from survey.results.filters import response_conditions
from survey.transfer import exports
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
                      404: ("No survey with that slug", ref("Error"))}, scoped=True)
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
           responses={200: ("The response", ref("Response")), 404: ("No response with that id", ref("Error"))},
           scoped=True)
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
                       "Content-Type: text/csv; up to HEARKEN_MAX_UPLOAD_LENGTH bytes. The import runs as a job: "
                       "the answer is 202 with the job and its `Location`, to GET until it ends. All or nothing: "
                       "any bad row and the job ends `refused` with nothing stored, `outcome.problems` listing the "
                       "first 100 problems by row and column. Rows imported before (same content) are skipped, so "
                       "a retry is safe. Imported responses count in results at once, open no follow-up case and "
                       "send nothing.",
           responses={202: ("The import is queued", ref("Job")), 404: ("No survey with that slug", ref("Error"))})
def import_responses(slug: str):
    survey = survey_or_404(slug)
    if request.mimetype != "text/csv":
        raise ApiError(415, "unsupported_media_type", "send the CSV with Content-Type: text/csv")
    job = jobs.submit("response_import", request.stream, now=utcnow(), actor=f"api:{g.api_token.name}",
                      survey=survey, api_token=g.api_token)
    return jsonify(jobs.as_json(job)), 202, {"Location": external_url("api.read_job", job_id=job.id)}


@operation(f"/jobs/<{ID}:job_id>", "GET", role="agent", summary="Follow a job", tag="Jobs",
           description="A job this token started (an import): its state (queued, running, done, refused, failed), "
                       "how far it got (`done` of `total`: bytes of the file while `checking`, rows while "
                       "`writing`) and, once it ended, its `outcome`: for an import, the counts, or for a refused "
                       "file `summary`, `total` and `problems` (row, column, message).",
           responses={200: ("The job", ref("Job")), 404: ("No job with that id started by this token", ref("Error"))},
           scoped=True)
def read_job(job_id: int):
    job = db.session.scalar(jobs.visible(token=g.api_token).where(Job.id == job_id))
    if job is None:
        raise ApiError(404, "not_found", f"no job with the id {job_id} started by this token", "job_id")
    return jsonify(jobs.as_json(job))
