"""Serving in production: a clear 503 while the database is unreachable (and recovery without
a restart), one structured log line per request, proxy headers, the gunicorn settings."""

from __future__ import annotations

import json
import runpy
import socket
import sqlite3
from pathlib import Path
from select import POLLIN, poll

import pytest
from flask import Flask
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from _support import config_class, form_data, valid_payload
from app import create_app
from app.complaints.models import Complaint
from app.database import closed_by_server
from app.extensions import db
from app.registry.models import NumberCounter, RegistryEntry
from app.registry.verify import verify_registry

ROOT = Path(__file__).resolve().parent.parent


def _closed_port() -> int:
    """A loopback port nobody listens on (bound for a moment, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def unreachable_app(base_settings: dict) -> Flask:
    """The app pointed at a PostgreSQL server that is not there (a closed loopback port)."""
    url = f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/registry?connect_timeout=3"
    app = create_app(config_class(**{**base_settings, "SQLALCHEMY_DATABASE_URI": url}))
    yield app
    with app.app_context():
        db.engine.dispose()


def _stored(app: Flask) -> tuple[int, int, int]:
    """Complaints, signed entries, and the highest number taken so far."""
    with app.app_context():
        complaints = db.session.scalar(select(func.count()).select_from(Complaint))
        entries = db.session.scalar(select(func.count()).select_from(RegistryEntry))
        taken = db.session.scalar(select(func.coalesce(func.max(NumberCounter.last_value), 0)))
        db.session.remove()
        return complaints, entries, taken


# -- the database is unreachable -------------------------------------------------------------

def test_the_api_answers_a_json_503_with_retry_after_when_the_database_is_unreachable(unreachable_app):
    response = unreachable_app.test_client().post("/api/v1/complaints", json=valid_payload())
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    body = response.get_json()
    assert body["error"] == "Service Unavailable"
    assert "database cannot be reached" in body["message"]


def test_the_complaint_form_answers_a_503_page_not_a_500_when_the_database_is_unreachable(unreachable_app):
    client = unreachable_app.test_client()
    assert client.get("/").status_code == 200  # the empty form needs no database
    response = client.post("/", data=form_data())
    assert response.status_code == 503
    assert response.mimetype == "text/html"
    assert response.headers["Retry-After"] == "5"
    page = response.get_data(as_text=True)
    assert "database cannot be reached" in page and "Traceback" not in page
    assert "Temporarily unavailable" in page
    assert "a complaint is registered only when you see its incoming number" in page


def test_a_signed_in_staff_page_answers_503_when_the_database_is_unreachable(app, login, unreachable_app):
    signed_in = login(app.test_client(), "clerk")  # signed in before the outage
    client = unreachable_app.test_client()
    client.set_cookie("session", signed_in.get_cookie("session").value)
    response = client.get("/staff/registry")
    assert response.status_code == 503
    assert "database cannot be reached" in response.get_data(as_text=True)


def test_health_reports_the_unreachable_database(unreachable_app):
    response = unreachable_app.test_client().get("/health")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "database": "unreachable"}


def test_a_registration_cut_off_by_a_lost_connection_stores_nothing_and_the_next_one_gets_the_number(
    app, client, monkeypatch
):
    """The server ends the connection after the number was taken and the rows were written,
    before the commit: the client gets a 503, nothing of it stays, no number is burnt."""
    if make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() != "postgresql":
        pytest.skip("terminating a server connection needs PostgreSQL")
    from app.api import intake as api

    register = api.register_complaint

    def register_then_lose_the_connection(*args, **kwargs):
        registration = register(*args, **kwargs)
        db.session.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
        return registration

    monkeypatch.setattr(api, "register_complaint", register_then_lose_the_connection)
    response = client.post("/api/v1/complaints", json=valid_payload())
    assert response.status_code == 503
    assert response.get_json()["error"] == "Service Unavailable"
    assert _stored(app) == (0, 0, 0)

    monkeypatch.setattr(api, "register_complaint", register)
    response = client.post("/api/v1/complaints", json=valid_payload())
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["number"].endswith("/000001")
    with app.app_context():
        assert verify_registry().ok


@pytest.mark.parametrize("pool_check", ["socket", "ping"])
def test_the_app_recovers_by_itself_when_the_server_dropped_every_connection(make_app, pool_check):
    """As after a PostgreSQL restart: every pooled connection is dead; the next request is
    served on a new one, without a 503 and without restarting the app, whether the pool looks
    at a connection's socket (the default) or pings the server."""
    app = make_app(DATABASE_POOL_CHECK=pool_check)
    client = app.test_client()
    if make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() != "postgresql":
        pytest.skip("terminating server connections needs PostgreSQL")
    assert client.post("/api/v1/complaints", json=valid_payload()).status_code == 201
    assert client.get("/health").status_code == 200
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    with app.app_context():
        pooled_before = db.engine.pool.checkedin()
    outsider = create_engine(url, poolclass=NullPool)
    with outsider.connect() as killer:
        killed = killer.execute(
            text(
                # with a timeout PostgreSQL waits until each backend has ended (said why, closed)
                "SELECT count(pg_terminate_backend(pid, 10000)) FROM pg_stat_activity"
                " WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": make_url(url).database},
        ).scalar_one()
    outsider.dispose()
    assert pooled_before >= 1 and killed >= 1
    response = client.post("/api/v1/complaints", json=valid_payload())
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["number"].endswith("/000002")
    assert _stored(app) == (2, 2, 2)


def test_a_pooled_connection_the_server_ended_is_known_without_a_round_trip(app):
    """What the pool's socket check (app.database.closed_by_server) tells apart: an idle
    connection is quiet; one whose server process was ended has its reason and its close to read."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "postgresql":
        pytest.skip("a database server's connection")
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as idle, engine.connect() as ended, engine.connect() as killer:
            idle_connection = idle.connection.dbapi_connection
            ended_connection = ended.connection.dbapi_connection
            pid = ended.execute(text("SELECT pg_backend_pid()")).scalar_one()
            ended.commit()  # idle again, no transaction open
            assert not closed_by_server(idle_connection) and not closed_by_server(ended_connection)
            assert killer.execute(text("SELECT pg_terminate_backend(:pid, 10000)"), {"pid": pid}).scalar_one()
            assert closed_by_server(ended_connection)
            assert not closed_by_server(idle_connection)
            ended.invalidate()
    finally:
        engine.dispose()


def test_a_pooled_connection_with_something_harmless_to_read_is_pinged_and_kept(app):
    """A readable idle connection is not always a closed one (here a notification it listens
    for): the pool pings it once and hands out the same connection, to the same server process."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "postgresql":
        pytest.skip("a database server's connection")
    with app.app_context():
        with db.engine.connect() as pooled:
            raw = pooled.connection.dbapi_connection
            pid = pooled.execute(text("SELECT pg_backend_pid()")).scalar_one()
            pooled.execute(text("LISTEN registry_pool_check"))
            pooled.commit()
        outsider = create_engine(url, poolclass=NullPool)
        with outsider.connect() as notifier:
            notifier.execute(text("NOTIFY registry_pool_check"))
            notifier.commit()
        outsider.dispose()
        waiting = poll()
        waiting.register(raw.fileno(), POLLIN)
        assert waiting.poll(10_000), "the notification did not arrive"  # waits for it, at most 10 s
        assert closed_by_server(raw)
        with db.engine.connect() as again:
            assert again.connection.dbapi_connection is raw
            assert again.execute(text("SELECT pg_backend_pid()")).scalar_one() == pid
            again.execute(text("UNLISTEN *"))
            again.commit()


def test_a_sqlite_file_locked_past_every_retry_answers_503_and_the_next_request_succeeds(make_app):
    app = make_app(DATABASE_BUSY_TIMEOUT=0, DATABASE_RETRIES=1)
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite":
        pytest.skip("the SQLite write lock")
    client = app.test_client()
    holder = sqlite3.connect(url.database, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")  # e.g. a backup or a long maintenance job
        response = client.post("/api/v1/complaints", json=valid_payload())
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "5"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    response = client.post("/api/v1/complaints", json=valid_payload())
    assert response.status_code == 201
    assert response.get_json()["number"].endswith("/000001")


# -- the request log -------------------------------------------------------------------------

def _json_lines(text_: str) -> list[dict]:
    return [json.loads(line) for line in text_.splitlines() if line.startswith("{")]


def _request_lines(captured: str) -> list[dict]:
    return [line for line in _json_lines(captured) if line.get("logger") == "app.requests"]


def test_json_logs_write_one_object_per_request_without_the_query_string(make_app, capsys):
    app = make_app(LOG_FORMAT="json")
    client = app.test_client()
    client.post("/api/v1/complaints", json=valid_payload())
    capsys.readouterr()
    response = client.get("/track?number=2026-000001&code=SECRETCODE123", headers={"X-Request-ID": "req-42"})
    assert response.headers["X-Request-ID"] == "req-42"
    captured = capsys.readouterr().err
    assert "SECRETCODE123" not in captured
    [line] = _request_lines(captured)
    assert line["request_id"] == "req-42"
    assert line["method"] == "GET" and line["path"] == "/track"
    assert line["status"] == 404 and line["level"] == "INFO"
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["user_id"] is None
    assert line["time"].endswith("+00:00")


def test_a_request_id_is_made_when_none_or_a_malformed_one_is_given(make_app, capsys):
    client = make_app(LOG_FORMAT="json").test_client()
    made = client.get("/health").headers["X-Request-ID"]
    replaced = client.get("/health", headers={"X-Request-ID": "bad id; <script>"}).headers["X-Request-ID"]
    too_long = client.get("/health", headers={"X-Request-ID": "x" * 200}).headers["X-Request-ID"]
    assert {len(made), len(replaced), len(too_long)} == {32} and len({made, replaced, too_long}) == 3
    ids = [line["request_id"] for line in _request_lines(capsys.readouterr().err)]
    assert ids == [made, replaced, too_long]


def test_the_log_names_the_signed_in_staff_member(make_app, login, capsys):
    app = make_app(LOG_FORMAT="json")
    client = login(app.test_client(), "clerk", username="logclerk")
    capsys.readouterr()
    assert client.get("/staff/registry").status_code == 200
    [line] = _request_lines(capsys.readouterr().err)
    with app.app_context():
        from app.auth.models import User

        user_id = db.session.scalar(select(User.id).where(User.username == "logclerk"))
    assert line["user_id"] == str(user_id) and line["path"] == "/staff/registry"


def test_lines_logged_during_a_request_carry_its_id_and_an_outage_is_a_warning(unreachable_app, capsys):
    from app.serving import logs

    logs.configure_logging("json")
    try:
        unreachable_app.test_client().post("/api/v1/complaints", json=valid_payload(), headers={"X-Request-ID": "r-7"})
        lines = [line for line in _json_lines(capsys.readouterr().err) if line.get("request_id") == "r-7"]
    finally:
        logs.configure_logging("text")
    outage = next(line for line in lines if line["logger"] == "app.serving.outage")
    assert outage["level"] == "WARNING" and "OperationalError" in outage["message"]
    request_line = next(line for line in lines if line["logger"] == "app.requests")
    assert request_line["status"] == 503 and request_line["level"] == "WARNING"
    assert "Traceback" not in json.dumps(lines)


def test_development_logs_are_plain_text(make_app, capsys):
    make_app().test_client().get("/health")
    err = capsys.readouterr().err
    assert "INFO app.requests: GET /health 200" in err
    assert not _json_lines(err)


def test_production_defaults_to_json_logs(monkeypatch):
    import importlib

    import config

    monkeypatch.delenv("LOG_FORMAT", raising=False)
    reloaded = importlib.reload(config)
    try:
        assert reloaded.ProductionConfig.LOG_FORMAT == "json"
        assert reloaded.Config.LOG_FORMAT == "text"
    finally:
        importlib.reload(config)


# -- proxy headers and gunicorn -------------------------------------------------------------

@pytest.mark.parametrize(("proxies", "client_address"), [(0, "127.0.0.1"), (1, "203.0.113.9")])
def test_forwarded_headers_are_believed_only_behind_a_configured_proxy(make_app, capsys, proxies, client_address):
    client = make_app(LOG_FORMAT="json", PROXY_COUNT=proxies).test_client()
    client.get("/health", headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"},
               environ_base={"REMOTE_ADDR": "127.0.0.1"})
    [line] = _request_lines(capsys.readouterr().err)
    assert line["client"] == client_address


def test_gunicorn_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("GUNICORN_BIND", "127.0.0.1:9100")
    monkeypatch.setenv("GUNICORN_WORKERS", "3")
    monkeypatch.setenv("GUNICORN_THREADS", "4")
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("LOG_FORMAT", raising=False)
    monkeypatch.delenv("GUNICORN_ACCESS_LOG", raising=False)
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert settings["bind"] == ["127.0.0.1:9100"]
    assert (settings["workers"], settings["threads"], settings["worker_class"]) == (3, 4, "gthread")
    assert settings["wsgi_app"] == "wsgi:app" and settings["errorlog"] == "-"
    assert settings["accesslog"] is None
    loggers = settings["logconfig_dict"]["loggers"]
    assert loggers["gunicorn.error"]["handlers"] == ["stderr"]
    assert loggers["gunicorn.access"]["handlers"] == []

    monkeypatch.delenv("GUNICORN_WORKERS")
    monkeypatch.delenv("GUNICORN_THREADS")
    monkeypatch.setenv("APP_ENV", "development")
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert settings["worker_class"] == "sync" and settings["workers"] >= 3
    assert "logconfig_dict" not in settings
