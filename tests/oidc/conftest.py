"""A real OpenID Provider on loopback: node's oidc-provider (tests/oidc/provider.mjs), installed by
`npm ci --prefix tests/oidc` (`make test` and .ci/run do it).

Without node or the installed modules these tests are skipped, except when HEARKEN_REQUIRE_OIDC is set
(.ci/run sets it, so CI fails rather than silently skipping them). It is read when this file is imported:
every app the tests build clears HEARKEN_* from the environment.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from tests.conftest import BASE_URL

HERE = Path(__file__).parent
REQUIRED = bool(os.environ.get("HEARKEN_REQUIRE_OIDC"))
REDIRECT_URI = f"{BASE_URL}/login/sso/callback"
CLIENT_ID, CLIENT_SECRET = "hearken", "hearken-secret"

# The provider's people: login name (their subject) → the claims it releases.
ACCOUNTS = {
    "alice": {"email": "alice@example.com", "email_verified": True, "name": "Alice Admin",
              "groups": ["cx-analysts", "hearken-admins"]},
    "bob": {"email": "bob@example.com", "email_verified": True, "name": "Bob", "groups": ["cx-analysts"]},
    "carol": {"email": "carol@example.com", "email_verified": True, "name": "Carol", "groups": ["marketing"]},
    # The address of tests.factories.make_user's account: once verified, once not.
    "erin": {"email": "manager@example.com", "email_verified": True, "groups": ["cx-analysts"]},
    "mallory": {"email": "manager@example.com", "email_verified": False, "groups": ["hearken-admins"]},
}


@dataclass
class Provider:
    issuer: str
    process: subprocess.Popen


def _start(tamper: str) -> Provider:
    node = shutil.which("node")
    problem = ("node is not installed" if node is None else
               "tests/oidc/node_modules is missing (npm ci --prefix tests/oidc)"
               if not (HERE / "node_modules" / "oidc-provider").is_dir() else None)
    if problem:
        if REQUIRED:
            pytest.fail(problem)
        pytest.skip(problem)
    environment = {**os.environ, "OIDC_REDIRECT_URI": REDIRECT_URI, "OIDC_ACCOUNTS": json.dumps(ACCOUNTS),
                   "OIDC_TAMPER": tamper}
    process = subprocess.Popen([str(node), str(HERE / "provider.mjs")], cwd=HERE, env=environment,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    found: list[str] = []
    reader = threading.Thread(target=lambda: found.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(30)
    match = re.fullmatch(r"listening (\d+)\n", found[0] if found else "")
    if not match:
        process.kill()
        pytest.fail(f"the OIDC provider did not start: {found!r}")
    return Provider(issuer=f"http://127.0.0.1:{match[1]}", process=process)


@pytest.fixture(scope="session")
def providers():
    """Providers by tamper mode ("" for an honest one), each started once when first asked for."""
    started: dict[str, Provider] = {}

    def get(tamper: str = "") -> Provider:
        if tamper not in started:
            started[tamper] = _start(tamper)
        return started[tamper]

    yield get
    for provider in started.values():
        provider.process.terminate()
        provider.process.wait(10)


@pytest.fixture
def provider(providers):
    return providers("")


def configure(app, provider: Provider, **overrides) -> None:
    app.config.update(OIDC_ISSUER=provider.issuer, OIDC_CLIENT_ID=CLIENT_ID, OIDC_CLIENT_SECRET=CLIENT_SECRET,
                      OIDC_PROVIDER_NAME="Test IdP", OIDC_SCOPES="openid email profile groups",
                      OIDC_ROLE_CLAIM="groups", OIDC_ROLE_MAP="hearken-admins=admin,cx-analysts=analyst",
                      **overrides)


FORM = re.compile(r'<form[^>]*action="([^"]*)"[^>]*>(.*?)</form>', re.S)
INPUT = re.compile(r"<input([^>]*)>")
ATTRIBUTE = re.compile(r'(name|value)="([^"]*)"')


def _submit(browser: requests.Session, page: requests.Response, login: str) -> requests.Response:
    """Fill the provider's login form (any password) or press its consent button."""
    match = FORM.search(page.text)
    assert match, f"no form on the provider's page {page.url}: {page.text[:500]}"
    fields = {}
    for tag in INPUT.findall(match[2]):
        attributes = dict(ATTRIBUTE.findall(tag))
        if "name" in attributes:
            fields[attributes["name"]] = unescape(attributes.get("value", ""))
    fields.update({key: value for key, value in {"login": login, "password": "any password"}.items()
                   if key in fields or f'name="{key}"' in match[2]})
    return browser.post(urljoin(page.url, unescape(match[1])), data=fields, allow_redirects=False, timeout=10)


def through_provider(authorize_url: str, login: str, *, cancel: bool = False) -> str:
    """Go through the provider's pages as a browser would (its own cookies, login, consent), from the
    authorisation request to the redirect back to Hearken; the callback's path and query. With `cancel`,
    the person follows the login page's cancel link instead."""
    browser = requests.Session()
    response = browser.get(authorize_url, allow_redirects=False, timeout=10)
    if cancel:
        [abort] = re.findall(r'href="([^"]*/abort)"', browser.get(authorize_url, timeout=10).text)
        response = browser.get(urljoin(authorize_url, unescape(abort)), allow_redirects=False, timeout=10)
    for _ in range(12):
        if response.is_redirect:
            target = urljoin(response.url, response.headers["Location"])
            if target.startswith(BASE_URL):
                parts = urlsplit(target)
                return f"{parts.path}?{parts.query}"
            response = browser.get(target, allow_redirects=False, timeout=10)
        else:
            assert response.status_code == 200, response.text[:500]
            response = _submit(browser, response, login)
    raise AssertionError("the provider never sent the browser back to Hearken")
