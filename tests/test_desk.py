"""The front desk: clerk registration, receipt prints and reprints, annulment, corrections,
evidence downloads and the case page."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pypdf import PdfReader
from sqlalchemy import func, select, text

from _cases import act
from _support import form_data, valid_payload
from app.audit.models import AuditAction, AuditEvent
from app.complaints.models import Complaint
from app.desk.operations import annul_complaint, record_receipt_print
from app.extensions import db
from app.registry.verify import verify_registry

ZONE = ZoneInfo("Europe/Chisinau")
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _desk_data(**changes):
    data = form_data(**changes)
    data.setdefault("channel", "paper")
    data.setdefault("received_on", datetime.now(ZONE).date().isoformat())
    return data


def _complaint(app, seq=1) -> Complaint:
    with app.app_context():
        return db.session.scalar(select(Complaint).where(Complaint.seq == seq))


def _actions(app) -> list[str]:
    with app.app_context():
        return [e.action.value for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def _pdf_text(data: bytes) -> str:
    return PdfReader(io.BytesIO(data)).pages[0].extract_text()


def _verified(app) -> bool:
    with app.app_context():
        report = verify_registry()
        assert report.ok, [str(p) for p in report.problems]
        return True


def test_a_clerk_registers_a_posted_complaint_and_lands_on_its_case_page(app, client, login):
    login(client, "clerk", "irina")
    yesterday = (datetime.now(ZONE) - timedelta(days=1)).date()
    response = client.post("/staff/complaints/new", data=_desk_data(
        channel="post", received_on=yesterday.isoformat(),
        full_name="Анна Сергеевна Иванова", signature="Анна Сергеевна Иванова", language="ru"))
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    complaint = _complaint(app)
    assert complaint.number in page and "Print receipt" in page and "Registered as" in page
    assert complaint.channel.value == "post"
    assert complaint.received_at.astimezone(ZONE).date() == yesterday
    assert complaint.received_at < complaint.registered_at
    with app.app_context():
        assert complaint.registered_by_id == db.session.scalar(text("SELECT id FROM users WHERE username = 'irina'"))
    assert "registration" in _actions(app)
    assert _verified(app)


def test_the_desk_form_keeps_what_was_typed_and_takes_no_number_on_errors(app, client, login):
    login(client, "clerk")
    tomorrow = (datetime.now(ZONE) + timedelta(days=1)).date().isoformat()
    response = client.post("/staff/complaints/new", data=_desk_data(received_on=tomorrow, email="bad@", phone=None))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The date cannot be in the future." in page and "This is not a valid e-mail address." in page
    assert 'value="Ana-Maria Ștefănescu-Țurcanu"' in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Complaint)) == 0


def test_the_first_print_is_the_original_and_every_reprint_is_a_numbered_duplicate(app, client, login):
    body = client.post("/api/v1/complaints", json=valid_payload()).get_json()
    slug = body["number"].replace("/", "-")
    login(client, "clerk")
    texts = []
    for language in ("ro", "ro", "ru"):
        page_url = client.post(f"/staff/complaints/{slug}/receipt", data={"language": language}).headers["Location"]
        page = client.get(page_url).get_data(as_text=True)
        pdf_url = re.search(r'src="([^"]+\.pdf)"', page).group(1)
        pdf = client.get(pdf_url)
        assert pdf.mimetype == "application/pdf"
        texts.append(_pdf_text(pdf.data))
    assert "DUPLICAT" not in texts[0].upper()
    assert "DUPLICAT 1" in texts[1].upper() or "DUPLICATE 1" in texts[1].upper()
    assert "ДУБЛИКАТ 2" in texts[2].upper()
    assert _actions(app)[-3:] == ["receipt_print", "receipt_reprint", "receipt_reprint"]
    case = client.get(f"/staff/complaints/{slug}").get_data(as_text=True)
    assert "Duplicate 2" in case and "Reprint receipt (duplicate)" in case


def test_annulment_keeps_the_number_is_signed_and_cannot_be_repeated(app, client, login):
    for i in range(3):
        client.post("/api/v1/complaints", json=valid_payload(subject=f"Complaint {i}"))
    login(client, "clerk")
    number = _complaint(app, 2).number
    slug = number.replace("/", "-")
    no_reason = client.post(f"/staff/complaints/{slug}/annul", data={"annul-reason": ""}, follow_redirects=True)
    assert "Not annulled" in no_reason.get_data(as_text=True)
    assert _complaint(app, 2).status.value == "registered"
    done = client.post(f"/staff/complaints/{slug}/annul", data={"annul-reason": "Duplicate of an earlier complaint"},
                       follow_redirects=True).get_data(as_text=True)
    assert "is annulled" in done and "Annulled: registered by mistake" in done
    assert "Duplicate of an earlier complaint" in done  # in the history
    again = client.post(f"/staff/complaints/{slug}/annul", data={"annul-reason": "Once more please"},
                        follow_redirects=True).get_data(as_text=True)
    assert "is already annulled" in again
    refused = client.post(f"/staff/complaints/{slug}/correct", data={"reason": "typo typo"})
    assert refused.status_code == 422 and "an annulled record is not corrected" in refused.get_data(as_text=True)
    assert [c.seq for c in [_complaint(app, n) for n in (1, 2, 3)]] == [1, 2, 3]
    assert _verified(app)
    result = app.test_cli_runner().invoke(args=["registry", "verify"])
    assert result.exit_code == 0, result.output
    assert "annulment" in _actions(app)
    public = client.get("/verify", query_string={"number": number, "fingerprint": _intake_fingerprint(app, 2)})
    assert "It was annulled afterwards" in public.get_data(as_text=True)


def _intake_fingerprint(app, seq) -> str:
    from app.registry.chain import intake_entry
    from app.registry.digest import fingerprint_of

    with app.app_context():
        return fingerprint_of(intake_entry(_complaint(app, seq).id).digest)


def test_a_status_set_to_annulled_without_a_signed_annulment_is_caught(app, client):
    client.post("/api/v1/complaints", json=valid_payload())
    with app.app_context():
        db.session.execute(text("UPDATE complaints SET status = 'annulled'"))
        db.session.commit()
        problems = [str(p) for p in verify_registry().problems]
    assert any("differ from its last signed event" in p and 'found status="annulled"' in p for p in problems)


def test_a_correction_changes_the_record_keeps_the_original_and_still_verifies(app, client, login):
    client.post("/api/v1/complaints", json=valid_payload(full_name="Ana Munteanu", signature="Ana Munteanu",
                                                          email="ana@exampel.md"))
    login(client, "manager", "mihai")
    slug = _complaint(app).slug
    form = client.get(f"/staff/complaints/{slug}/correct").get_data(as_text=True)
    assert 'value="ana@exampel.md"' in form
    data = {"full_name": "Ana Munteanu-Rusu", "email": "ana@example.md", "phone": "+373 69 123 456",
            "postal_address": "", "category": "payments", "subject": valid_payload()["subject"],
            "description": valid_payload()["description"], "desired_outcome": valid_payload()["desired_outcome"],
            "reason": ""}
    assert "Give the reason." in client.post(f"/staff/complaints/{slug}/correct", data=data).get_data(as_text=True)
    bad = client.post(f"/staff/complaints/{slug}/correct", data={**data, "email": "nope", "reason": "typo in e-mail"})
    assert bad.status_code == 422 and "This is not a valid e-mail address." in bad.get_data(as_text=True)
    ok = client.post(f"/staff/complaints/{slug}/correct", data={**data, "reason": "typo in e-mail and name"})
    assert ok.status_code == 303
    complaint = _complaint(app)
    assert (complaint.full_name, complaint.email, complaint.signature_name) == (
        "Ana Munteanu-Rusu", "ana@example.md", "Ana Munteanu")
    case = client.get(f"/staff/complaints/{slug}").get_data(as_text=True)
    assert "ana@exampel.md" in case and "typo in e-mail and name" in case and "Mihai" in case
    assert _verified(app)
    nothing = client.post(f"/staff/complaints/{slug}/correct", data={**data, "reason": "nothing at all"})
    assert "Nothing was changed." in nothing.get_data(as_text=True)
    with app.app_context():  # an edit without a signed correction is still caught
        db.session.execute(text("UPDATE complaints SET email = 'someone@else.md'"))
        db.session.commit()
        assert not verify_registry().ok


def test_evidence_downloads_only_as_an_attachment_and_is_audited(app, client, login):
    data = form_data()
    data["attachments"] = [(io.BytesIO(PDF_BYTES), "скан заявления.pdf")]
    client.post("/complaints/new", data=data, content_type="multipart/form-data")
    complaint = _complaint(app)
    with app.app_context():
        attachment_id = db.session.scalar(text("SELECT id FROM attachments"))
    anonymous = client.get(f"/staff/complaints/{complaint.slug}/attachments/{attachment_id}")
    assert anonymous.status_code == 302
    login(client, "clerk")
    response = client.get(f"/staff/complaints/{complaint.slug}/attachments/{attachment_id}")
    assert response.data == PDF_BYTES
    assert response.mimetype == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''%D1%81%D0%BA%D0%B0%D0%BD" in response.headers["Content-Disposition"]
    assert _actions(app)[-1] == "attachment_download"
    assert client.get(f"/staff/complaints/{complaint.slug}/attachments/999").status_code == 404


def test_the_case_page_lists_the_complainants_other_complaints(app, client, login):
    client.post("/api/v1/complaints", json=valid_payload(subject="First complaint about payouts"))
    client.post("/api/v1/complaints", json=valid_payload(subject="Second one", email=None))  # same phone
    client.post("/api/v1/complaints", json=valid_payload(subject="Somebody else", email="x@y.md", phone="+37379000000"))
    login(client, "clerk")
    page = client.get(f"/staff/complaints/{_complaint(app, 1).slug}").get_data(as_text=True)
    assert "Second one" in page and "Somebody else" not in page
    assert AuditAction.LOGIN.value in _actions(app)


def test_two_clerks_annulling_the_same_record_at_once_annul_it_once(app, client, make_user):
    import threading

    client.post("/api/v1/complaints", json=valid_payload())
    slug = _complaint(app).slug
    clients = []
    for name in ("irina", "olga", "pavel", "radu"):
        make_user(name, "clerk")
        other = app.test_client()
        other.post("/staff/login", data={"username": name, "password": "correct horse 1"})
        clients.append(other)
    start = threading.Barrier(len(clients))

    def annul(c) -> None:
        start.wait()
        c.post(f"/staff/complaints/{slug}/annul", data={"annul-reason": "Registered twice by mistake"})

    threads = [threading.Thread(target=annul, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app.app_context():
        annulments = db.session.scalar(text("SELECT count(*) FROM registry_entries WHERE kind = 'annulment'"))
    assert annulments == 1
    assert _actions(app).count("annulment") == 1
    assert _verified(app)


def test_the_desk_operations_leave_their_audit_events_wherever_they_are_called_from(app, make_user, register):
    number, other = register(), register(subject="Another complaint")
    clerk = make_user("irina", "clerk")
    act(app, number, annul_complaint, by=clerk, reason="Registered  twice\nby mistake")
    act(app, other, record_receipt_print, by=clerk, language="ru")
    act(app, other, record_receipt_print, by=clerk, language="ro")
    with app.app_context():
        events = [(e.action.value, e.target, e.details, e.username, e.ip)
                  for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert events == [
        ("annulment", number, '{"reason": "Registered  twice\\nby mistake"}', "irina", None),  # as given
        ("receipt_print", other, '{"language": "ru", "reprint": 0}', "irina", None),
        ("receipt_reprint", other, '{"language": "ro", "reprint": 1}', "irina", None),
    ]
