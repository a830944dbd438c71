"""Surveys: list, read, create from a definition, publish a new version, publish, close; and their results
(the same numbers as the results page)."""
from __future__ import annotations

from flask import current_app, jsonify, request

from survey import authoring
from survey.authoring.definitions import DefinitionError, parse_survey, survey_definition
from survey.clock import local_date, utcnow
from survey.extensions import db
from survey.links import external_url
from survey.models import Survey
from survey.results import dashboard
from survey.results.filters import parse_filter
from survey.results.settings import Settings
from survey.transfer.exports import iso
from survey.views.api.parameters import flag
from survey.views.api.registry import ApiError, Param, body, operation
from survey.views.api.schemas import ref

TAG = "Surveys"
ERRORS = {404: ("No survey with that slug", ref("Error"))}
REGEX_SYNTAX = set("^$\\.*+?()[]{}|/")


def _literal(text: str) -> str:
    """`text` as a regular expression matching itself, in the syntax Python's `re` and ECMA-262 (JSON Schema's
    dialect, with the u flag) share: only the syntax characters escaped."""
    return "".join("\\" + char if char in REGEX_SYNTAX else char for char in text)


def where_schema(config) -> dict:
    """What `where` takes (filters.parse_filter): ATTRIBUTE=VALUE, ATTRIBUTE a configured segment attribute
    (HEARKEN_SEGMENT_ATTRIBUTES), VALUE not blank; spaces around either are ignored."""
    names = Settings.from_config(config).segment_names
    choice = "|".join(_literal(name) for name in names) or "(?!)"  # no attributes configured: nothing matches
    return {"type": "string", "maxLength": 300, "pattern": rf"^\s*(?:{choice})\s*=[\s\S]*\S",
            "description": f"ATTRIBUTE=VALUE, ATTRIBUTE one of {', '.join(names) or '(none configured)'}"}


FILTER_PARAMS = (
    Param("from", {"type": "string", "format": "date"}, "first day (YYYY-MM-DD, the organisation's time zone)"),
    Param("to", {"type": "string", "format": "date"}, "last day, inclusive"),
    Param("where", where_schema, "one segment: ATTRIBUTE=VALUE, e.g. location=Leeds (the attributes results "
                                 "break down by, HEARKEN_SEGMENT_ATTRIBUTES)"),
    Param("version", {"type": "integer", "minimum": 1}, "only responses to this survey version"),
)


def survey_or_404(slug: str) -> Survey:
    survey = authoring.find_survey(slug)
    if survey is None:
        raise ApiError(404, "not_found", f"no survey with the slug {slug[:80]!r}", "slug")
    return survey


def survey_summary(survey: Survey) -> dict:
    return {"slug": survey.slug, "title": survey.title, "status": survey.status,
            "version": survey.current_version.number, "created_at": iso(survey.created_at),
            "updated_at": iso(survey.updated_at), "public_url": external_url("respond.public_survey", slug=survey.slug)}


def survey_detail(survey: Survey) -> dict:
    return {**survey_summary(survey), "definition": survey_definition(survey.slug, survey.current_version),
            "versions": [{"number": v.number, "title": v.title, "created_at": iso(v.created_at)}
                         for v in survey.versions]}


def definition_from_body():
    try:
        return parse_survey(body())
    except DefinitionError as error:
        first = error.problems[0]
        raise ApiError(422, "invalid", "; ".join(error.problems)[:2000], first.partition(":")[0] or None) from None


@operation("/surveys", "GET", role="agent", summary="List surveys", tag=TAG,
           responses={200: ("Every survey, by slug", {"type": "object", "required": ["data"],
                                                       "additionalProperties": False,
                                                       "properties": {"data": {"type": "array",
                                                                               "items": ref("Survey")}}})}, scoped=True)
def list_surveys():
    return jsonify({"data": [survey_summary(survey) for survey in authoring.list_surveys()]})


@operation("/surveys/<slug>", "GET", role="agent", summary="Read a survey and its current definition", tag=TAG,
           responses={200: ("The survey", ref("SurveyDetail")), **ERRORS}, scoped=True)
def read_survey(slug: str):
    return jsonify(survey_detail(survey_or_404(slug)))


@operation("/surveys", "POST", role="editor", summary="Create a survey from a definition", tag=TAG,
           params=(Param("publish", {"type": "boolean"}, "publish at once (default: keep it a draft)"),),
           body=ref("SurveyDefinition"),
           responses={201: ("Created", ref("SurveyDetail")),
                      409: ("A survey with this slug exists (publish a new version instead)", ref("Error"))})
def create_survey():
    publish = flag("publish")
    spec = definition_from_body()
    if authoring.find_survey(spec.slug):
        raise ApiError(409, "conflict", f"a survey with the slug {spec.slug!r} exists; "
                                        f"POST /surveys/{spec.slug}/versions publishes a new version", "slug")
    survey = authoring.create_survey(spec, actor=None, now=utcnow(), publish=publish)
    return jsonify(survey_detail(survey)), 201, {"Location": external_url("api.read_survey", slug=survey.slug)}


@operation("/surveys/<slug>/versions", "POST", role="editor", summary="Publish a new version of a survey", tag=TAG,
           body=ref("SurveyDefinition"),
           description="As `import-survey` does for an existing slug: the definition becomes the current version "
                       "(a question key keeps its type and scale length across versions). The body's slug must be "
                       "the survey's.",
           responses={201: ("The survey with its new version", ref("SurveyDetail")), **ERRORS})
def publish_version(slug: str):
    survey = survey_or_404(slug)
    spec = definition_from_body()
    if spec.slug != survey.slug:
        raise ApiError(422, "invalid", f"slug must be {survey.slug!r}, the survey's own", "slug")
    try:
        survey, _created = authoring.import_survey(spec, actor=None, now=utcnow())
    except authoring.AuthoringError as error:
        db.session.rollback()
        raise ApiError(422, "invalid", str(error), "questions") from None
    return jsonify(survey_detail(survey)), 201


def _change_status(slug: str, action: str):
    survey = survey_or_404(slug)
    try:
        authoring.change_status(survey, action, now=utcnow())
    except authoring.AuthoringError as error:
        raise ApiError(409, "conflict", str(error), "status") from None
    return jsonify(survey_summary(survey))


STATUS_RESPONSES = {200: ("The survey", ref("Survey")), **ERRORS,
                    409: ("Not possible in the survey's status", ref("Error"))}


@operation("/surveys/<slug>/publish", "POST", role="editor", summary="Publish a draft or closed survey", tag=TAG,
           responses=STATUS_RESPONSES)
def publish_survey(slug: str):
    return _change_status(slug, "publish")


@operation("/surveys/<slug>/close", "POST", role="editor", summary="Close a survey to new answers", tag=TAG,
           responses=STATUS_RESPONSES)
def close_survey(slug: str):
    return _change_status(slug, "close")


def results_filter(args, extra: dict | None = None):
    """The results filter from query arguments; a bad value is a 400 naming it (pages show and skip it)."""
    names = Settings.from_config(current_app.config).segment_names
    parsed = parse_filter({**args, **(extra or {})}, segment_names=names)
    if parsed.problems:
        raise ApiError(400, "invalid_parameter", parsed.problems[0], parsed.problems[0].partition(":")[0])
    return parsed.filter


def _estimate(estimate: dashboard.Estimate) -> dict:
    return {"value": estimate.value, "low": estimate.low, "high": estimate.high, "n": estimate.n}


def results_body(board: dashboard.Dashboard) -> dict:
    fdr = board.settings.fdr
    return {
        "survey": board.survey.slug, "period_unit": board.filter.unit, "periods": list(board.period_labels),
        "first_day": board.first_day.isoformat(), "last_day": board.last_day.isoformat(),
        "responses": board.responses, "notes": list(board.notes),
        "cards": [{"title": c.title, "question": c.question, "metric": c.metric, "current": _estimate(c.current),
                   "previous": _estimate(c.previous), "difference": c.difference, "ci_low": c.low, "ci_high": c.high,
                   "p_value": c.p_value, "q_value": c.q_value, "verdict": c.verdict(fdr), "note": c.note}
                  for c in board.cards],
        "questions": [{"key": q.question.key, "text": q.question.text, "type": q.question.type, "metric": q.metric,
                       "answered": q.answered,
                       "trend": [{"period": p.label, "value": p.value, "low": p.low, "high": p.high, "n": p.n}
                                 for p in q.trend],
                       "distribution": [{"label": bar.label, "count": bar.count} for bar in q.distribution],
                       "summary": [{"label": label, "value": value} for label, value in q.summary],
                       "segments": {name: [{"segment": row.label, "period": board.current_label,
                                            "value": row.value, "low": row.low, "high": row.high, "n": row.n,
                                            "previous": _estimate(row.previous),
                                            "alerts": [alert.id for alert in row.alerts]} for row in rows]
                                    for name, rows in q.segments.items()}}
                      for q in board.questions],
        # Free-text questions: the share of negative comments per period among those analysed (English, VADER).
        "comments": [{"key": c.question.key, "text": c.question.text, "analysed": c.analysed,
                      "negative_share": [{"period": p.label, "value": p.value, "low": p.low, "high": p.high, "n": p.n}
                                         for p in c.trend]} for c in board.comments],
    }


@operation("/surveys/<slug>/results", "GET", role="analyst", summary="Results per period and segment", tag=TAG,
           params=(*FILTER_PARAMS,
                   Param("period", {"enum": ["week", "month", "quarter"]}, "period unit (default month)")),
           description="The numbers of the results page: headline cards with 95 % intervals, the change against "
                       "the previous period with its p- and Benjamini–Hochberg q-value, per question the trend per "
                       "period, the distribution and every segment in the last period beside the one before (values "
                       "are null where a period or group has too few responses). Without from/to: the last 12 "
                       "complete periods.",
           responses={200: ("Results", ref("Results")), **ERRORS,
                      400: ("A query parameter is not valid", ref("Error"))}, scoped=True)
def survey_results(slug: str):
    survey = survey_or_404(slug)
    chosen = results_filter(request.args)
    today = local_date(utcnow(), current_app.config["TIMEZONE"])
    board = dashboard.build(survey, chosen, today=today, settings=Settings.from_config(current_app.config))
    return jsonify(results_body(board))

