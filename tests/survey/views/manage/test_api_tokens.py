"""The admins' API tokens page: a token is shown once, listed with its role and last use, and revoked."""
from __future__ import annotations

import re

from sqlalchemy import select

from survey.extensions import db
from survey.models import ApiToken
from tests.factories import make_user
from tests.pages import log_in, post_form, text_of

PAGE = "/manage/api-tokens/"


def test_a_token_is_shown_once_used_and_revoked(app, client):
    with app.app_context():
        make_user(email="admin@example.com", role="admin")
    log_in(client, "admin@example.com")
    created = post_form(client, PAGE, {"name": "help desk", "role": "editor"})
    assert created.status_code == 201
    secret = re.search(r"hk_[A-Za-z0-9_-]{40,}", text_of(created)).group(0)
    assert secret not in text_of(client.get(PAGE))  # never again
    with client.get("/api/v1/surveys", headers={"Authorization": f"Bearer {secret}"}) as used:
        assert used.status_code == 200
    listing = text_of(client.get(PAGE))
    assert "help desk" in listing and "editor" in listing and "never" not in listing  # last use shown
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id))
    revoked = post_form(client, f"{PAGE}{token_id}/revoke", page=PAGE)
    assert revoked.status_code == 303
    assert client.get("/api/v1/surveys", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    assert "revoked" in text_of(client.get(PAGE))


def test_bad_input_and_forged_posts_create_nothing(app, client):
    with app.app_context():
        make_user(email="admin@example.com", role="admin")
    log_in(client, "admin@example.com")
    assert post_form(client, PAGE, {"name": "", "role": "editor"}).status_code == 422
    assert post_form(client, PAGE, {"name": "x", "role": "root"}).status_code == 422
    post_form(client, PAGE, {"name": "crm", "role": "agent"})
    duplicate = post_form(client, PAGE, {"name": "crm", "role": "agent"})
    assert duplicate.status_code == 422 and "already exists" in text_of(duplicate)
    assert client.post(PAGE, data={"name": "forged", "role": "admin"}).status_code == 400  # no CSRF token
    with app.app_context():
        assert db.session.scalars(select(ApiToken.name)).all() == ["crm"]
