"""Customers answering over real HTTP: one thread per person, each with its own browser (cookies).

A respondent opens the public link (a new browser each time) or one of its personal links, reads the
form's hidden fields (CSRF token, submission key, version), answers at random and presses Send, and now
and then misbehaves as people and networks do:

- double submit: the same form posted twice at once (a double click);
- timeout: the client gives up on its first POST almost at once, then sends the same form again;
- back and resubmit: after the thank-you page, back to the form (fetched again, as `no-store` makes a
  browser do), new answers, Send again: on a personal link the response changes and its history grows; on
  the public link it is a new response (each sent form is its own, docs/user-guide.md).

Whatever the server says, the respondent behaves like a person with a browser: a dropped connection or a
timeout is another press of Send with the same form; a 503 page is read for the answers it must keep,
and its "Send my answers again" button is pressed after a pause. Every exchange is logged with its
latency, and every thank-you (303) the client saw goes into the ledger that `audit.py` checks against
the database.
"""
from __future__ import annotations

import http.client
import random
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import unescape
from http.cookies import SimpleCookie
from urllib.parse import urlencode

from tests.factories import DEFINITION

REQUEST_TIMEOUT = 60.0  # a person's patience; a request slower than this is a failure of the test
INJECTED_TIMEOUT = 0.005  # "the client timed out": it stops waiting before any answer can come
PAUSE_AFTER_503 = 1.0
GRACE = 45.0  # after the deadline, time to finish the submission in hand (its retries included)
HIDDEN = re.compile(r'<input[^>]*type="hidden"[^>]*>')
ATTRIBUTE = re.compile(r'(name|value)="([^"]*)"')
SCENARIOS = {"once": 55, "double": 15, "timeout": 15, "back": 15}
QUESTIONS = {question["key"]: question for question in DEFINITION["questions"]}


def form_fields(html: str) -> dict[str, list[str]]:
    """The hidden fields of a page, every value of each, as a browser would post them."""
    fields: dict[str, list[str]] = {}
    for tag in HIDDEN.findall(html):
        attributes = dict(ATTRIBUTE.findall(tag))
        if "name" in attributes:
            fields.setdefault(unescape(attributes["name"]), []).append(unescape(attributes.get("value", "")))
    return fields


def random_answers(rng: random.Random) -> tuple[dict[str, list[str]], dict[str, object]]:
    """Form fields for the factory survey (tests.factories.DEFINITION), and the values they must be
    stored as. Only the rating is required; the other questions are left out now and then."""
    fields: dict[str, list[str]] = {}
    stored: dict[str, object] = {}

    def answer(key: str, form: list[str], value: object) -> None:
        fields[f"q-{key}"], stored[key] = form, value

    rating = rng.randint(1, len(QUESTIONS["satisfaction"]["scale"]))
    answer("satisfaction", [str(rating)], rating)
    if rng.random() < 0.8:
        nps = rng.randint(0, 10)
        answer("recommend", [str(nps)], nps)
    if rng.random() < 0.7:
        channel = rng.choice(QUESTIONS["channel"]["options"])
        answer("channel", [channel], channel)
    if rng.random() < 0.6:
        options = QUESTIONS["topics"]["options"]
        topics = [option for option in options if rng.random() < 0.5] or [options[0]]
        answer("topics", topics, topics)
    if rng.random() < 0.7:
        resolved = rng.random() < 0.5
        answer("resolved", ["yes" if resolved else "no"], resolved)
    if rng.random() < 0.5:
        comment = f"Réponse {uuid.uuid4().hex[:8]}: the “staff” were <b>kind</b> & quick — 谢谢"
        answer("comment", [comment], comment)
    return fields, stored


@dataclass(frozen=True)
class Exchange:
    """One HTTP request as the client lived it. `status` is None when no answer came: `outcome` says
    why ("timeout" or "connection", e.g. a worker killed mid-request)."""

    method: str
    started: float  # time.monotonic()
    seconds: float
    status: int | None
    outcome: str = "answered"
    injected: bool = False  # a timeout the test asked for


@dataclass
class Ledger:
    """What one respondent thread sent and what it was thanked for, in order."""

    attempted: dict[str, list[str]] = field(default_factory=dict)  # respondent → submission keys sent
    acknowledged: dict[str, list[tuple[str, dict]]] = field(default_factory=dict)  # → (key, stored values)

    def attempt(self, respondent: str, key: str) -> None:
        keys = self.attempted.setdefault(respondent, [])
        if key not in keys:
            keys.append(key)

    def acknowledge(self, respondent: str, key: str, answers: dict) -> None:
        self.acknowledged.setdefault(respondent, []).append((key, answers))

    def merge(self, other: Ledger) -> None:
        for respondent, keys in other.attempted.items():
            self.attempted.setdefault(respondent, []).extend(keys)
        for respondent, acks in other.acknowledged.items():
            self.acknowledged.setdefault(respondent, []).extend(acks)

    @property
    def acknowledged_keys(self) -> set[str]:
        return {key for acks in self.acknowledged.values() for key, _answers in acks}


class Browser:
    """One person's browser: its cookies, and a load balancer's choice of server for every request."""

    def __init__(self, servers: Sequence[tuple[str, int]], log: list[Exchange], rng: random.Random):
        self.servers, self.log, self.rng = servers, log, rng
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict[str, list[str]] | None = None, *,
                timeout: float = REQUEST_TIMEOUT) -> tuple[Exchange, str, dict[str, str]]:
        host, port = self.rng.choice(self.servers)
        headers = {"Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.monotonic()
        connection = http.client.HTTPConnection(host, port, timeout=timeout)
        status, outcome, text, answer_headers = None, "answered", "", {}
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            status = response.status
            answer_headers = {name.lower(): value for name, value in response.getheaders()}
            for cookie in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(cookie).items():
                    self.cookies[name] = morsel.value
        except TimeoutError:
            outcome = "timeout"
        except (OSError, http.client.HTTPException):
            outcome = "connection"  # reset or closed without an answer
        finally:
            connection.close()
        exchange = Exchange(method, started, time.monotonic() - started, status, outcome,
                            injected=outcome == "timeout" and timeout == INJECTED_TIMEOUT)
        self.log.append(exchange)
        return exchange, text, answer_headers


@dataclass
class RespondentReport:
    log: list[Exchange] = field(default_factory=list)
    ledger: Ledger = field(default_factory=Ledger)
    kept_on_503: int = 0  # 503 pages that held every posted field for the resend
    lost_on_503: int = 0  # 503 pages that did not (must stay 0)
    unexpected: list[str] = field(default_factory=list)  # statuses a respondent should never see


class Respondent(threading.Thread):
    def __init__(self, number: int, servers, *, slug: str, tokens: Sequence[str], deadline: float, seed: int,
                 thinking: tuple[float, float]):
        super().__init__(name=f"respondent-{number}", daemon=True)
        self.servers, self.slug, self.tokens, self.deadline = servers, slug, list(tokens), deadline
        self.thinking = thinking
        self.rng = random.Random(seed)
        self.report = RespondentReport()
        self.personal_browsers: dict[str, Browser] = {}

    def run(self) -> None:
        while time.monotonic() < self.deadline:
            if self.tokens and self.rng.random() < 0.5:
                token = self.rng.choice(self.tokens)
                browser = self.personal_browsers.setdefault(token, self.browser())
                self.answer(browser, f"/r/{token}", f"token:{token}")
            else:  # a new customer on the public link
                self.answer(self.browser(), f"/s/{self.slug}", f"public:{self.name}:{uuid.uuid4().hex}")

    def browser(self) -> Browser:
        return Browser(self.servers, self.report.log, self.rng)

    def give_up(self) -> bool:
        return time.monotonic() > self.deadline + GRACE

    def answer(self, browser: Browser, path: str, respondent: str) -> None:
        scenario = self.rng.choices(list(SCENARIOS), weights=list(SCENARIOS.values()))[0]
        opened = self.open_form(browser, path)
        if opened is None:
            return
        time.sleep(self.rng.uniform(*self.thinking))
        thanked = self.send(browser, path, respondent, *opened, scenario=scenario)
        if thanked and scenario == "back" and (opened := self.open_form(browser, path)) is not None:
            # A personal link changes its one response; on the public link each sent form is a response of
            # its own (the next person at a shared device), so the form opened again is a new respondent's.
            again = respondent if path.startswith("/r/") else f"{respondent}:again"
            self.send(browser, path, again, *opened, scenario="once")

    def open_form(self, browser: Browser, path: str) -> tuple[dict, dict] | None:
        while not self.give_up():
            exchange, html, _headers = browser.request("GET", path)
            if exchange.status == 200:
                fields = form_fields(html)
                answers, stored = random_answers(self.rng)
                return {**fields, **answers, "action": ["submit"]}, stored
            if exchange.status != 503 and exchange.outcome == "answered":
                self.report.unexpected.append(f"GET {path.split('/')[1]}: {exchange.status}")
                return None
            time.sleep(PAUSE_AFTER_503 if exchange.status == 503 else 0.2)
        return None

    def send(self, browser: Browser, path: str, respondent: str, form: dict, stored: dict, *, scenario: str) -> bool:
        key = form["submission_key"][0]
        self.report.ledger.attempt(respondent, key)
        second_click = None
        if scenario == "double":
            second_click = DoubleClick(browser, path, form)
            second_click.start()
        timeout = INJECTED_TIMEOUT if scenario == "timeout" else REQUEST_TIMEOUT
        thanked = False
        while not self.give_up():
            exchange, html, _headers = browser.request("POST", path, form, timeout=timeout)
            timeout = REQUEST_TIMEOUT
            if exchange.status == 303:
                thanked = True
                self.report.ledger.acknowledge(respondent, key, stored)
                browser.request("GET", f"{path}/thanks")
                break
            if exchange.status == 503:
                resend = form_fields(html)
                if resend == form:
                    self.report.kept_on_503 += 1
                else:
                    self.report.lost_on_503 += 1
                    resend = form  # the person still has the answers in mind; the audit flags the page
                form = resend
                time.sleep(PAUSE_AFTER_503)
                continue
            if exchange.outcome == "answered":
                self.report.unexpected.append(f"POST {path.split('/')[1]}: {exchange.status}")
                break
            time.sleep(0.2)  # no answer (timeout, connection cut): press Send again
        if second_click is not None:
            second_click.join()
            if second_click.status == 303:
                self.report.ledger.acknowledge(respondent, key, stored)
            elif second_click.status not in (None, 503):
                self.report.unexpected.append(f"POST (second click) {path.split('/')[1]}: {second_click.status}")
        return thanked


class DoubleClick(threading.Thread):
    """The same form posted once more at the same moment, from the same browser."""

    def __init__(self, browser: Browser, path: str, form: dict):
        super().__init__(daemon=True)
        self.browser, self.path, self.form = browser, path, form
        self.status: int | None = None
        self.exchange: Exchange | None = None

    def run(self) -> None:
        # Its own log: the browser's list belongs to the respondent's thread (merged when joined).
        twin = Browser(self.browser.servers, [], self.browser.rng)
        twin.cookies = dict(self.browser.cookies)
        exchange, _html, _headers = twin.request("POST", self.path, self.form)
        self.status, self.exchange = exchange.status, exchange

    def join(self, timeout=None) -> None:
        super().join(timeout)
        if self.exchange is not None:
            self.browser.log.append(self.exchange)


@dataclass
class LoadResult:
    respondents: int
    seconds: float
    log: list[Exchange]
    ledger: Ledger
    kept_on_503: int
    lost_on_503: int
    unexpected: list[str]

    @property
    def statuses(self) -> Counter:
        return Counter(exchange.status if exchange.status is not None else exchange.outcome
                       for exchange in self.log)

    def timeouts(self, *, injected: bool) -> int:
        return sum(1 for exchange in self.log if exchange.outcome == "timeout" and exchange.injected == injected)

    @property
    def server_errors(self) -> int:
        return sum(1 for exchange in self.log if exchange.status is not None and exchange.status >= 500)

    def latency(self, quantile: float, method: str | None = None) -> float:
        seconds = sorted(exchange.seconds for exchange in self.log
                         if exchange.status is not None and (method is None or exchange.method == method))
        if not seconds:
            return float("nan")
        return seconds[min(len(seconds) - 1, int(quantile * len(seconds)))]

    @property
    def acknowledged(self) -> int:
        return len(self.ledger.acknowledged_keys)

    @property
    def answered_requests(self) -> int:
        return sum(1 for exchange in self.log if exchange.status is not None)


class Load:
    """`respondents` people answering for `seconds` against `servers` (a random one per request). Between
    opening the form and sending it each one thinks for a time drawn from `thinking` (seconds): none by
    default, to load the servers as hard as 50 clients can."""

    def __init__(self, servers: Sequence[tuple[str, int]], *, slug: str, tokens: Sequence[str], respondents: int,
                 seconds: float, seed: int = 8, thinking: tuple[float, float] = (0.0, 0.0)):
        self.seconds = seconds
        self.started = time.monotonic()
        deadline = self.started + seconds
        share = max(1, len(tokens) // respondents) if tokens else 0
        self.threads = [Respondent(n, list(servers), slug=slug, tokens=tokens[n * share:(n + 1) * share],
                                   deadline=deadline, seed=seed * 1000 + n, thinking=thinking)
                        for n in range(respondents)]

    def start(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def running(self) -> bool:
        return any(thread.is_alive() for thread in self.threads)

    def wait(self) -> LoadResult:
        for thread in self.threads:
            thread.join(self.seconds + GRACE + REQUEST_TIMEOUT + 30)
        stuck = [thread.name for thread in self.threads if thread.is_alive()]
        if stuck:
            raise RuntimeError(f"respondents still waiting for answers long after the deadline: {stuck}")
        ledger = Ledger()
        for thread in self.threads:
            ledger.merge(thread.report.ledger)
        return LoadResult(
            respondents=len(self.threads), seconds=time.monotonic() - self.started,
            log=[exchange for thread in self.threads for exchange in thread.report.log], ledger=ledger,
            kept_on_503=sum(thread.report.kept_on_503 for thread in self.threads),
            lost_on_503=sum(thread.report.lost_on_503 for thread in self.threads),
            unexpected=[line for thread in self.threads for line in thread.report.unexpected])
