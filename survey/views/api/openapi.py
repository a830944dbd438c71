"""/api/v1/openapi.json: the OpenAPI 3.1 description, assembled from the operations' own declarations.

Besides each operation's own answers, every operation documents the failures the border and the body
parser can give it (401 with WWW-Authenticate, 403, 400 for unknown query parameters, 413/415/422 for
bodies, 429 when rate limited and 503 when the database is away, both with Retry-After), all in the one
error shape, each naming the error codes it can carry (ERROR_CODES).
"""
from __future__ import annotations

from flask import current_app, jsonify

from survey.links import external_url
from survey.views.api.registry import ERROR_CODES, MAX_ID, OPERATIONS, Operation, codes_for, operation
from survey.views.api.schemas import COMPONENTS, ref

ERROR = ref("Error")
COMMON = {400: "The request is malformed: an unknown or invalid query parameter, or a body that is not JSON",
          405: "The method is not allowed here (Allow lists those that are)",
          429: "Too many requests for this token (one budget for every operation); wait Retry-After seconds"}
WITH_TOKEN = {401: "No token, or an unknown or revoked one", 403: "The token's role may not do this",
              503: "The database is briefly unavailable; wait Retry-After seconds"}
WITH_BODY = {413: "The body is larger than the server accepts", 415: "The body is not of the declared media type",
             422: "A field is missing, of the wrong type or value, or unknown (`field` names it)"}
JSON_BODY_CODES = ERROR_CODES[0][1]  # invalid_json … invalid_text: only where the body is parsed as JSON
SECONDS = {"type": "string", "pattern": "^[0-9]+$", "description": "whole seconds"}
HEADERS = {
    202: {"Location": {"required": True, "description": "the job to follow: GET it until its `state` is done, "
                                                       "refused or failed", "schema": {"type": "string"}}},
    401: {"WWW-Authenticate": {"required": True, "description": "`Bearer`; `Bearer error=\"invalid_token\"` when "
                                                                "the token sent is unknown or revoked (RFC 6750)",
                               "schema": {"type": "string", "pattern": "^Bearer( |$)"}}},
    429: {"Retry-After": {"required": True, "description": "seconds until the budget allows requests again "
                                                            "(the message says the same)", "schema": SECONDS}},
    503: {"Retry-After": {"required": True, "description": "seconds to wait (the message says the same)",
                          "schema": SECONDS}},
}


def error_schema() -> dict:
    """The Error schema, its `code` described with every code the API answers, by status."""
    described = "What went wrong, for programs. By status: " + "; ".join(
        f"{status} " + ", ".join(f"`{code}`" for code in codes) + f" ({when})" for status, codes, when in ERROR_CODES)
    error = COMPONENTS["Error"]
    inner = error["properties"]["error"]
    code = {**inner["properties"]["code"], "description": described + "."}
    return {**error, "properties": {"error": {**inner, "properties": {**inner["properties"], "code": code}}}}


def _error_response(op: Operation, status: int, text: str) -> dict:
    codes = codes_for(status)
    if status == 400 and not (op.body is not None and op.body_media_type == "application/json"):
        codes = tuple(code for code in codes if code not in JSON_BODY_CODES)
    described = {"description": f"{text} (code: {', '.join(codes)})" if codes else text,
                 "content": {"application/json": {"schema": ERROR}}}
    if status in HEADERS:
        described["headers"] = HEADERS[status]
    return described


def _path_parameters(path: str) -> list[dict]:
    names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
    integer = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
    return [{"name": name, "in": "path", "required": True,
             "schema": integer if name.endswith("_id") else {"type": "string"}} for name in names]


def _responses(op: Operation) -> dict:
    described = {**COMMON, **(WITH_TOKEN if op.role else {}), **(WITH_BODY if op.body is not None else {})}
    if "{" in op.path:
        described[404] = "Not found"
    described.update({status: text for status, (text, schema) in op.responses.items() if schema == ERROR})
    responses = {str(status): _error_response(op, status, text) for status, text in described.items()}
    for status, (text, schema) in op.responses.items():
        if schema == ERROR:
            continue
        responses[str(status)] = {"description": text}
        if status in HEADERS:
            responses[str(status)]["headers"] = HEADERS[status]
        if schema is not None:
            responses[str(status)]["content"] = {"application/json": {"schema": schema}}
    return dict(sorted(responses.items()))


def _operation(op: Operation) -> dict:
    described: dict = {"operationId": op.endpoint, "summary": op.summary, "tags": [op.tag],
                       "parameters": _path_parameters(op.path) + [
                           {"name": p.name, "in": "query", "required": p.required, "description": p.description,
                            "schema": p.schema_in(current_app.config)} for p in op.params],
                       "responses": _responses(op)}
    if op.description:
        described["description"] = op.description
    if op.role:
        described["security"] = [{"bearer": []}]
        described["description"] = (described.get("description", "") + f"\n\nNeeds a token of role {op.role} or "
                                    "above.").strip()
    else:
        described["security"] = []
    if op.body is not None:
        described["requestBody"] = {"required": True, "content": {op.body_media_type: {"schema": op.body}}}
    return described


def document() -> dict:
    paths: dict[str, dict] = {}
    for op in OPERATIONS.values():
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op)
    return {
        "openapi": "3.1.0",
        "info": {"title": f"{current_app.config['ORGANISATION_NAME']} feedback API (Hearken)", "version": "1.0.0",
                 "description": "Surveys, contacts, events, responses, results, alerts, follow-up cases and "
                                "change entries. Authenticate with `Authorization: Bearer <token>` (tokens from "
                                "an admin). Every failure is `{\"error\": {\"code\", \"message\", \"field\"}}`. "
                                "Each token has one rate limit (HEARKEN_API_RATE_LIMIT) for all operations together: "
                                "past it, 429 with Retry-After. OPTIONS needs no token and answers 204 with Allow."},
        "servers": [{"url": external_url("api.openapi_description").rsplit("/openapi.json", 1)[0]}],
        "security": [{"bearer": []}],
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": {**COMPONENTS, "Error": error_schema()},
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                                      "description": "an API token (hk_…)"}}},
    }


@operation("/openapi.json", "GET", role=None, summary="This API description (OpenAPI 3.1)", tag="API",
           responses={200: ("The OpenAPI document", {"type": "object"})})
def openapi_description():
    return jsonify(document())
