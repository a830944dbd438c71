"""Rate limits where guessing pays: the login form, and every page that looks up a secret token (personal
survey links, unsubscribe links, API bearer tokens).

Counted per client address: `request.remote_addr`, the socket's peer, or with HEARKEN_TRUSTED_PROXIES=N
the address that the N proxies in front vouch for (ProxyFix), never a header the client writes itself; an
IPv6 address by its /64, which one host holds whole. Failed logins are also counted per account, from any
address, so a guesser with many addresses still gets few tries at one password; except that a browser
carrying a valid device cookie for the account (one its owner logged in from) is counted on its own, so
that guesser cannot lock the owner out (survey/accounts/device_cookies.py).
Counters live in the limiter's storage (survey.extensions): memory for one process, or Redis
(HEARKEN_RATELIMIT_STORAGE_URI) shared by every process on every machine.

"Forgot your password?" requests are counted per client address and per address typed, every one of them
(HEARKEN_RESET_RATE_LIMIT, HEARKEN_RESET_ADDRESS_RATE_LIMIT): each may send an email, so the page cannot be
used to flood an inbox, and the answer over the limit (429) says nothing about the address. Wrong two-factor
codes count per account being signed in to (HEARKEN_TWO_FACTOR_RATE_LIMIT) and per client address, against
the login's limit.

Otherwise only failures count: a wrong password, an unknown token. Customers behind one office address who open
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
The API has one more: one budget per token (HEARKEN_API_RATE_LIMIT) shared by every operation, so a token
makes that many requests in all, not that many per operation.

The headers are written here, not by Flask-Limiter (which would put Retry-After on every answer of a
limited page, and raise a 503's Retry-After to the end of the rate-limit window): `Retry-After` only on a
429, saying when the broken limit lets requests through again; on API answers also `X-RateLimit-Limit`,
`-Remaining` and `-Reset` for the token's budget.
"""
from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import cast

from flask import Blueprint, Flask, current_app, g, request, session
from flask import Response as FlaskResponse
from flask.typing import ResponseReturnValue
from limits import parse_many
from werkzeug.exceptions import TooManyRequests

from survey.accounts import device_cookies
from survey.accounts.api_tokens import digest, presented_secret
from survey.accounts.two_factor import PENDING_KEY
from survey.clock import unix_seconds, utcnow
from survey.extensions import limiter

GUESSES_SCOPE = "token-guesses"
API_SCOPE = "api"


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
    (survey/accounts/device_cookies.py); None for an untrusted client. Worked out once per request."""
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


def _reset_limit() -> str:
    return current_app.config["RESET_RATE_LIMIT"]


def _reset_address_limit() -> str:
    return current_app.config["RESET_ADDRESS_RATE_LIMIT"]


def _two_factor_limit() -> str:
    return current_app.config["TWO_FACTOR_RATE_LIMIT"]


def pending_account() -> str:
    """The account whose second factor this request is for (the session's pending sign-in), or ""."""
    pending = session.get(PENDING_KEY)
    return str(pending.get("user", "")).partition(":")[0] if isinstance(pending, dict) else ""


def _api_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


def api_client() -> str:
    """Whose API budget a request spends: the token presented (its digest, so the counter store never holds
    one; the token itself, not the header, which can be written many ways), else the client address.
    Unknown tokens count too, which slows guessing."""
    secret = presented_secret(request.headers.get("Authorization", ""))
    return "token:" + digest(secret) if secret else "address:" + client_address()


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
RESET_REQUESTS = limiter.shared_limit(_reset_limit, scope="reset", key_func=client_address, methods=["POST"])
RESET_ADDRESS_REQUESTS = limiter.shared_limit(_reset_address_limit, scope="reset-address", key_func=login_account,
                                              methods=["POST"])
TWO_FACTOR_ATTEMPTS = limiter.shared_limit(_two_factor_limit, scope="two-factor", key_func=pending_account,
                                           methods=["POST"], deduct_when=login_failed)
# Shared: one budget for every route of the API (a per-route limit gave each operation its own).
API_REQUESTS = limiter.shared_limit(_api_limit, scope=API_SCOPE, key_func=api_client)

# Endpoint → its Flask-Limiter limits (checked before the page runs).
LIMITED_PAGES = {
    "auth.login_page": (LOGIN_ATTEMPTS, ACCOUNT_ATTEMPTS, DEVICE_ATTEMPTS),
    "auth.forgot_password": (RESET_REQUESTS, RESET_ADDRESS_REQUESTS),
    "auth.two_factor_login": (LOGIN_ATTEMPTS, TWO_FACTOR_ATTEMPTS),
}
LIMITED_BLUEPRINTS = {"api"}  # API_REQUESTS is set on the blueprint

# Endpoint (or blueprint) that looks up a secret token → the status it answers for an unknown one. Those
# answers, and only those, are counted as guesses (after the page ran: see refuse_guessers).
# tests/security/test_rate_limits.py checks every page that takes a token is here.
GUESSABLE_PAGES = {
    "respond.personal_survey": 404,
    "respond.personal_thanks": 404,
    "outreach.unsubscribe": 404,
    "auth.reset_password": 404,
    "auth.accept_invitation": 404,
}
GUESSABLE_BLUEPRINTS = {"api": 401}  # no token, or not a valid one


@limiter.request_filter  # at import: once per process, however many apps it creates
def unlimited() -> bool:
    """A page with no limit: the limiter's bookkeeping for it (finding that it has none) took about 0.2 ms,
    a tenth of the public survey page."""
    return request.endpoint not in LIMITED_PAGES and request.blueprint not in LIMITED_BLUEPRINTS


def retry_after_seconds() -> int:
    """For a 429: the seconds until the limit this request broke lets requests through again (at least 1)."""
    if "guess_wait" in g:  # refused by refuse_guessers, after the page ran
        return g.guess_wait
    broken = limiter.current_limit  # the broken one, when one was
    if broken is None or not broken.breached:
        return 1
    return max(1, broken.reset_at - unix_seconds())


def broken_scope() -> str | None:
    """The scope of the limit this request broke (API_SCOPE, GUESSES_SCOPE …), or None."""
    if "guess_wait" in g:
        return GUESSES_SCOPE
    broken = limiter.current_limit
    return broken.request_args[-1] if broken is not None and broken.breached else None


def api_budget_headers(response: FlaskResponse) -> FlaskResponse:
    """X-RateLimit-Limit, -Remaining and -Reset of the token's API budget (of its tightest limit, when
    HEARKEN_API_RATE_LIMIT has several), on every answer of the API that spent from it."""
    budgets = [limit for limit in limiter.current_limits if limit.request_args[-1] == API_SCOPE]
    if budgets:
        tightest = min(budgets, key=lambda limit: (not limit.breached, limit.remaining))
        response.headers["X-RateLimit-Limit"] = str(tightest.limit.amount)
        response.headers["X-RateLimit-Remaining"] = str(tightest.remaining)
        response.headers["X-RateLimit-Reset"] = str(tightest.reset_at)
    return response


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
    g.guess_wait = wait  # what the 429's page or JSON says (retry_after_seconds)
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
            # Flask types a view as sync or async, a union the decorator's type cannot carry through; these
            # views are sync.
            view = cast(Callable[..., ResponseReturnValue], app.view_functions[endpoint])
            app.view_functions[endpoint] = limit(view)
    api = app.blueprints["api"]
    assert isinstance(api, Blueprint)  # Flask-Limiter tells a blueprint from a view by its class
    API_REQUESTS(api)
    app.after_request(refuse_guessers)

    @app.after_request
    def budget_headers(response: FlaskResponse) -> FlaskResponse:
        return api_budget_headers(response) if request.blueprint == "api" else response
