"""The API's machinery: the blueprint, `@operation` declarations, the border check, bodies and errors
(survey/views/api/__init__.py says what the API promises)."""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from flask import Blueprint, Flask, after_this_request, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from survey.accounts import scopes
from survey.accounts.api_tokens import record_use, token_for_request, use_is_due
from survey.clock import utcnow
from survey.extensions import csrf
from survey.ids import MAX_ID
from survey.models import ROLES
from survey.strict_json import JsonError, parse_json
from survey.views.api.bodies import validate
from survey.views.api.schemas import resolvable
from survey.web import rate_limits

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # no cookies are used: a bearer token cannot be sent by another site's form


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None, *,
                 problems: list[dict] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field
        self.problems = problems  # every problem, where there can be many (a CSV import)


@dataclass(frozen=True)
class Param:
    """A query parameter: its JSON Schema (or a function of the app's configuration giving it, where what is
    accepted is configured) and what it means."""

    name: str
    schema: dict | Callable[[Mapping], dict]
    description: str
    required: bool = False

    def schema_in(self, config: Mapping) -> dict:
        return self.schema(config) if callable(self.schema) else self.schema


@dataclass(frozen=True)
class Operation:
    endpoint: str
    method: str
    path: str  # OpenAPI form: /surveys/{slug}
    role: str | None  # the least token role; None: no token needed
    summary: str
    tag: str
    params: tuple[Param, ...] = ()
    body: dict | None = None  # JSON Schema of a JSON body
    body_media_type: str = "application/json"
    responses: dict[int, tuple[str, dict | None]] = field(default_factory=dict)  # status → (description, schema)
    description: str = ""
    # Whether a token with a data scope may call it: reads whose every query the scope filters. Writes that
    # reach beyond it (contacts, events, surveys, imports) and organisation-wide reads (changes) may not.
    scoped: bool = False


OPERATIONS: dict[str, Operation] = {}  # endpoint name (without "api.") → its declaration
# Database ids in paths: larger numbers match no route (404), rather than overflowing a database integer.
ID = f"int(min=1, max={MAX_ID})"


def openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def operation(rule: str, method: str, *, role: str | None, summary: str, tag: str, params=(), body=None,
              body_media_type: str = "application/json", responses: dict | None = None,
              description: str = "", scoped: bool = False) -> Callable:
    """Declare and register one API operation (see the module docstring)."""
    def register(view: Callable) -> Callable:
        endpoint = view.__name__
        if endpoint in OPERATIONS:
            raise RuntimeError(f"API operation {endpoint} declared twice")
        OPERATIONS[endpoint] = Operation(endpoint, method, openapi_path(rule), role, summary, tag, tuple(params), body,
                                         body_media_type, responses or {}, description or (view.__doc__ or "").strip(),
                                         scoped)
        bp.add_url_rule(rule, endpoint, view, methods=[method])
        return view
    return register


# Every error code the API answers: (status, codes, when). openapi.json's Error schema and each operation's
# responses name them from here; docs/api.md's table says the same (a test compares them).
ERROR_CODES: tuple[tuple[int, tuple[str, ...], str], ...] = (
    (400, ("invalid_json", "invalid_encoding", "duplicate_key", "too_deep", "invalid_text"),
     "the body is not one strict JSON document"),
    (400, ("unknown_parameter", "invalid_parameter"), "a query parameter the operation does not take, or a bad value"),
    (400, ("bad_request",), "the request itself is malformed, e.g. a Host the server does not serve"),
    (401, ("unauthorized",), "no token, an unknown or a revoked token"),
    (403, ("forbidden",), "the token's role or data scope may not do this"),
    (404, ("not_found",), "no such item, or no such path"),
    (405, ("method_not_allowed",), "the method is not allowed here"),
    (409, ("conflict",), "the item exists already, cannot change so, or changed meanwhile"),
    (413, ("request_entity_too_large",), "the body is larger than the server accepts"),
    (414, ("request_uri_too_long",), "the address is longer than the server accepts"),
    (415, ("unsupported_media_type",), "the body is not of the declared media type"),
    (422, ("required", "invalid", "unknown_field"), "a field is missing, of the wrong type or value, or unknown"),
    (429, ("too_many_requests",), "the rate limit; wait Retry-After seconds"),
    (431, ("request_header_fields_too_large",), "the headers are larger than the server accepts"),
    (500, ("internal_server_error",), "a fault on the server's side, logged"),
    (503, ("service_unavailable",), "the database is briefly unavailable; wait Retry-After seconds"),
)


def codes_for(status: int) -> tuple[str, ...]:
    return tuple(code for known, codes, _when in ERROR_CODES if known == status for code in codes)


def error_body(code: str, message: str, field: str | None = None) -> dict:
    return {"error": {"code": code, "message": message, "field": field}}


def bearer_sent() -> bool:
    """Whether the request presents a bearer token at all (a live one or not)."""
    scheme, _, credentials = request.headers.get("Authorization", "").strip().partition(" ")
    return scheme.lower() == "bearer" and bool(credentials.strip())


def bearer_challenge() -> str:
    """WWW-Authenticate for a 401 (RFC 9110 11.6.1, RFC 6750 3): invalid_token when a bearer token was sent
    but is not a live one; without an error code when none was (RFC 6750 3.1)."""
    if bearer_sent():
        return 'Bearer error="invalid_token", error_description="the token is unknown or revoked"'
    return "Bearer"


@bp.errorhandler(ApiError)
def api_error(error: ApiError):
    answer = error_body(error.code, error.message, error.field)
    if error.problems is not None:
        answer["error"]["problems"] = error.problems
    headers = {"WWW-Authenticate": bearer_challenge()} if error.status == 401 else {}
    return jsonify(answer), error.status, headers


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    """Flask's and Werkzeug's errors (404, 405, 413, 414, 429, 431 …) in the API's shape. Also the answer for
    paths under /api/ that match no route (views/errors.py)."""
    code = (error.name or "error").lower().replace(" ", "_")
    message = error.description or error.name
    headers = {name: value for name, value in error.get_response().headers.items() if name == "Allow"}
    if error.code == 429:
        seconds = rate_limits.retry_after_seconds()
        headers["Retry-After"] = str(seconds)
        if rate_limits.broken_scope() == rate_limits.GUESSES_SCOPE:
            message = f"too many unknown tokens from this address; retry in {seconds} s"
        else:
            message = (f"too many requests: the limit is {error.description} for each token (without one, each "
                       f"address); retry in {seconds} s")
    elif error.code == 401:
        headers["WWW-Authenticate"] = bearer_challenge()
    return jsonify(error_body(code, message)), error.code, headers


def options_answer():
    """OPTIONS (RFC 9110 9.3.7): 204 with Allow, the methods the path takes; no token needed."""
    response = current_app.make_default_options_response()
    response.status_code = 204
    for name in ("Content-Type", "Content-Length"):
        response.headers.pop(name, None)
    return response


def record_use_after_the_answer(token, now) -> None:
    """Record the token's use once the answer has gone out and the request's session is closed (the WSGI
    server closes the answer), in a transaction of its own that never waits: the request itself only reads,
    so a GET never needs the write lock (on SQLite another process may hold it for seconds)."""
    # The app itself, for after the request: current_app is a LocalProxy, though Flask types it as the app.
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]

    token_id, name, address = token.id, token.name, request.remote_addr

    def record() -> None:
        with app.app_context():
            record_use(token_id, now=now, name=name, address=address)

    @after_this_request
    def when_sent(response):
        response.call_on_close(record)
        return response


@bp.before_request
def authorise():
    """The border: a known operation, a valid token of a sufficient role, only declared query parameters."""
    declared = OPERATIONS.get((request.endpoint or "").rpartition(".")[2])
    if declared is None:
        return None  # 404 / 405: Flask answers, through http_error above
    if request.method == "OPTIONS":
        return options_answer()
    if declared.role is not None:
        g.api_token = _token_with_role(declared.role)
        scope = scopes.Scope.of(g.api_token.scope)
        if scope is not None and not declared.scoped:
            raise ApiError(403, "forbidden", f"this token is limited to {scopes.describe(g.api_token.scope)} "
                                             "and may not do this; a token without a scope is needed")
        scopes.activate(scope)  # every query of the operation stays inside the token's scope
    _check_parameters(declared)
    return None


def _token_with_role(role: str):
    """The request's bearer token, if it is known, live and of `role` or above (its use recorded)."""
    token = token_for_request(request.headers.get("Authorization", ""))
    if token is None:
        if bearer_sent():
            raise ApiError(401, "unauthorized", "the token is unknown or revoked")
        raise ApiError(401, "unauthorized", "a valid API token is required: Authorization: Bearer <token>")
    now = utcnow()
    if use_is_due(token, now=now):
        record_use_after_the_answer(token, now)
    if ROLES.index(token.role) < ROLES.index(role):
        raise ApiError(403, "forbidden", f"this token's role ({token.role}) may not do this; "
                                         f"{role} or above is needed")
    return token


def _check_parameters(declared: Operation) -> None:
    """Only declared query parameters, each valid; no NUL in any parameter or path value."""
    for name, value in [*request.args.items(multi=True), *(request.view_args or {}).items()]:
        if isinstance(value, str) and "\x00" in value:  # PostgreSQL cannot store or compare it
            raise ApiError(400, "invalid_parameter", f"{name[:64]} holds a NUL character", name[:64])
    known = {param.name for param in declared.params}
    unknown = sorted(set(request.args) - known)
    if unknown:
        raise ApiError(400, "unknown_parameter", f"unknown query parameter {unknown[0][:64]!r}", unknown[0][:64])
    for param in declared.params:
        if param.name in request.args:
            check_parameter(param, request.args.getlist(param.name))


def check_parameter(param: Param, given: list[str]) -> None:
    """A query parameter against its declared schema (after reading integers and booleans from text)."""
    if len(given) > 1:
        raise ApiError(400, "invalid_parameter", f"{param.name} is given {len(given)} times", param.name)
    schema = param.schema_in(current_app.config)
    text, kind = given[0], schema.get("type")
    value: object = text
    if kind == "integer" and text.isascii() and text.lstrip("-").isdigit() and len(text) < 19:
        value = int(text)
    elif kind == "boolean":
        value = {"true": True, "false": False, "1": True, "0": False}.get(text.lower(), text)
    try:
        validate(value, schema, root=param.name)
    except JsonError as error:
        raise ApiError(400, "invalid_parameter", error.message, param.name) from None


def body() -> object:
    """The request's JSON body, parsed strictly and checked against the operation's schema."""
    declared = OPERATIONS[(request.endpoint or "").rpartition(".")[2]]
    if not request.mimetype == "application/json":
        raise ApiError(415, "unsupported_media_type", "send a JSON body with Content-Type: application/json")
    try:
        data = parse_json(request.get_data(cache=False))
        validate(data, resolvable(declared.body or {}))
    except JsonError as error:
        raise ApiError(error.status, error.code, error.message, error.field) from None
    return data


# The rate limits (one budget per token for every operation, and the unknown-token guesses) are set on bp
# by survey/web/rate_limits.py.
