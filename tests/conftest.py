"""Fixtures: one database per test session (SQLite file, or a fresh PostgreSQL database when
TEST_DATABASE_URL is set), built by the real migrations and emptied after every test.

Under pytest-xdist (`make test` runs the suite on several processes) every worker is a session
of its own: its own database, migrated once and dropped at its end, and its own temporary
directories for the instance folder, the signing key, attachments and the outbox."""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import flask_migrate
import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from _support import config_class, empty_database
from app import create_app
from app.extensions import db

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")


def pytest_report_header() -> str:
    return f"database: {'PostgreSQL ' + POSTGRES_URL if POSTGRES_URL else 'SQLite (set TEST_DATABASE_URL for PostgreSQL)'}"


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """pytest's temporary folders (the SQLite databases, each worker's instance folder, every
    tmp_path) in memory, in /dev/shm where it exists, unless --basetemp or PYTEST_DEBUG_TEMPROOT
    names a place. The app waits for the disk on each SQLite commit (synchronous = FULL) and on
    each document, e-mail and checkpoint it writes (fsync); a test's files are thrown away, and
    on a disk that other work keeps busy those waits were up to half of a file's time. Set
    before any folder is made: xdist's workers get theirs inside the main process's."""
    shm = Path("/dev/shm")  # noqa: S108  (pytest makes its own pytest-of-<user>, 0700, and checks the owner)
    if config.option.basetemp is None and shm.is_dir() and os.access(shm, os.W_OK | os.X_OK):
        os.environ.setdefault("PYTEST_DEBUG_TEMPROOT", str(shm))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not POSTGRES_URL:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'registry.sqlite3'}"
        return
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")  # gw0, gw1, ... under xdist
    name = f"registry_test_{worker}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
        # A throw-away database need not wait for its log to reach the disk at each commit.
        connection.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def base_settings(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> dict[str, Any]:
    instance = tmp_path_factory.mktemp("instance")
    return {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "INSTANCE_PATH": str(instance),
        "REGISTRY_KEY_PATH": str(instance / "registry_ed25519.pem"),
        "DOCUMENT_SIGNING_KEY_PATH": str(instance / "document_signing_key.pem"),
        "DOCUMENT_CERTIFICATE_PATH": str(instance / "document_signing_certificate.pem"),
        "ATTACHMENTS_DIR": str(instance / "attachments"),
        "DOCUMENTS_DIR": str(instance / "documents"),
        "MAIL_OUTBOX_DIR": str(instance / "outbox"),
        "REGISTRY_CHECKPOINT_DIR": str(instance / "checkpoints"),
    }


@pytest.fixture(scope="session")
def migrated(base_settings: dict[str, Any]) -> None:
    """The schema, built by `flask db upgrade` exactly as on a real installation."""
    app = create_app(config_class(**base_settings))
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()


class _CompiledTemplates(BytecodeCache):
    """Page templates compiled once per process instead of once per test's app (that was about
    a sixth of the time of the tests that render pages): kept by name and source checksum."""

    def __init__(self) -> None:
        self._code: dict[tuple[str, str | None], Any] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        bucket.code = self._code.get((bucket.key, bucket.checksum))

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[(bucket.key, bucket.checksum)] = bucket.code


_COMPILED_TEMPLATES = _CompiledTemplates()


@pytest.fixture
def make_app(base_settings: dict[str, Any], migrated: None) -> Iterator[Callable[..., Flask]]:
    """Build an app on the test database; keyword arguments override settings."""
    apps: list[Flask] = []

    def make(**overrides: Any) -> Flask:
        app = create_app(config_class(**{**base_settings, **overrides}))
        app.jinja_env.bytecode_cache = _COMPILED_TEMPLATES
        apps.append(app)
        return app

    yield make
    cleaner = apps[0] if apps else make()
    with cleaner.app_context():
        db.session.remove()
        empty_database()
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    shutil.rmtree(base_settings["ATTACHMENTS_DIR"], ignore_errors=True)
    shutil.rmtree(base_settings["DOCUMENTS_DIR"], ignore_errors=True)
    shutil.rmtree(base_settings["REGISTRY_CHECKPOINT_DIR"], ignore_errors=True)  # they name rows just emptied


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def artifacts_dir() -> Path:
    """Where tests save screenshots and PDFs for people to look at."""
    path = Path(os.environ.get("TEST_ARTIFACTS", Path(__file__).resolve().parent.parent / "test-artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def make_user(app: Flask) -> Callable[..., Any]:
    """Create a staff account (committed) and return its id; password is 'correct horse 1'."""
    from app.auth.operations import create_user
    from app.auth.permissions import Role

    def make(username: str = "clerk1", role: str = "clerk", **fields: Any) -> int:
        with app.app_context():
            user = create_user(
                username=username, full_name=fields.pop("full_name", username.title()),
                password=fields.pop("password", "correct horse 1"), role=Role(role), **fields
            )
            db.session.commit()
            return user.id

    return make


@pytest.fixture
def login(make_user: Callable[..., Any]) -> Callable[..., FlaskClient]:
    """Sign a test client in as a new user of `role`."""

    def sign_in(client: FlaskClient, role: str = "clerk", username: str | None = None, **fields: Any) -> FlaskClient:
        name = username or f"{role}-user"
        make_user(name, role, **fields)
        response = client.post("/staff/login", data={"username": name, "password": "correct horse 1"})
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return sign_in


@pytest.fixture
def admin(client: FlaskClient, login: Callable[..., FlaskClient]) -> FlaskClient:
    """The test client, signed in as an administrator ("ada")."""
    return login(client, "administrator", "ada")


@pytest.fixture
def register(client: FlaskClient) -> Callable[..., str]:
    """File a complaint through the API at a moment (default: _cases.T0); returns its number."""
    from _cases import T0
    from _support import valid_payload
    from app.clock import frozen_clock

    def file(at: Any = T0, **changes: Any) -> str:
        with frozen_clock(at):
            response = client.post("/api/v1/complaints", json=valid_payload(**changes))
        assert response.status_code == 201, response.get_data(as_text=True)
        return response.get_json()["number"]

    return file


@pytest.fixture
def staff(make_user: Callable[..., Any]) -> dict[str, int]:
    """Officers at tiers 1 and 2, a manager at tier 3 and a clerk (user ids by name)."""
    return {
        "olga": make_user("olga", "officer", tier=1, email="olga@example.md", full_name="Olga Officer"),
        "petru": make_user("petru", "officer", tier=1, email="petru@example.md", full_name="Petru Officer"),
        "sofia": make_user("sofia", "officer", tier=2, email="sofia@example.md", full_name="Sofia Specialist"),
        "mihai": make_user("mihai", "manager", tier=3, email="mihai@example.md", full_name="Mihai Manager"),
        "clerk": make_user("clerk", "clerk", tier=None),
    }


@pytest.fixture
def csrf_app(make_app: Callable[..., Flask]) -> Flask:
    return make_app(WTF_CSRF_ENABLED=True)


@pytest.fixture
def live_server(csrf_app: Flask) -> Iterator[str]:
    """The app behind a real threaded HTTP server on a free port; yields its base URL."""
    server = make_server("127.0.0.1", 0, csrf_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
