"""Benchmark: scale-out on one PostgreSQL, in the shape docs/deployment.md gives production — survey
submissions through 1, 2 and 4 gunicorn worker processes, and 10 000 invitation emails sent by 1 and by 2
`flask dispatch --loop` processes — with the CPU each process spends per submission and per email.

Submissions. Three gunicorn servers (`--workers 1`, `2`, `4`: the default sync workers, processes not
threads) serve the application on one PostgreSQL database, with the rate-limit counters in Redis
(HEARKEN_RATELIMIT_STORAGE_URI, under a key prefix of the bench's own: `hearken_app` is app:app with that
prefix). The load is survey_submit's: bench/http_load.py's 2 client processes × 4 connections in flight, each
POST a form of the factory survey opened (GET) before the clock started, each answered 303, and afterwards
the database must hold exactly one more response, one more revision and the expected answer rows per POST.
The three rungs are loaded in turn, in slices (1, 2, 4, 1, 2, 4 …), so that others' work on this shared
machine falls on each alike; the same-run baseline of the 2- and 4-process figures is the 1-process figure,
so their ratio is the scaling. Measured per rung: submissions/s, p99 latency, and CPU time per submission
of the gunicorn processes (master and workers, user + system, /proc/<pid>/stat) and of the PostgreSQL
backends that served them (PostgreSQL runs on this machine: each server connects with an application_name
of its own, so pg_stat_activity names its backends). pg_stat_activity is also sampled every 20 ms to see
what busy backends waited for (row locks, the WAL). After the load one unknown personal link per server
checks that its rate-limit counter lands in Redis (and that the submissions themselves wrote nothing there).

Emails. A campaign launch queues `--messages` invitations (the real path, as bench/dispatch_email.py: rendered
at queue time, one transaction), then 1 and then 2 `flask dispatch --loop` processes send them to an aiosmtpd
server in a process of its own that records each Message-ID as it arrives. The dispatchers are started
first and held (SIGSTOP) once they have settled, so that the launch's commit is not raced and their start-up
and idle polling are not counted; they are let go together (SIGCONT) and timed from then to the last message
received. Every queued Message-ID must arrive exactly once (none missing, none twice, none unknown) and every
outbox row end `sent`, or the bench fails. CPU per message is that of the dispatchers (and of their
PostgreSQL backends, and of the SMTP server) from the moment they were let go to the last row recorded sent.

On two cores, four processes cannot do more than two cores' worth of work, and here they share those cores
with PostgreSQL and the clients: the scaling ratios show where this machine saturates, not what more cores
would give. The CPU per submission and per email are what docs/deployment.md's capacity model is built on.

    .venv/bin/python bench/scale_out.py [--seconds 5] [--messages 10000] [--runs 3] [--quick]
        [--postgresql postgresql+psycopg://postgres@127.0.0.1:5432/hearken_bench] [--redis redis://127.0.0.1:6379]
"""
from __future__ import annotations

import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BENCH_POSTGRESQL, Figure, bench_main, child_pids, cpu_seconds, fresh_app, postgresql_problem  # noqa: E402
from http_load import PROCESSES, THREADS, Load, _wait_until_answering, hammer, request  # noqa: E402

from tests.smtp import free_port  # noqa: E402

BENCH = Path(__file__).resolve().parent
SLUG = "support-csat"
PAGE = f"/s/{SLUG}"
SECRET_KEY = "bench secret key shared by every process of the scale-out bench"
WORKERS = (1, 2, 4)
DISPATCHERS = (1, 2)
SLICES = 5
SAMPLE_EVERY = 0.02  # seconds between two looks at pg_stat_activity
NAME = "hearken-bench-scale-out"  # application_name prefix of the bench's servers, and the Redis key prefix's start
TABLES = ("responses", "response_revisions", "answers")
LAUNCH = f"{NAME}-launch"  # the application_name of the bench's own app, which launches the campaigns


def hearken_app():
    """What the bench's gunicorn servers serve: app:app, its rate-limit keys under the bench's own prefix (the
    Redis server may be shared; create_app's config, as tests/security/test_rate_limits.py does)."""
    from survey import create_app

    return create_app({"RATELIMIT_KEY_PREFIX": os.environ["BENCH_REDIS_PREFIX"]})


# --- processes and their CPU ------------------------------------------------------------------------

def named(url: str, application_name: str) -> str:
    """The database URL, its connections named `application_name` (in pg_stat_activity)."""
    from sqlalchemy.engine import make_url

    return make_url(url).update_query_dict({"application_name": application_name}).render_as_string(False)


def production_environment(url: str, application_name: str, folder: Path, **settings: str) -> dict[str, str]:
    """A production process's environment (the developer's HEARKEN_* settings left out), connecting to `url`
    as `application_name`."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith("HEARKEN_")}
    environment.update(HEARKEN_DATABASE_URL=named(url, application_name),
                       HEARKEN_SECRET_KEY=SECRET_KEY, HEARKEN_INSTANCE_PATH=str(folder),
                       HEARKEN_BASE_URL="https://feedback.example.test", PYTHONUNBUFFERED="1", **settings)
    return environment


@dataclass
class Server:
    """A gunicorn server: its port, its master process, the application_name of its connections."""

    workers: int
    port: int
    process: subprocess.Popen
    application_name: str

    def pids(self) -> list[int]:
        return [self.process.pid, *child_pids(self.process.pid)]

    def cpu(self) -> dict[int, float]:
        """CPU seconds used so far by the master and each worker."""
        return {pid: cpu_seconds(pid) for pid in self.pids()}


@contextmanager
def gunicorn_server(workers: int, environment: dict[str, str], application_name: str) -> Iterator[Server]:
    """`gunicorn --workers N` (sync workers) serving hearken_app, as bench/http_load.py's gunicorn() does, but
    with the master's pid at hand (its workers' CPU is measured)."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
               "--no-control-socket", "--pythonpath", str(BENCH), "scale_out:hearken_app()"]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, env=environment, cwd=BENCH.parent, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        try:
            _wait_until_answering(port, PAGE, process, log)
            yield Server(workers, port, process, application_name)
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)


def stop(process: subprocess.Popen) -> None:
    """SIGTERM its process group (and SIGCONT, should it be held); SIGKILL what is left after 10 s."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            os.killpg(process.pid, signal.SIGCONT)
            process.wait(10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


class Database:
    """The bench's own look at PostgreSQL: backends by application_name, and their CPU when PostgreSQL runs on
    this machine (a backend is a process here, /proc/<pid>/stat)."""

    def __init__(self, url: str):
        import psycopg
        from sqlalchemy.engine import make_url

        target = make_url(url)
        self.conninfo = target.set(drivername="postgresql").render_as_string(False)
        self.local = target.host in (None, "", "127.0.0.1", "localhost", "::1")
        self.connection = psycopg.connect(self.conninfo, autocommit=True, application_name=f"{NAME}-monitor")

    def backends(self, names: list[str]) -> dict[int, str]:
        rows = self.connection.execute(
            "SELECT pid, application_name FROM pg_stat_activity WHERE datname = current_database() "
            "AND application_name = ANY(%s)", (names,)).fetchall()
        return dict(rows)

    def cpu(self, names: list[str]) -> dict[int, float]:
        """CPU seconds used so far by each backend of these application_names (empty unless PostgreSQL is local)."""
        return {pid: cpu_seconds(pid) for pid in self.backends(names)} if self.local else {}

    def commit_ms(self, times: int = 200) -> float:
        """Median milliseconds of a one-row INSERT and its COMMIT, alone on the server's WAL with whatever else
        it serves: the flush every submission's commit waits for (and holds its row locks through)."""
        import psycopg

        took = []
        with psycopg.connect(self.conninfo, application_name=f"{NAME}-commit") as connection:
            connection.execute("CREATE TABLE IF NOT EXISTS bench_commit (id SERIAL PRIMARY KEY)")
            connection.commit()
            for _ in range(times):
                started = time.perf_counter()
                connection.execute("INSERT INTO bench_commit DEFAULT VALUES")
                connection.commit()
                took.append(time.perf_counter() - started)
            connection.execute("DROP TABLE bench_commit")
            connection.commit()
        return statistics.median(took) * 1000

    def scalar(self, sql: str, *parameters):
        return self.connection.execute(sql, parameters).fetchone()[0]

    def close(self) -> None:
        self.connection.close()


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds used between two snapshots, by processes alive at the second (a process that started in
    between counts whole)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


class Waits:
    """What the bench's busy backends wait for: pg_stat_activity sampled every SAMPLE_EVERY s in a thread of
    its own connection, tallied per application_name. `busy` counts samples of active backends; `lock`
    those waiting for a lock another transaction holds (a row's, mostly: wait_event transactionid or
    tuple); `wal` those waiting for the WAL to be written or flushed (a commit)."""

    def __init__(self, conninfo: str):
        self.conninfo = conninfo
        self.tally: dict[str, Counter] = {}
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._sample, name="pg_stat_activity sampler", daemon=True)

    def _sample(self) -> None:
        import psycopg

        with psycopg.connect(self.conninfo, autocommit=True, application_name=f"{NAME}-sampler") as connection:
            while not self.stopped.wait(SAMPLE_EVERY):
                for name, wait_type, wait in connection.execute(
                        "SELECT application_name, wait_event_type, wait_event FROM pg_stat_activity "
                        "WHERE datname = current_database() AND state = 'active' AND application_name LIKE %s",
                        (f"{NAME}-web-%",)):
                    counts = self.tally.setdefault(name, Counter())
                    counts["busy"] += 1
                    if wait_type == "Lock":
                        counts["lock"] += 1
                    elif wait and wait.startswith("WAL"):
                        counts["wal"] += 1

    def share(self, name: str, what: str) -> float | None:
        counts = self.tally.get(name, Counter())
        return counts[what] / counts["busy"] if counts["busy"] else None

    def __enter__(self) -> Waits:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopped.set()
        self.thread.join(timeout=5)


# --- the database ----------------------------------------------------------------------------------

def prepare(url: str, folder: Path):
    """An empty, migrated database with the factory survey, published; the app the bench reads it with."""
    import psycopg

    from survey.extensions import db
    from tests.factories import make_survey

    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as connection:
        connection.execute("DROP SCHEMA public CASCADE")
        connection.execute("CREATE SCHEMA public")
    # Its connections named too: the campaign launch's backend CPU is measured.
    app = fresh_app(folder, SQLALCHEMY_DATABASE_URI=named(url, LAUNCH), SECRET_KEY=SECRET_KEY,
                    MAIL_FROM="Hearken <feedback@example.test>")
    with app.app_context():
        make_survey()
        db.session.remove()
        db.engine.dispose()
    return app


def stored_rows(app) -> dict[str, int]:
    from sqlalchemy import text

    from survey.extensions import db

    with app.app_context():
        counts = {table: db.session.scalar(text(f"SELECT count(*) FROM {table}")) for table in TABLES}
        db.session.remove()
        db.engine.dispose()  # nothing open while the clients fork
    return counts


# --- submissions -----------------------------------------------------------------------------------

@dataclass
class Rung:
    """One server's measurements in one run."""

    server: Server
    loads: list[Load] = field(default_factory=list)
    web_cpu: float = 0.0  # CPU seconds of the gunicorn processes
    db_cpu: float = 0.0  # of the PostgreSQL backends that served them
    backends: int = 0  # connections the server held at the end
    commit_ms: float = 0.0  # a bare one-row commit, measured before the run
    pages: int = 0  # survey pages (GET, first visit) served to open the forms posted
    page_cpu: float = 0.0  # CPU seconds of the gunicorn processes serving them
    page_db_cpu: float = 0.0  # of their PostgreSQL backends

    @property
    def load(self) -> Load:
        return Load.merged(self.loads)

    @property
    def web_ms(self) -> float:
        return self.web_cpu / self.load.count * 1000

    @property
    def db_ms(self) -> float:
        return self.db_cpu / self.load.count * 1000


def warm_up(server: Server, database: Database, answers, rounds: int) -> float:
    """Each worker's first requests load templates and open its connection: post forms until every worker
    holds one (so every worker has served). The rate of the last round."""
    from survey_submit import open_forms

    rate = 0.0
    for _ in range(5):
        posts, _rows, _hidden = open_forms(server.port, rounds * PROCESSES * THREADS, answers)
        rate = hammer(server.port, posts).check(303).rate
        if len(database.backends([server.application_name])) >= server.workers:
            break
    return rate


def submission_run(servers: list[Server], rates: dict[int, float], app, database: Database, answers,
                   seconds: float, slices: int) -> list[Rung]:
    """One run: each server posted about `seconds` worth of forms (sized from its last rate), in `slices`
    turns taken one server after another; then every submission must be in the database."""
    from survey_submit import open_forms

    commit_ms = database.commit_ms()
    rungs = {server.workers: Rung(server, commit_ms=commit_ms) for server in servers}
    parts, expected = {}, Counter()
    for server in servers:  # the forms are opened with the servers' CPU measured too: the survey page's cost
        rung, web, backends = rungs[server.workers], server.cpu(), database.cpu([server.application_name])
        posts, answer_rows, _hidden = open_forms(server.port, max(50, round(rates[server.workers] * seconds)), answers)
        rung.pages, rung.page_cpu = len(posts), cpu_used(web, server.cpu())
        rung.page_db_cpu = cpu_used(backends, database.cpu([server.application_name]))
        parts[server.workers] = [posts[i::slices] for i in range(slices)]
        expected.update({"responses": len(posts), "response_revisions": len(posts), "answers": answer_rows})
    before = stored_rows(app)
    web = {server.workers: server.cpu() for server in servers}
    backends = {server.workers: database.cpu([server.application_name]) for server in servers}
    for part in range(slices):
        for server in servers:
            rungs[server.workers].loads.append(hammer(server.port, parts[server.workers][part]).check(303))
    for server in servers:
        rung = rungs[server.workers]
        rung.web_cpu = cpu_used(web[server.workers], server.cpu())
        rung.db_cpu = cpu_used(backends[server.workers], database.cpu([server.application_name]))
        rung.backends = len(database.backends([server.application_name]))
    after = stored_rows(app)
    stored = {table: after[table] - before[table] for table in TABLES}
    assert stored == dict(expected), f"submissions lost: {stored} stored, {dict(expected)} expected"
    return list(rungs.values())


def redis_problem(uri: str) -> str | None:
    import redis

    try:
        redis.Redis.from_url(uri, socket_connect_timeout=3).ping()
        return None
    except redis.RedisError as error:
        return str(error)


def check_redis(servers: list[Server], uri: str, prefix: str) -> int:
    """The servers count rate limits in Redis under `prefix`: one unknown personal link each (a 404, counted
    as a guess) must leave a counter there. Returns how many keys the submissions had left before that (none:
    a public submission spends no rate limit). The keys are deleted."""
    import redis

    store = redis.Redis.from_url(uri)
    before = sum(1 for _ in store.scan_iter(f"*{prefix}*"))
    for server in servers:
        hammer(server.port, [request("GET", "/r/" + "x" * 43)], processes=1, threads=1).check(404)
    keys = list(store.scan_iter(f"*{prefix}*"))
    assert keys, f"no rate-limit counter under {prefix} in Redis: the servers are not counting there"
    store.delete(*keys)
    return before


def measure_submissions(url: str, redis_uri: str, app, database: Database, folder: Path, args) -> list[Figure]:
    from survey_submit import answer_sets

    quick = args.quick
    seconds = 2 if quick else args.seconds
    slices = 2 if quick else SLICES
    runs = 1 if quick else args.runs
    answers = answer_sets()
    prefix = f"{NAME}-{uuid.uuid4().hex[:12]}"
    settings = {"HEARKEN_RATELIMIT_STORAGE_URI": redis_uri, "BENCH_REDIS_PREFIX": prefix}
    results: list[list[Rung]] = []
    with contextmanagers(*(gunicorn_server(workers, production_environment(url, f"{NAME}-web-{workers}", folder,
                                                                          **settings), f"{NAME}-web-{workers}")
                           for workers in args.workers)) as servers:
        rates = {server.workers: warm_up(server, database, answers, 5 if quick else 20) for server in servers}
        with Waits(database.conninfo) as waits:
            for _ in range(runs):
                rungs = submission_run(servers, rates, app, database, answers, seconds, slices)
                rates = {rung.server.workers: rung.load.rate for rung in rungs}
                results.append(rungs)
        untouched = check_redis(servers, redis_uri, prefix)
    return submission_figures(results, waits, untouched, database.local, seconds, slices)


@contextmanager
def contextmanagers(*managers):
    """Enter several context managers; the list of what they gave."""
    with ExitStack() as stack:
        yield [stack.enter_context(manager) for manager in managers]


def cores(cpu: float, seconds: float) -> str:
    return f"{cpu / seconds:.2f}"


def submission_figures(results: list[list[Rung]], waits: Waits, redis_keys: int, local: bool, seconds: float,
                       slices: int) -> list[Figure]:
    by_workers = {rung.server.workers: [run[i] for run in results] for i, rung in enumerate(results[0])}
    one = by_workers.get(1)
    count = os.cpu_count() or 1
    figures = []
    for workers, rungs in by_workers.items():
        name = rungs[0].server.application_name
        loads = [rung.load for rung in rungs]
        timed = sum(load.count for load in loads)
        busy = sum(load.seconds for load in loads)
        lock, wal = waits.share(name, "lock"), waits.share(name, "wal")
        used = (f"gunicorn {cores(sum(r.web_cpu for r in rungs), busy)}, PostgreSQL backends "
                f"{cores(sum(r.db_cpu for r in rungs), busy) if local else '?'}, clients "
                f"{cores(sum(load.client_cpu for load in loads), busy)}")
        note = (f"{workers} gunicorn sync worker process{'es' if workers > 1 else ''} ({rungs[-1].backends} "
                f"PostgreSQL connection{'s' if rungs[-1].backends != 1 else ''}), PostgreSQL, rate limits in Redis; "
                f"survey_submit's load ({PROCESSES} client processes × {THREADS} connections) on the same {count} "
                f"cores, "
                f"≈{seconds:g} s per run in {slices} slices taken in turn with the other process counts; {timed} "
                f"submissions timed, each checked stored; cores busy while loaded: {used}")
        if lock is not None:
            note += (f"; busy backends waited for a lock in {lock:.0%} of samples, for the WAL in {wal:.0%} (a "
                     f"one-row INSERT and COMMIT alone: {statistics.median(r.commit_ms for r in rungs):.2f} ms)")
        if workers > count:
            note += (f"; on {count} cores {workers} processes cannot do more than {count} cores' worth, shared with "
                     "PostgreSQL and the clients")
        against_one = one is not None and workers != 1
        baseline = "1 gunicorn worker process, same run" if against_one else ""
        process_word = "process" if workers == 1 else "processes"
        figures += [
            Figure(key=f"scale_out.submit.{workers}.rate",
                   title=f"survey submit with {workers} gunicorn {process_word}, PostgreSQL",
                   unit="req/s", runs=[load.rate for load in loads], baseline=baseline,
                   baseline_runs=[r.load.rate for r in one] if against_one else [], note=note),
            Figure(key=f"scale_out.submit.{workers}.p99",
                   title=f"survey submit p99 latency with {workers} gunicorn {process_word}, PostgreSQL", unit="ms",
                   runs=[load.p99_ms for load in loads], better="lower",
                   baseline=f"{baseline}, its p99" if against_one else "",
                   baseline_runs=[r.load.p99_ms for r in one] if against_one else [],
                   note=f"{PROCESSES * THREADS} requests in flight: with fewer processes than that, the p99 is "
                        "mostly waiting for a free process"),
            Figure(key=f"scale_out.submit.{workers}.cpu",
                   title=f"gunicorn CPU per submission, {workers} {process_word}", unit="ms",
                   runs=[rung.web_ms for rung in rungs], better="lower",
                   baseline=f"{baseline}, its CPU per submission" if against_one else "",
                   baseline_runs=[r.web_ms for r in one] if against_one else [],
                   note=(f"user + system CPU of the gunicorn master and workers over the submissions they served; "
                         f"clients {statistics.median(1000 * load.client_cpu / load.count for load in loads):.2f} ms a "
                         "request" + (f", PostgreSQL backends {statistics.median(r.db_ms for r in rungs):.2f} ms"
                                      if local else ""))),
        ]
    if local:
        figures.append(Figure(
            key="scale_out.submit.postgresql_cpu", title="PostgreSQL backends' CPU per submission", unit="ms",
            runs=[sum(r.db_cpu for r in run) / sum(r.load.count for r in run) * 1000 for run in results],
            better="lower",
            note=("user + system CPU of the backends serving the gunicorn servers (by application_name), over "
                  "every process count of the run; by count: " + ", ".join(
                      f"{w}: {statistics.median(r.db_ms for r in rs):.2f} ms" for w, rs in by_workers.items())
                  + "; PostgreSQL's own WAL writer and checkpointer not included; the submissions spent "
                  + ("nothing" if not redis_keys else f"{redis_keys} keys") + " in Redis")))
    pages = [(sum(r.page_cpu for r in run), sum(r.page_db_cpu for r in run), sum(r.pages for r in run))
             for run in results]
    figures.append(Figure(
        key="scale_out.page.cpu", title="gunicorn CPU per survey page (GET, first visit)", unit="ms",
        runs=[cpu / count * 1000 for cpu, _db, count in pages], better="lower",
        note=(f"the public survey page opened as a new browser (the forms posted above; {sum(p[2] for p in pages)} "
              "pages), every process count together" + (
                  f"; PostgreSQL backends {statistics.median(db / count * 1000 for _cpu, db, count in pages):.2f} ms"
                  if local else ""))))
    return figures


# --- emails --------------------------------------------------------------------------------------

MESSAGE_ID = re.compile(rb"^message-id:[ \t]*(\S+)", re.IGNORECASE | re.MULTILINE)


def record_message_ids(port: int, path: str, delay: float = 0.0) -> None:
    """An SMTP server (aiosmtpd, in the process that calls this) appending `<seconds> <Message-ID>` to `path`
    for every message it accepts, after `delay` seconds (as a remote relay takes), until it is terminated."""
    import asyncio

    from aiosmtpd.controller import Controller

    # Blocked before the server's thread starts (it inherits the mask), so that sigwait() below receives them.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    output = open(path, "a", buffering=1)  # noqa: SIM115 — open until the process is terminated

    class Recorder:
        async def handle_DATA(self, server, session, envelope):
            if delay:
                await asyncio.sleep(delay)
            head = envelope.content.split(b"\r\n\r\n", 1)[0]
            found = MESSAGE_ID.search(head)
            output.write(f"{time.time():.6f} {found.group(1).decode() if found else '-'}\n")
            return "250 Message accepted for delivery"

    Controller(Recorder(), hostname="127.0.0.1", port=port).start()
    signal.sigwait({signal.SIGTERM, signal.SIGINT})


@contextmanager
def smtp_recorder(path: Path, delay: float) -> Iterator[tuple[int, subprocess.Popen]]:
    port = free_port()
    code = (f"import sys; sys.path.insert(0, {str(BENCH)!r}); import scale_out; "
            f"scale_out.record_message_ids({port}, {str(path)!r}, {delay!r})")
    process = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    try:
        wait_for_port(port, process)
        yield port, process
    finally:
        stop(process)


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the process exited with {process.returncode} before listening on {port}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {timeout} s")


@dataclass
class Sending:
    """One campaign sent by some dispatchers."""

    dispatchers: int
    count: int
    rate: float  # msg/s, from the dispatchers let go to the last message received
    launch_rate: float  # msg/s queued by the launch
    launch_cpu: float  # CPU seconds of the launching process (this one)
    launch_db_cpu: float  # of its PostgreSQL backend
    cpu: float  # CPU seconds of the dispatchers, from let go to the last row recorded sent
    db_cpu: float  # of their PostgreSQL backends, likewise
    smtp_cpu: float  # of the SMTP server
    seconds: float  # from let go to the last row recorded sent
    sent_by: list[int]  # messages each dispatcher reported sent
    connections: int  # most backends the dispatchers held at once


def add_contacts(count: int, batch: str) -> None:
    from sqlalchemy import insert

    from survey.clock import utcnow
    from survey.extensions import db
    from survey.models import Contact

    now = utcnow()
    db.session.execute(insert(Contact), [{"email": f"customer-{batch}-{i}@example.com", "name": f"Customer {i}",
                                          "attributes": {"batch": batch}, "created_at": now} for i in range(count)])
    db.session.commit()


def start_dispatcher(environment: dict[str, str], log: Path) -> subprocess.Popen:
    with open(log, "ab") as output:
        return subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "dispatch", "--loop"],
                                cwd=BENCH.parent, env=environment, stdout=output, stderr=subprocess.STDOUT,
                                start_new_session=True)


def sent_by(log: Path) -> int:
    """How many messages a dispatcher reported sent (its `sent N, …` lines)."""
    lines = log.read_text().splitlines() if log.exists() else []
    return sum(int(line.split()[1].rstrip(",")) for line in lines if line.startswith("sent "))


def wait_until_settled(processes: list[subprocess.Popen], database: Database, names: list[str],
                       timeout: float = 120) -> None:
    """Until every dispatcher has started, connected and gone quiet (its first pass done: it detects trends
    first), polling an empty outbox."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                raise RuntimeError(f"a dispatcher exited with {process.returncode} before it started sending")
        if len(set(database.backends(names).values())) == len(names):
            pids = [process.pid for process in processes]
            started = time.monotonic()
            before = {pid: cpu_seconds(pid) for pid in pids}
            time.sleep(1)
            idle = cpu_used(before, {pid: cpu_seconds(pid) for pid in pids}) / (time.monotonic() - started)
            if idle < 0.05 * len(processes):  # an empty pass takes ≈10 ms, every HEARKEN_DISPATCH_INTERVAL s
                return
        else:
            time.sleep(0.2)
    raise RuntimeError(f"the dispatchers did not settle in {timeout} s")


def send_campaign(dispatchers: int, count: int, label: str, url: str, redis_uri: str, app, database: Database,
                  folder: Path, relay_delay: float = 0.0) -> Sending:
    """`count` invitations queued by one campaign launch while `dispatchers` dispatchers wait, then sent by
    them to a recording SMTP server; every Message-ID must arrive exactly once."""
    from sqlalchemy import func, select

    from survey import outreach
    from survey.authoring.editing import find_survey
    from survey.clock import utcnow
    from survey.config import DEFAULTS
    from survey.extensions import db
    from survey.models import OutboxMessage, OutboxStatus

    with app.app_context():
        add_contacts(count, label)
        first_id = (db.session.scalar(select(func.max(OutboxMessage.id))) or 0) + 1
        db.session.remove()
    received = folder / f"{label}.ids"
    names = [f"{NAME}-dispatch-{i + 1}" for i in range(dispatchers)]
    logs = [folder / f"{label}-{name}.log" for name in names]
    with smtp_recorder(received, relay_delay) as (port, smtp):
        settings = {"HEARKEN_SMTP_HOST": "127.0.0.1", "HEARKEN_SMTP_PORT": str(port),
                    "HEARKEN_MAIL_FROM": "Hearken <feedback@example.test>", "HEARKEN_RATELIMIT_STORAGE_URI": redis_uri}
        processes = [start_dispatcher(production_environment(url, name, folder, **settings), log)
                     for name, log in zip(names, logs, strict=True)]
        try:
            wait_until_settled(processes, database, names)
            for process in processes:
                os.killpg(process.pid, signal.SIGSTOP)
            started, launch_cpu, launch_db = time.monotonic(), time.process_time(), database.cpu([LAUNCH])
            with app.app_context():
                survey = find_survey(SLUG)
                _campaign, report = outreach.send_campaign(survey, segment={"batch": [label]}, at=None, reminders=0,
                                                           reminder_days=3, now=utcnow())
                assert report is not None and report.queued == count, report
                db.session.remove()
            launch = time.monotonic() - started
            launch_cpu, launch_db_cpu = time.process_time() - launch_cpu, cpu_used(launch_db, database.cpu([LAUNCH]))
            # Held for at least a polling interval, so each is past its sleep and starts at once when let go.
            time.sleep(max(0.0, DEFAULTS["DISPATCH_INTERVAL"] - launch))
            pids = [process.pid for process in processes]
            before, backends = {pid: cpu_seconds(pid) for pid in pids}, database.cpu(names)
            smtp_before = cpu_seconds(smtp.pid)
            let_go = time.time()
            for process in processes:
                os.killpg(process.pid, signal.SIGCONT)
            connections = wait_until_sent(database, first_id, count, received, names, processes)
            done = time.time()
            after, backends_after = {pid: cpu_seconds(pid) for pid in pids}, database.cpu(names)
            smtp_cpu = cpu_seconds(smtp.pid) - smtp_before
            time.sleep(1)  # anything sent twice would arrive now
        finally:
            for process in processes:
                stop(process)
    arrivals = [line.split(" ", 1) for line in received.read_text().splitlines()]
    with app.app_context():
        queued = set(db.session.scalars(select(OutboxMessage.message_id).where(OutboxMessage.id >= first_id)))
        statuses = Counter(db.session.scalars(select(OutboxMessage.status).where(OutboxMessage.id >= first_id)))
        db.session.remove()
        db.engine.dispose()
    check_received_once(queued, [message_id for _at, message_id in arrivals], statuses, OutboxStatus.SENT)
    last = max(float(at) for at, _id in arrivals)
    return Sending(dispatchers=dispatchers, count=count, rate=count / (last - let_go), launch_rate=count / launch,
                   launch_cpu=launch_cpu, launch_db_cpu=launch_db_cpu,
                   cpu=cpu_used(before, after), db_cpu=cpu_used(backends, backends_after), smtp_cpu=smtp_cpu,
                   seconds=done - let_go, sent_by=[sent_by(log) for log in logs], connections=connections)


def wait_until_sent(database: Database, first_id: int, count: int, received: Path, names: list[str],
                    processes: list[subprocess.Popen], patience: float = 60) -> int:
    """Until every message has arrived and every row is recorded sent (no progress for `patience` s fails).
    The most backends the dispatchers held at once meanwhile."""
    connections, progress, last = 0, -1, time.monotonic()
    while True:
        arrived = received.read_bytes().count(b"\n") if received.exists() else 0
        waiting = database.scalar("SELECT count(*) FROM outbox WHERE id >= %s AND status IN ('pending', 'sending')",
                                  first_id)
        connections = max(connections, len(database.backends(names)))
        if arrived >= count and not waiting:
            return connections
        if arrived + count - waiting != progress:
            progress, last = arrived + count - waiting, time.monotonic()
        elif time.monotonic() - last > patience:
            raise RuntimeError(f"no progress for {patience} s: {arrived} of {count} received, {waiting} not sent")
        if any(process.poll() is not None for process in processes):
            raise RuntimeError("a dispatcher exited while sending")
        time.sleep(0.1)


def check_received_once(queued: set[str], received: list[str], statuses: Counter, sent: str) -> None:
    """Every queued Message-ID received exactly once, nothing else received, every row recorded sent."""
    counts = Counter(received)
    twice = {message_id: n for message_id, n in counts.items() if n > 1}
    missing, unknown = queued - set(counts), set(counts) - queued
    problems = []
    if twice:
        problems.append(f"{len(twice)} Message-IDs received more than once (e.g. {next(iter(twice))})")
    if missing:
        problems.append(f"{len(missing)} queued Message-IDs never received (e.g. {next(iter(missing))})")
    if unknown:
        problems.append(f"{len(unknown)} Message-IDs received that were not queued (e.g. {next(iter(unknown))})")
    if set(statuses) != {sent}:
        problems.append(f"outbox rows not all {sent}: {dict(statuses)}")
    assert not problems, "; ".join(problems)


def measure_emails(url: str, redis_uri: str, app, database: Database, folder: Path, args) -> list[Figure]:
    count = 200 if args.quick else args.messages
    runs = 1 if args.quick else args.runs
    results: dict[int, list[Sending]] = {n: [] for n in args.dispatchers}
    for run in range(runs):
        order = args.dispatchers if run % 2 == 0 else tuple(reversed(args.dispatchers))  # neither always first
        for n in order:
            results[n].append(send_campaign(n, count, f"run{run}-d{n}", url, redis_uri, app, database, folder,
                                            args.relay_ms / 1000))
    return email_figures(results, count, database.local, args.relay_ms)


def email_figures(results: dict[int, list[Sending]], count: int, local: bool, relay_ms: float = 0) -> list[Figure]:
    one = results.get(1)
    cpus = os.cpu_count() or 1
    figures = []
    for n, sendings in results.items():
        against_one = one is not None and n != 1
        word = "dispatcher" if n == 1 else "dispatchers"
        busy = sum(s.seconds for s in sendings)
        used = (f"dispatchers {cores(sum(s.cpu for s in sendings), busy)}, PostgreSQL backends "
                f"{cores(sum(s.db_cpu for s in sendings), busy) if local else '?'}, SMTP server "
                f"{cores(sum(s.smtp_cpu for s in sendings), busy)}")
        note = (f"{count} invitations per run queued by one campaign launch on PostgreSQL, then sent by {n} "
                f"`flask dispatch --loop` to aiosmtpd in its own process"
                + (f" answering each message after {relay_ms:g} ms, as a remote relay would" if relay_ms else "")
                + ", which "
                f"recorded every Message-ID: each received exactly once; timed from the dispatchers let go to the "
                f"last message received; "
                f"sent by each: {' / '.join(str(x) for x in sendings[-1].sent_by)}; up to "
                f"{max(s.connections for s in sendings)} PostgreSQL connections; cores busy while sending: {used}")
        note += f"; the {cpus} cores shared by the dispatchers, PostgreSQL and the SMTP server"
        figures += [
            Figure(key=f"scale_out.dispatch.{n}.rate",
                   title=f"invitation emails sent by {n} {word}, PostgreSQL", unit="msg/s",
                   runs=[s.rate for s in sendings], baseline="1 dispatcher, same run" if against_one else "",
                   baseline_runs=[s.rate for s in one] if against_one else [], note=note),
            Figure(key=f"scale_out.dispatch.{n}.cpu", title=f"dispatcher CPU per email, {n} {word}", unit="ms",
                   runs=[s.cpu / s.count * 1000 for s in sendings], better="lower",
                   baseline="1 dispatcher, same run, its CPU per email" if against_one else "",
                   baseline_runs=[s.cpu / s.count * 1000 for s in one] if against_one else [],
                   note=("user + system CPU of the dispatcher processes from their start on the queued emails to the "
                         "last row recorded sent; the SMTP server "
                         f"{statistics.median(s.smtp_cpu / s.count * 1000 for s in sendings):.2f} ms")
                   + (", their PostgreSQL backends "
                      f"{statistics.median(s.db_cpu / s.count * 1000 for s in sendings):.2f} ms" if local else "")),
        ]
    everything = [s for sendings in results.values() for s in sendings]
    launch_db = statistics.median(s.launch_db_cpu / s.count * 1000 for s in everything)
    figures.append(Figure(
        key="scale_out.launch.cpu", title="campaign launch CPU per invitation queued, PostgreSQL", unit="ms",
        runs=[s.launch_cpu / s.count * 1000 for s in everything], better="lower",
        note=(f"the launch of each campaign above ({count} invitations, one transaction: contacts read and locked, "
              "invitations and outbox rows inserted, every email rendered), in one process as a dispatcher's job "
              f"runs it; {statistics.median(s.launch_rate for s in everything):.0f} msg/s" + (
                  f"; its PostgreSQL backend {launch_db:.2f} ms" if local else ""))))
    if local:
        figures.append(Figure(
            key="scale_out.dispatch.postgresql_cpu", title="PostgreSQL backends' CPU per email sent", unit="ms",
            runs=[s.db_cpu / s.count * 1000 for s in everything], better="lower",
            note=("user + system CPU of the dispatchers' backends (claiming, the send-time checks, recording sent) "
                  f"over the same time; {len(everything)} campaigns of {count}")))
    return figures


# --- the bench ------------------------------------------------------------------------------------

def arguments(parser) -> None:
    parser.add_argument("--seconds", type=float, default=5,
                        help="submissions: how long each process count is loaded per run")
    parser.add_argument("--messages", type=int, default=10_000,
                        help="emails queued and sent per run and dispatcher count")
    parser.add_argument("--workers", type=int, nargs="+", default=list(WORKERS), help="gunicorn worker counts")
    parser.add_argument("--dispatchers", type=int, nargs="+", default=list(DISPATCHERS), help="dispatcher counts")
    parser.add_argument("--postgresql", default=BENCH_POSTGRESQL,
                        help="a database of its own: it is emptied (created if missing)")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379",
                        help="rate-limit storage (keys under a prefix of the bench's own)")
    parser.add_argument("--only", choices=("submit", "dispatch"), help="one half of the bench")
    parser.add_argument("--relay-ms", type=float, default=0,
                        help="dispatch: the SMTP server takes this long per message, as a remote relay does")


def figures(args) -> list[Figure]:
    if problem := postgresql_problem(args.postgresql):
        print(f"scale_out skipped: PostgreSQL: {problem}", file=sys.stderr)
        return []
    if problem := redis_problem(args.redis):
        print(f"scale_out skipped: Redis: {problem}", file=sys.stderr)
        return []
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        app = prepare(args.postgresql, folder)
        database = Database(args.postgresql)
        if not database.local:
            print("PostgreSQL is on another machine: its backends' CPU is not measured", file=sys.stderr)
        try:
            if args.only in (None, "submit"):
                results += measure_submissions(args.postgresql, args.redis, app, database, folder, args)
            if args.only in (None, "dispatch"):
                results += measure_emails(args.postgresql, args.redis, app, database, folder, args)
        finally:
            database.close()
    return results


if __name__ == "__main__":
    bench_main(__doc__, figures, arguments=arguments, runs=3)
