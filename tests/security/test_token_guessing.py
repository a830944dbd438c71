"""10 000 guesses at each kind of token find nothing.

Random guesses cannot find a 256-bit token; the guesses that could are the near misses, which only match
when the lookup is sloppy (case-insensitive, trimmed, a LIKE pattern, a prefix). So each kind of token gets
its near misses over HTTP (the page a guesser would use, with the rate limit raised: its own test is in
test_rate_limits.py), and 10 000 guesses, near misses included, through the lookup that page calls.
"""
from __future__ import annotations

import random
import secrets
import string
import time

import pytest

from survey.accounts import api_tokens
from survey.accounts.api_tokens import token_for_request
from survey.extensions import db
from survey.outreach.campaigns import contact_by_unsubscribe_token
from survey.outreach.invitations import invitation_by_token
from tests.factories import make_secret_tokens, make_survey
from tests.security.conftest import GENEROUS_LIMITS, record_figures

GUESSES = 10_000
ALPHABET = string.ascii_letters + string.digits + "-_"


def near_misses(token: str) -> list[str]:
    """Every guess a sloppy comparison would accept as the token (URL-encoded where a path needs it)."""
    return [token.upper(), token.lower(), token.swapcase(), token[:-1], token[:16], token + "A", " " + token,
            token + "%20", token[:-2] + "%25", token[:-1] + "_", token[:10] + "%", token + "%00", token + "%0A",
            "%25", "_" * len(token), "%2A", *(token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1:]
                                               for i in range(len(token)))]


def guesses(token: str, rng: random.Random) -> list[str]:
    """The near misses, then random tokens of the same shape (API tokens keep their hk_ prefix)."""
    prefix = api_tokens.PREFIX if token.startswith(api_tokens.PREFIX) else ""
    chosen = near_misses(token)
    while len(chosen) < GUESSES + 1:  # one more: the caller drops " token" where whitespace is insignificant
        chosen.append(prefix + "".join(rng.choice(ALPHABET) for _ in range(len(token) - len(prefix))))
    return chosen


@pytest.fixture
def guessing_app(migrated, instance_path):
    from tests.conftest import build_app, empty_tables

    app = build_app(migrated, instance_path, **GENEROUS_LIMITS)
    yield app
    with app.app_context():
        empty_tables()
        db.engine.dispose()


def test_ten_thousand_guesses_at_each_kind_of_token_find_nothing(guessing_app):
    app = guessing_app
    with app.app_context():
        tokens = make_secret_tokens(make_survey())
        personal, unsubscribe, api = tokens["personal"], tokens["unsubscribe"], tokens["api"]
    client = app.test_client()
    # The real tokens work, so a refusal below means "not found", not "broken".
    assert client.get(f"/r/{personal}").status_code == 200
    assert client.get(f"/unsubscribe/{unsubscribe}").status_code == 200
    assert client.get("/api/v1/surveys", headers={"Authorization": f"Bearer {api}"}).status_code == 200

    rng = random.Random(secrets.randbits(64))
    found, figures = [], {}
    kinds = [
        ("personal link /r/<token>", personal, invitation_by_token, lambda g: client.get(f"/r/{g}"), 404),
        ("unsubscribe /unsubscribe/<token>", unsubscribe, contact_by_unsubscribe_token,
         lambda g: client.get(f"/unsubscribe/{g}"), 404),
        ("API bearer token", api, lambda g: token_for_request(f"Bearer {g}"),
         lambda g: client.get("/api/v1/surveys", headers={"Authorization": f"Bearer {g}"}), 401),
    ]
    for name, token, lookup, send, refusal in kinds:
        started = time.perf_counter()
        # Whitespace around a header value is not part of it (RFC 9110, 5.5): " hk_…" is the token itself.
        candidates = [guess for guess in near_misses(token) if guess.strip() != token]
        over_http = [guess for guess in candidates if send(guess).status_code != refusal]
        sent = [guess for guess in guesses(token, rng) if guess.strip() != token]
        with app.app_context():
            looked_up = [guess for guess in sent if lookup(guess) is not None]
        found += [f"{name}: {guess!r}" for guess in over_http + looked_up]
        figures[name] = {"guesses": len(sent), "near_misses_over_http": len(candidates),
                         "found": len(over_http) + len(looked_up), "seconds": round(time.perf_counter() - started, 1)}
    record_figures("token_guessing", figures)
    assert found == []
