"""Workers forked from a preloading master (gunicorn's `preload_app`, app/serving/workers.py):
building the app leaves nothing open that a fork would share, and a forked worker opens its own
database connections, serves requests, and leaves the master's connections working."""

from __future__ import annotations

import gc
import json
import os
import runpy
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import Flask
from sqlalchemy import select, text

from _support import valid_payload
from app.complaints.models import Complaint
from app.extensions import db
from app.serving.workers import settle

ROOT = Path(__file__).resolve().parent.parent


def _backend(app: Flask) -> tuple[int | None, object]:
    """(PostgreSQL's server process of the connection the pool hands out, or None on SQLite;
    who opened that connection, as marked in its info)."""
    with app.app_context(), db.engine.connect() as connection:
        backend = None
        if connection.dialect.name == "postgresql":
            backend = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        return backend, connection.info.get("opened_by")


def _in_a_fork(work) -> dict:  # noqa: ANN001
    """Run `work()` in a forked child (as gunicorn forks a worker) and return what it returned."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        status = 0
        try:
            os.close(read)
            result = work()
        except BaseException as error:  # noqa: BLE001 - reported to the parent
            result, status = {"error": repr(error)}, 1
        with os.fdopen(write, "w") as pipe:
            pipe.write(json.dumps(result))
        os._exit(status)
    os.close(write)
    with os.fdopen(read) as pipe:
        output = pipe.read()
    _, status = os.waitpid(pid, 0)
    result = json.loads(output)
    assert os.waitstatus_to_exitcode(status) == 0, result
    return result


def test_building_the_app_opens_no_file_socket_or_database_connection(make_app):
    before = set(os.listdir("/proc/self/fd"))
    app = make_app()
    assert set(os.listdir("/proc/self/fd")) <= before
    with app.app_context():
        assert db.engine.pool.checkedin() == 0 and db.engine.pool.checkedout() == 0


@pytest.mark.parametrize("pool_check", ["socket", "ping"])
def test_a_forked_worker_opens_its_own_connections_and_leaves_the_masters_working(make_app, pool_check):
    """The master's pooled connection is copied into the worker's pool by the fork: the worker
    must open its own, without pinging the master's (its answer would go to whichever process
    reads first) and without closing it (on PostgreSQL that would end the master's session)."""
    app = make_app(DATABASE_POOL_CHECK=pool_check)
    with app.app_context(), db.engine.connect() as connection:
        connection.info["opened_by"] = "master"  # the pooled connection the fork inherits
    master_backend, opened_by = _backend(app)
    assert opened_by == "master"

    def worker() -> dict:
        with app.app_context():
            inherited = db.engine.pool.checkedin()  # the master's connection, copied by the fork
        backend, opened_by = _backend(app)
        client = app.test_client()
        health = client.get("/health").status_code
        registered = client.post("/api/v1/complaints", json=valid_payload(subject="Filed by a forked worker"))
        with app.app_context():
            db.session.remove()
            db.engine.dispose()  # a worker that exits closes its own connections, not the master's
        return {"inherited": inherited, "backend": backend, "opened_by": opened_by, "health": health,
                "registered": registered.status_code, "number": registered.get_json().get("number")}

    child = _in_a_fork(worker)
    assert child["inherited"] == 1
    assert child["opened_by"] is None  # a connection of its own, not the master's
    assert (child["health"], child["registered"]) == (200, 201)
    if master_backend is not None:  # PostgreSQL: another server process, so another session
        assert child["backend"] != master_backend

    # The master's connection outlived the worker (the worker neither used nor closed it) and
    # sees what the worker committed.
    assert _backend(app) == (master_backend, "master")
    with app.app_context():
        assert db.session.scalar(select(Complaint.number)) == child["number"]
        db.session.remove()


def test_gunicorn_preloads_by_default_and_warns_that_a_hup_loads_no_new_code(monkeypatch):
    monkeypatch.delenv("GUNICORN_PRELOAD", raising=False)
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert settings["preload_app"] is True
    warnings: list[str] = []
    server = SimpleNamespace(cfg=SimpleNamespace(preload_app=True), log=SimpleNamespace(warning=warnings.append))
    settings["on_reload"](server)
    assert warnings and "restart" in warnings[0]

    monkeypatch.setenv("GUNICORN_PRELOAD", "0")
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert settings["preload_app"] is False
    server.cfg.preload_app = False
    settings["on_reload"](server)
    assert len(warnings) == 1  # each worker loads the app: a HUP loads new code, nothing to say


def test_settle_freezes_what_start_up_made_and_turns_the_collector_back_on():
    """wsgi.py keeps the collector off while the app is imported and built; settle ends that."""
    gc.disable()
    try:
        settle()
        assert gc.isenabled() and gc.get_freeze_count() > 0
    finally:
        gc.enable()
        gc.unfreeze()


#: What a worker loads only when it first needs it (a document, a spreadsheet, the mailbox, a
#: migration), not at start-up: each of these took a tenth of a second or more of every worker's
#: start. The last three (an e-mail address or phone number checked, an upload's type) took
#: ≈ 30 ms together.
LOADED_ON_FIRST_USE = ("reportlab", "xlsxwriter", "imapclient", "pyhanko", "pypdf", "lxml", "holidays",
                       "flask_migrate", "alembic", "email_validator", "phonenumbers", "filetype")


def test_building_the_app_loads_no_document_spreadsheet_mail_migration_or_validation_library(tmp_path):
    script = (
        "import sys; from app import create_app; create_app(); "
        f"print(','.join(name for name in {LOADED_ON_FIRST_USE!r} if name in sys.modules))"
    )
    environment = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'start.sqlite3'}"}
    finished = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120,
    )
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.strip() == ""


#: A fresh process (the test session has loaded everything already) builds the app on the test
#: database, files a complaint with an e-mail address, a phone number and a PNG through the
#: public form, and reports what was loaded before and after.
FIRST_COMPLAINT = r"""
import io, json, sys
sys.path.insert(0, "tests")
from _support import config_class, form_data
from app import create_app
from app.complaints.models import Attachment, Complaint
from app.extensions import db
lazy = ("email_validator", "phonenumbers", "filetype")
app = create_app(config_class(**json.loads(sys.argv[1])))
before = [name for name in lazy if name in sys.modules]
data = form_data(email="Ana.Maria@EXAMPLE.md", phone="+373 69 123 456")
data["attachments"] = [(io.BytesIO(bytes.fromhex(sys.argv[2])), "screen.png")]
response = app.test_client().post("/complaints/new", data=data, content_type="multipart/form-data")
with app.app_context():
    complaint = db.session.scalars(db.select(Complaint)).one()
    print(json.dumps({"before": before, "after": [name for name in lazy if name in sys.modules],
                      "status": response.status_code, "email": complaint.email, "phone": complaint.phone,
                      "types": db.session.scalars(db.select(Attachment.content_type)).all()}))
"""


def test_the_first_complaint_loads_the_address_phone_and_file_checks_and_is_checked_by_them(make_app,
                                                                                            base_settings):
    make_app()  # the schema is built, and the complaint filed below is emptied after the test
    png = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\x00" * 40
    finished = subprocess.run(
        [sys.executable, "-c", FIRST_COMPLAINT, json.dumps(base_settings), png.hex()],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert finished.returncode == 0, finished.stderr
    result = json.loads(finished.stdout.strip().splitlines()[-1])
    assert result["before"] == []
    assert result["after"] == ["email_validator", "phonenumbers", "filetype"]
    assert result["status"] == 303
    assert (result["email"], result["phone"], result["types"]) == ("Ana.Maria@example.md", "+37369123456",
                                                                   ["image/png"])
