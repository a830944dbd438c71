"""Benchmark: requests per second for the public /changes page on two gunicorn workers, warm, against a
static file served by the same server (goal: at least half of its rate).

The database is the demo (three published changes with quotes and an impact line), on SQLite.

    .venv/bin/python bench/changes_page.py [--seconds 5] [--clients 8] [--runs 3]
"""
from __future__ import annotations

import argparse
import http.client
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT  # noqa: E402

from tests.smtp import free_port  # noqa: E402


def rate(port: int, path: str, *, seconds: float, clients: int) -> float:
    """Requests per second from `clients` keep-alive connections hammering one path."""
    counts = [0] * clients
    stop = time.monotonic() + seconds

    def client(index: int):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while time.monotonic() < stop:
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            assert response.status == 200, (path, response.status)
            counts[index] += 1
        connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    flask = [str(ROOT / ".venv/bin/flask"), "--app", "app"]
    with tempfile.TemporaryDirectory() as instance:
        env = {**os.environ, "HEARKEN_INSTANCE_PATH": instance}
        subprocess.run([*flask, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
        subprocess.run([*flask, "seed-demo"], env=env, cwd=ROOT, check=True, capture_output=True)
        port = free_port()
        server = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "--workers", "2", "--bind",
                                   f"127.0.0.1:{port}", "--keep-alive", "30", "app:app"], env=env, cwd=ROOT,
                                  stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):
                try:
                    http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/")
                    break
                except OSError:
                    time.sleep(0.1)
            rate(port, "/changes", seconds=1, clients=args.clients)  # warm up both workers
            pages, statics = [], []
            for _ in range(args.runs):
                pages.append(rate(port, "/changes", seconds=args.seconds, clients=args.clients))
                statics.append(rate(port, "/static/css/hearken.css", seconds=args.seconds, clients=args.clients))
        finally:
            server.terminate()
            server.wait()
    page, static = statistics.median(pages), statistics.median(statics)
    print(f"/changes: {page:.0f} req/s (runs: {', '.join(f'{v:.0f}' for v in pages)})")
    print(f"static file: {static:.0f} req/s (runs: {', '.join(f'{v:.0f}' for v in statics)})")
    print(f"ratio: {page / static:.0%} of the static file (goal ≥ 50 %)")


if __name__ == "__main__":
    main()
