"""Rate limits where guessing pays: the login form, and every page that looks up a secret token (personal
survey links, unsubscribe links, API bearer tokens).

Counted per client address: `request.remote_addr`, the socket's peer, or with HEARKEN_TRUSTED_PROXIES=N
the address that the N proxies in front vouch for (ProxyFix), never a header the client writes itself; an
IPv6 address by its /64, which one host holds whole. Failed logins are also counted per account, from any
address, so a guesser with many addresses still gets few tries at one password.
Counters live in the limiter's storage (survey.extensions): memory for one process, or Redis
(HEARKEN_RATELIMIT_STORAGE_URI) shared by every process on every machine.

Only failures count: a wrong password, an unknown token. Customers behind one office address who open
their survey links never use up each other's allowance; a guesser does, and from then on everything that
address sends to these pages is refused (429, with Retry-After) until the window has passed. Token guesses
share one counter across the pages, so spreading them over /r/, /unsubscribe/ and the API gains nothing.

The API has one more: one budget per token (HEARKEN_API_RATE_LIMIT) shared by every operation, so a token
makes that many requests in all, not that many per operation.

The headers are written here, not by Flask-Limiter (which would put Retry-After on every answer of a
limited page, and raise a 503's Retry-After to the end of the rate-limit window): `Retry-After` only on a
429, saying when the broken limit lets requests through again; on API answers also `X-RateLimit-Limit`,
`-Remaining` and `-Reset` for the token's budget.
"""
from __future__ import annotations

import ipaddress

from flask import Flask, current_app, request
from flask import Response as FlaskResponse

from survey.api_tokens import digest, presented_secret
from survey.clock import unix_seconds
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


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _account_limit() -> str:
    return current_app.config["ACCOUNT_LOGIN_RATE_LIMIT"]


def _token_limit() -> str:
    return current_app.config["TOKEN_RATE_LIMIT"]


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


def token_unknown(response: FlaskResponse) -> bool:
    return response.status_code == 404


def bearer_refused(response: FlaskResponse) -> bool:
    return response.status_code == 401


# Built once: the limiter keeps decorated limits in a set, so applying the same objects again (every app a
# test process creates) adds nothing twice.
LOGIN_ATTEMPTS = limiter.shared_limit(_login_limit, scope="login", key_func=client_address, methods=["POST"],
                                      deduct_when=login_failed)
ACCOUNT_ATTEMPTS = limiter.shared_limit(_account_limit, scope="login-account", key_func=login_account,
                                        methods=["POST"], deduct_when=login_failed)
TOKEN_GUESSES = limiter.shared_limit(_token_limit, scope=GUESSES_SCOPE, key_func=client_address,
                                     deduct_when=token_unknown)
BEARER_GUESSES = limiter.shared_limit(_token_limit, scope=GUESSES_SCOPE, key_func=client_address,
                                      deduct_when=bearer_refused)
# Shared: one budget for every route of the API (a per-route limit gave each operation its own).
API_REQUESTS = limiter.shared_limit(_api_limit, scope=API_SCOPE, key_func=api_client)

# Endpoint → its limits. tests/security/test_rate_limits.py checks every page that takes a token is here.
LIMITED_PAGES = {
    "auth.login_page": (LOGIN_ATTEMPTS, ACCOUNT_ATTEMPTS),
    "respond.personal_survey": (TOKEN_GUESSES,),
    "respond.personal_thanks": (TOKEN_GUESSES,),
    "outreach.unsubscribe": (TOKEN_GUESSES,),
}


LIMITED_BLUEPRINTS = {"api"}  # API_REQUESTS and BEARER_GUESSES are set on the blueprint


@limiter.request_filter  # at import: once per process, however many apps it creates
def unlimited() -> bool:
    """A page with no limit: the limiter's bookkeeping for it (finding that it has none) took about 0.2 ms,
    a tenth of the public survey page."""
    return request.endpoint not in LIMITED_PAGES and request.blueprint not in LIMITED_BLUEPRINTS


def retry_after_seconds() -> int:
    """For a 429: the seconds until the limit this request broke lets requests through again (at least 1)."""
    broken = limiter.current_limit  # the broken one, when one was
    if broken is None or not broken.breached:
        return 1
    return max(1, broken.reset_at - unix_seconds())


def broken_scope() -> str | None:
    """The scope of the limit this request broke (API_SCOPE, GUESSES_SCOPE …), or None."""
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


def init_app(app: Flask) -> None:
    """After the blueprints are registered: wrap each limited page's view, and the API blueprint."""
    for endpoint, limits in LIMITED_PAGES.items():
        for limit in limits:
            app.view_functions[endpoint] = limit(app.view_functions[endpoint])
    BEARER_GUESSES(app.blueprints["api"])
    API_REQUESTS(app.blueprints["api"])

    @app.after_request
    def budget_headers(response: FlaskResponse) -> FlaskResponse:
        return api_budget_headers(response) if request.blueprint == "api" else response
