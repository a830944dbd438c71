"""A malformed chunked body is answered 400, never 500, by the servers Hearken runs under.

The chunked encoding is decoded by the WSGI server while the application reads the body, so the bug only
shows with a real server and raw bytes: each test starts gunicorn (as the deployment guide runs it) or
Werkzeug's development server (`make run`) and writes requests on a socket.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from survey.extensions import db
from tests.conftest import build_app, empty_tables
from tests.factories import make_secret_tokens, make_survey
from tests.load.processes import wait_for_port
from tests.smtp import free_port

ROOT = Path(__file__).resolve().parents[2]
DEV_SERVER = """
import sys
from werkzeug.serving import run_simple
from app import app
run_simple("127.0.0.1", int(sys.argv[1]), app, threaded=True)
"""
BODIES = {
    "a chunk size that is not hexadecimal": b"ZZZ\r\nabc\r\n0\r\n\r\n",
    "a chunk without its CRLF": b"3\r\nabcdef0\r\n\r\n",
    "a chunk longer than what follows": b"ff\r\nabc",
}


def raw_post(port: int, path: str, body: bytes, *, content_type: str, headers: str = "") -> bytes:
    """POST a chunked body byte for byte; the status line of the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
                     f"Content-Type: {content_type}\r\n{headers}Connection: close\r\n\r\n".encode() + body)
        if not body.endswith(b"\r\n\r\n"):
            sock.shutdown(socket.SHUT_WR)  # the body is cut short: the client has nothing more to send
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


@pytest.fixture
def seeded(migrated, instance_path):
    app = build_app(migrated, instance_path)
    with app.app_context():
        tokens = make_secret_tokens(make_survey())
    yield tokens
    with app.app_context():
        empty_tables()
        db.engine.dispose()


@pytest.fixture(params=["gunicorn", "development server"])
def server(request, migrated, seeded, tmp_path):
    port = free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith("HEARKEN_")}
    env.update(HEARKEN_DATABASE_URL=migrated, HEARKEN_SECRET_KEY="k" * 48, HEARKEN_INSTANCE_PATH=str(tmp_path))
    if request.param == "gunicorn":
        import gunicorn

        control = ["--control-socket", str(tmp_path / "gunicorn.ctl")] if gunicorn.version_info >= (27,) else []
        command = [sys.executable, "-m", "gunicorn", "--workers", "1", "--bind", f"127.0.0.1:{port}", *control,
                   "app:app"]
    else:
        command = [sys.executable, "-c", DEV_SERVER, str(port)]
    log = tmp_path / "server.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        try:
            wait_for_port(port, timeout=60, process=process)
        except RuntimeError as error:
            raise AssertionError(f"{error}:\n{log.read_text()[-3000:]}") from None
        yield port, log
    finally:
        process.terminate()
        process.wait(15)


def test_a_malformed_chunked_body_is_a_400_on_every_kind_of_page(server, seeded):
    port, log = server
    form = "application/x-www-form-urlencoded"
    targets = [
        ("/login", form, ""),  # Flask-WTF reads the form for its CSRF check
        (f"/r/{seeded['personal']}", form, ""),  # the respond page parses the answers itself
        ("/complain", "multipart/form-data; boundary=x", ""),
        ("/api/v1/events", "application/json", f"Authorization: Bearer {seeded['api']}\r\n"),  # the API reads JSON
    ]
    answers = {}
    for name, body in BODIES.items():
        for path, content_type, headers in targets:
            answer = raw_post(port, path, body, content_type=content_type, headers=headers)
            answers[f"{name}: POST {path.split('/')[1]}"] = answer.split(b"\r\n", 1)[0].decode()
    assert answers == {key: "HTTP/1.1 400 BAD REQUEST" for key in answers}, answers
    assert "Traceback" not in log.read_text(errors="replace")
    api = raw_post(port, "/api/v1/events", BODIES["a chunk size that is not hexadecimal"],
                   content_type="application/json", headers=f"Authorization: Bearer {seeded['api']}\r\n")
    assert b'"code":"bad_request"' in api.replace(b" ", b"")
