"""Login and token pages are rate limited per client address; a forged X-Forwarded-For changes nothing;
with Redis configured, every process shares the counters."""
from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from survey.accounts import device_cookies
from survey.clock import utcnow
from survey.web import rate_limits
from tests.conftest import build_app
from tests.factories import NOW, PASSWORD, make_invitation, make_survey, make_user
from tests.pages import hidden_fields
from tests.security.conftest import record_figures
from tests.smtp import free_port

UNKNOWN = "u" * 43  # the shape of a real token, matching none
FIGURES: dict[str, object] = {}


def failed_login(client, address: str = "198.51.100.7", email: str = "manager@example.com", **environ):
    fields = hidden_fields(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={**fields, "email": email, "password": "wrong password"},
                       environ_base={"REMOTE_ADDR": address, **environ})


def good_login(client, address: str = "198.51.100.7", email: str = "manager@example.com"):
    fields = hidden_fields(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={**fields, "email": email, "password": PASSWORD},
                       environ_base={"REMOTE_ADDR": address})


def test_every_page_that_takes_a_token_is_limited(app):
    """A new page with a <token> in its address fails here until it is added to GUESSABLE_PAGES."""
    token_pages = {rule.endpoint for rule in app.url_map.iter_rules() if "token" in rule.arguments}
    assert token_pages <= rate_limits.GUESSABLE_PAGES.keys()
    assert "auth.login_page" in rate_limits.LIMITED_PAGES


def test_login_allows_ten_failures_a_minute_per_address(app):
    with app.app_context():
        make_user()
    client = app.test_client()
    statuses = [failed_login(client).status_code for _ in range(10)]
    assert statuses == [422] * 10
    refused = failed_login(client)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "Too many attempts" in refused.get_data(as_text=True)
    assert good_login(client).status_code == 429  # even the right password, until the window passes
    assert good_login(client, address="198.51.100.8").status_code == 302  # another address is not affected
    FIGURES["login"] = {"failures_allowed": 10, "next_status": refused.status_code}


def test_successful_logins_never_count(app):
    with app.app_context():
        make_user()
    client = app.test_client()
    for _ in range(12):
        assert good_login(client).status_code == 302
    assert failed_login(client).status_code == 422


@pytest.mark.parametrize("trusted_proxies", [0, 1])
def test_a_forged_forwarded_for_does_not_reset_the_count(migrated, instance_path, trusted_proxies):
    """Without a proxy the header is ignored; behind one (HEARKEN_TRUSTED_PROXIES=1) only the address the
    proxy appended counts, whatever the client wrote before it."""
    app = build_app(migrated, instance_path, TRUSTED_PROXIES=trusted_proxies, TOKEN_RATE_LIMIT="5 per minute")
    client = app.test_client()
    statuses = []
    for i in range(8):
        forged = f"203.0.113.{i}, 192.0.2.{i}"
        if trusted_proxies:  # the proxy at 10.0.0.1 appends the real client, 198.51.100.7
            environ = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": f"{forged}, 198.51.100.7"}
        else:
            environ = {"REMOTE_ADDR": "198.51.100.7", "HTTP_X_FORWARDED_FOR": forged}
        statuses.append(client.get(f"/r/{UNKNOWN}", environ_base=environ).status_code)
    assert statuses == [404] * 5 + [429] * 3
    FIGURES[f"forged_forwarded_for_trusted_proxies_{trusted_proxies}"] = {"guesses": 8, "refused": 3}


def test_unknown_tokens_are_limited_across_pages_and_known_ones_never_count(app):
    from survey.accounts import api_tokens

    with app.app_context():
        survey = make_survey()
        token = make_invitation(survey).token
        secret = api_tokens.create_token("crm", "agent", now=utcnow())[1]
    client = app.test_client()
    for _ in range(50):  # a customer opening their own link again and again
        assert client.get(f"/r/{token}").status_code == 200
    guesses = [client.get(f"/r/{UNKNOWN}").status_code for _ in range(10)]
    guesses += [client.get(f"/unsubscribe/{UNKNOWN}").status_code for _ in range(10)]
    guesses += [client.get("/api/v1/surveys", headers={"Authorization": f"Bearer hk_{UNKNOWN}"}).status_code
                for _ in range(10)]
    assert guesses == [404] * 20 + [401] * 10
    refused = client.get(f"/r/{UNKNOWN}/thanks")  # the 31st guess, on any of the pages
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "Too many attempts" in refused.get_data(as_text=True)
    assert refused.headers["Cache-Control"] == "private, no-store"  # the page's own headers stay
    assert "frame-ancestors 'none'" in refused.headers["Content-Security-Policy"]
    assert client.get(f"/unsubscribe/{UNKNOWN}").status_code == 429
    api_refused = client.get("/api/v1/surveys", headers={"Authorization": "Bearer hk_" + UNKNOWN})
    assert api_refused.status_code == 429 and api_refused.json["error"]["code"] == "too_many_requests"
    assert int(api_refused.headers["Retry-After"]) > 0
    # Valid links and tokens from the same address (an office behind one NAT) still work, and never count.
    for _ in range(3):
        assert client.get(f"/r/{token}").status_code == 200
        assert client.get(f"/r/{token}/thanks").status_code == 200
        assert client.get("/api/v1/surveys", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    assert client.get(f"/r/{UNKNOWN}").status_code == 429
    assert client.get(f"/r/{UNKNOWN}", environ_base={"REMOTE_ADDR": "192.0.2.44"}).status_code == 404
    FIGURES["token_pages"] = {"guesses_allowed": 30, "next_status": 429, "valid_token_after": 200}


def test_a_day_of_guesses_does_not_lock_out_valid_links_behind_the_same_address(app):
    """The old limit checked every request against the guesses: 30 bad links (or 30 unauthenticated API
    calls) from an office's address refused its customers' valid links and its integration's token too."""
    from survey.accounts import api_tokens

    app.config["TOKEN_RATE_LIMIT"] = "5 per day"
    with app.app_context():
        token = make_invitation(make_survey()).token
        secret = api_tokens.create_token("crm", "agent", now=utcnow())[1]
    client = app.test_client()
    assert [client.get("/api/v1/surveys").status_code for _ in range(5)] == [401] * 5  # no token at all
    refused = client.get("/api/v1/surveys")
    assert refused.status_code == 429
    # The JSON says the same wait as the header (the guess refusal is made after the page ran).
    seconds = refused.headers["Retry-After"]
    assert int(seconds) > 60 and f"retry in {seconds} s" in refused.get_json()["error"]["message"]
    assert "unknown tokens" in refused.get_json()["error"]["message"]
    assert client.get(f"/r/{UNKNOWN}").status_code == 429
    assert client.get(f"/r/{token}").status_code == 200
    assert client.get("/api/v1/surveys", headers={"Authorization": f"Bearer {secret}"}).status_code == 200


def test_one_account_gets_few_guesses_from_however_many_addresses(app):
    """Many addresses (an IPv6 host holds a /64 of them; a botnet more) share the account's count."""
    app.config["ACCOUNT_LOGIN_RATE_LIMIT"] = "20 per hour"
    with app.app_context():
        make_user()
    client = app.test_client()
    statuses = [failed_login(client, address=f"198.51.100.{number}").status_code for number in range(20)]
    assert statuses == [422] * 20
    assert failed_login(client, address="203.0.113.9").status_code == 429
    assert good_login(client, address="203.0.113.10").status_code == 429  # until the hour has passed
    assert good_login(client).status_code == 429


def device_cookie(client):
    cookie = client.get_cookie(device_cookies.COOKIE_NAME, path="/login")
    return cookie.value if cookie else None


def test_a_guesser_who_uses_up_the_accounts_tries_does_not_lock_out_the_owners_browser(app):
    """OWASP's device cookies: the browser the owner logged in from before is counted on its own."""
    app.config.update(ACCOUNT_LOGIN_RATE_LIMIT="20 per hour", DEVICE_LOGIN_RATE_LIMIT="3 per hour")
    with app.app_context():
        make_user()
    owner, guesser = app.test_client(), app.test_client()
    assert good_login(owner, address="192.0.2.10").status_code == 302
    assert device_cookie(owner)
    statuses = [failed_login(guesser, address=f"198.51.100.{number}").status_code for number in range(20)]
    assert statuses == [422] * 20
    assert good_login(guesser, address="203.0.113.10").status_code == 429  # untrusted clients wait the hour
    assert good_login(owner, address="192.0.2.10").status_code == 302  # the owner's browser does not
    # The owner's own mistakes are limited too, on that device: 3 an hour here.
    assert [failed_login(owner, address="192.0.2.10").status_code for _ in range(3)] == [422] * 3
    assert failed_login(owner, address="192.0.2.10").status_code == 429
    assert good_login(owner, address="192.0.2.10").status_code == 429
    FIGURES["device_cookie"] = {"account_guesses": 20, "owner_browser_after": 302}


def test_the_device_cookies_own_failures_do_not_touch_the_accounts_allowance(app):
    app.config.update(ACCOUNT_LOGIN_RATE_LIMIT="2 per hour", DEVICE_LOGIN_RATE_LIMIT="3 per hour")
    with app.app_context():
        make_user()
    owner = app.test_client()
    assert good_login(owner).status_code == 302
    assert [failed_login(owner).status_code for _ in range(3)] == [422] * 3
    assert good_login(app.test_client(), address="203.0.113.10").status_code == 302  # the account's 2 are left


def test_a_forged_or_another_accounts_device_cookie_trusts_nothing(app):
    app.config.update(ACCOUNT_LOGIN_RATE_LIMIT="3 per hour")
    with app.app_context():
        make_user()
        make_user(email="guesser@example.com")
    guesser = app.test_client()
    assert good_login(guesser, email="guesser@example.com").status_code == 302  # a real cookie, for their account
    own = device_cookie(guesser)
    assert [failed_login(guesser, address=f"198.51.100.{n}").status_code for n in range(3)] == [422] * 3
    assert failed_login(guesser, address="198.51.100.99").status_code == 429
    assert good_login(guesser, address="198.51.100.98").status_code == 429  # still the account's limit

    payload, _, signature = own.rpartition(".")
    name = base64.urlsafe_b64encode(b"manager@example.com").rstrip(b"=").decode()
    forgeries = [
        f"{name}.{payload.split('.', 1)[1]}.{signature}",  # the account swapped, the signature kept
        device_cookies.issue("manager@example.com", now=NOW, secret_key="another-key"),  # signed with another key
        own[:-2] + ("AA" if not own.endswith("AA") else "BB"),
        "manager@example.com", "", "." * 5,
    ]
    for forged in forgeries:
        guesser.set_cookie(device_cookies.COOKIE_NAME, forged, path="/login")
        assert good_login(guesser, address="198.51.100.97").status_code == 429, forged


def test_an_expired_device_cookie_trusts_nothing(app):
    app.config.update(ACCOUNT_LOGIN_RATE_LIMIT="1 per hour")
    with app.app_context():
        make_user()
    owner = app.test_client()
    old = device_cookies.issue("manager@example.com", now=utcnow() - device_cookies.MAX_AGE - timedelta(days=1),
                               secret_key=app.config["SECRET_KEY"])
    owner.set_cookie(device_cookies.COOKIE_NAME, old, path="/login")
    assert failed_login(app.test_client(), address="198.51.100.1").status_code == 422
    assert good_login(owner).status_code == 429
    fresh = device_cookies.issue("manager@example.com", now=utcnow(), secret_key=app.config["SECRET_KEY"])
    owner.set_cookie(device_cookies.COOKIE_NAME, fresh, path="/login")
    assert good_login(owner).status_code == 302


@pytest.mark.parametrize("base_url, secure", [("http://127.0.0.1:5000", False), ("https://feedback.example.com", True)])
def test_the_device_cookie_is_httponly_lax_long_lived_and_secure_over_https(app, base_url, secure):
    app.config["BASE_URL"] = base_url
    with app.app_context():
        make_user()
    response = good_login(app.test_client())
    header = next(value for value in response.headers.getlist("Set-Cookie")
                  if value.startswith(device_cookies.COOKIE_NAME + "="))
    attributes = {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}
    assert {"httponly", "path", "max-age", "expires", "samesite"} <= attributes
    assert "Path=/login" in header and "SameSite=Lax" in header and "Max-Age=31536000" in header
    assert ("secure" in attributes) is secure


def test_an_ipv6_host_counts_as_its_slash_64(app):
    with app.app_context():
        make_user()
        make_user(email="other@example.com")
    client = app.test_client()
    statuses = [failed_login(client, address=f"2001:db8::{number:x}").status_code for number in range(10)]
    assert statuses == [422] * 10
    assert failed_login(client, address="2001:db8::ffff:1").status_code == 429
    assert failed_login(client, address="2001:db8:0:1::1").status_code == 422  # the next /64: another host


def test_an_api_token_is_counted_however_its_header_is_written(app):
    """The per-token limit counts the token, not the header's spelling ("bearer", extra spaces)."""
    from survey.accounts import api_tokens
    from survey.clock import utcnow

    app.config["API_RATE_LIMIT"] = "3 per minute"
    with app.app_context():
        secret = api_tokens.create_token("crm", "agent", now=utcnow())[1]
    client = app.test_client()
    spellings = [f"Bearer {secret}", f"bearer {secret}", f"Bearer  {secret}", f"BEARER   {secret} "]
    statuses = [client.get("/api/v1/surveys", headers={"Authorization": spelling}).status_code
                for spelling in spellings]
    assert statuses == [200, 200, 200, 429]


# ---- Two processes sharing Redis -------------------------------------------------------------------

REDIS = ("127.0.0.1", 6379)
SERVER = """
import sys
from werkzeug.serving import run_simple
from survey import create_app
app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "SECRET_KEY": "k" * 40, "RATELIMIT_KEY_PREFIX": sys.argv[2],
                  "TOKEN_RATE_LIMIT": "20 per minute"})
run_simple("127.0.0.1", int(sys.argv[3]), app, threaded=True)
"""


def redis_reachable() -> bool:
    try:
        socket.create_connection(REDIS, timeout=1).close()
        return True
    except OSError:
        return False


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def wait_until_serving(url: str, process) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited: {process.stderr.read().decode()[-2000:]}")
        try:
            status_of(url + "/")
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("the server did not start")


@pytest.fixture
def two_servers(migrated, tmp_path):
    if not redis_reachable():
        if os.environ.get("CI"):
            pytest.fail("Redis is not reachable on 127.0.0.1:6379")
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    import redis

    prefix = f"hearken-test-{uuid.uuid4().hex}"
    root = Path(__file__).resolve().parents[2]
    env = {name: value for name, value in os.environ.items() if not name.startswith("HEARKEN_")}
    env.update(HEARKEN_RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0", HEARKEN_INSTANCE_PATH=str(tmp_path))
    processes, urls = [], []
    try:
        for _ in range(2):
            port = free_port()
            process = subprocess.Popen([sys.executable, "-c", SERVER, migrated, prefix, str(port)], cwd=root, env=env,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            processes.append(process)
            urls.append(f"http://127.0.0.1:{port}")
        for url, process in zip(urls, processes, strict=True):
            wait_until_serving(url, process)
        yield urls, redis.Redis(*REDIS), prefix
    finally:
        for process in processes:
            process.terminate()
            process.wait(10)
        store = redis.Redis(*REDIS)
        for key in store.scan_iter(f"*{prefix}*"):
            store.delete(key)


@pytest.mark.slow
def test_two_processes_share_the_count_in_redis(two_servers):
    (first, second), store, prefix = two_servers
    statuses = [status_of(f"{url}/r/{UNKNOWN}") for url in [first, second] * 10]
    assert statuses == [404] * 20  # 20 per minute between them, not 20 each
    assert status_of(f"{first}/r/{UNKNOWN}") == 429
    assert status_of(f"{second}/unsubscribe/{UNKNOWN}") == 429
    assert any(store.scan_iter(f"*{prefix}*token-guesses*")), "the counter is not in Redis"
    FIGURES["redis_two_processes"] = {"guesses_allowed_between_both": 20, "then": 429}


@pytest.mark.slow
def test_figures():
    if len(FIGURES) < 4:
        pytest.skip("the rate-limit tests did not all run")
    record_figures("rate_limits", FIGURES)


@pytest.mark.parametrize("path, method, limited", [
    ("/s/support-csat", "GET", False), ("/s/support-csat", "POST", False), ("/changes", "GET", False),
    ("/login", "POST", True), ("/r/" + "x" * 43, "GET", False), ("/unsubscribe/" + "x" * 43, "GET", False),
    ("/api/v1/surveys", "GET", True),
])
def test_the_limiter_skips_only_pages_that_have_no_limit(app, path, method, limited):
    """Pages without a Flask-Limiter limit skip its bookkeeping (a tenth of the public survey page); every
    page that has one still goes through it. Token pages count their guesses after the fact instead."""
    with app.test_request_context(path, method=method):
        assert rate_limits.unlimited() is not limited
