"""Security headers, cookies, body limits and trusted hosts."""
from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from survey.web.headers import CONTENT_SECURITY_POLICY
from tests.factories import make_survey, make_user
from tests.pages import csrf_token, log_in

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
PAGES = ["/", "/login", "/complain", "/changes", "/s/support-csat", "/manage/", "/nowhere"]


@pytest.fixture
def survey_app(app):
    with app.app_context():
        make_survey()
        make_user()
    return app


def test_every_page_sends_the_security_headers(survey_app):
    client = survey_app.test_client()
    for path in PAGES:
        headers = client.get(path).headers
        policy = headers["Content-Security-Policy"]
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, path
        assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy and "object-src 'none'" in policy
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert "Strict-Transport-Security" not in headers, "HSTS over plain HTTP is meaningless and ignored"


def test_no_template_has_inline_script_style_or_event_handlers():
    """The policy has no 'unsafe-inline': an inline script, style attribute or onclick would be blocked,
    so none may exist. Emails are exempt (mail clients need inline styles; their preview has its own
    sandboxed policy)."""
    inline = re.compile(r"<script(?![^>]*\bsrc=)|<style\b|\sstyle\s*=|\son[a-z]+\s*=|javascript:", re.IGNORECASE)
    found = [f"{path.relative_to(TEMPLATES)}: {match.group(0).strip()}"
             for path in TEMPLATES.rglob("*.html") if "email" not in path.parts
             for match in inline.finditer(path.read_text())]
    assert found == []


def test_hsts_is_sent_when_configured_or_over_https(survey_app):
    client = survey_app.test_client()
    assert "Strict-Transport-Security" in client.get("/", base_url="https://feedback.example.test").headers
    survey_app.config["SESSION_COOKIE_SECURE"] = True
    hsts = client.get("/").headers["Strict-Transport-Security"]
    assert "max-age=31536000" in hsts


def test_a_forged_forwarded_proto_does_not_make_a_request_secure(survey_app):
    """Without trusted proxies (the default), X-Forwarded-Proto is a header like any other."""
    response = survey_app.test_client().get("/", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in response.headers


def cookie_attributes(response, name: str) -> str:
    [header] = [value for value in response.headers.getlist("Set-Cookie") if value.startswith(name + "=")]
    return header


def test_the_login_cookie_is_httponly_samesite_and_secure_when_configured(survey_app):
    client = survey_app.test_client()
    response = log_in(client, "manager@example.com")
    cookie = cookie_attributes(response, "session")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    survey_app.config["SESSION_COOKIE_SECURE"] = True
    secure = survey_app.test_client()
    fields = {"csrf_token": csrf_token(secure), "email": "manager@example.com", "password": "correct horse battery"}
    cookie = cookie_attributes(secure.post("/login", data=fields), "session")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_the_secure_setting_covers_both_login_cookies(migrated, instance_path, monkeypatch):
    from tests.conftest import build_app

    monkeypatch.setenv("HEARKEN_SESSION_COOKIE_SECURE", "1")
    from survey.config import load_config

    config = load_config({"HEARKEN_SESSION_COOKIE_SECURE": "1"}, str(instance_path))
    assert config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"]
    assert build_app(migrated, instance_path).config["REMEMBER_COOKIE_HTTPONLY"]


def test_bodies_over_the_limit_get_the_413_page_and_uploads_their_own_limit(survey_app):
    survey_app.config.update(MAX_CONTENT_LENGTH=1000, MAX_UPLOAD_LENGTH=50_000)
    client = survey_app.test_client()
    big = client.post("/complain", data={"message": "x" * 5000})
    assert big.status_code == 413 and "That was too large" in big.get_data(as_text=True)
    log_in(client, "manager@example.com")
    token = csrf_token(client, "/manage/")
    rows = b"email\n" + b"".join(b"c%d@example.com\n" % i for i in range(500))  # about 9 kB: over 1 000, under 50 000
    accepted = client.post("/manage/contacts/import", data={"csrf_token": token,
                                                            "file": (io.BytesIO(rows), "contacts.csv")})
    assert accepted.status_code == 200 and "created 500" in accepted.get_data(as_text=True)
    huge = client.post("/manage/contacts/import", data={"csrf_token": token,
                                                        "file": (io.BytesIO(rows * 10), "contacts.csv")})
    assert huge.status_code == 413


def test_an_untrusted_host_gets_400_and_links_come_from_the_base_url(survey_app):
    survey_app.config["TRUSTED_HOSTS"] = ["feedback.example.test"]
    client = survey_app.test_client()
    assert client.get("/s/support-csat", base_url="https://feedback.example.test").status_code == 200
    for host in ("evil.example", "feedback.example.test.evil.example", "localhost"):
        refused = client.get("/s/support-csat", headers={"Host": host})
        assert refused.status_code == 400, host
        assert "Something in that request was not right" in refused.get_data(as_text=True)
        assert host not in refused.get_data(as_text=True)


def test_links_never_use_the_host_header(survey_app):
    """With any Host accepted (the laptop default), pages and emails still link to HEARKEN_BASE_URL."""
    client = survey_app.test_client()
    evil = "http://evil.example"
    fields = {"csrf_token": csrf_token(client, evil + "/login"), "email": "manager@example.com",
              "password": "correct horse battery"}
    assert client.post("/login", data=fields, base_url=evil).status_code == 302
    editor = client.get("/manage/surveys/support-csat", base_url=evil).get_data(as_text=True)
    assert "https://feedback.example.test/s/support-csat" in editor and "evil.example" not in editor
    changes = client.get("/changes", base_url=evil).get_data(as_text=True)
    assert "https://feedback.example.test/changes" in changes and "evil.example" not in changes
    redirect = client.get("/manage/surveys/nope/results", base_url=evil)
    assert "evil.example" not in redirect.headers.get("Location", "")


def test_the_policy_allows_nothing_from_elsewhere():
    directives = dict(part.strip().split(" ", 1) for part in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["default-src"] == "'self'" and directives["base-uri"] == "'none'"
    assert directives["form-action"] == "'self'" and directives["img-src"] == "'self' data:"


def test_a_logo_on_another_host_is_allowed_by_its_origin_alone(migrated, instance_path):
    """HEARKEN_LOGO_URL on a CDN showed a broken image: img-src allowed only 'self' and data:."""
    from tests.conftest import build_app

    app = build_app(migrated, instance_path, LOGO_URL="https://cdn.example.net/brand/logo.svg?v=2")
    client = app.test_client()
    for path in ["/", "/changes", "/nowhere"]:
        directives = dict(part.strip().split(" ", 1)
                          for part in client.get(path).headers["Content-Security-Policy"].split(";"))
        assert directives["img-src"] == "'self' data: https://cdn.example.net", path
        assert directives["default-src"] == "'self'" and directives["script-src"] == "'self'"
    assert 'src="https://cdn.example.net/brand/logo.svg?v=2"' in client.get("/changes").get_data(as_text=True)


@pytest.mark.parametrize("logo, origin", [
    (None, None), ("", None), ("/static/logo.svg", None), ("https://CDN.Example.net:8443/l.png", "https://cdn.example.net:8443"),
    ("https://cdn.example.net:443/l.png", "https://cdn.example.net"),
])
def test_the_logo_origin_is_exactly_the_logos(logo, origin):
    from survey.web.headers import logo_origin

    assert logo_origin(logo) == origin


BAD_LOGOS = ["http://cdn.example.net/logo.png", "javascript:alert(1)", "//cdn.example.net/logo.png",
             "https://cdn.example.net/logo.png; script-src *", "https://cdn.example.net/a b.png",
             "https://user:pw@cdn.example.net/logo.png", "https://cdn.example.net'/logo.png", "https://*/logo.png",
             "https://cdn.example.net:99999/logo.png", "data:image/png;base64,AAAA", "https:///logo.png"]


@pytest.mark.parametrize("logo", BAD_LOGOS)
def test_a_logo_url_that_is_not_a_plain_https_url_changes_nothing_and_is_named(migrated, instance_path, logo):
    from survey.cli import deploy_checks
    from tests.conftest import build_app

    app = build_app(migrated, instance_path, LOGO_URL=logo)
    response = app.test_client().get("/changes")
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert 'class="logo"' not in response.get_data(as_text=True)
    found = deploy_checks.problems({"LOGO_URL": None}, {"HEARKEN_LOGO_URL": logo})
    assert any(problem.startswith("HEARKEN_LOGO_URL") for problem in found), found
