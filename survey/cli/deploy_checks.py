"""`flask check-deploy`: the settings that are fine on a laptop and unsafe in production, each with what
to set instead. A pure function of the configuration, so it is tested as a truth table."""
from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from limits import parse_many

from survey.accounts import sso
from survey.brand import privacy_url_problem
from survey.web.headers import logo_origin

THIS_MACHINE = (None, "localhost", "127.0.0.1", "::1")  # reported once, as a BASE_URL problem
WEAK_SECRETS = {"", "dev", "secret", "changeme", "change-me", "test-secret"}


def problems(config: Mapping, environ: Mapping[str, str]) -> list[str]:
    """Every unsafe production setting, as a sentence naming the setting and the fix."""
    return [problem for check in CHECKS for problem in check(config, environ)]


def _secret(config: Mapping, environ: Mapping[str, str]) -> list[str]:
    """The secret key: set, long and not a well-known value."""
    found = []
    secret = environ.get("HEARKEN_SECRET_KEY", "")
    if not secret:
        found.append("HEARKEN_SECRET_KEY is not set: each machine would make its own key in its instance folder, "
                     "so sessions and forms fail behind a load balancer. Set one random value (48+ characters) "
                     "on every machine.")
    elif secret.lower() in WEAK_SECRETS or len(secret) < 32:
        found.append("HEARKEN_SECRET_KEY is short or a well-known value: use at least 32 random characters, e.g. "
                     "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`.")
    return found


def _links(config: Mapping, environ: Mapping[str, str]) -> list[str]:
    """Links in emails (https, a host customers can reach), and the login cookie kept to HTTPS."""
    found = []
    base = urlsplit(config.get("BASE_URL") or "")
    if base.scheme != "https":
        found.append(f"HEARKEN_BASE_URL is {config.get('BASE_URL')!r}: links in emails must use https:// and the "
                     "public host name customers can reach.")
    if base.hostname in THIS_MACHINE:
        found.append("HEARKEN_BASE_URL points at this machine: customers cannot open links to it.")
    if not config.get("SESSION_COOKIE_SECURE"):
        found.append("HEARKEN_SESSION_COOKIE_SECURE is off: the login cookie would also travel over plain HTTP, "
                     "and HSTS is not sent. Set it to 1 behind HTTPS.")
    return found


def _storage(config: Mapping, environ: Mapping[str, str]) -> list[str]:
    """The database: SQLite serves one machine only."""
    found = []
    if str(config.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite"):
        found.append("The database is SQLite: fine for one machine, but several web servers or dispatchers on "
                     "different machines need PostgreSQL (HEARKEN_DATABASE_URL).")
    return found


def _mail(config: Mapping, environ: Mapping[str, str]) -> list[str]:
    """Sending email: a server, over STARTTLS, from an address of the organisation's domain."""
    found = []
    if not config.get("SMTP_HOST"):
        found.append("HEARKEN_SMTP_HOST is not set: emails are written to files in the instance folder and "
                     "never sent.")
    elif not config.get("SMTP_STARTTLS") and config["SMTP_HOST"] not in THIS_MACHINE:
        found.append(f"SMTP to {config['SMTP_HOST']} is without STARTTLS: every invitation carries a personal "
                     "link, and a password would travel in clear text. Set HEARKEN_SMTP_STARTTLS=1 (a relay on "
                     "this machine needs none).")
    sender = str(config.get("MAIL_FROM", ""))
    if sender.endswith("@localhost>") or sender.endswith("@localhost"):
        found.append("HEARKEN_MAIL_FROM is a localhost address: receiving servers reject or junk it. Use an "
                     "address of your domain (with SPF and DKIM for the SMTP server).")
    return found


def _requests(config: Mapping, environ: Mapping[str, str]) -> list[str]:
    """Debugging off, and request bodies bounded."""
    found = []
    if config.get("DEBUG") or config.get("TESTING"):
        found.append("DEBUG or TESTING is on: never in production (the debugger runs code from the browser).")
    limit = config.get("MAX_CONTENT_LENGTH")
    if not limit or limit > 16 * 1024 * 1024:
        found.append("HEARKEN_MAX_CONTENT_LENGTH is unset or above 16 MiB: large bodies tie up workers.")
    upload = config.get("MAX_UPLOAD_LENGTH")
    if not upload or upload > 100 * 1024 * 1024:
        found.append("HEARKEN_MAX_UPLOAD_LENGTH is unset or above 100 MiB: a file that large ties up a worker; "
                     "20 MiB holds 250 000 contacts.")
    return found


def _hosts(config: Mapping, environ: Mapping[str, str]) -> list[str]:
    """Host names and proxies: which requests are answered and whose address counts."""
    found = []
    base = urlsplit(config.get("BASE_URL") or "")
    if not config.get("TRUSTED_HOSTS"):
        found.append("HEARKEN_TRUSTED_HOSTS is not set: any Host header is accepted. Set the public host name "
                     "(e.g. feedback.example.com), so requests for other names get 400.")
    elif base.hostname not in THIS_MACHINE and not _trusted(base.hostname, config["TRUSTED_HOSTS"]):
        found.append(f"HEARKEN_TRUSTED_HOSTS does not include {base.hostname}, the host of HEARKEN_BASE_URL: "
                     "every link customers get would be refused.")
    if "HEARKEN_TRUSTED_PROXIES" not in environ:
        found.append("HEARKEN_TRUSTED_PROXIES is not set: behind a reverse proxy or load balancer (how https "
                     "usually reaches gunicorn) every visitor has the proxy's address, so one client's wrong "
                     "guesses would make every customer, manager and integration wait (429). Set it to the "
                     "number of proxies (1 behind nginx).")
    elif config.get("TRUSTED_PROXIES", 0) < 1:
        found.append("HEARKEN_TRUSTED_PROXIES is 0, so clients reach gunicorn directly: a handful of clients "
                     "sending their requests slowly (four stalled uploads against two workers) hold every worker "
                     "and nobody else is answered. Put a buffering proxy in front (nginx with "
                     "proxy_request_buffering on and client timeouts, see docs/deployment.md) and set "
                     "HEARKEN_TRUSTED_PROXIES to the number of proxies.")
    return found


def _limits(config: Mapping, environ: Mapping[str, str]) -> list[str]:
    """Rate limits shared between processes and written as limits; the logo's address."""
    found = []
    if str(config.get("RATELIMIT_STORAGE_URI", "memory://")).startswith("memory://"):
        found.append("HEARKEN_RATELIMIT_STORAGE_URI is memory://: each web process counts login and token "
                     "guesses on its own, so N processes allow N times the limit. Use redis://host:6379.")
    try:
        logo_origin(config.get("LOGO_URL") or environ.get("HEARKEN_LOGO_URL"))  # the app drops a bad one
    except ValueError as error:
        found.append(f"{error}: until it is, the logo is not shown.")
    for name in ("LOGIN_RATE_LIMIT", "ACCOUNT_LOGIN_RATE_LIMIT", "DEVICE_LOGIN_RATE_LIMIT", "TOKEN_RATE_LIMIT",
                 "API_RATE_LIMIT"):
        try:
            parse_many(str(config.get(name) or ""))
        except ValueError:
            found.append(f"HEARKEN_{name} is {config.get(name)!r}, which is not a rate limit: write e.g. "
                         "\"10 per minute; 100 per day\".")
    return found


def _privacy(config: Mapping, environ: Mapping[str, str]) -> list[str]:
    """The privacy notice every customer page and email links to (the app drops an address it cannot link)."""
    problem = privacy_url_problem(config.get("PRIVACY_URL") or environ.get("HEARKEN_PRIVACY_URL"))
    return [f"{problem}. Set it to your privacy notice's address (https://…)."] if problem else []



def _sign_in(config: Mapping, environ: Mapping[str, str]) -> list[str]:
    """Single sign-on complete and over https when configured; some way to log in."""
    found = []
    if sso.enabled(config) or config.get("OIDC_CLIENT_ID") or config.get("OIDC_CLIENT_SECRET"):
        try:
            settings = sso.settings_from(config)
        except sso.ConfigurationError as error:
            found.append(f"Single sign-on is not usable: {error}.")
        else:
            if not settings.issuer.startswith("https://"):
                found.append(f"HEARKEN_OIDC_ISSUER is {settings.issuer!r}: a provider must be reached over https://.")
            if not settings.role_map and not settings.default_role:
                found.append("Neither HEARKEN_OIDC_ROLE_MAP nor HEARKEN_OIDC_DEFAULT_ROLE is set: every single "
                             "sign-on would be refused for want of a role.")
    if not config.get("PASSWORD_LOGIN", True) and not sso.enabled(config):
        found.append("HEARKEN_PASSWORD_LOGIN is off but single sign-on is not configured (HEARKEN_OIDC_ISSUER): "
                     "nobody could log in.")
    return found


CHECKS = (_secret, _links, _storage, _mail, _requests, _hosts, _limits, _privacy, _sign_in)


def _trusted(host: str, trusted: list[str]) -> bool:
    """As Flask checks TRUSTED_HOSTS: an exact name, or ".example.com" for it and its subdomains."""
    host = host.lower()
    return any(host == entry.lower() or (entry.startswith(".") and (host == entry[1:].lower() or
                                                                     host.endswith(entry.lower())))
               for entry in trusted)
