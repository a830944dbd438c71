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
their survey links never use up each other's allowance; a guesser does. A login address that used up its
allowance is refused (429, with Retry-After) until the window has passed, the right password included.

Token guesses are limited differently, because a guesser usually shares an address (an office, a mobile
carrier's NAT, a proxy) with customers and integrations that hold valid tokens: only failures are checked
against failures. The page runs; when it answers "no such token" (404 on /r/ and /unsubscribe/, 401 from
the API) the address's counter is counted, and once it is over HEARKEN_TOKEN_RATE_LIMIT that answer becomes
429 with Retry-After. A valid token is never counted and never refused, so 30 bad links from one address
cost its valid links nothing. So a guess that is right still works past the limit: what makes guessing
hopeless is the tokens' 256 bits (tests/security/test_token_guessing.py), and the limit marks a guessing
address (429s, one log line per refusal) without costing its neighbours anything. Guesses share one counter
across the pages, so spreading them over /r/, /unsubscribe/ and the API gains nothing.
"""
from __future__ import annotations

import ipaddress

from flask import Flask, current_app, g, request
from flask import Response as FlaskResponse
from limits import parse_many
from werkzeug.exceptions import TooManyRequests

from survey import device_cookies
from survey.clock import unix_seconds, utcnow
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

# Endpoint → its Flask-Limiter limits (checked before the page runs).
LIMITED_PAGES = {
    "auth.login_page": (LOGIN_ATTEMPTS, ACCOUNT_ATTEMPTS, DEVICE_ATTEMPTS),
}
LIMITED_BLUEPRINTS = {"api"}  # the API's per-token limit is set on its blueprint (views/api)

# Endpoint (or blueprint) that looks up a secret token → the status it answers for an unknown one. Those
# answers, and only those, are counted as guesses (after the page ran: see refuse_guessers).
# tests/security/test_rate_limits.py checks every page that takes a token is here.
GUESSABLE_PAGES = {
    "respond.personal_survey": 404,
    "respond.personal_thanks": 404,
    "outreach.unsubscribe": 404,
}
GUESSABLE_BLUEPRINTS = {"api": 401}  # no token, or not a valid one


@limiter.request_filter  # at import: once per process, however many apps it creates
def unlimited() -> bool:
    """A page with no limit: the limiter's bookkeeping for it (finding that it has none) took about 0.2 ms,
    a tenth of the public survey page."""
    return request.endpoint not in LIMITED_PAGES and request.blueprint not in LIMITED_BLUEPRINTS


def _guess_refused(response: FlaskResponse) -> bool:
    """This answer says "no such token" on a page that looks one up."""
    refusal = GUESSABLE_PAGES.get(request.endpoint or "") or GUESSABLE_BLUEPRINTS.get(request.blueprint or "")
    return refusal is not None and response.status_code == refusal


def count_guess() -> int | None:
    """Count one failed token lookup from this address; the seconds to wait when it is over the limit."""
    identifiers = [part for part in (current_app.config.get("RATELIMIT_KEY_PREFIX"), client_address(),
                                     GUESSES_SCOPE) if part]
    waits = []
    for item in parse_many(_token_limit()):
        if not limiter.limiter.hit(item, *identifiers):
            reset = limiter.limiter.get_window_stats(item, *identifiers).reset_time
            waits.append(max(1, int(reset - unix_seconds()) + 1))
    return max(waits) if waits else None


def refuse_guessers(response: FlaskResponse) -> FlaskResponse:
    """After a page that looks up a token answered "no such token": count it, and past the limit turn the
    answer into the 429 the page (or the API) gives, with Retry-After. Done on the response itself, so the
    headers other hooks set (security headers, Cache-Control) stay whatever order the hooks run in. Valid
    tokens never get here: their answers are not refusals."""
    if not _guess_refused(response) or (wait := count_guess()) is None:
        return response
    current_app.logger.info("token guesses from %s over the limit; answered 429", client_address())
    refused = current_app.make_response(current_app.handle_user_exception(TooManyRequests(retry_after=wait)))
    response.status_code = refused.status_code
    response.set_data(refused.get_data())
    response.content_type = refused.content_type
    response.headers["Retry-After"] = str(wait)
    return response


def init_app(app: Flask) -> None:
    """After the blueprints are registered: wrap each login-limited page's view, and count token guesses."""
    for endpoint, limits in LIMITED_PAGES.items():
        for limit in limits:
            app.view_functions[endpoint] = limit(app.view_functions[endpoint])
    app.after_request(refuse_guessers)
