"""The JSON API (`/api/v1`).

Every operation is declared once with `@operation(...)`: its route, the least role a token needs, its query
parameters, request body and response schemas. The same declaration

- registers the Flask route,
- is enforced at the border (`authorise` below: bearer token, role, unknown query parameters),
- validates the body (`body()`: strict JSON, then the declared JSON Schema), and
- is published as the OpenAPI 3.1 description at /api/v1/openapi.json (openapi.py),

so the description cannot drift from the code; the test suite runs schemathesis against it.

Every failure has one shape, `{"error": {"code", "message", "field"}}`, with the matching status and one of
the codes in ERROR_CODES; a 401 carries `WWW-Authenticate: Bearer` (RFC 6750), a 429 or 503 `Retry-After`
with the seconds its message gives. OPTIONS is answered without a token: 204 and `Allow`.

A read does not write: the token's last use is recorded after the answer has gone out, never waiting for a
lock (survey/accounts/api_tokens.py), so a GET never needs SQLite's write lock.
"""
from survey.views.api import (  # register on bp
    campaigns,
    contacts,
    events,
    feedback_loop,
    insights,
    openapi,
    responses,
    surveys,
)
from survey.views.api.registry import ERROR_CODES, OPERATIONS, bp, http_error

__all__ = ["ERROR_CODES", "OPERATIONS", "bp", "campaigns", "contacts", "events", "feedback_loop", "http_error",
           "insights", "openapi", "responses", "surveys"]
