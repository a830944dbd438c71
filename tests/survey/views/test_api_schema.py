"""schemathesis against /api/v1/openapi.json, in-process: every operation, with generated valid and invalid
requests, answers without a server error, with a documented status and a body matching its schema.

The data behind it is real (a survey with answers, contacts, a case), so reads find something. One check
is left out: `positive_data_acceptance` expects every schema-valid request to succeed, but some rules
cannot be said in JSON Schema (question keys unique in a survey, a follow-up threshold within its scale,
an address that email-validator accepts, a slug in the body equal to the one in the path); those requests
get a 422 naming the field, which is the behaviour we want.
"""
from __future__ import annotations

import os
from datetime import date, timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from survey.accounts import api_tokens
from survey.clock import utcnow
from survey.extensions import db
from survey.models import FollowUpCase
from survey.views.api import OPERATIONS as API_OPERATIONS
from tests.factories import add_answers, make_survey

# A few per operation in every run; set HEARKEN_API_FUZZ_EXAMPLES=500 for a long hunt.
EXAMPLES = int(os.environ.get("HEARKEN_API_FUZZ_EXAMPLES", "25"))
CASES = sorted([(op.path, op.method, GenerationMode.POSITIVE) for op in API_OPERATIONS.values()] +
               # Negative requests need something to spoil: a parameter or a body.
               [(op.path, op.method, GenerationMode.NEGATIVE) for op in API_OPERATIONS.values()
                if op.params or op.body or "{" in op.path])


@pytest.fixture
def api_schema(app):
    # Thousands of generated requests from one address, many deliberately without a token (schemathesis
    # checks that each is refused with 401): the conformance checks are not about the limits.
    app.config["API_RATE_LIMIT"] = app.config["TOKEN_RATE_LIMIT"] = "1000000 per minute"
    with app.app_context():
        survey = make_survey()
        add_answers(survey, [(date(2026, 9, 1) + timedelta(days=i % 60), "Leeds", 1 + i % 5) for i in range(80)])
        now = utcnow()
        db.session.add(FollowUpCase(reason="manual", summary="Call back", opened_at=now, due_at=now))
        db.session.commit()
        _row, secret = api_tokens.create_token("schemathesis", "admin", now=now)
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app), {"Authorization": f"Bearer {secret}"}


def keeps_auth(case) -> bool:
    """False when schemathesis spoiled the headers on purpose (no or a bad token): the request must then
    be refused, so the real token is not added."""
    components = case.meta.components if case.meta else {}
    return all(info.mode == GenerationMode.POSITIVE for location, info in components.items()
               if location.value == "header")


# Driven by hand rather than by schemathesis' pytest plugin, which does not support pytest 9 yet.
@pytest.mark.parametrize("path, method, mode", CASES, ids=lambda v: getattr(v, "value", v))
def test_every_operation_keeps_its_description(api_schema, path, method, mode):
    schema, headers = api_schema
    operation = schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def run(case):
        case.call_and_validate(headers=headers if keeps_auth(case) else None,
                               excluded_checks=[positive_data_acceptance])

    run()
