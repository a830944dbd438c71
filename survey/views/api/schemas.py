"""JSON Schemas of the API's bodies and answers (draft 2020-12, as OpenAPI 3.1 uses).

Request schemas are enforced by `bodies.validate`; answer schemas are what schemathesis checks every
answer against. Both are published in openapi.json under components/schemas, referenced by name.
"""
from __future__ import annotations

from typing import Any

from survey.models import PRIORITIES, QUESTION_TYPES, ROLES, SurveyStatus
from survey.models.alerts import ALERT_STATUSES
from survey.models.followups import CASE_REASONS, CASE_STATUSES


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


def page_of(name: str) -> dict:
    return {"type": "object", "required": ["data", "next_cursor"], "additionalProperties": False,
            "properties": {"data": {"type": "array", "items": ref(name)},
                           "next_cursor": {"type": ["string", "null"],
                                           "description": "pass as `after` for the next page; null on the last"}}}


TIMESTAMP = {"type": "string", "format": "date-time", "description": "ISO 8601, UTC"}
DAY = {"type": "string", "format": "date"}
TEXT_ATTRIBUTES = {"type": "object", "maxProperties": 50, "propertyNames": {"minLength": 1, "maxLength": 64},
                   "additionalProperties": {"type": "string", "maxLength": 200}}
EMAIL = {"type": "string", "format": "email", "minLength": 3, "maxLength": 320,
         "description": "an email address (RFC 5322 addr-spec, no display name; ASCII before the @, an "
                        "international domain is stored in its xn-- form)"}
SLUG = {"type": "string", "pattern": "^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$", "maxLength": 80}
ANSWER = {"description": "rating: 1-based scale position; nps: 0–10; choice: option text; multi: option texts; "
                         "yesno: true/false; text: as written; numeric: a number; date: YYYY-MM-DD. "
                         "A matrix answers under one key per statement, "
                         "`<question key>.<statement key>`, each a rating; a choice's “Other” is the text "
                         "\"Other\", and what was written beside it is the text answer `<question key>.other`",
          "anyOf": [{"type": "integer"}, {"type": "string"}, {"type": "boolean"},
                    {"type": "array", "items": {"type": "string"}}]}

CONDITION = {
    "type": "object", "minProperties": 1, "maxProperties": 1,
    "description": "Display logic: a JsonLogic condition (jsonlogic.com) of the operators var, ==, !=, <, <=, >, >=, "
                   "in, and, or, !, !!; variables answers.<earlier question key>, a matrix statement's "
                   "answers.<question key>.<statement key>, and contact.<field> "
                   "(docs/formats.md, \"Display logic\"). Checked against the survey's questions when it is "
                   "imported.",
}

SECTION = {
    "type": "object", "required": ["key", "title"], "additionalProperties": False,
    "description": "A page of the survey; its questions name it in their `section`.",
    "properties": {"key": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,63}$"},
                   "title": {"type": "string", "minLength": 1, "maxLength": 200},
                   "intro": {"type": "string", "maxLength": 2000},
                   "show_if": ref("Condition")},
}

QUESTION = {
    "type": "object", "required": ["key", "type", "text"], "additionalProperties": False,
    "properties": {
        "key": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,63}$"},
        "type": {"enum": list(QUESTION_TYPES)},
        "text": {"type": "string", "minLength": 1, "maxLength": 2000},
        "scale": {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 200},
                  "minItems": 2, "maxItems": 11, "description": "rating and matrix: labels, worst first"},
        "options": {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 200},
                    "minItems": 2, "maxItems": 30, "description": "choice and multi"},
        "statements": {"type": "array", "minItems": 1, "maxItems": 30,
                       "description": "matrix: the statements rated on its scale, each answered, counted and "
                                      "analysed as the rating `<question key>.<statement key>`",
                       "items": {"type": "object", "required": ["key", "text"], "additionalProperties": False,
                                 "properties": {"key": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,62}$"},
                                                "text": {"type": "string", "minLength": 1, "maxLength": 500}}}},
        "other": {"type": "boolean", "description": "choice and multi: add “Other, please specify”"},
        "min": {"anyOf": [{"type": "number"}, {"type": "string", "format": "date"}],
                "description": "numeric: the smallest answer accepted; date: the earliest (YYYY-MM-DD)"},
        "max": {"anyOf": [{"type": "number"}, {"type": "string", "format": "date"}],
                "description": "numeric: the largest answer accepted; date: the latest (YYYY-MM-DD)"},
        "integer": {"type": "boolean", "description": "numeric: whole numbers only"},
        "preset": {"enum": ["ces"], "description": "rating: the standard question it is; ces = the Customer "
                                                   "Effort Score 2.0 (7 points; headline: the share agreeing)"},
        "required": {"type": "boolean"},
        "why": {"type": "string", "maxLength": 500},
        "long": {"type": "boolean"},
        "follow_up_at": {"type": "integer", "minimum": 0, "maximum": 10},
        "section": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,63}$", "description": "its section's key"},
        "show_if": ref("Condition"),
        "end_if": {**ref("Condition"), "description": "the survey ends after this question when it holds"},
    },
}

DEFINITION = {
    "type": "object", "required": ["slug", "title", "questions"], "additionalProperties": False,
    "description": "The survey definition format (docs/formats.md).",
    "properties": {"slug": SLUG, "title": {"type": "string", "minLength": 1, "maxLength": 200},
                   "intro": {"type": "string", "maxLength": 2000},
                   "follow_up": {"enum": ["low_scores", "every_response"]},
                   "sections": {"type": "array", "items": ref("Section"), "maxItems": 50},
                   "questions": {"type": "array", "items": ref("Question"), "maxItems": 100},
                   "language": {"type": "string", "pattern": "^[a-z]{2,3}(?:-[A-Z]{2})?$",
                                "description": "the language of the texts above (default en)"},
                   "translations": {
                       "type": "object", "maxProperties": 50,
                       "propertyNames": {"pattern": "^[a-z]{2,3}(?:-[A-Z]{2})?$"},
                       "additionalProperties": {"type": "object"},
                       "description": "other languages' texts by language tag: title, intro and per question "
                                      "key text, why and options (docs/formats.md, Languages); checked by the "
                                      "definition's rules, each problem named by language and key"}},
}

SURVEY: dict[str, Any] = {
    "type": "object", "additionalProperties": False,
    "required": ["slug", "title", "status", "version", "created_at", "updated_at", "public_url"],
    "properties": {"slug": {"type": "string"}, "title": {"type": "string"},
                   "status": {"enum": list(SurveyStatus)},
                   "version": {"type": "integer", "description": "the current version's number"},
                   "created_at": TIMESTAMP, "updated_at": TIMESTAMP,
                   "public_url": {"type": "string", "description": "the public link (/s/<slug>)"}},
}

SURVEY_DETAIL = {
    "type": "object", "additionalProperties": False, "required": [*SURVEY["required"], "definition", "versions"],
    "properties": {**SURVEY["properties"], "definition": ref("SurveyDefinition"),
                   "versions": {"type": "array", "items": {
                       "type": "object", "additionalProperties": False, "required": ["number", "title", "created_at"],
                       "properties": {"number": {"type": "integer"}, "title": {"type": "string"},
                                      "created_at": TIMESTAMP}}}},
}

CONTACT = {
    "type": "object", "additionalProperties": False,
    "required": ["id", "email", "name", "attributes", "created_at", "unsubscribed"],
    "properties": {"id": {"type": "integer"}, "email": {"type": "string"}, "name": {"type": "string"},
                   "attributes": {"type": "object", "additionalProperties": {"type": "string"}},
                   "created_at": TIMESTAMP, "unsubscribed": {"type": "boolean"}},
}

CONTACTS_UPSERT = {
    "type": "object", "required": ["contacts"], "additionalProperties": False,
    "properties": {"contacts": {"type": "array", "minItems": 1, "maxItems": 1000, "items": {
        "type": "object", "required": ["email"], "additionalProperties": False,
        "properties": {"email": EMAIL, "name": {"type": "string", "maxLength": 200}, "attributes": TEXT_ATTRIBUTES}}}},
}

UPSERT_RESULT = {
    "type": "object", "additionalProperties": False,
    "required": ["created", "updated", "unchanged", "skipped_erased"],
    "properties": {"created": {"type": "integer"}, "updated": {"type": "integer"}, "unchanged": {"type": "integer"},
                   "skipped_erased": {"type": "integer"}},
}

ERASED = {"type": "object", "additionalProperties": False, "required": ["erased", "responses_kept"],
          "properties": {"erased": {"type": "boolean"}, "responses_kept": {"type": "integer"}}}

RESPONSE = {
    "type": "object", "additionalProperties": False, "description": "Also the JSON export format (docs/formats.md).",
    "required": ["response_id", "submitted_at", "updated_at", "version", "email", "source", "attributes",
                 "answers", "quote_consent", "contact_consent", "tags"],
    "properties": {"response_id": {"type": "integer"}, "submitted_at": TIMESTAMP, "updated_at": TIMESTAMP,
                   "version": {"type": "integer"}, "email": {"type": ["string", "null"]},
                   "source": {"enum": ["link", "public", "import"]},
                   "attributes": {"type": "object", "additionalProperties": {"type": "string"}},
                   "answers": {"type": "object", "additionalProperties": ANSWER},
                   "quote_consent": {"type": "boolean"}, "contact_consent": {"type": "boolean"},
                   "tags": {"type": "array", "items": {"type": "string"}},
                   "sentiment": {"type": "object", "description": "each analysed comment's VADER compound score "
                                                                 "and label, by question key; a comment absent here "
                                                                 "was not analysed (not in English)",
                                 "additionalProperties": {
                                     "type": "object", "additionalProperties": False, "required": ["score", "label"],
                                     "properties": {"score": {"type": "number", "minimum": -1, "maximum": 1},
                                                    "label": {"enum": ["positive", "neutral", "negative"]}}}},
                   "not_asked": {"type": "array", "items": {"type": "string"},
                                 "description": "surveys with display logic only: the questions not shown"}},
}

IMPORT_RESULT = {
    "type": "object", "additionalProperties": False,
    "required": ["imported", "skipped", "skipped_erased", "contacts_created", "per_version"],
    "properties": {"imported": {"type": "integer"},
                   "skipped": {"type": "integer", "description": "rows an earlier import stored already"},
                   "skipped_erased": {"type": "integer",
                                      "description": "rows of people erased on request: never imported again"},
                   "contacts_created": {"type": "integer"},
                   "per_version": {"type": "object", "additionalProperties": {"type": "integer"},
                                   "description": "survey version number → responses imported"}},
}

STRING_OR_NULL = {"type": ["string", "null"]}
INTEGER_OR_NULL = {"type": ["integer", "null"]}
JOB = {
    "type": "object", "additionalProperties": False,
    "required": ["id", "kind", "state", "phase", "done", "total", "percent", "progress", "summary", "created_at",
                 "started_at", "finished_at", "attempts", "outcome", "error"],
    "properties": {
        "id": {"type": "integer"}, "kind": {"enum": ["response_import"]},
        "state": {"enum": ["queued", "running", "done", "refused", "failed"]},
        "phase": {"type": "string", "description": "waiting, checking (the whole file, nothing written) or writing"},
        "done": {"type": "integer", "description": "bytes read while checking, rows stored while writing"},
        "total": INTEGER_OR_NULL, "percent": INTEGER_OR_NULL,
        "progress": {"type": "string", "description": "where it is, in words"},
        "summary": {"type": "string", "description": "how it ended (or where it is), in one line"},
        "created_at": {"type": "string", "format": "date-time"},
        "started_at": STRING_OR_NULL, "finished_at": STRING_OR_NULL, "attempts": {"type": "integer"},
        "outcome": {"description": "once it ended: an import's counts (ImportResult), or for a refused file "
                                  "summary, total and problems",
                    "oneOf": [{"type": "null"}, ref("ImportResult"), ref("Refusal")]},
        "error": STRING_OR_NULL},
}
REFUSAL = {
    "type": "object", "additionalProperties": False, "required": ["summary", "total", "problems"],
    "properties": {"summary": {"type": "string"}, "total": {"type": "integer"},
                   "problems": {"type": "array", "items": {
                       "type": "object", "additionalProperties": False, "required": ["row", "column", "message"],
                       "properties": {"row": INTEGER_OR_NULL, "column": STRING_OR_NULL,
                                      "message": {"type": "string"}}}}},
}

NUMBER_OR_NULL = {"type": ["number", "null"]}
ESTIMATE = {"type": "object", "additionalProperties": False, "required": ["value", "low", "high", "n"],
            "properties": {"value": NUMBER_OR_NULL, "low": NUMBER_OR_NULL, "high": NUMBER_OR_NULL,
                           "n": {"type": "integer"}}}

DRIVERS = {
    "type": "object", "additionalProperties": False,
    "required": ["first_day", "last_day", "overall", "attributes", "n", "minimum_n", "enough", "r_squared",
                 "resamples", "notes", "drivers"],
    "properties": {
        "first_day": DAY, "last_day": DAY, "overall": {"type": ["string", "null"]},
        "attributes": {"type": "array", "items": {"type": "string"}},
        "n": {"type": "integer", "description": "complete responses: every chosen rating answered"},
        "minimum_n": {"type": ["integer", "null"], "description": "max(50, 10 per attribute): below it, no ranking"},
        "enough": {"type": "boolean"}, "r_squared": NUMBER_OR_NULL, "resamples": {"type": "integer"},
        "notes": {"type": "array", "items": {"type": "string"}},
        "drivers": {"type": "array", "description": "most important first; empty when not enough", "items": {
            "type": "object", "additionalProperties": False,
            "required": ["key", "text", "importance", "share", "low", "high", "top_box_share", "mean", "fix_first"],
            "properties": {"key": {"type": "string"}, "text": {"type": "string"},
                           "importance": {"type": "number", "description": "LMG, in R² units"},
                           "share": {"type": "number", "description": "of R²"},
                           "low": NUMBER_OR_NULL, "high": NUMBER_OR_NULL, "top_box_share": {"type": "number"},
                           "mean": {"type": "number"}, "fix_first": {"type": "boolean"}}}},
    },
}

THEMES = {
    "type": "object", "additionalProperties": False, "required": ["accepted", "proposed", "rejected"],
    "properties": {
        "accepted": {"type": "array", "items": {
            "type": "object", "additionalProperties": False, "required": ["name", "terms", "responses"],
            "properties": {"name": {"type": "string"}, "terms": {"type": "array", "items": {"type": "string"}},
                           "responses": {"type": "integer"}}}},
        "proposed": {"type": "array", "items": {
            "type": "object", "additionalProperties": False, "required": ["id", "name", "top_terms", "comments"],
            "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                           "top_terms": {"type": "array", "items": {"type": "string"}},
                           "comments": {"type": "integer"}}}},
        "rejected": {"type": "array", "items": {"type": "string"}},
    },
}

RESULTS = {
    "type": "object", "additionalProperties": False,
    "required": ["survey", "period_unit", "periods", "first_day", "last_day", "responses", "cards", "questions",
                 "notes", "comments"],
    "properties": {
        "survey": {"type": "string"}, "period_unit": {"enum": ["week", "month", "quarter"]},
        "periods": {"type": "array", "items": {"type": "string"}}, "first_day": DAY, "last_day": DAY,
        "responses": {"type": "integer"}, "notes": {"type": "array", "items": {"type": "string"}},
        "comments": {"type": "array", "description": "free-text questions: the share of negative comments per "
                                                     "period among those analysed (English comments, VADER)",
                     "items": {"type": "object", "additionalProperties": False,
                               "required": ["key", "text", "analysed", "negative_share"],
                               "properties": {"key": {"type": "string"}, "text": {"type": "string"},
                                              "analysed": {"type": "integer"},
                                              "negative_share": {"type": "array", "items": {
                                                  "type": "object", "additionalProperties": False,
                                                  "required": ["period", "value", "low", "high", "n"],
                                                  "properties": {"period": {"type": "string"},
                                                                 "value": NUMBER_OR_NULL, "low": NUMBER_OR_NULL,
                                                                 "high": NUMBER_OR_NULL,
                                                                 "n": {"type": "integer"}}}}}}},
        "cards": {"type": "array", "items": {
            "type": "object", "additionalProperties": False,
            "required": ["title", "question", "metric", "current", "previous", "difference", "ci_low", "ci_high",
                         "p_value", "q_value", "verdict", "note"],
            "properties": {"title": {"type": "string"}, "question": {"type": "string"},
                           "metric": {"enum": ["top_box", "top2_box", "top3_box", "mean", "nps", "responses", "rate"]},
                           "current": ESTIMATE, "previous": ESTIMATE, "difference": NUMBER_OR_NULL,
                           "ci_low": NUMBER_OR_NULL, "ci_high": NUMBER_OR_NULL, "p_value": NUMBER_OR_NULL,
                           "q_value": NUMBER_OR_NULL, "verdict": {"enum": ["up", "down", "steady", ""]},
                           "note": {"type": "string"}}}},
        "questions": {"type": "array", "items": {
            "type": "object", "additionalProperties": False,
            "required": ["key", "text", "type", "metric", "answered", "trend", "distribution", "segments"],
            "properties": {
                "key": {"type": "string"}, "text": {"type": "string"}, "type": {"enum": list(QUESTION_TYPES)},
                "metric": {"type": "string", "description": "what trend and segments measure: top_box, nps, "
                                                            "yes, or \"\" for none"},
                "answered": {"type": "integer"},
                "trend": {"type": "array", "items": {
                    "type": "object", "additionalProperties": False,
                    "required": ["period", "value", "low", "high", "n"],
                    "properties": {"period": {"type": "string"}, "value": NUMBER_OR_NULL, "low": NUMBER_OR_NULL,
                                   "high": NUMBER_OR_NULL, "n": {"type": "integer"}}}},
                "distribution": {"type": "array", "items": {
                    "type": "object", "additionalProperties": False, "required": ["label", "count"],
                    "properties": {"label": {"type": "string"}, "count": {"type": "integer"}}}},
                "summary": {"type": "array", "description": "numeric and date questions: answers, median, "
                                                            "quartiles and range; rankings: each option's mean "
                                                            "rank and share ranked first (words, as shown)",
                            "items": {"type": "object", "additionalProperties": False, "required": ["label", "value"],
                                      "properties": {"label": {"type": "string"}, "value": {"type": "string"}}}},
                "segments": {"type": "object", "additionalProperties": {"type": "array", "items": {
                    "type": "object", "additionalProperties": False,
                    "required": ["segment", "period", "value", "low", "high", "n", "previous", "alerts"],
                    "description": "the compared (last) period of the range, with the period before and the ids "
                                   "of the segment's unresolved alerts",
                    "properties": {"segment": {"type": "string"}, "period": {"type": "string"},
                                   "value": NUMBER_OR_NULL, "low": NUMBER_OR_NULL, "high": NUMBER_OR_NULL,
                                   "n": {"type": "integer"}, "previous": ESTIMATE,
                                   "alerts": {"type": "array", "items": {"type": "integer"}}}}}},
            }}},
    },
}

ALERT = {
    "type": "object", "additionalProperties": False,
    "description": "A trend finding (the `detect-trends --json` format, with its id and status).",
    "required": ["id", "survey", "question", "metric", "kind", "segment", "period_before", "period_after", "n_before",
                 "n_after", "value_before", "value_after", "difference", "ci_low", "ci_high", "p_value", "q_value",
                 "method", "direction", "status", "created_at", "case_id"],
    "properties": {"id": {"type": "integer"}, "survey": {"type": "string"}, "question": {"type": "string"},
                   "metric": {"type": "string"}, "kind": {"enum": ["change", "trend", "gap"]},
                   "segment": {"type": "object", "additionalProperties": {"type": "string"}},
                   "period_before": {"type": "string"}, "period_after": {"type": "string"},
                   "n_before": {"type": "integer"}, "n_after": {"type": "integer"},
                   "value_before": {"type": "number"}, "value_after": {"type": "number"},
                   "difference": {"type": "number"}, "ci_low": NUMBER_OR_NULL, "ci_high": NUMBER_OR_NULL,
                   "p_value": {"type": "number"}, "q_value": {"type": "number"}, "method": {"type": "string"},
                   "direction": {"enum": ["drop", "rise"]}, "status": {"enum": list(ALERT_STATUSES)},
                   "created_at": TIMESTAMP, "case_id": {"type": ["integer", "null"]}},
}

CASE = {
    "type": "object", "additionalProperties": False,
    "required": ["id", "reason", "status", "summary", "team", "owner", "contact_email", "response_id", "opened_at",
                 "due_at", "first_contact_at", "resolved_at", "overdue", "problem_fixed", "change_id", "team_id",
                 "priority", "resolve_due_at", "escalated_at", "root_cause"],
    "properties": {"id": {"type": "integer"}, "reason": {"enum": list(CASE_REASONS)},
                   "status": {"enum": list(CASE_STATUSES)}, "summary": {"type": "string"}, "team": {"type": "string"},
                   "owner": {"type": ["string", "null"], "description": "the owner's email"},
                   "contact_email": {"type": ["string", "null"]}, "response_id": {"type": ["integer", "null"]},
                   "opened_at": TIMESTAMP, "due_at": TIMESTAMP, "first_contact_at": nullable(TIMESTAMP),
                   "resolved_at": nullable(TIMESTAMP), "overdue": {"type": "boolean"},
                   "problem_fixed": {"type": ["boolean", "null"]}, "change_id": {"type": ["integer", "null"]},
                   "team_id": {"type": ["integer", "null"], "description": "its team (null: the default team)"},
                   "priority": {"enum": list(PRIORITIES)},
                   "resolve_due_at": {**nullable(TIMESTAMP), "description": "due to be resolved (its team's standard)"},
                   "escalated_at": {**nullable(TIMESTAMP), "description": "when the team lead was told it is overdue"},
                   "root_cause": {"type": ["string", "null"], "description": "the root-cause code chosen on closing"}},
}

IMPACT = {
    "type": "object", "additionalProperties": False,
    "required": ["question", "segment", "n_before", "n_after", "before", "after", "difference", "ci_low", "ci_high",
                 "p_value", "more_needed", "verdict", "question_text", "label", "segment_words"],
    "properties": {"question": {"type": "string", "description": "the question's key"},
                   "segment": {"type": "string", "description": "attribute=value, or empty for all customers"},
                   "n_before": {"type": "integer"},
                   "n_after": {"type": "integer"}, "before": NUMBER_OR_NULL, "after": NUMBER_OR_NULL,
                   "difference": NUMBER_OR_NULL, "ci_low": NUMBER_OR_NULL, "ci_high": NUMBER_OR_NULL,
                   "p_value": NUMBER_OR_NULL, "more_needed": {"type": ["integer", "null"]},
                   "verdict": {"enum": ["measuring", "improvement", "worsening", "inconclusive"]},
                   "question_text": {"type": "string", "description": "the question as customers read it"},
                   "label": {"type": "string", "description": "the top option whose share is measured"},
                   "segment_words": {"type": "string",
                                     "description": "the segment in words (\"in Leeds\"), or empty"}},
}

CHANGE = {
    "type": "object", "additionalProperties": False,
    "required": ["id", "title", "you_said", "we_did_html", "category", "status", "changed_on", "published_at",
                 "updated_at", "raised_by", "quotes", "impact", "impact_numbers", "url"],
    "properties": {"id": {"type": "integer"}, "title": {"type": "string"}, "you_said": {"type": "string"},
                   "we_did_html": {"type": "string", "description": "sanitised HTML"},
                   "category": {"type": "string"}, "status": {"type": "string"}, "changed_on": DAY,
                   "published_at": TIMESTAMP, "updated_at": TIMESTAMP,
                   "raised_by": {"type": "integer", "description": "how many customers' responses led to it"},
                   "quotes": {"type": "array", "items": {"type": "string"}},
                   "impact": {**nullable(ref("Impact")),
                              "description": "as the public page shows it: null when the entry names no figure "
                                             "or is published without its numbers"},
                   "impact_numbers": {"type": ["boolean", "null"],
                                      "description": "the editor's choice: true publishes the numbers, false "
                                                     "leaves them out, null (not chosen) shows them only while "
                                                     "measuring or when they show a real improvement"},
                   "url": {"type": "string"}},
}

EVENT = {
    "type": "object", "required": ["email", "survey"], "additionalProperties": False,
    "properties": {"email": EMAIL, "survey": {"type": "string", "maxLength": 80},
                   "name": {"type": "string", "maxLength": 200},
                   "touchpoint": {"type": "string", "maxLength": 100},
                   "attributes": {**TEXT_ATTRIBUTES,
                                  "additionalProperties": {"anyOf": [{"type": "string", "maxLength": 200},
                                                                     {"type": "number"}]}},
                   "delay": {"anyOf": [{"type": "integer", "minimum": 0, "maximum": 365 * 86400},
                                       {"type": "string", "pattern": r"^\s*\d{1,6}\s*[smhd]?\s*$"}],
                             "description": "seconds, or \"90s\", \"30m\", \"6h\", \"2d\""},
                   "id": {"type": "string", "maxLength": 200, "description": "your id: a repeat does nothing new"}},
}

EVENT_RESULT = {
    "type": "object", "additionalProperties": False, "required": ["event"],
    "properties": {"event": {"type": "object", "additionalProperties": False,
                             "required": ["id", "outcome", "duplicate", "invitation_id", "scheduled_for"],
                             "properties": {"id": {"type": "integer"},
                                            "outcome": {"enum": ["scheduled", "skipped_cap", "skipped_unsubscribed",
                                                                 "skipped_erased"]},
                                            "duplicate": {"type": "boolean"},
                                            "invitation_id": {"type": ["integer", "null"]},
                                            "scheduled_for": nullable(TIMESTAMP)}}},
}

CAMPAIGN = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "where": {"type": "array", "maxItems": 50,
                  "items": {"type": "string", "maxLength": 300, "pattern": r"^[^=]*\S[^=]*=[\s\S]*\S"},
                  "description": "ATTRIBUTE=VALUE, as send-survey's --where: the same attribute twice means any of "
                                 "its values; none: every contact"},
        "at": {**TIMESTAMP, "description": "when to send (default: now); with an offset, or UTC"},
        "reminders": {"type": "integer", "minimum": 0, "maximum": 5, "description": "default 0"},
        "reminder_days": {"type": "integer", "minimum": 1, "maximum": 60, "description": "default 3"},
        "email": {"type": "object", "additionalProperties": False, "properties": {
            "subject": {"type": "string", "maxLength": 200,
                        "description": "may name the contact: {contact.name|there}, {contact.<attribute>}"},
            "opening": {"type": "string", "maxLength": 1000, "description": "the line after the greeting"},
            "sender_name": {"type": "string", "maxLength": 100, "description": "From's display name"}}},
        "dry_run": {"type": "boolean", "description": "only say who would be invited and show the email"},
    },
}

AUDIENCE = {"type": "object", "additionalProperties": False,
            "required": ["matched", "skipped_cap", "skipped_unsubscribed", "invited"],
            "properties": {name: {"type": "integer", "minimum": 0}
                           for name in ("matched", "skipped_cap", "skipped_unsubscribed", "invited")}}

CAMPAIGN_RESULT = {
    "type": "object", "additionalProperties": False, "required": ["audience", "email"],
    "properties": {
        "campaign": {"type": "object", "additionalProperties": False, "required": ["id", "scheduled_at"],
                     "properties": {"id": {"type": "integer"}, "scheduled_at": TIMESTAMP}},
        "audience": AUDIENCE,
        "email": {"type": "object", "additionalProperties": False,
                  "required": ["from", "to", "subject", "text", "html"],
                  "properties": {"from": {"type": "string"}, "to": {"type": "string"},
                                 "subject": {"type": "string"}, "text": {"type": "string"},
                                 "html": {"type": "string"}},
                  "description": "the invitation as the first contact invited gets it (example links)"},
    },
}

ERROR = {
    "type": "object", "required": ["error"], "additionalProperties": False,
    "properties": {"error": {"type": "object", "required": ["code", "message", "field"], "additionalProperties": False,
                             "properties": {"code": {"type": "string", "description": "what went wrong, for "
                                                     "programs"},
                                            "message": {"type": "string"},
                                            "field": {"type": ["string", "null"],
                                                      "description": "the field or parameter at fault"},
                                            "problems": {"type": "array", "description": "a CSV import: every "
                                                         "problem found (the first 100), by row and column",
                                                         "items": {"type": "object", "required": ["row", "column",
                                                                                                  "message"],
                                                                   "properties": {
                                                                       "row": {"type": ["integer", "null"]},
                                                                       "column": {"type": ["string", "null"]},
                                                                       "message": {"type": "string"}}}}}}},
}

COMPONENTS = {
    "Error": ERROR, "Question": QUESTION, "Condition": CONDITION, "Section": SECTION,
    "SurveyDefinition": DEFINITION, "Survey": SURVEY,
    "SurveyDetail": SURVEY_DETAIL, "Contact": CONTACT, "ContactsUpsert": CONTACTS_UPSERT,
    "UpsertResult": UPSERT_RESULT, "Erased": ERASED, "Response": RESPONSE, "ResponsePage": page_of("Response"),
    "ContactPage": page_of("Contact"), "ImportResult": IMPORT_RESULT, "Job": JOB, "Refusal": REFUSAL,
    "Estimate": ESTIMATE, "Results": RESULTS, "Alert": ALERT,
    "AlertPage": page_of("Alert"), "Case": CASE, "CasePage": page_of("Case"), "Impact": IMPACT, "Change": CHANGE,
    "Event": EVENT, "EventResult": EVENT_RESULT, "Role": {"enum": list(ROLES)}, "Campaign": CAMPAIGN,
    "CampaignResult": CAMPAIGN_RESULT, "Drivers": DRIVERS, "Themes": THEMES,
}


def resolvable(schema: dict) -> dict:
    """A schema with every component available to its $refs, for validating a request on its own."""
    return {**schema, "components": {"schemas": COMPONENTS}}
