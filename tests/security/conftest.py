"""Fixtures for the security suites: an app with one of everything stored, and a tally of what was sent."""
from __future__ import annotations

import hmac
import json
import os
from datetime import date

import pytest
from sqlalchemy import select

from survey import changes
from survey.accounts import api_tokens
from survey.accounts import users as accounts
from survey.extensions import db
from survey.models import Alert, Contact, FollowUpCase, Response
from survey.tokens import new_token
from tests.conftest import build_app, empty_tables
from tests.factories import NOW, make_invitation, make_survey, make_user
from tests.pages import csrf_token, log_in, post_form
from tests.security.surfaces import World

# The figures of a run (payloads sent, server errors, executed payloads …) go to this folder when it is
# set, one JSON file per suite, for docs/reliability.md.
FIGURES = os.environ.get("HEARKEN_FIGURES_DIR")


def record_figures(name: str, figures: dict) -> None:
    if FIGURES:
        os.makedirs(FIGURES, exist_ok=True)
        with open(os.path.join(FIGURES, f"{name}.json"), "w") as handle:
            json.dump(figures, handle, indent=2, sort_keys=True)


# High enough that the hostile-input sweep is never stopped by a limit (the limits have their own tests).
GENEROUS_LIMITS = {"LOGIN_RATE_LIMIT": "1000000 per minute", "TOKEN_RATE_LIMIT": "1000000 per minute",
                   "API_RATE_LIMIT": "1000000 per minute"}
# Webhook URLs to this address are accepted without resolving a name, and nothing is ever sent there.
SWEEP_SETTINGS = {**GENEROUS_LIMITS, "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1"}


def seed_world(app) -> dict:
    """A published survey, a personal link with a low-score response (so a follow-up case exists), a
    contact, a change entry, an alert, an API token and an admin; returns the tokens and ids."""
    with app.app_context():
        survey = make_survey()
        draft = make_survey(slug="draft-survey", status="draft")
        make_user(email="admin@example.com", role="admin")
        invitation = make_invitation(survey, email="customer@example.com")
        contact = db.session.get(Contact, invitation.contact_id)
        contact.unsubscribe_token = new_token()
        change = changes.save_change(None, changes.ChangeInput(
            title="Shorter queues", you_said="Queues were long", we_did="We opened a **second** desk",
            category="Stores", status="done", changed_on=date(2026, 10, 1)), actor_id=None, now=NOW)
        alert = Alert(fingerprint="f1", series_key="s1", survey_id=survey.id, question_key="satisfaction",
                      metric="top_box", kind="change", segment={"location": "Leeds"}, period_before="2026-09",
                      period_after="2026-10", n_before=120, n_after=118, value_before=0.9, value_after=0.75,
                      difference=-0.15, ci_low=-0.25, ci_high=-0.05, p_value=0.002, q_value=0.01, method="score",
                      direction="drop", created_at=NOW)
        db.session.add(alert)
        db.session.commit()
        _token, secret = api_tokens.create_token("security sweep", "admin", now=NOW)
        return {"slug": survey.slug, "draft": draft.slug, "token": invitation.token,
                "unsubscribe": contact.unsubscribe_token,
                "api": secret, "contact": contact.id, "change": change.id, "alert": alert.id}


def respond_low(client, token: str) -> None:
    response = post_form(client, f"/r/{token}", {"q-satisfaction": "1", "q-comment": "It was slow"})
    assert response.status_code == 303, response.status_code


@pytest.fixture(scope="module")
def world(migrated, instance_path):
    app = build_app(migrated, instance_path, **SWEEP_SETTINGS)
    seeded = seed_world(app)
    anonymous = app.test_client()
    respond_low(anonymous, seeded["token"])
    with app.app_context():
        response_id = db.session.scalar(select(Response.id))
        case_id = db.session.scalar(select(FollowUpCase.id))
    admin = app.test_client()
    log_in(admin, "admin@example.com")
    # Each login attempt costs one scrypt hash (about 0.15 s, on purpose): a cheap stand-in keeps the sweep
    # of a few hundred hostile logins fast. The payloads still go through the form, the query and the page.
    patch = pytest.MonkeyPatch()
    patch.setattr(accounts, "check_password_hash",
                  lambda stored, given: hmac.compare_digest(stored.encode(), given.encode()))
    yield World(app=app, admin=admin, anonymous=anonymous, csrf=csrf_token(admin, "/manage/"),
                slug=seeded["slug"], draft=seeded["draft"], token=seeded["token"],
                unsubscribe_token=seeded["unsubscribe"],
                api_token=seeded["api"], ids={"response": response_id, "case": case_id, "contact": seeded["contact"],
                                              "change": seeded["change"], "alert": seeded["alert"]})
    with app.app_context():
        empty_tables()
        db.engine.dispose()
    patch.undo()

