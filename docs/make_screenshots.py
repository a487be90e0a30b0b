"""Make the screenshots of the README and docs/features.md: a throw-away SQLite registry (the public form photographed
while it is empty, the rest after `flask registry seed-demo` told its story), served on loopback and photographed in
headless Chromium (Debian's).

    .venv/bin/python docs/make_screenshots.py        # writes docs/screenshots/*.png
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import flask_migrate  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from _support import config_class  # noqa: E402
from app import create_app  # noqa: E402
from app.complaints.models import Complaint, ComplaintStatus  # noqa: E402
from app.extensions import db  # noqa: E402

OUT = ROOT / "docs" / "screenshots"


def build_app(workdir: Path):
    app = create_app(config_class(
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{workdir}/registry.sqlite3", INSTANCE_PATH=str(workdir),
        REGISTRY_KEY_PATH=str(workdir / "key.pem"), ATTACHMENTS_DIR=str(workdir / "attachments"),
        MAIL_OUTBOX_DIR=str(workdir / "outbox"), REGISTRY_CHECKPOINT_DIR=str(workdir / "checkpoints"),
        DOCUMENT_SIGNING_KEY_PATH=str(workdir / "document_key.pem"),
        DOCUMENT_CERTIFICATE_PATH=str(workdir / "document_certificate.pem"), WTF_CSRF_ENABLED=True,
    ))
    with app.app_context():
        flask_migrate.upgrade()
    return app


def fill(app) -> tuple[str, str]:
    """The demo story (app/journal/demo.py) with a fixed seed; returns the numbers of an answered
    complaint to show and of an English web complaint whose receipt to show."""
    from app.complaints.models import Channel
    from app.journal.demo import tell_demo_story

    with app.app_context():
        tell_demo_story(random_seed=7)
        newest = select_complaints().order_by(None).order_by(Complaint.registered_at.desc())
        shown = db.session.scalars(newest.where(Complaint.status == ComplaintStatus.RESPONDED)).first()
        receipt = db.session.scalars(newest.where(Complaint.channel == Channel.WEB, Complaint.language == "en")).first()
        return shown.number, receipt.number


def select_complaints():
    from sqlalchemy import select

    return select(Complaint).order_by(Complaint.registered_at)


def serve(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        app = build_app(Path(tmp))
        with sync_playwright() as p:
            number = photograph(app, p.chromium.launch(executable_path="/usr/bin/chromium",
                                                       args=["--headless", "--no-sandbox", "--disable-gpu"]))
        with app.app_context(), app.test_request_context():  # after Playwright's event loop: PDF signing runs one
            from app.receipts.service import complaint_receipt_pdf

            complaint = db.session.scalars(select_complaints().where(Complaint.number == number)).one()
            pdf = Path(tmp) / "receipt.pdf"
            pdf.write_bytes(complaint_receipt_pdf(complaint, language=complaint.language))
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-singlefile", str(pdf), str(OUT / "receipt")], check=True)
    print(f"screenshots in {OUT}")


def photograph(app, browser) -> str:
    """The public form of the empty registry (as a real one shows it: no demo ribbon), then the staff
    pages once the demo story is told; returns the complaint whose receipt to show."""
    server, base = serve(app)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{base}/")
    page.screenshot(path=OUT / "public-form.png", full_page=False)
    server.shutdown()
    shown, receipt = fill(app)
    slug = shown.replace("/", "-")
    server, base = serve(app)
    for username, path, name in [("clerk", "/staff/registry", "journal"),
                                 ("officer", "/staff/queue", "queue"),
                                 ("officer", f"/staff/complaints/{slug}", "case"),
                                 ("manager", "/manage/", "dashboard")]:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        staff = context.new_page()
        staff.goto(f"{base}/staff/login")
        staff.fill("#username", username)
        staff.fill("#password", f"{username}-demo-pass")
        with staff.expect_navigation():
            staff.press("#password", "Enter")
        staff.goto(f"{base}{path}")
        staff.screenshot(path=OUT / f"{name}.png", full_page=name in ("dashboard",))
        context.close()
    browser.close()
    server.shutdown()
    return receipt


if __name__ == "__main__":
    main()
