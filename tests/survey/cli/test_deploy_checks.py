"""`flask check-deploy` names every unsafe production setting and passes a safe configuration."""
from __future__ import annotations

from survey.cli import deploy_checks

SAFE = {"TRUSTED_PROXIES": 1, "BASE_URL": "https://feedback.example.com", "SESSION_COOKIE_SECURE": True,
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://hearken@db/hearken", "SMTP_HOST": "smtp.example.com",
        "SMTP_STARTTLS": True, "SMTP_PASSWORD": "pw", "MAIL_FROM": "Feedback <feedback@example.com>",
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024, "MAX_UPLOAD_LENGTH": 20 * 1024 * 1024,
        "TRUSTED_HOSTS": ["feedback.example.com"], "RATELIMIT_STORAGE_URI": "redis://cache.internal:6379",
        "LOGIN_RATE_LIMIT": "10 per minute; 100 per day", "ACCOUNT_LOGIN_RATE_LIMIT": "20 per hour",
        "DEVICE_LOGIN_RATE_LIMIT": "10 per hour", "TOKEN_RATE_LIMIT": "30 per minute",
        "API_RATE_LIMIT": "600 per minute", "PRIVACY_URL": "https://example.com/privacy"}
SAFE_ENV = {"HEARKEN_SECRET_KEY": "k" * 48, "HEARKEN_TRUSTED_PROXIES": "1"}


def test_a_safe_configuration_passes():
    assert deploy_checks.problems(SAFE, SAFE_ENV) == []


def test_each_unsafe_setting_is_named():
    cases = [
        ({}, {**SAFE_ENV, "HEARKEN_SECRET_KEY": ""}, "HEARKEN_SECRET_KEY is not set"),
        ({}, {**SAFE_ENV, "HEARKEN_SECRET_KEY": "changeme"}, "short or a well-known value"),
        ({}, {"HEARKEN_SECRET_KEY": "k" * 48}, "HEARKEN_TRUSTED_PROXIES is not set"),
        ({"TRUSTED_PROXIES": 0}, {**SAFE_ENV, "HEARKEN_TRUSTED_PROXIES": "0"}, "Put a buffering proxy in front"),
        ({"BASE_URL": "http://feedback.example.com"}, SAFE_ENV, "must use https://"),
        ({"BASE_URL": "https://localhost"}, SAFE_ENV, "points at this machine"),
        ({"SESSION_COOKIE_SECURE": False}, SAFE_ENV, "HEARKEN_SESSION_COOKIE_SECURE is off"),
        ({"SQLALCHEMY_DATABASE_URI": "sqlite:///x.db"}, SAFE_ENV, "The database is SQLite"),
        ({"SMTP_HOST": None}, SAFE_ENV, "HEARKEN_SMTP_HOST is not set"),
        ({"SMTP_STARTTLS": False}, SAFE_ENV, "without STARTTLS"),
        ({"SMTP_STARTTLS": False, "SMTP_PASSWORD": None}, SAFE_ENV, "every invitation carries a personal link"),
        ({"MAIL_FROM": "Hearken <feedback@localhost>"}, SAFE_ENV, "localhost address"),
        ({"DEBUG": True}, SAFE_ENV, "DEBUG or TESTING is on"),
        ({"MAX_CONTENT_LENGTH": None}, SAFE_ENV, "HEARKEN_MAX_CONTENT_LENGTH"),
        ({"MAX_UPLOAD_LENGTH": 500 * 1024 * 1024}, SAFE_ENV, "HEARKEN_MAX_UPLOAD_LENGTH"),
        ({"TRUSTED_HOSTS": None}, SAFE_ENV, "HEARKEN_TRUSTED_HOSTS is not set"),
        ({"TRUSTED_HOSTS": ["other.example.com"]}, SAFE_ENV, "does not include feedback.example.com"),
        ({"RATELIMIT_STORAGE_URI": "memory://"}, SAFE_ENV, "HEARKEN_RATELIMIT_STORAGE_URI is memory://"),
        ({"LOGIN_RATE_LIMIT": "ten a minute"}, SAFE_ENV, "HEARKEN_LOGIN_RATE_LIMIT is 'ten a minute'"),
        ({"DEVICE_LOGIN_RATE_LIMIT": "often"}, SAFE_ENV, "HEARKEN_DEVICE_LOGIN_RATE_LIMIT is 'often'"),
        ({"TOKEN_RATE_LIMIT": ""}, SAFE_ENV, "HEARKEN_TOKEN_RATE_LIMIT"),
        ({"API_RATE_LIMIT": "lots"}, SAFE_ENV, "HEARKEN_API_RATE_LIMIT"),
        ({"PRIVACY_URL": None}, SAFE_ENV, "HEARKEN_PRIVACY_URL is not set"),
        ({"PRIVACY_URL": None}, {**SAFE_ENV, "HEARKEN_PRIVACY_URL": "javascript:alert(1)"},
         "must be an http:// or https:// address"),
    ]
    for change, environ, expected in cases:
        found = deploy_checks.problems({**SAFE, **change}, environ)
        assert len(found) == 1 and expected in found[0], (change, found)


def test_a_relay_on_this_machine_needs_no_starttls():
    assert deploy_checks.problems({**SAFE, "SMTP_HOST": "localhost", "SMTP_STARTTLS": False}, SAFE_ENV) == []


def test_clients_reaching_gunicorn_directly_is_named_with_the_proxy_to_put_in_front():
    """Without a buffering proxy, four stalled uploads hold two sync workers (docs/deployment.md)."""
    found = deploy_checks.problems({**SAFE, "TRUSTED_PROXIES": 0}, {**SAFE_ENV, "HEARKEN_TRUSTED_PROXIES": "0"})
    assert len(found) == 1 and "proxy_request_buffering on" in found[0] and "docs/deployment.md" in found[0]
    assert deploy_checks.problems({**SAFE, "TRUSTED_PROXIES": 2}, {**SAFE_ENV, "HEARKEN_TRUSTED_PROXIES": "2"}) == []


def test_trusted_hosts_may_name_a_parent_domain():
    assert deploy_checks.problems({**SAFE, "TRUSTED_HOSTS": [".example.com"]}, SAFE_ENV) == []


def test_the_command_fails_on_the_laptop_defaults(runner):
    result = runner.invoke(args=["check-deploy"])
    assert result.exit_code == 1
    assert "HEARKEN_SECRET_KEY is not set" in result.output and "to fix before going live" in result.output


SSO = {"OIDC_ISSUER": "https://login.example.com/realms/staff", "OIDC_CLIENT_ID": "hearken",
       "OIDC_CLIENT_SECRET": "s3cret", "OIDC_ROLE_MAP": "cx-admins=admin", "PASSWORD_LOGIN": False}


def test_single_sign_on_complete_or_named():
    assert deploy_checks.problems({**SAFE, **SSO}, SAFE_ENV) == []
    cases = [
        ({"OIDC_CLIENT_SECRET": None}, "Single sign-on is not usable: single sign-on needs HEARKEN_OIDC_CLIENT_SECRET"),
        ({"OIDC_ISSUER": None, "PASSWORD_LOGIN": True}, "needs HEARKEN_OIDC_ISSUER"),  # half a configuration
        ({"OIDC_ROLE_MAP": "cx-admins=boss"}, "maps to 'boss'"),
        ({"OIDC_ISSUER": "http://127.0.0.1:8080"}, "must be reached over https://"),
        ({"OIDC_ROLE_MAP": ""}, "every single sign-on would be refused"),
    ]
    for change, expected in cases:
        found = deploy_checks.problems({**SAFE, **SSO, **change}, SAFE_ENV)
        assert len(found) == 1 and expected in found[0], (change, found)
    assert deploy_checks.problems({**SAFE, **SSO, "OIDC_ROLE_MAP": "", "OIDC_DEFAULT_ROLE": "agent"}, SAFE_ENV) == []


def test_password_login_off_without_single_sign_on_is_named():
    found = deploy_checks.problems({**SAFE, "PASSWORD_LOGIN": False}, SAFE_ENV)
    assert len(found) == 1 and "nobody could log in" in found[0]
