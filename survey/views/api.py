"""The JSON API (`/api/v1`). Authenticated by `Authorization: Bearer <token>` (tokens from
`flask create-api-token`); every failure has one shape: {"error": {"code", "message", "field"}}."""
from __future__ import annotations

import re
from datetime import timedelta
from functools import wraps

from flask import Blueprint, g, jsonify, request
from werkzeug.exceptions import HTTPException

from survey import outreach
from survey.api_tokens import token_for_request
from survey.clock import utcnow
from survey.extensions import csrf
from survey.models import ROLES

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # no cookies are used: a bearer token cannot be sent by another site's form

EVENT_FIELDS = {"email", "name", "survey", "touchpoint", "attributes", "delay", "id"}
DELAY_PATTERN = re.compile(r"^(\d{1,6})\s*([smhd]?)$")
DELAY_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


def error_body(code: str, message: str, field: str | None = None):
    return {"error": {"code": code, "message": message, "field": field}}


@bp.errorhandler(ApiError)
def api_error(error: ApiError):
    return jsonify(error_body(error.code, error.message, error.field)), error.status


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    code = (error.name or "error").lower().replace(" ", "_")
    return jsonify(error_body(code, error.description or error.name)), error.code


def requires(role: str):
    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            token = token_for_request(request.headers.get("Authorization", ""), now=utcnow())
            if token is None:
                raise ApiError(401, "unauthorized", "a valid API token is required: Authorization: Bearer <token>")
            if ROLES.index(token.role) < ROLES.index(role):
                raise ApiError(403, "forbidden", f"this token's role ({token.role}) may not do this; {role} needed")
            g.api_token = token
            return view(*args, **kwargs)
        return wrapper
    return decorate


def json_object() -> dict:
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", "send a JSON body with Content-Type: application/json")
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "the body must be one JSON object")
    return data


def parse_delay(value) -> timedelta:
    """Seconds as a number, or a string such as "90s", "30m", "6h", "2d"."""
    if isinstance(value, bool) or value is None:
        raise ApiError(422, "invalid", "delay must be seconds or a string like \"2d\"", "delay")
    if isinstance(value, int):
        seconds = value
    else:
        match = DELAY_PATTERN.match(str(value).strip()) if isinstance(value, str) else None
        if match is None:
            raise ApiError(422, "invalid", "delay must be seconds or a string like \"30m\", \"6h\", \"2d\"", "delay")
        seconds = int(match.group(1)) * DELAY_UNITS[match.group(2)]
    if not 0 <= seconds <= outreach.MAX_DELAY.total_seconds():
        raise ApiError(422, "invalid", "delay must be between 0 and 365 days", "delay")
    return timedelta(seconds=seconds)


def _string(data: dict, name: str, *, required: bool = False, limit: int = 200) -> str | None:
    value = data.get(name)
    if value is None:
        if required:
            raise ApiError(422, "required", f"{name} is required", name)
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise ApiError(422, "invalid", f"{name} must be a string of at most {limit} characters", name)
    return value


def _attributes(data: dict) -> dict[str, str]:
    value = data.get("attributes") or {}
    if not isinstance(value, dict) or len(value) > 50 or not all(
            isinstance(k, str) and 0 < len(k) <= 64 and isinstance(v, str | int | float) and len(str(v)) <= 200
            and not isinstance(v, bool) for k, v in value.items()):
        raise ApiError(422, "invalid", "attributes must be an object of at most 50 name → text values "
                                       "(names up to 64, values up to 200 characters)", "attributes")
    return {k: str(v) for k, v in value.items()}


@bp.route("/events", methods=["POST"])
@requires("editor")
def post_event():
    """Invite a customer after something happened elsewhere (a purchase, a closed support case)."""
    data = json_object()
    unknown = sorted(set(data) - EVENT_FIELDS)
    if unknown:
        raise ApiError(422, "unknown_field", f"unknown field {unknown[0]!r}", unknown[0])
    try:
        outcome = outreach.record_event(
            g.api_token, email=_string(data, "email", required=True, limit=320),
            survey_slug=_string(data, "survey", required=True, limit=80), now=utcnow(),
            delay=parse_delay(data.get("delay", 0)), name=_string(data, "name"),
            touchpoint=_string(data, "touchpoint", limit=100), attributes=_attributes(data),
            event_key=_string(data, "id"))
    except outreach.OutreachError as error:
        status, code = (404, "not_found") if isinstance(error, outreach.UnknownSurvey) else (422, "invalid")
        raise ApiError(status, code, str(error), error.field) from None
    event, scheduled_for = outcome.event, outcome.scheduled_for
    body = {"event": {"id": event.id, "outcome": event.outcome, "duplicate": outcome.duplicate,
                      "invitation_id": event.invitation_id,
                      "scheduled_for": scheduled_for.isoformat() + "Z" if scheduled_for else None}}
    return jsonify(body), 200 if outcome.duplicate else 202
