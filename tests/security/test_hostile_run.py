"""The hostile run: issue 19's classes of defect, attacked at volume the way an outside tester did.

One test per class. Each makes many attempts — concurrently, with threads released together by a barrier
against a real HTTP server, where a race is the risk; through the Flask test client where it is not — and
asserts what must hold; each records what was tried, how many and what held in FIGURES, written as
`hostile_run.json` when HEARKEN_FIGURES_DIR is set (docs/reliability.md, "Hostile run"). Sizes keep the
file near a minute on SQLite and a minute and a half on PostgreSQL on a busy 2-core machine.

The classes (issue 19's numbering): 1 a shared device on the public link; 2 "save" after sending; 3 draft
saves racing; 4 the complaint form sent twice, racing, refused; 5 one-click email ratings opened by mail
scanners; 6 anonymous low scores; 8 Post/Redirect/Get and refused forms kept by submission key; 9 API
reads; 10 the API's rate limit and headers; 16 device cookies against account lockout; 17 token guesses
counted only when they fail; 19 malformed chunked bodies; 21/22 erasure keeps figures, tombstones stop
re-import.
"""
from __future__ import annotations

import base64
import functools
import io
import json
import os
import random
import re
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta
from html import unescape

import pytest
import requests
from sqlalchemy import func, select, text
from werkzeug.security import generate_password_hash
from werkzeug.serving import make_server

from survey import database, outreach, responding
from survey.accounts import api_tokens, device_cookies
from survey.background import dispatch
from survey.clock import utcnow
from survey.extensions import db
from survey.models import (
    Answer,
    ApiToken,
    AuditEntry,
    Complaint,
    Contact,
    FollowUpCase,
    Invitation,
    Response,
    ResponseDraft,
    ResponseRevision,
    Survey,
)
from survey.outreach import contacts
from survey.tokens import new_token
from tests.conftest import build_app, empty_tables
from tests.factories import NOW, PASSWORD, make_definition, make_invitation, make_survey, make_user
from tests.load.processes import wait_for_port
from tests.locks import write_lock_held_elsewhere
from tests.pages import hidden_fields
from tests.security.conftest import record_figures
from tests.security.test_malformed_bodies import ROOT
from tests.smtp import free_port

FIGURES: dict[str, dict] = {}
SECONDS: dict[str, float] = {}
GOOD = {"q-satisfaction": "4", "q-recommend": "8", "q-channel": "Email", "q-topics": ["Billing"], "q-resolved": "yes"}
UNKNOWN = "u" * 43  # the shape of a real token, matching none


@pytest.fixture(scope="module", autouse=True)
def figures_of_the_run(migrated):
    yield
    if FIGURES:
        database = "postgresql" if migrated.startswith("postgresql") else "sqlite"
        record_figures("hostile_run", {"database": database, "classes": FIGURES, "seconds": SECONDS})


@pytest.fixture(autouse=True)
def timed(request):
    started = time.perf_counter()
    yield
    SECONDS[request.node.name] = round(time.perf_counter() - started, 1)


# ---- helpers ----------------------------------------------------------------------------------------------

@contextmanager
def serving(app):
    """The app behind Werkzeug's threaded server on a free port: real HTTP, a thread per request."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)


def at_once(tasks) -> list:
    """Run each callable in its own thread, all released by one barrier; their results (or exceptions)."""
    barrier = threading.Barrier(len(tasks))
    results: list = [None] * len(tasks)

    def run(index, task):
        try:
            barrier.wait(timeout=60)
            results[index] = task()
        except Exception as error:  # noqa: BLE001 - reported by the caller's assertions
            results[index] = error

    threads = [threading.Thread(target=run, args=(index, task)) for index, task in enumerate(tasks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results


def browser() -> requests.Session:
    session = requests.Session()
    session.headers["Connection"] = "close"  # one connection per request, as many clicks make
    return session


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def fingerprint(app, *, leave_out: tuple[str, ...] = ()) -> dict[str, list]:
    """Every row of every table (columns named in `leave_out` as table.column left out), to compare."""
    with app.app_context():
        tables = {}
        for table in db.metadata.sorted_tables:
            columns = [c for c in table.columns if f"{table.name}.{c.name}" not in leave_out]
            rows = db.session.execute(select(*columns)).all()
            tables[table.name] = sorted(repr(tuple(row)) for row in rows)
        db.session.rollback()
        return tables


def receipt_payload(location: str) -> list:
    """What a public thank-you page's receipt says. It is signed, not encrypted: whoever holds the browser's
    history can read it, as a hostile next user would."""
    receipt = re.search(r"receipt=([^&]+)", location).group(1)
    payload = receipt.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def api_get_paths(app, slug: str, ids: dict[str, int]) -> list[str]:
    """Every GET operation of the API, its path filled in with `slug` and `ids` (1 where none is given)."""
    paths = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or "GET" not in rule.methods:
            continue
        values = {name: slug if name == "slug" else ids.get(name, 1) for name in rule.arguments}
        paths.append(app.url_map.bind("localhost").build(rule.endpoint, values))
    return paths


def clean(app) -> None:
    with app.app_context():
        empty_tables()
        db.engine.dispose()


# ---- 1: many people on one browser, on the public link ----------------------------------------------------

PEOPLE_ON_ONE_BROWSER = 40


def test_class_1_people_on_one_browser_never_see_or_overwrite_each_other(app, client):
    with app.app_context():
        make_survey()
    seen, crafted_accepted, double_sent = 0, 0, 0
    keys: list[str] = []
    thanks_pages: list[str] = []
    for person in range(PEOPLE_ON_ONE_BROWSER):
        page = client.get("/s/support-csat").get_data(as_text=True)
        # Nothing of anyone before: no earlier words, no answer ticked, no "already answered".
        earlier = [f"person {n} private words" for n in range(person)]
        seen += sum(words in page for words in earlier) + page.count("checked") + ("already answered" in page)
        fields = hidden_fields(page)
        assert fields["submission_key"] not in keys
        mine = {**fields, **GOOD, "q-satisfaction": str(person % 5 + 1),
                "q-comment": f"person {person} private words"}
        sent = client.post("/s/support-csat", data=mine)
        assert sent.status_code == 303 and "/thanks?receipt=" in sent.headers["Location"]
        again = client.post("/s/support-csat", data=mine)  # a double click: thanked, stored once
        double_sent += again.status_code == 303
        keys.append(fields["submission_key"])
        if person:
            # The history's receipt does not give the last person's key away; the next person sends a form
            # crafted with it anyway (the worst case: the key leaked some other way), to change their answers.
            previous = keys[-2]
            assert previous not in json.dumps(receipt_payload(thanks_pages[-1]))
            crafted = {**hidden_fields(client.get("/s/support-csat").get_data(as_text=True)), **GOOD,
                       "submission_key": previous, "q-satisfaction": "1", "q-comment": "OVERWRITTEN"}
            crafted_accepted += client.post("/s/support-csat", data=crafted).status_code == 303
            thanks = client.get(thanks_pages[-1]).get_data(as_text=True)  # their thank-you page, from the history
            seen += f"person {person - 1} private words" in thanks
        thanks_pages.append(sent.headers["Location"])

    with app.app_context():
        stored = {key.removeprefix("public:"): (revisions, comment) for key, revisions, comment in db.session.execute(
            select(Response.respondent_key, Response.revisions_count, Answer.value_text)
            .join(Answer, (Answer.response_id == Response.id) & (Answer.question_key == "comment")))}
        revisions = db.session.scalar(select(func.count()).select_from(ResponseRevision))
    overwritten = sum(stored.get(key) != (1, f"person {n} private words") for n, key in enumerate(keys))
    FIGURES["1 shared device, public link"] = {
        "people_on_one_browser": PEOPLE_ON_ONE_BROWSER, "forms_sent": PEOPLE_ON_ONE_BROWSER,
        "same_form_sent_again": PEOPLE_ON_ONE_BROWSER,
        "crafted_with_the_previous_persons_key": PEOPLE_ON_ONE_BROWSER - 1,
        "responses": len(stored), "revisions": revisions, "answers_seen_by_the_next": seen,
        "overwritten": overwritten}
    assert seen == 0
    assert overwritten == 0 and len(stored) == PEOPLE_ON_ONE_BROWSER and revisions == PEOPLE_ON_ONE_BROWSER
    assert double_sent == PEOPLE_ON_ONE_BROWSER and crafted_accepted == PEOPLE_ON_ONE_BROWSER - 1  # thanked


# ---- 2: "save and finish later" after sending ---------------------------------------------------------------

SAVES_AFTER_SENDING = 20


def test_class_2_saving_after_sending_says_nothing_was_sent(app, client):
    with app.app_context():
        survey = make_survey()
        tokens = [make_invitation(survey, email=f"saver{n}@example.com").token for n in range(SAVES_AFTER_SENDING)]
    statuses, kept = Counter(), 0
    for number, token in enumerate(tokens):
        page = client.get(f"/r/{token}").get_data(as_text=True)
        assert client.post(f"/r/{token}", data={**hidden_fields(page), **GOOD}).status_code == 303
        # An older tab (the page before sending) saves "it was awful, actually".
        late = {**hidden_fields(page), **GOOD, "q-satisfaction": "1", "action": "save",
                "q-comment": f"actually awful {number}"}
        refused = client.post(f"/r/{token}", data=late)
        statuses[refused.status_code] += 1
        body = unescape(refused.get_data(as_text=True))
        kept += "Nothing was sent" in body and f"actually awful {number}</textarea>" in body
    drafts, cases = count(app, ResponseDraft), count(app, FollowUpCase)
    FIGURES["2 save after sending"] = {"saves_after_sending": SAVES_AFTER_SENDING, "answered_409": statuses[409],
                                       "text_kept_on_the_page": kept, "drafts_stored": drafts,
                                       "cases_opened": cases}
    assert statuses == {409: SAVES_AFTER_SENDING} and kept == SAVES_AFTER_SENDING
    assert drafts == 0 and cases == 0 and count(app, ResponseRevision) == SAVES_AFTER_SENDING


# ---- 3: draft saves racing, over HTTP ----------------------------------------------------------------------

DRAFT_LINKS, TABS, ROUND = 24, 3, 6  # 24 links, each saved from 3 tabs at the same moment, 6 links a round


def test_class_3_simultaneous_draft_saves_never_fail(app):
    with app.app_context():
        survey = make_survey()
        invitations = [make_invitation(survey, email=f"drafter{n}@example.com") for n in range(DRAFT_LINKS)]
        links = [(invitation.token, invitation.respondent_key) for invitation in invitations]
    statuses: Counter = Counter()
    with serving(app) as base:
        for start in range(0, DRAFT_LINKS, ROUND):
            tasks = []
            for token, _key in links[start:start + ROUND]:
                for tab in range(TABS):
                    session = browser()
                    fields = hidden_fields(session.get(f"{base}/r/{token}").text)
                    data = {**fields, "q-comment": f"tab {tab} of {token[:8]}", "action": "save"}
                    tasks.append(functools.partial(session.post, f"{base}/r/{token}", data=data,
                                                   allow_redirects=False))
            for answer in at_once(tasks):
                statuses[answer.status_code if isinstance(answer, requests.Response) else repr(answer)] += 1
    with app.app_context():
        drafts = {key: values for key, values in db.session.execute(
            select(ResponseDraft.respondent_key, ResponseDraft.values))}
    kept = sum((drafts.get(key) or {}).get("q-comment", [""])[0] in {f"tab {t} of {token[:8]}" for t in range(TABS)}
               for token, key in links)
    FIGURES["3 draft saves racing"] = {
        "personal_links": DRAFT_LINKS, "tabs_saving_at_once": TABS, "saves": DRAFT_LINKS * TABS,
        "redirected_303": statuses[303], "server_errors": sum(n for s, n in statuses.items()
                                                              if not isinstance(s, int) or s >= 500),
        "drafts_stored": len(drafts), "drafts_holding_one_of_the_saves": kept}
    assert statuses == {303: DRAFT_LINKS * TABS}, statuses
    assert len(drafts) == DRAFT_LINKS and kept == DRAFT_LINKS
    assert count(app, Response) == 0


# ---- 4: the complaint form: double clicks, racing sends, refusals that keep the text -------------------------

@pytest.fixture
def proxied_app(migrated, instance_path):
    """Behind one trusted proxy, so each simulated customer has their own address (X-Forwarded-For)."""
    app = build_app(migrated, instance_path, TRUSTED_PROXIES=1)
    yield app
    clean(app)


COMPLAINT_FORMS, CLICKS, COMPLAINT_ROUND = 20, 4, 5
FLOOD, STALE = 20, 20


def complaint_page(session, base, address):
    return session.get(f"{base}/complain", headers={"X-Forwarded-For": address})


def test_class_4_a_complaint_is_stored_once_per_form_and_a_refused_one_keeps_its_text(proxied_app):
    app = proxied_app
    statuses: Counter = Counter()
    with serving(app) as base:
        forms = []
        for number in range(COMPLAINT_FORMS):
            session, address = browser(), f"198.51.100.{number + 1}"
            fields = hidden_fields(complaint_page(session, base, address).text)
            forms.append((session, address, {**fields, "kind": "complaint",
                                              "message": f"Racing complaint {number}: nobody came"}))
        for start in range(0, COMPLAINT_FORMS, COMPLAINT_ROUND):
            tasks = [functools.partial(session.post, f"{base}/complain", data=data, allow_redirects=False,
                                       headers={"X-Forwarded-For": address})
                     for session, address, data in forms[start:start + COMPLAINT_ROUND] for _ in range(CLICKS)]
            for answer in at_once(tasks):
                statuses[answer.status_code if isinstance(answer, requests.Response) else repr(answer)] += 1
        # Back, then Send again, one by one.
        resent = Counter(session.post(f"{base}/complain", data=data, allow_redirects=False,
                                      headers={"X-Forwarded-For": address}).status_code
                         for session, address, data in forms)

        # A flood from one connection: the first COMPLAINTS_PER_SENDER are taken, the rest refused, every
        # refusal showing the message again.
        flooder, flood_address = browser(), "203.0.113.50"
        flood_statuses, flood_kept = Counter(), 0
        for number in range(5 + FLOOD):
            message = f"Flood message {number}\r\nsecond line"
            fields = hidden_fields(complaint_page(flooder, base, flood_address).text)
            answer = flooder.post(f"{base}/complain", data={**fields, "kind": "suggestion", "message": message},
                                  allow_redirects=False, headers={"X-Forwarded-For": flood_address})
            flood_statuses[answer.status_code] += 1
            if answer.status_code == 429:
                flood_kept += f"Flood message {number}\nsecond line</textarea>" in unescape(answer.text)

        # Pages left open past their CSRF token: refused with the words kept, then sent from that page.
        stale_statuses, stale_kept, stale_resent = Counter(), 0, Counter()
        for number in range(STALE):
            session, address = browser(), f"192.0.2.{number + 1}"
            fields = hidden_fields(complaint_page(session, base, address).text)
            message = f"Stale page {number}: the bill doubled"
            answer = session.post(f"{base}/complain", data={**fields, "csrf_token": "expired", "kind": "complaint",
                                                            "message": message, "email": f"stale{number}@example.com"},
                                  allow_redirects=False, headers={"X-Forwarded-For": address})
            stale_statuses[answer.status_code] += 1
            page = unescape(answer.text)
            stale_kept += f"{message}</textarea>" in page and f'value="stale{number}@example.com"' in page
            again = {**hidden_fields(answer.text), "kind": "complaint", "message": message}
            stale_resent[session.post(f"{base}/complain", data=again, allow_redirects=False,
                                      headers={"X-Forwarded-For": address}).status_code] += 1

    with app.app_context():
        messages = Counter(db.session.scalars(select(Complaint.message)))
        cases = db.session.scalar(select(func.count()).select_from(FollowUpCase).where(
            FollowUpCase.reason == "complaint"))
    racing_stored = sum(messages[f"Racing complaint {n}: nobody came"] for n in range(COMPLAINT_FORMS))
    FIGURES["4 complaint form"] = {
        "forms": COMPLAINT_FORMS, "clicks_at_once_per_form": CLICKS, "racing_sends": COMPLAINT_FORMS * CLICKS,
        "racing_sends_thanked_303": statuses[303], "sent_again_afterwards": COMPLAINT_FORMS,
        "complaints_stored_from_them": racing_stored,
        "flood_sends": 5 + FLOOD, "flood_taken": flood_statuses[303], "flood_refused_429": flood_statuses[429],
        "flood_refusals_keeping_the_text": flood_kept,
        "stale_page_sends": STALE, "stale_refused_400": stale_statuses[400],
        "stale_refusals_keeping_the_text": stale_kept, "stale_sent_again_and_taken": stale_resent[303],
        "complaints_stored": sum(messages.values()), "cases_opened": cases,
        "duplicates": sum(n - 1 for n in messages.values() if n > 1)}
    assert statuses == {303: COMPLAINT_FORMS * CLICKS}, statuses
    assert resent == {303: COMPLAINT_FORMS}
    assert flood_statuses == {303: 5, 429: FLOOD} and flood_kept == FLOOD
    assert stale_statuses == {400: STALE} and stale_kept == STALE and stale_resent == {303: STALE}
    assert racing_stored == COMPLAINT_FORMS and all(n == 1 for n in messages.values())
    assert sum(messages.values()) == cases == COMPLAINT_FORMS + 5 + STALE


# ---- 5: one-click ratings opened by mail scanners ----------------------------------------------------------

RATING_LINKS = 20
SCANNER_RATINGS = ["1", "2", "3", "4", "5", "0", "6", "99", "-1", "x", "", "5' OR '1'='1"]


def test_class_5_opening_a_one_click_rating_stores_nothing(app, client):
    with app.app_context():
        survey = make_survey(questions=make_definition()["questions"][:2])
        tokens = [make_invitation(survey, email=f"rated{n}@example.com").token for n in range(RATING_LINKS)]
    before = fingerprint(app)
    opened, shown_not_sent = 0, 0
    for token in tokens:
        for rating in SCANNER_RATINGS:  # a scanner follows every button of the email, some of them twice
            answer = client.get(f"/r/{token}", query_string={"rating": rating})
            assert answer.status_code == 200, (rating, answer.status_code)
            shown_not_sent += "not sent yet" in answer.get_data(as_text=True)
            opened += 1 + (client.get(f"/r/{token}?rating={rating}").status_code == 200)
    changed = [name for name, rows in fingerprint(app).items() if rows != before[name]]
    # Then each customer presses "Send my rating" once: that, and only that, stores it.
    sent = Counter()
    for number, token in enumerate(tokens):
        page = client.get(f"/r/{token}?rating={number % 5 + 1}").get_data(as_text=True)
        sent[client.post(f"/r/{token}", data={**hidden_fields(page), "q-satisfaction": str(number % 5 + 1),
                                              "action": "rating"}).status_code] += 1
    with app.app_context():
        ratings = sorted(db.session.scalars(select(Answer.value_int).where(Answer.question_key == "satisfaction")))
    FIGURES["5 one-click ratings"] = {
        "links": RATING_LINKS, "opened_get": opened, "ratings_tried_per_link": len(SCANNER_RATINGS),
        "tables_changed_by_opening": len(changed), "shown_as_not_sent": shown_not_sent,
        "sent_with_the_button": sent[303], "responses_stored": count(app, Response)}
    assert changed == [] and opened == RATING_LINKS * len(SCANNER_RATINGS) * 2
    assert shown_not_sent == RATING_LINKS * 5  # the five real ratings; the rest are ignored
    assert sent == {303: RATING_LINKS} and count(app, Response) == RATING_LINKS
    assert ratings == sorted(number % 5 + 1 for number in range(RATING_LINKS))


def test_class_5_a_head_request_stores_nothing(app, client):
    with app.app_context():
        survey = make_survey(questions=make_definition()["questions"][:2])
        tokens = [make_invitation(survey, email=f"headed{n}@example.com").token for n in range(RATING_LINKS)]
    before = fingerprint(app)
    statuses = Counter(client.head(path).status_code for token in tokens
                       for path in (f"/r/{token}?rating=5", f"/r/{token}", "/s/support-csat?rating=1"))
    changed = {name: len(rows) - len(before[name]) for name, rows in fingerprint(app).items() if rows != before[name]}
    FIGURES["5 one-click ratings, HEAD"] = {"head_requests": sum(statuses.values()),
                                            "statuses": {str(k): v for k, v in statuses.items()},
                                            "rows_added_by_table": changed}
    assert changed == {}
    assert statuses == {200: RATING_LINKS * 3}


# ---- 6: anonymous low scores ---------------------------------------------------------------------------

ANONYMOUS_LOW, ANONYMOUS_HIGH = 30, 10


def test_class_6_anonymous_low_scores_open_review_cases(app, client):
    with app.app_context():
        make_survey()
    for number in range(ANONYMOUS_LOW + ANONYMOUS_HIGH):
        score = str(number % 2 + 1) if number < ANONYMOUS_LOW else "5"
        fields = hidden_fields(client.get("/s/support-csat").get_data(as_text=True))
        assert client.post("/s/support-csat", data={**fields, "q-satisfaction": score,
                                                     "consent_contact": "y"}).status_code == 303
    with app.app_context():
        reasons = Counter(db.session.scalars(select(FollowUpCase.reason)))
    FIGURES["6 anonymous low scores"] = {"low_scores_sent": ANONYMOUS_LOW, "high_scores_sent": ANONYMOUS_HIGH,
                                         "cases": dict(reasons)}
    assert reasons == {"review": ANONYMOUS_LOW}


# ---- 8: every survey POST redirects; refused forms kept by their key ----------------------------------------

def refusals(csrf: str) -> dict[str, dict]:
    """Kinds of POST to the survey page, each: the fields that make it."""
    return {
        "complete": {**GOOD},
        "required missing": {**GOOD, "q-satisfaction": ""},
        "out of range": {**GOOD, "q-satisfaction": "9", "q-recommend": "11"},
        "option not offered": {**GOOD, "q-channel": "Carrier pigeon"},
        "expired CSRF token": {**GOOD, "csrf_token": "expired"},
        "no CSRF token": {**GOOD, "csrf_token": ""},
        "odd submission key": {**GOOD, "submission_key": "../../etc/passwd"},
        "rating only": {"q-satisfaction": "2", "action": "rating"},
        "unknown action": {**GOOD, "action": "delete-everything"},
    }


PRG_ROUNDS = 3
REFUSED_GUESSES = 200


def test_class_8_every_survey_post_redirects_and_refused_forms_are_kept_by_key(app):
    with app.app_context():
        survey = make_survey()
        tokens = [make_invitation(survey, email=f"prg{n}@example.com").token for n in range(PRG_ROUNDS * 2)]
    statuses, posts, refused_keys = Counter(), 0, []
    for round_ in range(PRG_ROUNDS):
        for kind, data in refusals("").items():
            for place in ("/s/support-csat", f"/r/{tokens[round_]}", f"/r/{tokens[PRG_ROUNDS + round_]}"):
                client = app.test_client()
                page = client.get(place).get_data(as_text=True)
                marker = f"kept {round_} {kind} {place[-6:]}"
                sent = client.post(place, data={**hidden_fields(page), **data, "q-comment": marker})
                posts += 1
                location = sent.headers.get("Location", "")
                statuses[(sent.status_code, location.split("?")[-1].split("=")[0] if "?" in location else
                          location.rsplit("/", 1)[-1])] += 1
                if "form=" in location:
                    refused_keys.append((place, location, marker, client))
    saves = Counter()  # "save and finish later" on links nobody has answered yet

    for token in tokens[:PRG_ROUNDS]:
        client = app.test_client()
        fresh = make_invitation_link(app, token)
        page = client.get(fresh).get_data(as_text=True)
        saves[client.post(fresh, data={**hidden_fields(page), "q-comment": "later", "action": "save"}).status_code] += 1

    # A refused form is shown again to whoever holds its key, with the answers typed in it ...
    shown_again = sum(marker in unescape(client.get(location).get_data(as_text=True))
                      for _place, location, marker, client in refused_keys)
    shown_elsewhere = sum(marker in unescape(app.test_client().get(location).get_data(as_text=True))
                          for _place, location, marker, _client in refused_keys)
    # ... and to nobody who guesses.
    rng = random.Random(19)
    markers = [marker for *_rest, marker, _client in refused_keys]
    leaked = 0
    guesser = app.test_client()
    for _ in range(REFUSED_GUESSES):
        guess = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
                        for _ in range(43))
        page = unescape(guesser.get(f"/s/support-csat?form={guess}").get_data(as_text=True))
        leaked += any(marker in page for marker in markers)
    # After an hour they are gone.
    with app.app_context():
        db.session.execute(text("UPDATE response_drafts SET saved_at = :old WHERE respondent_key LIKE 'refused:%'"),
                           {"old": utcnow() - responding.REFUSED_KEPT - timedelta(minutes=1)})
        db.session.commit()
    after_an_hour = sum(marker in unescape(client.get(location).get_data(as_text=True))
                        for _place, location, marker, client in refused_keys)
    redirected = sum(n for (status, _where), n in statuses.items() if status == 303)
    FIGURES["8 post/redirect/get"] = {
        "posts": posts, "kinds_of_post": len(refusals("")), "redirected_303": redirected,
        "answered_otherwise": posts - redirected, "to_thanks": sum(n for (s, w), n in statuses.items() if w == "thanks"
                                                                    or w == "receipt"),
        "refused_and_kept": len(refused_keys), "shown_again_to_the_sender": shown_again,
        "shown_to_another_browser_holding_the_key": shown_elsewhere, "guessed_keys": REFUSED_GUESSES,
        "answers_shown_to_a_guess": leaked, "shown_after_an_hour": after_an_hour,
        "saves_on_unanswered_links_303": saves[303]}
    assert redirected == posts, statuses
    assert saves == {303: PRG_ROUNDS}
    assert refused_keys and shown_again == len(refused_keys) == shown_elsewhere
    assert leaked == 0 and after_an_hour == 0


def make_invitation_link(app, token: str) -> str:
    """A personal link of a new customer of the same survey (one not answered yet)."""
    with app.app_context():
        invitation = db.session.scalar(select(Invitation).where(Invitation.token == token))
        return f"/r/{make_invitation(invitation.survey, email=f'saver-{token[:10]}@example.com').token}"


# ---- 9: API reads never write ----------------------------------------------------------------------------------

READ_THREADS, READ_ROUNDS, SLOW_READ = 6, 3, 2.0
LAST_USE = ("api_tokens.last_used_at",)
LOCK_HELD_AT_MOST = 20.0


def test_class_9_api_reads_answer_while_a_writer_holds_the_lock_and_change_no_row(app, client, monkeypatch):
    """Every read operation, from threads at once, while another connection holds the write lock: each is
    answered at once (a read that wrote the token's last use waited for the lock: a 503 after SQLite's busy
    timeout, shortened to 1 s here, or a wait on PostgreSQL), and no row changes."""
    monkeypatch.setattr(database, "BUSY_TIMEOUT_SECONDS", 1)
    with app.app_context():
        make_survey()
        token = make_invitation(db.session.scalar(select(Survey))).token
        secret = api_tokens.create_token("bi", "admin", now=utcnow())[1]
    page = client.get(f"/r/{token}").get_data(as_text=True)
    assert client.post(f"/r/{token}", data={**hidden_fields(page), **GOOD, "q-satisfaction": "1"}).status_code == 303
    with app.app_context():
        ids = {"response_id": db.session.scalar(select(Response.id)), "case_id": db.session.scalar(
            select(FollowUpCase.id)), "contact_id": db.session.scalar(select(Contact.id))}
        db.engine.dispose()  # new connections, with the 1 s busy timeout
    paths = api_get_paths(app, "support-csat", ids)
    # The token's last use is the one write a read may cause: after its answer has gone, never in the request
    # (a close callback may record it once the lock is free), at most once a minute.
    before = fingerprint(app, leave_out=LAST_USE)
    with app.app_context():
        last_entry = db.session.scalar(select(func.max(AuditEntry.id))) or 0

    def read(thread: int) -> list[tuple[int, float]]:
        session, timings = browser(), []
        for n in range(READ_ROUNDS * len(paths)):
            started = time.perf_counter()
            answer = session.get(base + paths[(thread + n) % len(paths)], headers={"Authorization": f"Bearer {secret}"})
            timings.append((answer.status_code, time.perf_counter() - started))
        return timings

    with serving(app) as base, write_lock_held_elsewhere(app, LOCK_HELD_AT_MOST):
        answers = [answer for batch in at_once([functools.partial(read, n) for n in range(READ_THREADS)])
                   for answer in batch]
    after = fingerprint(app, leave_out=LAST_USE)
    changed = [name for name, rows in after.items() if rows != before[name] and name != "audit_log"]
    with app.app_context():  # the one entry a read may add: the token's first use today, written with its last use
        added = db.session.scalars(select(AuditEntry.action).where(AuditEntry.id > last_entry)).all()
    assert set(added) <= {"api_token.used"} and len(added) <= 1, added
    statuses = Counter(status for status, _seconds in answers)
    slowest = max(seconds for _status, seconds in answers)
    FIGURES["9 API reads"] = {"read_operations": len(paths), "threads_at_once": READ_THREADS, "reads": len(answers),
                              "while_another_connection_held_the_write_lock": True,
                              "statuses": {str(k): v for k, v in sorted(statuses.items())},
                              "slowest_read_seconds": round(slowest, 2), "tables_changed": len(changed)}
    assert changed == []
    assert not [status for status in statuses if status >= 500], statuses
    assert statuses[200] >= len(answers) * 0.8  # the rest: ids of records this run has none of (404)
    assert slowest < SLOW_READ
    with client.get("/api/v1/surveys", headers={"Authorization": f"Bearer {secret}"}) as answer:  # lock released
        assert answer.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(ApiToken.last_used_at)) is not None  # the use is still recorded


# ---- 10: the API's rate limit per token, and its headers -------------------------------------------------------

API_BUDGET, API_THREADS, API_REQUESTS_EACH = 40, 10, 7


def test_class_10_one_budget_per_token_and_honest_headers(app):
    app.config.update(API_RATE_LIMIT=f"{API_BUDGET} per minute", TOKEN_RATE_LIMIT="100000 per minute")
    with app.app_context():
        make_survey()
        first = api_tokens.create_token("first", "admin", now=utcnow())[1]
        second = api_tokens.create_token("second", "admin", now=utcnow())[1]
    operations = ["/api/v1/surveys", "/api/v1/surveys/support-csat", "/api/v1/contacts", "/api/v1/alerts",
                  "/api/v1/cases", "/api/v1/surveys/support-csat/responses", "/api/v1/surveys/nothing"]
    with serving(app) as base:
        def spend(thread: int) -> list[requests.Response]:
            session = browser()
            return [session.get(base + operations[(thread + n) % len(operations)],
                                headers={"Authorization": f"Bearer {first}"}) for n in range(API_REQUESTS_EACH)]

        answers = [answer for batch in at_once([functools.partial(spend, n) for n in range(API_THREADS)])
                   for answer in batch]
        others = [requests.get(base + "/api/v1/surveys", headers={"Authorization": f"Bearer {second}"})
                  for _ in range(10)]
        unauthorised = [requests.get(base + path, headers=headers) for path in operations[:4] for headers in (
            {}, {"Authorization": "Basic YTpi"}, {"Authorization": "Bearer"}, {"Authorization": f"Bearer hk_{UNKNOWN}"},
            {"Authorization": "Bearer not-one-of-ours"}, {"Authorization": f"Bearer {first}x"})]
        options_paths = api_get_paths(app, "support-csat", {})
        options = [requests.options(base + path) for path in options_paths]
    limited = [a for a in answers if a.status_code == 429]
    served = [a for a in answers if a.status_code != 429]
    remaining = sorted(int(a.headers["X-RateLimit-Remaining"]) for a in served)
    FIGURES["10 API rate limit and headers"] = {
        "budget_per_minute": API_BUDGET, "threads_at_once": API_THREADS, "requests": len(answers),
        "operations_mixed": len(operations), "served": len(served),
        "distinct_remaining_values_seen": len(set(remaining)), "refused_429": len(limited),
        "429_with_retry_after": sum("Retry-After" in a.headers for a in limited),
        "other_answers_with_retry_after": sum("Retry-After" in a.headers for a in served + others),
        "another_tokens_requests_served": sum(a.status_code == 200 for a in others),
        "401s": len(unauthorised), "401s_with_www_authenticate": sum(
            a.status_code == 401 and a.headers.get("WWW-Authenticate", "").startswith("Bearer") for a in unauthorised),
        "options_requests": len(options), "options_204_with_allow": sum(
            a.status_code == 204 and "OPTIONS" in a.headers.get("Allow", "") for a in options)}
    assert len(served) == API_BUDGET, Counter(a.status_code for a in answers)
    assert all(0 <= left < API_BUDGET for left in remaining), remaining
    assert len(limited) == API_THREADS * API_REQUESTS_EACH - API_BUDGET
    assert all(0 < int(a.headers["Retry-After"]) <= 61 for a in limited)
    assert not [a for a in served + others if "Retry-After" in a.headers]
    assert [a.status_code for a in others] == [200] * 10
    assert [a.status_code for a in unauthorised] == [401] * len(unauthorised)
    assert all(a.headers.get("WWW-Authenticate", "").startswith("Bearer") and "Retry-After" not in a.headers
               for a in unauthorised)
    assert [a.status_code for a in options] == [204] * len(options)
    assert all("OPTIONS" in a.headers["Allow"] and "Retry-After" not in a.headers
               and "WWW-Authenticate" not in a.headers for a in options)


# ---- 16: device cookies against account lockout --------------------------------------------------------------

ACCOUNTS, GUESSES_PER_ACCOUNT = 5, 40


def login(client, email: str, password: str, address: str):
    fields = hidden_fields(client.get("/login", environ_base={"REMOTE_ADDR": address}).get_data(as_text=True))
    return client.post("/login", data={**fields, "email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_class_16_a_guesser_from_many_addresses_never_locks_the_owner_out(app):
    # A password check costs a deliberate 0.15 s (scrypt): these accounts' hashes are PBKDF2 with one
    # iteration instead, which the same check reads, so the guesses are affordable and answered as ever.
    emails = [f"owner{n}@example.com" for n in range(ACCOUNTS)]
    with app.app_context():
        for email in emails:
            make_user(email=email).password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")
        db.session.commit()
    cookies = {}
    for number, email in enumerate(emails):  # each owner logged in once from their own browser
        owner = app.test_client()
        assert login(owner, email, PASSWORD, f"192.0.2.{number + 1}").status_code == 302
        cookies[email] = owner.get_cookie(device_cookies.COOKIE_NAME, path="/login").value
    guesses = Counter()
    guesser = app.test_client()
    for attempt in range(GUESSES_PER_ACCOUNT):
        for number, email in enumerate(emails):  # from a new address every time: no address limit applies
            address = f"2001:db8:{number:x}:{attempt:x}::1"
            guesses[login(guesser, email, f"guess {attempt}", address).status_code] += 1
    strangers = Counter(login(app.test_client(), email, PASSWORD, "203.0.113.77").status_code for email in emails)
    owners = Counter()
    for number, email in enumerate(emails):  # a new session, the same browser: only the device cookie is kept
        owner = app.test_client()
        owner.set_cookie(device_cookies.COOKIE_NAME, cookies[email], path="/login")
        owners[login(owner, email, PASSWORD, f"192.0.2.{number + 1}").status_code] += 1
    # Device cookies borrowed from another account, altered or made up let nobody past the lockout.
    forged = Counter()
    for number, email in enumerate(emails):
        other = cookies[emails[(number + 1) % ACCOUNTS]]
        for cookie in (other, cookies[email][:-3] + "AAA", cookies[email] + "x", "", "forged", cookies[email][::-1]):
            client = app.test_client()
            client.set_cookie(device_cookies.COOKIE_NAME, cookie, path="/login")
            forged[login(client, email, PASSWORD, "203.0.113.78").status_code] += 1
    allowance = 20  # ACCOUNT_LOGIN_RATE_LIMIT's default, per hour
    FIGURES["16 device cookies"] = {
        "accounts": ACCOUNTS, "guesses": ACCOUNTS * GUESSES_PER_ACCOUNT,
        "addresses_used_by_the_guesser": ACCOUNTS * GUESSES_PER_ACCOUNT,
        "guesses_checked_422": guesses[422], "guesses_refused_429": guesses[429],
        "right_password_without_device_cookie_refused": strangers[429],
        "owners_with_their_device_cookie_let_in": owners[302],
        "forged_or_borrowed_cookies": sum(forged.values()), "forged_let_in": forged[302]}
    assert guesses == {422: ACCOUNTS * allowance, 429: ACCOUNTS * (GUESSES_PER_ACCOUNT - allowance)}
    assert strangers == {429: ACCOUNTS}
    assert owners == {302: ACCOUNTS}
    assert forged == {429: sum(forged.values())}


# ---- 17: token guesses count only failures --------------------------------------------------------------------

VALID_LINKS, VALID_USES, TOKEN_GUESSES = 30, 300, 120


def test_class_17_guesses_from_an_office_never_cost_its_customers_anything(app):
    """One address (an office's NAT) carries its customers' valid links and API calls, and a guesser."""
    with app.app_context():
        survey = make_survey()
        links = []
        for number in range(VALID_LINKS):
            invitation = make_invitation(survey, email=f"office{number}@example.com")
            contact = db.session.get(Contact, invitation.contact_id)
            contact.unsubscribe_token = new_token()
            links.append((invitation.token, contact.unsubscribe_token))
        db.session.commit()
        secret = api_tokens.create_token("crm", "agent", now=utcnow())[1]
    rng = random.Random(17)
    valid = [rng.choice([lambda t=t: f"/r/{t}", lambda t=t: f"/r/{t}/thanks", lambda u=u: f"/unsubscribe/{u}",
                         lambda: "/api/v1/surveys"])() for t, u in (rng.choice(links) for _ in range(VALID_USES))]
    wrong = [rng.choice([f"/r/{new_token()}", f"/unsubscribe/{new_token()}", f"api:hk_{new_token()}"])
             for _ in range(TOKEN_GUESSES)]
    plan = [("valid", path) for path in valid] + [("guess", path) for path in wrong]
    rng.shuffle(plan)
    client = app.test_client()
    office = {"REMOTE_ADDR": "198.51.100.200"}
    outcomes: dict[str, list[int]] = {"valid": [], "guess": []}
    for kind, path in plan:
        if path.startswith("api:"):
            answer = client.get("/api/v1/surveys", headers={"Authorization": f"Bearer {path[4:]}"}, environ_base=office)
        elif path.startswith("/api/"):
            answer = client.get(path, headers={"Authorization": f"Bearer {secret}"}, environ_base=office)
        else:
            answer = client.get(path, environ_base=office)
        outcomes[kind].append(answer.status_code)
    neighbour = client.get(f"/r/{UNKNOWN}", environ_base={"REMOTE_ADDR": "198.51.100.201"}).status_code
    allowance = 30  # TOKEN_RATE_LIMIT's default, per minute
    guesses = outcomes["guess"]
    FIGURES["17 token guesses"] = {
        "valid_uses": VALID_USES, "valid_refused": sum(s != 200 for s in outcomes["valid"]),
        "guesses": TOKEN_GUESSES, "guesses_answered_not_found": sum(s in (401, 404) for s in guesses),
        "guesses_refused_429": guesses.count(429), "guesses_found": sum(s == 200 for s in guesses),
        "another_address_guessing_after": neighbour}
    assert outcomes["valid"] == [200] * VALID_USES
    assert [s in (401, 404) for s in guesses] == [True] * allowance + [False] * (TOKEN_GUESSES - allowance)
    assert guesses[allowance:] == [429] * (TOKEN_GUESSES - allowance)
    assert neighbour == 404


# ---- 19: malformed chunked bodies, against gunicorn ---------------------------------------------------------------

MALFORMED = {
    "size not hexadecimal": b"ZZZ\r\nabc\r\n0\r\n\r\n",
    "size with a sign": b"-3\r\nabc\r\n0\r\n\r\n",
    "size 0x-prefixed": b"0x3\r\nabc\r\n0\r\n\r\n",
    "size with spaces inside": b"1 0\r\nabcdefghijklmnop\r\n0\r\n\r\n",
    "size far too long": b"f" * 40 + b"\r\nabc\r\n0\r\n\r\n",
    "chunk without its CRLF": b"3\r\nabcdef0\r\n\r\n",
    "chunk longer than what follows": b"ff\r\nabc",
    "chunk shorter than its size": b"a\r\nabc\r\n0\r\n\r\n",
    "LF only line ends": b"3\nabc\n0\n\n",
    "no last chunk": b"3\r\nabc\r\n",
    "empty size line": b"\r\nabc\r\n0\r\n\r\n",
    "NUL in the size": b"3\x00\r\nabc\r\n0\r\n\r\n",
    "extension with a bare CR": b"3;a=\rb\r\nabc\r\n0\r\n\r\n",
    "non-ASCII size": "３\r\nabc\r\n0\r\n\r\n".encode(),
    "cut in the size line": b"3",
}


@pytest.fixture
def gunicorn_server(migrated, instance_path, tmp_path):
    app = build_app(migrated, instance_path)
    with app.app_context():
        token = make_invitation(make_survey()).token
        secret = api_tokens.create_token("bi", "admin", now=utcnow())[1]
    port = free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith("HEARKEN_")}
    env.update(HEARKEN_DATABASE_URL=migrated, HEARKEN_SECRET_KEY="k" * 48, HEARKEN_INSTANCE_PATH=str(tmp_path))
    import gunicorn

    control = ["--control-socket", str(tmp_path / "gunicorn.ctl")] if gunicorn.version_info >= (27,) else []
    log = tmp_path / "server.log"
    with open(log, "wb") as output:
        process = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", "2", "--bind",
                                    f"127.0.0.1:{port}", *control, "app:app"],
                                   cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        try:
            wait_for_port(port, timeout=60, process=process)
        except RuntimeError as error:
            raise AssertionError(f"{error}:\n{log.read_text()[-3000:]}") from None
        yield port, log, {"api": secret, "personal": token}
    finally:
        process.terminate()
        process.wait(15)
        clean(app)


def test_class_19_malformed_chunked_bodies_are_400_never_500(gunicorn_server):
    port, log, secrets = gunicorn_server
    form = "application/x-www-form-urlencoded"
    api = f"Authorization: Bearer {secrets['api']}\r\n"
    targets = [("/login", form, ""), (f"/r/{secrets['personal']}", form, ""), ("/s/support-csat", form, ""),
               ("/complain", "multipart/form-data; boundary=x", ""), ("/api/v1/events", "application/json", api),
               ("/api/v1/contacts", "application/json", api)]
    attempts = [(name, body, target) for name, body in MALFORMED.items() for target in targets]

    def send(body, target):
        path, content_type, headers = target
        with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
            sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
                         f"Content-Type: {content_type}\r\n{headers}Connection: close\r\n\r\n".encode() + body)
            sock.shutdown(socket.SHUT_WR)  # nothing more is coming: a server waiting for more would wait forever
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        return answer.split(b"\r\n", 1)[0].decode(errors="replace")

    answers = []
    for start in range(0, len(attempts), 8):
        batch = attempts[start:start + 8]
        answers += at_once([functools.partial(send, body, target) for _name, body, target in batch])
    by_status = Counter(a if isinstance(a, str) else repr(a) for a in answers)
    # A well-formed chunked body still reaches the API (422: an event needs fields), so 400 means malformed.
    control = send(b"2\r\n{}\r\n0\r\n\r\n", ("/api/v1/events", "application/json", api))
    tracebacks = log.read_text(errors="replace").count("Traceback")
    FIGURES["19 malformed chunked bodies"] = {
        "server": "gunicorn, 2 workers", "malformed_bodies": len(MALFORMED), "targets": len(targets),
        "requests": len(attempts), "answers": {status: n for status, n in sorted(by_status.items())},
        "server_errors": sum(n for status, n in by_status.items() if " 5" in status[:13]),
        "tracebacks_in_the_log": tracebacks, "well_formed_control": control}
    assert control == "HTTP/1.1 422 UNPROCESSABLE ENTITY"
    assert by_status == {"HTTP/1.1 400 BAD REQUEST": len(attempts)}, by_status
    assert tracebacks == 0


# ---- 21/22: erasure keeps every figure; tombstones stop re-import ------------------------------------------------

CUSTOMERS, ERASED, ANSWERING = 40, 20, 30


def test_class_21_22_erasure_changes_no_figure_and_nobody_erased_comes_back(app, client, runner, tmp_path):
    app.config["TOKEN_RATE_LIMIT"] = "100000 per minute"  # the dead links below are many "unknown tokens"
    rows = [f"customer{n}@example.com,Customer {n},{['Leeds', 'York'][n % 2]},Team {n % 3}" for n in range(CUSTOMERS)]
    csv = ("email,name,location,team\n" + "\n".join(rows) + "\n").encode()
    with app.app_context():
        survey_id = make_survey().id
        report = contacts.import_contacts(io.BytesIO(csv), now=NOW)
        assert report.created == CUSTOMERS
        now = utcnow()
        campaign = outreach.create_campaign(db.session.get(Survey, survey_id), segment={}, at=None, reminders=0,
                                            reminder_days=3, now=now)
        outreach.launch(campaign, now=now)
        dispatch.run_once(now=now)
        links = {invitation.contact.email: invitation.token for invitation in db.session.scalars(select(Invitation))}
        secret = api_tokens.create_token("crm", "admin", now=now)[1]
    headers = {"Authorization": f"Bearer {secret}"}
    for number in range(ANSWERING):
        token = links[f"customer{number}@example.com"]
        fields = hidden_fields(client.get(f"/r/{token}").get_data(as_text=True))
        assert client.post(f"/r/{token}", data={**fields, **GOOD, "q-satisfaction": str(number % 5 + 1),
                                                "q-comment": f"I am customer {number}"}).status_code == 303

    def figures():
        with app.app_context():
            stats = [(s.campaign.queued, s.sent, s.failed, s.pending, s.opened, s.responded, s.response_rate)
                     for s in outreach.campaign_stats(db.session.get(Survey, survey_id))]
            counts = (db.session.scalar(select(func.count()).select_from(Response)),
                      db.session.scalar(select(func.count()).select_from(Invitation)),
                      db.session.scalar(select(func.count()).select_from(FollowUpCase)))
        results = client.get("/api/v1/surveys/support-csat/results?period=month", headers=headers)
        assert results.status_code == 200, results.json
        return {"campaigns": stats, "counts": counts, "results": results.json}

    before = figures()
    erased = [f"customer{n}@example.com" for n in range(0, CUSTOMERS, CUSTOMERS // ERASED)]
    for email in erased:
        result = runner.invoke(args=["erase-contact", email, "--yes"])
        assert result.exit_code == 0, result.output
    after = figures()
    dead_links = Counter(client.get(f"/r/{links[email]}").status_code for email in erased)

    # Bring them back, every way a list can arrive: the same file, shouted, padded; the API; events.
    variants = [csv, csv.upper().replace(b"EMAIL,NAME,LOCATION,TEAM", b"email,name,location,team"),
                csv.replace(b"\ncustomer", b"\n customer")]
    reimports, skipped = 0, []
    for number, variant in enumerate(variants):
        path = tmp_path / f"again{number}.csv"
        path.write_bytes(variant)
        result = runner.invoke(args=["import-contacts", str(path)])
        reimports += 1
        skipped.append(result.output.count(f"{ERASED} skipped (erased on request)"))
        assert result.exit_code == 0, result.output
    upsert = client.post("/api/v1/contacts", headers=headers,
                         json={"contacts": [{"email": email.upper(), "name": "Back again"} for email in erased]})
    events = Counter(client.post("/api/v1/events", headers=headers, json={
        "email": email, "survey": "support-csat", "id": f"order-{number}"}).json["event"]["outcome"]
                     for number, email in enumerate(erased))
    with app.app_context():
        present = set(db.session.scalars(select(Contact.email)))
        leftovers = sum(db.session.scalar(select(func.count()).select_from(Answer).where(
            Answer.value_text == f"I am customer {n}")) for n in range(0, ANSWERING, CUSTOMERS // ERASED))
    came_back = sorted(set(erased) & present)
    FIGURES["21/22 erasure and re-import"] = {
        "customers": CUSTOMERS, "answered": ANSWERING, "erased": len(erased),
        "figures_compared": ["campaign sent/opened/responded/rate", "responses, invitations, cases",
                             "results API (every card, trend and segment)"],
        "figures_changed": int(before != after), "old_links_dead_404": dead_links[404],
        "free_text_left_of_the_erased": leftovers,
        "reimports_of_the_file": reimports, "reimport_variants": ["as is", "upper case", "leading space"],
        "reimports_reporting_every_erased_skipped": sum(skipped),
        "api_upsert": upsert.json, "api_events": dict(events), "erased_who_came_back": len(came_back)}
    assert before == after
    assert dead_links == {404: len(erased)} and leftovers == 0
    assert skipped == [1] * len(variants)
    assert upsert.status_code == 200 and upsert.json["skipped_erased"] == len(erased) and upsert.json["created"] == 0
    assert events == {"skipped_erased": len(erased)}
    assert came_back == [] and len(present) == CUSTOMERS - len(erased)
