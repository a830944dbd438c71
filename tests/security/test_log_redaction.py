"""Tokens never appear in logs: the development server's access log and gunicorn's, with real servers."""
from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from survey.web.log_redaction import REDACTED, TokenRedactingFilter, redact
from tests.browser.conftest import live_server  # noqa: F401 (a fixture, used by name)
from tests.factories import make_secret_tokens, make_survey
from tests.security.test_rate_limits import free_port, status_of, wait_until_serving


@pytest.mark.parametrize("line, expected", [
    ('127.0.0.1 - - "GET /r/AbC-_123xyz HTTP/1.1" 200 -', '127.0.0.1 - - "GET /r/[redacted] HTTP/1.1" 200 -'),
    ("GET /r/AbC123/thanks?rating=5", "GET /r/[redacted]/thanks?rating=5"),
    ("POST /unsubscribe/t0k3n HTTP/1.1", "POST /unsubscribe/[redacted] HTTP/1.1"),
    ("Authorization: Bearer hk_secret-Value_1", "Authorization: Bearer hk_[redacted]"),
    ("GET /s/support-csat HTTP/1.1", "GET /s/support-csat HTTP/1.1"),  # public links carry no secret
    ("GET /manage/surveys/r/x", "GET /manage/surveys/r/x"),  # only a path that starts with /r/
    ('referer="https://feedback.example.com/r/tok3n"', 'referer="https://feedback.example.com/r/[redacted]"'),
    ("/unsubscribe/tok3n", "/unsubscribe/[redacted]"),
])
def test_redact(line, expected):
    assert redact(line) == expected


def test_a_token_under_the_path_hearken_is_served_under_is_redacted_too():
    """BASE_URL https://host/feedback: the access log shows /feedback/r/<token>."""
    assert redact('"GET /feedback/r/AbC123 HTTP/1.1"', "/feedback") == '"GET /feedback/r/[redacted] HTTP/1.1"'
    assert redact("https://h.example/feedback/unsubscribe/t0k", "/feedback") == \
        "https://h.example/feedback/unsubscribe/[redacted]"
    assert redact("GET /elsewhere/r/x", "/feedback") == "GET /elsewhere/r/x"


def test_the_filter_rewrites_a_formatted_record():
    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, '%s - - "%s" %s', ("127.0.0.1",
                               "GET /r/secret-token HTTP/1.1", "200"), None)
    assert TokenRedactingFilter().filter(record)
    assert record.getMessage() == '127.0.0.1 - - "GET /r/[redacted] HTTP/1.1" 200'


def test_an_app_served_under_a_path_redacts_its_tokens_there(caplog):
    """init_app takes the path from BASE_URL: https://host/feedback logs /feedback/r/<token>."""
    from flask import Flask

    from survey.web import log_redaction

    app = Flask("redaction_under_a_path")
    app.config["BASE_URL"] = "https://feedback.example.test/feedback"
    log_redaction.init_app(app)
    with caplog.at_level(logging.INFO, logger=app.logger.name):
        app.logger.info('"GET /feedback/r/AbC123secret HTTP/1.1" 200')
    assert "AbC123secret" not in caplog.text and f"/feedback/r/{REDACTED}" in caplog.text


@pytest.fixture
def tokens(app):
    with app.app_context():
        return make_secret_tokens(make_survey())


def visit_every_token_page(base: str, tokens: dict) -> None:
    import urllib.request

    assert status_of(f"{base}/r/{tokens['personal']}?rating=5") == 200
    assert status_of(f"{base}/r/{tokens['personal']}/thanks") == 200
    assert status_of(f"{base}/unsubscribe/{tokens['unsubscribe']}") == 200
    request = urllib.request.Request(f"{base}/api/v1/surveys", headers={"Authorization": f"Bearer {tokens['api']}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def test_the_development_server_logs_no_token(app, live_server, tokens, caplog, monkeypatch):  # noqa: F811
    # The test session's migrations ran Alembic's logging.config.fileConfig, which disables the loggers
    # that existed then; `flask db upgrade` runs in a process of its own, so servers never see that.
    monkeypatch.setattr(logging.getLogger("werkzeug"), "disabled", False)
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        visit_every_token_page(live_server, tokens)
    logged = caplog.text
    assert f"/r/{REDACTED}/thanks" in logged and f"/unsubscribe/{REDACTED}" in logged
    for secret in tokens.values():
        assert secret not in logged


@pytest.mark.slow
def test_gunicorn_logs_no_token(migrated, tokens, tmp_path):
    access, errors = tmp_path / "access.log", tmp_path / "error.log"
    port = free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith("HEARKEN_")}
    env.update(HEARKEN_DATABASE_URL=migrated, HEARKEN_SECRET_KEY="k" * 48, HEARKEN_INSTANCE_PATH=str(tmp_path))
    # Access lines with the request line, the path and the query, and the Authorization header too.
    log_format = '%(h)s "%(r)s" %(U)s %(q)s %(s)s "%({authorization}i)s"'
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}", "--access-logfile",
         str(access), "--error-logfile", str(errors), "--log-level", "debug", "--access-logformat", log_format,
         "app:app"], cwd=Path(__file__).resolve().parents[2], env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base, server)
        visit_every_token_page(base, tokens)
        time.sleep(0.5)  # gunicorn writes access lines after the response
    finally:
        server.terminate()
        server.wait(15)
    logged = access.read_text() + errors.read_text()
    assert f"/r/{REDACTED}/thanks" in logged and f"/unsubscribe/{REDACTED}" in logged
    assert f"hk_{REDACTED}" in logged
    for secret in tokens.values():
        assert secret not in logged
