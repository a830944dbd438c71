"""HTTP load for the web benchmarks: a gunicorn server in its own process group, and clients in their own
processes that send pre-built requests over raw sockets and time each one.

Why like this:

- The machine has two cores, shared by the server and the clients. A client built on `http.client` spends
  more CPU per request than a bare WSGI endpoint does, so it would measure itself. Here each request is
  bytes built before the clock starts; a client connects, sends them, reads to the end and looks only at
  the status line (or, when asked, hands the whole answer to a function, e.g. to read a form).
- gunicorn's default (sync) worker closes the connection after every answer, so every request is a new
  TCP connection (`Connection: close` says so explicitly). That is the same for every endpoint measured.
- Clients run in several processes (each a few threads) so that the GIL of one client process is not the
  ceiling; `processes * threads` requests are in flight at any time (a closed loop: each client sends its
  next request when the previous one is answered).
"""
from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from common import ROOT

from tests.smtp import free_port

PROCESSES = 2  # client processes
THREADS = 4  # connections in flight per client process
SLICES = 5  # see side_by_side


def request(method: str, path: str, *, fields: dict[str, list[str]] | None = None,
            headers: dict[str, str] | None = None) -> bytes:
    """One HTTP/1.1 request as bytes; `fields` become a form-encoded body (lists for repeated names)."""
    body = urlencode(fields, doseq=True).encode() if fields is not None else b""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if fields is not None:
        lines += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def exchange(port: int, raw: bytes) -> bytes:
    """Send one request on a new connection; the whole answer (the server closes when done)."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as connection:
        connection.sendall(raw)
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def status_of(answer: bytes) -> int:
    return int(answer[9:12]) if answer.startswith(b"HTTP/1.") else 0


def headers_of(answer: bytes) -> list[tuple[str, str]]:
    head = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")[1:]
    return [(name.strip().lower(), value.strip()) for name, value in (line.split(":", 1) for line in head)]


def body_of(answer: bytes) -> str:
    return answer.split(b"\r\n\r\n", 1)[1].decode()


@dataclass
class Load:
    """What the clients of one measurement did."""

    seconds: float  # from the start signal to the last answer
    latencies: list[float]  # seconds, one per request
    statuses: Counter = field(default_factory=Counter)
    kept: list = field(default_factory=list)  # what `keep` returned for each answer
    client_cpu: float = 0.0  # CPU seconds the client processes used while sending

    @property
    def client_share(self) -> float:
        """Of the machine's cores, the share the clients took: what the server did not get."""
        return self.client_cpu / self.seconds / (os.cpu_count() or 1)

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.count / self.seconds

    @property
    def p99_ms(self) -> float:
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[98] * 1000

    @classmethod
    def merged(cls, loads: Sequence[Load]) -> Load:
        """Several measurements as one (their times added)."""
        merged = cls(seconds=sum(load.seconds for load in loads), latencies=[],
                     client_cpu=sum(load.client_cpu for load in loads))
        for load in loads:
            merged.latencies += load.latencies
            merged.statuses.update(load.statuses)
            merged.kept += load.kept
        return merged

    def check(self, status: int) -> Load:
        """Refused or failed requests are fast: a measurement that had any is worthless."""
        wrong = {code: n for code, n in self.statuses.items() if code != status}
        assert not wrong, f"expected only {status} answers, got {dict(self.statuses)}"
        return self


def side_by_side(ours: Callable[[float], Load], theirs: Callable[[float], Load], *, seconds: float,
                 slices: int = SLICES) -> tuple[Load, Load]:
    """Measure two endpoints in alternating slices of `seconds / slices` each, so both meet the same
    machine: others' benchmarks come and go within seconds, and a figure that is a ratio between two
    endpoints measured minutes apart would mostly measure that. `ours(s)` and `theirs(s)` each load their
    endpoint for about s seconds; `theirs` is given the time `ours` actually took."""
    mine, other = [], []
    for _ in range(slices):
        mine.append(ours(seconds / slices))
        other.append(theirs(mine[-1].seconds))
    return Load.merged(mine), Load.merged(other)


def compare_gets(port: int, path: str, baseline_path: str, *, runs: int, seconds: float) -> tuple[list, list]:
    """`runs` side-by-side measurements of two GET paths on one server, after a warm-up of each: the Loads
    of `path` and of `baseline_path`."""
    ours, theirs = [request("GET", path)], [request("GET", baseline_path)]
    for warm in (ours, theirs):
        hammer(port, warm, seconds=1).check(200)  # both workers, and their caches
    measured = [side_by_side(lambda s: hammer(port, ours, seconds=s).check(200),
                             lambda s: hammer(port, theirs, seconds=s).check(200), seconds=seconds)
                for _ in range(runs)]
    return [pair[0] for pair in measured], [pair[1] for pair in measured]


def client_note(loads: Sequence[Load]) -> str:
    """For a figure's note: the clients' share of the machine, at most, over these measurements."""
    return f"the clients took at most {max(load.client_share for load in loads):.0%} of the {os.cpu_count()} cores"


def _client_process(port, requests, seconds, threads, keep, start, output):
    # In a forked child: `keep` may be any function, it is not pickled.
    latencies, statuses, kept = [], Counter(), []
    lock = threading.Lock()
    queue = list(reversed(requests))

    def next_request(sent: int):
        if seconds is not None:  # cycle through the requests until the time is up
            return requests[sent % len(requests)] if time.monotonic() < stop else None
        with lock:
            return queue.pop() if queue else None

    def client(offset: int):
        sent = offset
        while (raw := next_request(sent)) is not None:
            started = time.monotonic()
            answer = exchange(port, raw)
            took = time.monotonic() - started
            result = keep(answer) if keep else None
            with lock:
                latencies.append(took)
                statuses[status_of(answer)] += 1
                if keep:
                    kept.append(result)
            sent += threads

    workers = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    start.wait()
    cpu = time.process_time()
    stop = time.monotonic() + (seconds or 0)
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    output.put((time.monotonic(), time.process_time() - cpu, latencies, statuses, kept))


def hammer(port: int, requests: Sequence[bytes], *, seconds: float | None = None, processes: int = PROCESSES,
           threads: int = THREADS, keep: Callable[[bytes], object] | None = None) -> Load:
    """Send `requests` from `processes` × `threads` concurrent clients: each once (dealt out between the
    processes) when `seconds` is None, else over and over until `seconds` have passed."""
    context = multiprocessing.get_context("fork")
    start, output = context.Event(), context.Queue()
    shares = [requests[i::processes] for i in range(processes)] if seconds is None else [requests] * processes
    children = [context.Process(target=_client_process, args=(port, share, seconds, threads, keep, start, output))
                for share in shares if share]
    for child in children:
        child.start()
    time.sleep(0.2)  # let every child reach the start line, so they begin together
    began = time.monotonic()
    start.set()
    results = [output.get(timeout=600) for _ in children]
    for child in children:
        child.join()
    load = Load(seconds=max(ended for ended, *_ in results) - began, latencies=[])
    for _ended, cpu, latencies, statuses, kept in results:
        load.client_cpu += cpu
        load.latencies += latencies
        load.statuses.update(statuses)
        load.kept += kept
    return load


@contextmanager
def gunicorn(app: str, *, environment: dict[str, str], workers: int = 2, python_path: Path | None = None,
             ready_path: str = "/") -> Iterator[int]:
    """`gunicorn --workers N app` on a free port (what the deployment guide runs), until the block ends;
    yields the port once a request to `ready_path` has been answered."""
    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
               # gunicorn 27 opens its control socket at one path per user: two benches (or a bench and the
               # load tests) running at once would take it from each other. Benches need none.
               "--no-control-socket"]
    if python_path:
        command += ["--pythonpath", str(python_path)]
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen([*command, app], env={**os.environ, **environment}, cwd=ROOT, stdout=log,
                                  stderr=subprocess.STDOUT, start_new_session=True)
        try:
            _wait_until_answering(port, ready_path, server, log)
            yield port
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)


@contextmanager
def dispatcher(*, environment: dict[str, str]) -> Iterator[None]:
    """`flask dispatch --loop` beside the web server, as the deployment guide runs it (it sends the email,
    runs jobs and, on SQLite, checkpoints the WAL), until the block ends."""
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "dispatch", "--loop"],
                                   env={**os.environ, **environment}, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        try:
            time.sleep(0.5)
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"flask dispatch exited with {process.returncode}:\n{log.read().decode()[-3000:]}")
            yield
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)


def _wait_until_answering(port: int, path: str, server: subprocess.Popen, log) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"gunicorn exited with {server.returncode}:\n{log.read().decode()[-3000:]}")
        try:
            exchange(port, request("GET", path))
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"gunicorn does not answer on port {port} after 60 s")
