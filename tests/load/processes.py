"""The real processes the reliability suites run and break: gunicorn, `flask dispatch`, PostgreSQL.

Every process starts in its own session (process group) and is stopped with that whole group, so a
failing test leaves no gunicorn worker or dispatcher behind; PostgreSQL is restarted in a `finally`.
"""
from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from tests.smtp import free_port

ROOT = Path(__file__).resolve().parents[2]
# The same on every process, as production requires behind a load balancer (sessions and CSRF tokens
# made by one instance are checked by another).
SECRET_KEY = "reliability-suite-secret-key-shared-by-every-process-0123456789"
ACCESS_LOG_FORMAT = "%(s)s %(m)s %(L)s"  # status, method, seconds: no paths, so no tokens in the log


def server_environment(database_url: str, instance_path: Path, **settings: str) -> dict[str, str]:
    """The environment of a production process: the developer's HEARKEN_* settings are left out."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith("HEARKEN_")}
    environment.update(HEARKEN_DATABASE_URL=database_url, HEARKEN_SECRET_KEY=SECRET_KEY,
                       HEARKEN_INSTANCE_PATH=str(instance_path), HEARKEN_BASE_URL="https://feedback.example.test",
                       PYTHONUNBUFFERED="1", **settings)
    return environment


def stop_group(process: subprocess.Popen, *, grace: float = 10.0) -> None:
    """SIGTERM the process's whole group, SIGKILL what is left after `grace` seconds."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(grace)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # workers that outlived their master, too
    process.wait()


def children(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def wait_for_port(port: int, *, timeout: float, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the process exited with {process.returncode} before listening on {port}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port} after {timeout} s")


class WebServer:
    """`gunicorn --workers N app:app` on a free local port, as the deployment guide runs it."""

    def __init__(self, environment: dict[str, str], folder: Path, *, workers: int = 4, name: str = "gunicorn"):
        self.environment, self.workers = environment, workers
        self.port = free_port()
        self.log_path = folder / f"{name}.log"
        self.access_log_path = folder / f"{name}-access.log"
        self.process: subprocess.Popen | None = None

    @property
    def address(self) -> tuple[str, int]:
        return "127.0.0.1", self.port

    def start(self) -> WebServer:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--workers", str(self.workers), "--bind", f"127.0.0.1:{self.port}",
                 "--access-logfile", str(self.access_log_path), "--access-logformat", ACCESS_LOG_FORMAT,
                 "--error-logfile", "-", "--config", "python:tests.load.gunicorn_hooks", *self.control_socket(),
                 "app:app"],
                cwd=ROOT, env=self.environment, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_for_port(self.port, timeout=60, process=self.process)
        self.wait_for_workers()
        return self

    def control_socket(self) -> list[str]:
        """gunicorn 27 opens a control socket at one fixed path per user: each instance gets its own, as
        on its own machine, instead of taking over another's."""
        import gunicorn

        return ["--control-socket", str(self.log_path.with_suffix(".ctl"))] if gunicorn.version_info >= (27,) else []

    def wait_for_workers(self, timeout: float = 90) -> None:
        """Until every worker has loaded the app (see gunicorn_hooks.py)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pids = self.worker_pids()
            if len(pids) >= self.workers and all(f"Worker ready (pid: {pid})" in self.log() for pid in pids):
                return
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not boot {self.workers} workers in {timeout} s:\n{self.log()[-3000:]}")

    def worker_pids(self) -> list[int]:
        return children(self.process.pid) if self.process else []

    def kill_random_worker(self) -> int | None:
        """kill -9 a worker that is serving (not a replacement still loading the app, which holds no
        request)."""
        log = self.log()
        pids = [pid for pid in self.worker_pids() if f"Worker ready (pid: {pid})" in log]
        if not pids:
            return None
        victim = random.choice(pids)
        try:
            os.kill(victim, signal.SIGKILL)
        except ProcessLookupError:
            return None
        return victim

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def access_statuses(self) -> list[int]:
        """Every status gunicorn wrote, including answers to requests the client had given up on."""
        if not self.access_log_path.exists():
            return []
        return [int(line.split()[0]) for line in self.access_log_path.read_text().splitlines()
                if line[:3].isdigit()]

    def stop(self) -> None:
        if self.process is not None:
            stop_group(self.process)


class Dispatcher:
    """`flask --app app dispatch --loop`, the email worker of the deployment guide."""

    def __init__(self, environment: dict[str, str], folder: Path, *, name: str):
        self.environment = environment
        self.log_path = folder / f"{name}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> Dispatcher:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "dispatch", "--loop"],
                                            cwd=ROOT, env=self.environment, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        return self

    def kill(self) -> None:
        """kill -9: no chance to record what it sent or to release its claim."""
        with contextlib.suppress(ProcessLookupError):  # it had exited already (its log says why)
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def sent(self) -> int:
        """How many messages this dispatcher reported sent (its `sent N, …` lines)."""
        lines = self.log_path.read_text().splitlines() if self.log_path.exists() else []
        return sum(int(line.split()[1].rstrip(",")) for line in lines if line.startswith("sent "))

    def stop(self) -> None:
        if self.process is not None:
            stop_group(self.process)


def run_command(environment: dict[str, str], *arguments: str) -> str:
    """A one-off `flask --app app …` command; its output, or an error with it."""
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "app", *arguments], cwd=ROOT, env=environment,
                            capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise RuntimeError(f"flask {' '.join(arguments)} exited {result.returncode}:\n{result.stdout}{result.stderr}")
    return result.stdout


# ---- PostgreSQL -----------------------------------------------------------------------------------------

def why_postgresql_cannot_be_stopped(database_url: str) -> str | None:
    """None when this test can stop and start the PostgreSQL that `database_url` names, else why not."""
    parts = urlsplit(database_url)
    if not parts.scheme.startswith("postgresql"):
        return "stops PostgreSQL: runs when TEST_DATABASE_URL names a PostgreSQL database"
    if parts.hostname not in ("127.0.0.1", "localhost"):
        return "stops PostgreSQL with pg_ctlcluster: the database must be on this machine"
    if shutil.which("pg_ctlcluster") is None or not os.path.isdir("/etc/postgresql"):
        return "stops PostgreSQL with pg_ctlcluster (Debian's postgresql-common), which is not installed"
    return None


def cluster_version() -> str:
    versions = sorted(os.listdir("/etc/postgresql"), key=lambda name: [int(p) for p in name.split(".")])
    return versions[-1]


def pg_ctlcluster(action: str, *options: str, check: bool = True) -> int:
    return subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", cluster_version(), "main", action, *options],
                          check=check, capture_output=True, timeout=60).returncode


def start_postgresql(database_url: str) -> None:
    if pg_ctlcluster("status", check=False) != 0:  # 0: running; 3: stopped
        pg_ctlcluster("start")
    wait_until_postgresql_accepts(database_url)


def wait_until_postgresql_accepts(database_url: str, *, timeout: float = 60) -> None:
    import psycopg

    parts = urlsplit(database_url)
    deadline = time.monotonic() + timeout
    while True:
        try:
            psycopg.connect(host=parts.hostname, port=parts.port or 5432, user=parts.username or "postgres",
                            dbname=parts.path.lstrip("/"), connect_timeout=2).close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@contextmanager
def postgresql_stopped(database_url: str):
    """PostgreSQL stopped (fast: open sessions are cut, as in a crash or failover) for the body of the
    `with`, and ALWAYS started again afterwards, waiting until it accepts connections."""
    try:
        pg_ctlcluster("stop", "-m", "fast")
        yield
    finally:
        start_postgresql(database_url)
