"""Configuration: built-in defaults, overridden by HEARKEN_* environment variables.

Nothing here runs at import time; `load_config` is called by the factory so tests and tools can
build apps with different environments in one process.
"""
from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

# Environment variable → (config key, parser). Only these are read; everything else keeps its default.
ENVIRONMENT: dict[str, tuple[str, Callable[[str], Any]]] = {
    "HEARKEN_DATABASE_URL": ("SQLALCHEMY_DATABASE_URI", str),
    "HEARKEN_SECRET_KEY": ("SECRET_KEY", str),
    "HEARKEN_ERASURE_KEY": ("ERASURE_KEY", str),
    "HEARKEN_BASE_URL": ("BASE_URL", str),
    "HEARKEN_ORGANISATION": ("ORGANISATION_NAME", str),
    "HEARKEN_TIMEZONE": ("TIMEZONE", str),
    "HEARKEN_SESSION_COOKIE_SECURE": ("SESSION_COOKIE_SECURE", lambda v: v.lower() in {"1", "true", "yes"}),
    "HEARKEN_MAX_CONTENT_LENGTH": ("MAX_CONTENT_LENGTH", int),
    "HEARKEN_MAX_UPLOAD_LENGTH": ("MAX_UPLOAD_LENGTH", int),
    "HEARKEN_SMTP_HOST": ("SMTP_HOST", str),
    "HEARKEN_SMTP_PORT": ("SMTP_PORT", int),
    "HEARKEN_SMTP_USERNAME": ("SMTP_USERNAME", str),
    "HEARKEN_SMTP_PASSWORD": ("SMTP_PASSWORD", str),
    "HEARKEN_SMTP_STARTTLS": ("SMTP_STARTTLS", lambda v: v.lower() in {"1", "true", "yes"}),
    "HEARKEN_MAIL_FROM": ("MAIL_FROM", str),
    "HEARKEN_FREQUENCY_CAP_DAYS": ("FREQUENCY_CAP_DAYS", int),
    "HEARKEN_DISPATCH_INTERVAL": ("DISPATCH_INTERVAL", float),
    "HEARKEN_TREND_PERIOD": ("TREND_PERIOD", str),
    "HEARKEN_TREND_MIN_N": ("TREND_MIN_N", int),
    "HEARKEN_TREND_FDR": ("TREND_FDR", float),
    "HEARKEN_DETECT_INTERVAL": ("DETECT_INTERVAL", float),
    "HEARKEN_NOTICE_CAP_DAYS": ("NOTICE_CAP_DAYS", int),
    "HEARKEN_TRUSTED_PROXIES": ("TRUSTED_PROXIES", int),
    "HEARKEN_CASE_DUE_BUSINESS_DAYS": ("CASE_DUE_BUSINESS_DAYS", int),
    "HEARKEN_AUDIT_RETENTION_DAYS": ("AUDIT_RETENTION_DAYS", int),
    "HEARKEN_WEBHOOK_ALLOWED_HOSTS": ("WEBHOOK_ALLOWED_HOSTS", str),
    "HEARKEN_LOGO_URL": ("LOGO_URL", str),
    "HEARKEN_PRIVACY_URL": ("PRIVACY_URL", str),
    "HEARKEN_RATELIMIT_STORAGE_URI": ("RATELIMIT_STORAGE_URI", str),
    "HEARKEN_API_RATE_LIMIT": ("API_RATE_LIMIT", str),
    "HEARKEN_LOGIN_RATE_LIMIT": ("LOGIN_RATE_LIMIT", str),
    "HEARKEN_ACCOUNT_LOGIN_RATE_LIMIT": ("ACCOUNT_LOGIN_RATE_LIMIT", str),
    "HEARKEN_DEVICE_LOGIN_RATE_LIMIT": ("DEVICE_LOGIN_RATE_LIMIT", str),
    "HEARKEN_TOKEN_RATE_LIMIT": ("TOKEN_RATE_LIMIT", str),
    "HEARKEN_RESET_RATE_LIMIT": ("RESET_RATE_LIMIT", str),
    "HEARKEN_RESET_ADDRESS_RATE_LIMIT": ("RESET_ADDRESS_RATE_LIMIT", str),
    "HEARKEN_TWO_FACTOR_RATE_LIMIT": ("TWO_FACTOR_RATE_LIMIT", str),
    "HEARKEN_INVITATION_DAYS": ("INVITATION_DAYS", int),
    "HEARKEN_PASSWORD_RESET_MINUTES": ("PASSWORD_RESET_MINUTES", int),
    "HEARKEN_TRUSTED_HOSTS": ("TRUSTED_HOSTS", lambda v: [h.strip() for h in v.split(",") if h.strip()] or None),
    "HEARKEN_SEGMENT_ATTRIBUTES": ("SEGMENT_ATTRIBUTES", lambda v: tuple(filter(None, map(str.strip, v.split(","))))),
    # Single sign-on (survey/accounts/sso.py): read as written, checked by `flask check-deploy`.
    "HEARKEN_OIDC_ISSUER": ("OIDC_ISSUER", lambda v: v.strip().rstrip("/")),
    "HEARKEN_OIDC_CLIENT_ID": ("OIDC_CLIENT_ID", str),
    "HEARKEN_OIDC_CLIENT_SECRET": ("OIDC_CLIENT_SECRET", str),
    "HEARKEN_OIDC_PROVIDER_NAME": ("OIDC_PROVIDER_NAME", str),
    "HEARKEN_OIDC_SCOPES": ("OIDC_SCOPES", str),
    "HEARKEN_OIDC_ROLE_CLAIM": ("OIDC_ROLE_CLAIM", str),
    "HEARKEN_OIDC_ROLE_MAP": ("OIDC_ROLE_MAP", str),
    "HEARKEN_OIDC_DEFAULT_ROLE": ("OIDC_DEFAULT_ROLE", str),
    "HEARKEN_OIDC_SCOPE_MAP": ("OIDC_SCOPE_MAP", str),
    "HEARKEN_PASSWORD_LOGIN": ("PASSWORD_LOGIN", lambda v: v.strip().lower() not in {"0", "off", "false", "no"}),
}

DEFAULTS: dict[str, Any] = {
    "BASE_URL": "http://127.0.0.1:5000",
    "ORGANISATION_NAME": "Hearken",
    "TIMEZONE": "UTC",
    "SQLALCHEMY_TRACK_MODIFICATIONS": False,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    # A respondent may take a long lunch in the middle of a long survey; an expired token re-shows the
    # form with every answer kept (see views/respond.py), so a generous limit only saves them a click.
    "WTF_CSRF_TIME_LIMIT": 24 * 3600,
    "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    # File uploads (contact CSVs): 100 000 contacts are about 7 MB.
    "MAX_UPLOAD_LENGTH": 20 * 1024 * 1024,
    # No SMTP host: messages are written as .eml files under instance/outbox/ (the `make run` default).
    "SMTP_HOST": None,
    "SMTP_PORT": 25,
    "SMTP_USERNAME": None,
    "SMTP_PASSWORD": None,
    "SMTP_STARTTLS": False,
    # Shown under ORGANISATION_NAME unless it gives a name itself ("Feedback team <feedback@example.com>").
    "MAIL_FROM": "feedback@localhost",
    # Organisation-wide: at most one emailed invitation per contact in this many days, across surveys.
    "FREQUENCY_CAP_DAYS": 30,
    "DISPATCH_INTERVAL": 5.0,
    # Trend detection: calendar months (or ISO weeks), at least 30 responses per period tested, a
    # false discovery rate of 5 % over every test of a run, and `dispatch --loop` runs it hourly.
    "TREND_PERIOD": "month",
    "TREND_MIN_N": 30,
    "TREND_FDR": 0.05,
    "TREND_WINDOW": 12,
    "DETECT_INTERVAL": 3600.0,
    # "You told us, we acted" emails: at most one per customer in this many days.
    "NOTICE_CAP_DAYS": 7,
    # Reverse proxies in front of Hearken whose X-Forwarded-For/-Proto to believe (0: none, so a client
    # cannot spoof its address to escape rate limits). Set to 1 behind one nginx or load balancer.
    "TRUSTED_PROXIES": 0,
    # The response-time standard: a follow-up case is due this many working days after it opens.
    "CASE_DUE_BUSINESS_DAYS": 1,
    # The audit log keeps entries this many days; the dispatcher deletes older ones (survey/transfer/audit_log.py).
    "AUDIT_RETENTION_DAYS": 365,
    # Hosts webhooks may reach although they resolve to loopback, private or link-local addresses (an
    # internal CRM): host names or IP addresses, separated by commas. Set by the operator, not in the pages.
    "WEBHOOK_ALLOWED_HOSTS": "",
    "LOGO_URL": None,
    # The organisation's privacy notice, linked from every customer page and email (survey/brand.py).
    "PRIVACY_URL": None,
    # Rate-limit counters (Flask-Limiter): memory:// per process, or redis://host:6379 shared by all of them.
    "RATELIMIT_STORAGE_URI": "memory://",
    # Off: survey/web/rate_limits.py writes the headers (Retry-After only on a 429; the API's budget on its answers).
    "RATELIMIT_HEADERS_ENABLED": False,
    # Requests per API token (a limits string: "600 per minute", "10 per second; 1000 per hour").
    "API_RATE_LIMIT": "600 per minute",
    # Failed logins, and lookups of unknown tokens (personal links, unsubscribe links, API tokens), per
    # client address (survey/web/rate_limits.py). Successes never count.
    "LOGIN_RATE_LIMIT": "10 per minute; 100 per day",
    "ACCOUNT_LOGIN_RATE_LIMIT": "20 per hour",
    # Failed logins from one browser that holds a device cookie for the account (its owner logged in there
    # before): counted instead of the account's limit, so others' guesses cannot lock the owner out.
    "DEVICE_LOGIN_RATE_LIMIT": "10 per hour",
    "TOKEN_RATE_LIMIT": "30 per minute; 300 per day",
    # "Forgot your password?" requests (survey/accounts/passwords.py): every request counts, per client address
    # and per address typed, so the page cannot be used to flood someone's inbox.
    "RESET_RATE_LIMIT": "10 per hour; 50 per day",
    "RESET_ADDRESS_RATE_LIMIT": "3 per hour; 10 per day",
    # Wrong two-factor codes per account being signed in to (and per client address, with the login's limit).
    "TWO_FACTOR_RATE_LIMIT": "5 per minute; 20 per hour",
    # How long an invitation's link works, in days; a password reset's, in minutes.
    "INVITATION_DAYS": 7,
    "PASSWORD_RESET_MINUTES": 60,
    # Host headers to accept (Flask's TRUSTED_HOSTS; ".example.com" also accepts its subdomains); others get
    # 400. None accepts any: links never use the Host header anyway (survey/links.py), so this is defence in
    # depth that `flask check-deploy` asks for in production.
    "TRUSTED_HOSTS": None,
    # Contact attributes that results and trend detection break down by (each value is a segment).
    "SEGMENT_ATTRIBUTES": ("location", "team", "touchpoint"),
    # Single sign-on with OpenID Connect: on when an issuer is set (survey/accounts/sso.py). The role claim
    # names where the provider puts groups or roles ("groups", "roles", "realm_access.roles"); the role map
    # turns its values into Hearken roles ("hearken-admins=admin,cx-team=analyst"); without a mapped value
    # the default role applies, and without one of those the sign-in is refused.
    "OIDC_ISSUER": None,
    "OIDC_CLIENT_ID": None,
    "OIDC_CLIENT_SECRET": None,
    "OIDC_PROVIDER_NAME": "single sign-on",
    "OIDC_SCOPES": "openid email profile",
    "OIDC_ROLE_CLAIM": "groups",
    "OIDC_ROLE_MAP": "",
    "OIDC_DEFAULT_ROLE": None,
    "OIDC_SCOPE_MAP": "",
    # Off: the login page offers single sign-on only and refuses passwords (API tokens are unaffected).
    "PASSWORD_LOGIN": True,
}


def instance_path_from(environ: Mapping[str, str]) -> str | None:
    """The instance folder named by HEARKEN_INSTANCE_PATH (absolute), or None for Flask's default."""
    path = environ.get("HEARKEN_INSTANCE_PATH")
    return str(Path(path).resolve()) if path else None


def load_config(environ: Mapping[str, str], instance_path: str) -> dict[str, Any]:
    """Defaults, then the environment; derives what depends on the instance folder."""
    config = dict(DEFAULTS)
    for name, (key, parse) in ENVIRONMENT.items():
        if environ.get(name):
            config[key] = parse(environ[name])
    config.setdefault("SQLALCHEMY_DATABASE_URI", f"sqlite:///{Path(instance_path) / 'hearken.sqlite3'}")
    config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(config["SQLALCHEMY_DATABASE_URI"])
    config.setdefault("SECRET_KEY", None)
    config["REMEMBER_COOKIE_SECURE"] = config["SESSION_COOKIE_SECURE"]  # one setting for both login cookies
    return config


def normalise_database_url(url: str) -> str:
    """Accept the common `postgres://` and `postgresql://` spellings and use psycopg 3 for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def persistent_secret_key(instance_path: str) -> str:
    """A random key kept in the instance folder, so `make run` needs no setup and sessions survive
    restarts. Production sets HEARKEN_SECRET_KEY (shared by every process behind the load balancer)."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()
