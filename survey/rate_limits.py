"""Rate limits where guessing pays: the login form, and every page that looks up a secret token (personal
survey links, unsubscribe links, API bearer tokens).

Counted per client address: `request.remote_addr`, the socket's peer, or with HEARKEN_TRUSTED_PROXIES=N
the address that the N proxies in front vouch for (ProxyFix), never a header the client writes itself; an
IPv6 address by its /64, which one host holds whole. Failed logins are also counted per account, from any
address, so a guesser with many addresses still gets few tries at one password; except that a browser
carrying a valid device cookie for the account (one its owner logged in from) is counted on its own, so
that guesser cannot lock the owner out (survey/device_cookies.py).
Counters live in the limiter's storage (survey.extensions): memory for one process, or Redis
(HEARKEN_RATELIMIT_STORAGE_URI) shared by every process on every machine.

Only failures count: a wrong password, an unknown token. Customers behind one office address who open
their survey links never use up each other's allowance; a guesser does, and from then on everything that
address sends to these pages is refused (429, with Retry-After) until the window has passed. Token guesses
share one counter across the pages, so spreading them over /r/, /unsubscribe/ and the API gains nothing.
"""
from __future__ import annotations

import ipaddress

from flask import Flask, current_app, g, request
from flask import Response as FlaskResponse

from survey import device_cookies
from survey.clock import utcnow
from survey.extensions import limiter

GUESSES_SCOPE = "token-guesses"


def client_address() -> str:
    address = request.remote_addr or "unknown"
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    return str(ipaddress.ip_network(f"{parsed}/64", strict=False)) if parsed.version == 6 else address


def login_account() -> str:
    """The account a login names, as accounts are matched (trimmed, lower case)."""
    return (request.form.get("email") or "").strip().lower()[:320]


def trusted_device() -> str | None:
    """The id of the device cookie this login attempt carries when it is valid for the account it names
    (survey/device_cookies.py); None for an untrusted client. Worked out once per request."""
    if "login_device" not in g:
        g.login_device = device_cookies.device_of(
            request.cookies.get(device_cookies.COOKIE_NAME), login_account(), now=utcnow(),
            secret_key=current_app.config["SECRET_KEY"])
    return g.login_device


def _trusted_client() -> bool:
    return trusted_device() is not None


def _untrusted_client() -> bool:
    return trusted_device() is None


def _device_key() -> str:
    return f"{login_account()} {trusted_device()}"


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _account_limit() -> str:
    return current_app.config["ACCOUNT_LOGIN_RATE_LIMIT"]


def _device_limit() -> str:
    return current_app.config["DEVICE_LOGIN_RATE_LIMIT"]


def _token_limit() -> str:
    return current_app.config["TOKEN_RATE_LIMIT"]


def login_failed(response: FlaskResponse) -> bool:
    return response.status_code != 302  # a successful login redirects; everything else was a failure


def token_unknown(response: FlaskResponse) -> bool:
    return response.status_code == 404


def bearer_refused(response: FlaskResponse) -> bool:
    return response.status_code == 401


# Built once: the limiter keeps decorated limits in a set, so applying the same objects again (every app a
# test process creates) adds nothing twice.
LOGIN_ATTEMPTS = limiter.shared_limit(_login_limit, scope="login", key_func=client_address, methods=["POST"],
                                      deduct_when=login_failed)
# Per account, from untrusted clients; a browser with a valid device cookie for the account counts against
# its own device's limit instead, so a guesser who uses up the account's allowance does not lock out the owner.
ACCOUNT_ATTEMPTS = limiter.shared_limit(_account_limit, scope="login-account", key_func=login_account,
                                        methods=["POST"], deduct_when=login_failed, exempt_when=_trusted_client)
DEVICE_ATTEMPTS = limiter.shared_limit(_device_limit, scope="login-device", key_func=_device_key,
                                       methods=["POST"], deduct_when=login_failed, exempt_when=_untrusted_client)
TOKEN_GUESSES = limiter.shared_limit(_token_limit, scope=GUESSES_SCOPE, key_func=client_address,
                                     deduct_when=token_unknown)
BEARER_GUESSES = limiter.shared_limit(_token_limit, scope=GUESSES_SCOPE, key_func=client_address,
                                      deduct_when=bearer_refused)

# Endpoint → its limits. tests/security/test_rate_limits.py checks every page that takes a token is here.
LIMITED_PAGES = {
    "auth.login_page": (LOGIN_ATTEMPTS, ACCOUNT_ATTEMPTS, DEVICE_ATTEMPTS),
    "respond.personal_survey": (TOKEN_GUESSES,),
    "respond.personal_thanks": (TOKEN_GUESSES,),
    "outreach.unsubscribe": (TOKEN_GUESSES,),
}


LIMITED_BLUEPRINTS = {"api"}  # the API's per-token limit and BEARER_GUESSES are set on the blueprint


@limiter.request_filter  # at import: once per process, however many apps it creates
def unlimited() -> bool:
    """A page with no limit: the limiter's bookkeeping for it (finding that it has none) took about 0.2 ms,
    a tenth of the public survey page."""
    return request.endpoint not in LIMITED_PAGES and request.blueprint not in LIMITED_BLUEPRINTS


def init_app(app: Flask) -> None:
    """After the blueprints are registered: wrap each limited page's view, and the API blueprint."""
    for endpoint, limits in LIMITED_PAGES.items():
        for limit in limits:
            app.view_functions[endpoint] = limit(app.view_functions[endpoint])
    BEARER_GUESSES(app.blueprints["api"])
