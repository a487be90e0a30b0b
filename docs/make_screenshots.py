"""Make the screenshots of the README and docs/features.md: a throw-away SQLite registry filled with demo data and some
case handling, served on loopback and photographed in headless Chromium (Debian's).

    .venv/bin/python docs/make_screenshots.py        # writes docs/screenshots/*.png
"""

from __future__ import annotations

import random
import subprocess
import sys
import tempfile
import threading
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import flask_migrate  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from _support import config_class  # noqa: E402
from app import create_app  # noqa: E402
from app.clock import frozen_clock, now_utc  # noqa: E402
from app.complaints.models import Complaint, ComplaintStatus, Resolution  # noqa: E402
from app.database import commit_with_retry  # noqa: E402
from app.extensions import db  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
PASSWORD = "correct horse 1"


def build_app(workdir: Path):
    app = create_app(config_class(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{workdir}/registry.sqlite3", INSTANCE_PATH=str(workdir),
        REGISTRY_KEY_PATH=str(workdir / "key.pem"), ATTACHMENTS_DIR=str(workdir / "attachments"),
        MAIL_OUTBOX_DIR=str(workdir / "outbox"), WTF_CSRF_ENABLED=True,
    ))
    with app.app_context():
        flask_migrate.upgrade()
    return app


def fill(app) -> str:
    """Demo complaints over three months, most of them handled; returns one number to show."""
    from app.auth.models import User
    from app.auth.operations import create_user
    from app.auth.permissions import Role
    from app.settings.store import current_policy
    from app.workflow import operations as ops
    from app.workflow.enforcement import enforce

    runner = app.test_cli_runner()
    runner.invoke(args=["registry", "seed-demo", "--count", "400", "--days", "90", "--seed", "7"])
    with app.app_context():
        users = {
            "clerk": create_user(username="clerk", full_name="Irina Clerk", password=PASSWORD, role=Role.CLERK),
            "olga": create_user(username="olga", full_name="Olga Rusu", password=PASSWORD, role=Role.OFFICER, tier=1),
            "sergiu": create_user(username="sergiu", full_name="Sergiu Popa", password=PASSWORD, role=Role.OFFICER,
                                  tier=2),
            "mihai": create_user(username="mihai", full_name="Mihai Manager", password=PASSWORD, role=Role.MANAGER,
                                 tier=3),
        }
        db.session.commit()
        ids = {name: user.id for name, user in users.items()}
        rng = random.Random(7)
        complaints = db.session.scalars(select_complaints()).all()
        for complaint in complaints[:-25]:  # all but the newest: handled, more or less in time
            at = complaint.registered_at + timedelta(hours=rng.choice([2, 5, 9, 14, 20, 23, 30, 50]))
            work(app, complaint.id, ops.take_complaint, ids["olga"], at - timedelta(hours=1))
            work(app, complaint.id, ops.respond, ids["olga"], at, body="Thank you; we checked your account.")
            if rng.random() < 0.7:
                work(app, complaint.id, ops.resolve, ids["olga"], at + timedelta(days=1),
                     resolution=rng.choice(list(Resolution)), reasons="Checked with the payments team.")
                work(app, complaint.id, ops.close, ids["olga"], at + timedelta(days=2))
        now = now_utc()
        with frozen_clock(now):
            enforce(now, current_policy())
        shown = db.session.scalars(select_complaints().where(
            Complaint.status == ComplaintStatus.REGISTERED, Complaint.tier == 1, Complaint.email.is_not(None))
            .order_by(None).order_by(Complaint.registered_at.desc())).first()
        work(app, shown.id, ops.take_complaint, ids["olga"], now)
        work(app, shown.id, ops.respond, ids["olga"], now, body=(
            "Bună ziua,\n\nretragerea de 500 MDL a fost procesată astăzi; banii vor ajunge pe card în 1–3 zile "
            "lucrătoare. Ne cerem scuze pentru întârziere."))
        del User
        return shown.number


def select_complaints():
    from sqlalchemy import select

    return select(Complaint).order_by(Complaint.registered_at)


def work(app, complaint_id, operation, user_id, at, **kwargs):
    from app.auth.models import User

    with frozen_clock(at):
        complaint = db.session.get(Complaint, complaint_id)
        user = db.session.get(User, user_id)
        commit_with_retry(lambda: operation(complaint, by=user, **kwargs))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        app = build_app(Path(tmp))
        number = fill(app)
        slug = number.replace("/", "-")
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                        args=["--headless", "--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{base}/")
            page.screenshot(path=OUT / "public-form.png", full_page=False)
            for username, path, name in [("clerk", "/staff/registry", "journal"),
                                         ("olga", "/staff/queue", "queue"),
                                         ("olga", f"/staff/complaints/{slug}", "case"),
                                         ("mihai", "/manage/", "dashboard")]:
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                staff = context.new_page()
                staff.goto(f"{base}/staff/login")
                staff.fill("#username", username)
                staff.fill("#password", PASSWORD)
                staff.click("main button[type=submit]")  # not the language switch in the header
                staff.goto(f"{base}{path}")
                staff.screenshot(path=OUT / f"{name}.png", full_page=name in ("dashboard",))
                context.close()
            browser.close()
        server.shutdown()
        with app.app_context(), app.test_request_context():
            from app.receipts.service import complaint_receipt_pdf

            complaint = db.session.scalars(select_complaints().where(Complaint.number == number)).one()
            pdf = Path(tmp) / "receipt.pdf"
            pdf.write_bytes(complaint_receipt_pdf(complaint, language=complaint.language))
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-singlefile", str(pdf), str(OUT / "receipt")], check=True)
    print(f"screenshots in {OUT}")


if __name__ == "__main__":
    main()
