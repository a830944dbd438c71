"""Every payload of the corpus against every input surface: no server error, ever, and no traceback.

A surface is one form, query string, path segment, header or API operation (tests/security/surfaces.py).
Payloads that do not fit an ordinary field (up to 3 MB) go to the surfaces that take long text, files and
JSON bodies. A 4xx is a fine answer to hostile input; a 5xx is a bug to fix at its root.
"""
from __future__ import annotations

import logging
import time

import pytest

from tests.security import surfaces
from tests.security.conftest import record_figures
from tests.security.payloads import PAYLOADS, SMALL

pytestmark = pytest.mark.slow

GROUPS = {"forms": surfaces.FORMS, "query strings": surfaces.QUERIES, "paths": surfaces.PATHS,
          "headers": surfaces.HEADERS, "api": surfaces.API}
TALLY: dict[str, dict[str, int]] = {}
SECONDS: dict[str, float] = {}  # per surface, to find slow ones


class Failures(logging.Handler):
    """Keeps the last logged error, to name the exception behind a 500."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.last = None

    def emit(self, record):
        self.last = record


def sweep(world, senders, payloads) -> tuple[int, list[str]]:
    failures = Failures()
    world.app.logger.addHandler(failures)
    sent, errors = 0, []
    try:
        for send in senders:
            began = time.perf_counter()
            for payload in payloads:
                failures.last = None
                response = send(world, payload)
                sent += 1
                body = response.get_data()
                if response.status_code >= 500 or b"Traceback (most recent call last)" in body:
                    cause = ""
                    if failures.last is not None and failures.last.exc_info:
                        cause = f": {failures.last.exc_info[0].__name__}: {str(failures.last.exc_info[1])[:200]}"
                    errors.append(f"{send.__name__} × {payload.name} → {response.status_code}{cause}")
            SECONDS[send.__name__] = round(time.perf_counter() - began, 2)
    finally:
        world.app.logger.removeHandler(failures)
    return sent, errors


@pytest.mark.parametrize("group", GROUPS)
def test_no_payload_causes_a_server_error(world, group):
    started = time.perf_counter()
    sent, errors = sweep(world, GROUPS[group], SMALL)
    TALLY[group] = {"surfaces": len(GROUPS[group]), "payloads": len(SMALL), "requests": sent,
                    "server_errors": len(errors), "seconds": round(time.perf_counter() - started, 1)}
    print(sorted(SECONDS.items(), key=lambda item: -item[1])[:12])
    assert not errors, "\n".join(errors)


def test_large_payloads_get_a_clear_answer(world):
    large = [p for p in PAYLOADS if p not in SMALL]
    started = time.perf_counter()
    sent, errors = sweep(world, surfaces.LARGE, large)
    TALLY["large bodies"] = {"surfaces": len(surfaces.LARGE), "payloads": len(large), "requests": sent,
                             "server_errors": len(errors), "seconds": round(time.perf_counter() - started, 1)}
    assert not errors, "\n".join(errors)


def test_an_oversized_body_is_refused_with_413_and_nothing_stored(world):
    big = "B" * (3 * 1024 * 1024)
    response = world.anonymous.post("/complain", data={"message": big})
    assert response.status_code == 413
    assert "That was too large" in response.get_data(as_text=True)
    api = world.anonymous.post("/api/v1/events", data=big, content_type="application/json",
                               headers={"Authorization": f"Bearer {world.api_token}"})
    assert api.status_code == 413 and api.get_json()["error"]["code"] == "request_entity_too_large"


def test_figures(world):
    """Runs last in this module: the totals, for docs/reliability.md."""
    if len(TALLY) < len(GROUPS) + 1:
        pytest.skip("the sweeps did not all run")
    total = {"payloads": len(PAYLOADS), "requests": sum(t["requests"] for t in TALLY.values()),
             "server_errors": sum(t["server_errors"] for t in TALLY.values()),
             "surfaces": sum(t["surfaces"] for t in TALLY.values())}
    slowest = dict(sorted(SECONDS.items(), key=lambda item: -item[1])[:10])
    record_figures("hostile_input", {"groups": TALLY, "total": total, "slowest_surfaces_seconds": slowest})
    assert total["server_errors"] == 0
