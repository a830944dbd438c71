"""Destructive actions ask first, the same way each: closing a survey, removing a question from a live
survey, deleting a webhook endpoint, deleting a change entry. The action's URL answers GET with what will
happen and a button posting `confirm=yes`; a POST without it changes nothing and leads to that page."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from survey import changes, webhooks
from survey.authoring.editing import find_survey
from survey.extensions import db
from survey.models import ChangeEntry, WebhookEndpoint
from tests.factories import NOW, make_survey, make_user
from tests.pages import hidden_fields, log_in, post_form, text_of


def words(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", text_of(response)).split())


def world(app) -> dict[str, str]:
    """A published survey, a change entry and a webhook endpoint; users of every role. Their URLs."""
    with app.app_context():
        app.config["WEBHOOK_ALLOWED_HOSTS"] = "127.0.0.1"
        for role in ("agent", "analyst", "editor", "admin"):
            make_user(email=f"{role}@example.com", role=role)
        make_survey()
        entry = changes.save_change(None, changes.ChangeInput(
            title="Call-backs within a day", you_said="Nobody called you back.", we_did="We call back.",
            category="Support", status="done", changed_on=NOW.date()), actor_id=None, now=NOW)
        endpoint = webhooks.create_endpoint(webhooks.EndpointInput("http://127.0.0.1:9/hook", "", ("case.updated",)),
                                            allowed_hosts=("127.0.0.1",), actor_id=None, now=NOW)
        return {"survey": "/manage/surveys/support-csat", "close": "/manage/surveys/support-csat/close",
                "question": "/manage/surveys/support-csat/questions/satisfaction/delete",
                "change": f"/manage/changes/{entry.id}/delete", "change_page": f"/manage/changes/{entry.id}",
                "endpoint": f"/manage/webhooks/{endpoint.id}/delete",
                "endpoint_page": f"/manage/webhooks/{endpoint.id}"}


def state(app) -> tuple:
    with app.app_context():
        survey = find_survey("support-csat")
        return (survey.status, [q.key for q in survey.current_version.questions],
                db.session.scalar(select(ChangeEntry.deleted_at)), db.session.scalar(select(WebhookEndpoint.id)))


CASES = [  # (action URL, the page its button is on, the words the confirmation page must say, its button)
    ("close", "survey", "Customers can no longer answer", "Close the survey"),
    ("question", "survey", "Customers will no longer be asked", "Remove the question"),
    ("change", "change_page", "The entry leaves this list", "Delete the change"),
    ("endpoint", "endpoint_page", "gets no more deliveries", "Delete endpoint and history"),
]


@pytest.mark.parametrize("action, page, says, button", CASES)
def test_a_destructive_action_without_confirmation_changes_nothing_and_asks_first(app, client, action, page, says,
                                                                                  button):
    urls = world(app)
    log_in(client, "admin@example.com")
    before = state(app)
    unconfirmed = post_form(client, urls[action], page=urls[page])
    assert unconfirmed.status_code == 303 and unconfirmed.location.endswith(urls[action])
    assert state(app) == before
    asking = client.get(urls[action])
    assert asking.status_code == 200 and says in words(asking)
    html = asking.get_data(as_text=True)
    assert f'<form method="post" action="{urls[action]}"' in html
    assert f'name="confirm" value="yes" class="button-danger">{button}</button>' in html
    assert state(app) == before  # showing the page changed nothing
    done = client.post(urls[action], data={**hidden_fields(html), "confirm": "yes"})
    assert done.status_code == 302
    assert state(app) != before


def test_each_confirmed_action_does_exactly_its_own_change(app, client):
    urls = world(app)
    log_in(client, "admin@example.com")
    for action in ("question", "close"):
        post_form(client, urls[action], {"confirm": "yes"}, page=urls[action])
    post_form(client, urls["change"], {"confirm": "yes"}, page=urls["change"])
    post_form(client, urls["endpoint"], {"confirm": "yes"}, page=urls["endpoint"])
    with app.app_context():
        survey = find_survey("support-csat")
        assert survey.status == "closed" and "satisfaction" not in [q.key for q in survey.current_version.questions]
        assert db.session.scalar(select(ChangeEntry.deleted_at)) is not None
        assert db.session.scalar(select(WebhookEndpoint.id)) is None


def test_a_question_is_removed_from_a_draft_at_once(app, client):
    world(app)
    with app.app_context():
        make_survey(slug="draft-one", status="draft")
    log_in(client, "editor@example.com")
    url = "/manage/surveys/draft-one"
    removed = post_form(client, f"{url}/questions/satisfaction/delete", page=url)
    assert removed.status_code == 302
    with app.app_context():
        assert "satisfaction" not in [q.key for q in find_survey("draft-one").current_version.questions]


@pytest.mark.parametrize("role, allowed", [("agent", set()), ("analyst", set()),
                                           ("editor", {"close", "question", "change"}),
                                           ("admin", {"close", "question", "change", "endpoint"})])
def test_only_those_who_may_act_see_a_confirmation_page(app, client, role, allowed):
    urls = world(app)
    log_in(client, f"{role}@example.com")
    for action, *_ in CASES:
        assert client.get(urls[action]).status_code == (200 if action in allowed else 403), action
