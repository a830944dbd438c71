"""10 000 guesses at each kind of token find nothing.

Random guesses cannot find a 256-bit token; the guesses that could are the near misses, which only match
when the lookup is sloppy (case-insensitive, trimmed, a LIKE pattern, a prefix). So the guesses are the
real tokens with one character changed, case flipped, cut short, padded, or turned into a wildcard, plus
random ones, all sent over HTTP with the limit raised (its own test is in test_rate_limits.py).
"""
from __future__ import annotations

import random
import secrets
import string
import time

import pytest

from survey import api_tokens
from survey.extensions import db
from survey.models import Contact
from survey.tokens import new_token
from tests.factories import NOW, make_invitation, make_survey
from tests.security.conftest import GENEROUS_LIMITS, record_figures

pytestmark = pytest.mark.slow

GUESSES = 10_000
ALPHABET = string.ascii_letters + string.digits + "-_"


def near_misses(token: str) -> list[str]:
    """Every guess a sloppy comparison would accept as the token."""
    return [token.upper(), token.lower(), token.swapcase(), token[:-1], token[:16], token + "A", " " + token,
            token + "%20", token[:-2] + "%25", token[:-1] + "_", token[:10] + "%", token + "%00", token + "%0A",
            "%25", "_" * len(token), "%2A", *(token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1:]
                                               for i in range(len(token)))]


def guesses(token: str, rng: random.Random) -> list[str]:
    chosen = near_misses(token)
    while len(chosen) < GUESSES:
        chosen.append("".join(rng.choice(ALPHABET) for _ in range(len(token))))
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
        survey = make_survey()
        invitation = make_invitation(survey)
        contact = db.session.get(Contact, invitation.contact_id)
        contact.unsubscribe_token = new_token()
        db.session.commit()
        personal, unsubscribe = invitation.token, contact.unsubscribe_token
        _token, api = api_tokens.create_token("bi", "admin", now=NOW)
    client = app.test_client()
    # The real tokens work, so a refusal below means "not found", not "broken".
    assert client.get(f"/r/{personal}").status_code == 200
    assert client.get(f"/unsubscribe/{unsubscribe}").status_code == 200
    assert client.get("/api/v1/surveys", headers={"Authorization": f"Bearer {api}"}).status_code == 200

    rng = random.Random(secrets.randbits(64))
    found, figures = [], {}
    for name, token, send, refusal in [
        ("personal link /r/<token>", personal, lambda g: client.get(f"/r/{g}"), 404),
        ("unsubscribe /unsubscribe/<token>", unsubscribe, lambda g: client.get(f"/unsubscribe/{g}"), 404),
        ("API bearer token", api.removeprefix(api_tokens.PREFIX),
         lambda g: client.get("/api/v1/surveys", headers={"Authorization": f"Bearer {api_tokens.PREFIX}{g}"}), 401),
    ]:
        started = time.perf_counter()
        sent = guesses(token, rng)
        hits = [guess for guess in sent if send(guess).status_code != refusal]
        found += [f"{name}: {guess!r}" for guess in hits]
        figures[name] = {"guesses": len(sent), "found": len(hits), "seconds": round(time.perf_counter() - started, 1)}
    record_figures("token_guessing", figures)
    assert found == []
