"""Fixtures: app → client / runner → db. SQLite by default; PostgreSQL when TEST_DATABASE_URL is set.

The schema is built once per run by the real migrations (as `flask db upgrade` does); each test then
starts from empty tables. CSRF protection stays on everywhere: tests post forms with the page's token.

As in Flask's tutorial, `app` does not keep an application context pushed: each request then gets its own
context, `g` and database session, exactly as in production (a shared session would hide a view that
forgets to commit). Tests reach the database inside `with app.app_context():` blocks, or through the
`ctx` fixture in tests that make no requests.
"""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from sqlalchemy import create_engine, text

from survey import create_app, database
from survey.extensions import db

BASE_URL = "https://feedback.example.test"


class CompiledTemplates(BytecodeCache):
    """Every test builds its own application, and with it a Jinja environment that compiled each template it
    rendered again (tens of milliseconds a page, over a thousand tests). The compiled code is kept here for
    the whole run, keyed by Jinja on the template's name and source, so a changed template is compiled anew."""

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if (code := self.compiled.get(bucket.key)) is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


COMPILED_TEMPLATES = CompiledTemplates()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'hearken-test.sqlite3'}"
    engine = create_engine(url)
    with engine.begin() as connection:  # a clean schema, whatever an earlier run left behind
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def instance_path(tmp_path_factory):
    return tmp_path_factory.mktemp("instance")


def build_app(database_url: str, instance_path, **overrides):
    for name in [name for name in os.environ if name.startswith("HEARKEN_")]:
        os.environ.pop(name)  # tests must not depend on the developer's environment
    os.environ["HEARKEN_INSTANCE_PATH"] = str(instance_path)
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "test-secret",
                      "BASE_URL": BASE_URL, "TESTING": True, **overrides})
    app.jinja_env.bytecode_cache = COMPILED_TEMPLATES  # read as each template is first loaded
    return app


@pytest.fixture(autouse=True, scope="session")
def passwords_hashed_once():
    """A password's scrypt hash costs 0.1 s on purpose, and tests make and check the same few passwords
    thousands of times (every make_user, every log_in): each distinct one is hashed, and each pair checked,
    for real once a run, then remembered. How passwords are hashed is tested in test_users and test_commands,
    which call Werkzeug directly."""
    from functools import lru_cache

    from survey.accounts import users

    patch = pytest.MonkeyPatch()
    patch.setattr(users, "generate_password_hash", lru_cache(maxsize=None)(users.generate_password_hash))
    patch.setattr(users, "check_password_hash", lru_cache(maxsize=None)(users.check_password_hash))
    yield
    patch.undo()


@pytest.fixture(scope="session")
def migrated(database_url, instance_path) -> str:
    app = build_app(database_url, instance_path)
    with app.app_context():
        database.upgrade()
        db.engine.dispose()
    return database_url


def empty_tables() -> None:
    tables = [table for table in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        # TRUNCATE gives every table and index a new file: 0.5-0.8 s for all of them after every test. A test
        # leaves a few small tables with rows: deleting those rows and rewinding the sequences it drew ids
        # from (as RESTART IDENTITY would) is what "empty" means, at a fraction of the cost.
        filled = set(db.session.scalars(text(" UNION ALL ".join(
            f"SELECT '{table.name}' WHERE EXISTS (SELECT 1 FROM {table.name})" for table in tables))))
        for table in tables:  # children before parents
            if table.name in filled:
                db.session.execute(table.delete())
        db.session.execute(text("SELECT setval(format('%I.%I', schemaname, sequencename), 1, false) "
                                "FROM pg_sequences WHERE schemaname = current_schema() AND last_value IS NOT NULL"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture
def app(migrated, instance_path):
    app = build_app(migrated, instance_path)
    yield app
    with app.app_context():
        empty_tables()
        db.engine.dispose()


@pytest.fixture
def ctx(app):
    """An application context for the whole test, for tests that call domain functions directly."""
    with app.app_context():
        yield app


@pytest.fixture
def smtp(app):
    """A real SMTP server, and the app configured to send through it."""
    from tests.smtp import SmtpServer

    with SmtpServer() as server:
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=server.port, MAIL_FROM="Hearken <feedback@example.test>")
        yield server


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def certificate(tmp_path):
    """A self-signed TLS certificate for localhost: (key file, certificate file)."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a test certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost"], check=True, capture_output=True)
    return key, cert


@pytest.fixture
def receiver(app):
    """A real HTTP server on 127.0.0.1 that records what webhooks deliver (allowed explicitly, as an operator
    would allow an internal host)."""
    from tests.survey.webhooks.helpers import Receiver

    app.config["WEBHOOK_ALLOWED_HOSTS"] = "127.0.0.1"
    with Receiver() as server:
        yield server
