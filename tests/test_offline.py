"""Complainants without e-mail: the access code on their copy of the receipt, replies and
disputes received on paper and recorded by staff, reopening a decided complaint, and the tray
of letters to post."""

from __future__ import annotations

import re
import subprocess
from datetime import date, timedelta
from typing import Any

import pytest
from reportlab.lib.pagesizes import A4
from sqlalchemy import event, func, select, text

from _cases import T0, act, events, load, private_parts
from _support import form_data, plan
from app.auth.models import User
from app.clock import frozen_clock
from app.complaints.access import display_access_code, find_by_reference
from app.complaints.errors import ComplaintChangeForbidden, ComplaintChangeRefused
from app.complaints.filters import ComplaintFilter
from app.complaints.models import Channel, ComplaintStatus, Resolution
from app.desk.operations import annul_complaint
from app.desk.tray import letters_to_post
from app.extensions import db
from app.manage import figures, rollup
from app.manage.models import ComplaintFacts, FigureCell
from app.receipts.service import complaint_receipt_pdf
from app.registry.models import RegistryEntry
from app.registry.verify import verify_registry
from app.workflow import operations as ops
from app.workflow.models import CaseMessage, MessageKind
from app.workflow.operations import Received

S = ComplaintStatus
H, D = timedelta(hours=1), timedelta(days=1)
T0_DAY = date(2026, 11, 23)  # T0's date in Chișinău
WALK_IN = {"email": None, "postal_address": "str. Ștefan cel Mare 10, Bălți"}


def _received(app, user_id: int, channel: Channel = Channel.POST, day: date = T0_DAY) -> Received:
    with app.app_context():
        return Received(channel, day, db.session.get(User, user_id))


def _record(app, number, by, *, at=T0 + 5 * H, channel=Channel.POST, day=T0_DAY, **kwargs):
    """A reply or dispute received on paper, recorded by user `by`."""
    with app.app_context(), frozen_clock(at):
        received = Received(channel, day, db.session.get(User, by))
        complaint = find_by_reference(number)
        return ops.complainant_reply(complaint, received=received, **kwargs), db.session.commit()


def _written(app) -> tuple[int, int]:
    with app.app_context():
        return (db.session.scalar(select(func.count()).select_from(RegistryEntry)),
                db.session.scalar(select(func.count()).select_from(CaseMessage)))


def _verified(app) -> None:
    with app.app_context():
        report = verify_registry()
        assert report.ok, [str(p) for p in report.problems]


def _answered(app, register, staff, *, close: bool = False, **changes) -> str:
    """A complaint without e-mail, taken by Olga, answered, decided (and closed)."""
    number = register(**{**WALK_IN, **changes})
    act(app, number, ops.take_complaint, by=staff["olga"], at=T0 + H)
    act(app, number, ops.respond, by=staff["olga"], body="We refunded the money.", at=T0 + 2 * H)
    act(app, number, ops.resolve, by=staff["olga"], resolution=Resolution.UPHELD, reasons="Refunded in full.",
        at=T0 + 3 * H)
    if close:
        act(app, number, ops.close, by=staff["olga"], at=T0 + 4 * H)
    return number


# The receipt ----------------------------------------------------------------------------------

def _bbox_words(pdf: bytes) -> list[tuple[str, float]]:
    out = subprocess.run(["pdftotext", "-bbox", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return [(w, float(y)) for y, w in re.findall(r'<word xMin="[\d.]+" yMin="([\d.]+)"[^>]*>(.*?)</word>', out)]


@pytest.mark.parametrize("email", [None, "ana@example.md"], ids=["no e-mail", "with e-mail"])
def test_the_complainants_copy_carries_the_access_code_and_the_tracking_address_always(app, register, email):
    number = register(email=email)
    with app.app_context(), app.test_request_context():
        complaint = find_by_reference(number)
        code = display_access_code(complaint.access_code)
        pdf = complaint_receipt_pdf(complaint, language="ro")
    words = _bbox_words(pdf)
    middle = A4[1] / 2
    assert [y > middle for w, y in words if w == code] == [True], "once, on copy 2 only"
    assert any(w.startswith("http://localhost") for w, y in words if y > middle)
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert text.count(code) == 1 and "Cod de acces" in text


# Replies and disputes received on paper ------------------------------------------------------

def test_a_clerk_records_a_reply_that_came_by_post_and_it_is_signed_with_the_channel(app, register, staff):
    number = register(**WALK_IN)
    act(app, number, ops.take_complaint, by=staff["olga"], at=T0 + H)
    act(app, number, ops.request_information, by=staff["olga"], body="Send the bank statement.", at=T0 + 2 * H)
    contacts = load(app, number).contact_count
    outcome, _ = _record(app, number, staff["clerk"], at=T0 + 2 * D, day=T0_DAY + timedelta(days=1),
                         body="The statement is enclosed.")
    complaint = load(app, number)
    assert (complaint.status, complaint.contact_count) == (S.IN_PROGRESS, contacts + 1)
    with app.app_context():
        message = db.session.get(CaseMessage, outcome.message.id)
        assert (message.kind, message.author_id, message.channel, message.received_on, message.recorded_by_id) == (
            MessageKind.COMPLAINANT_REPLY, None, Channel.POST, T0_DAY + timedelta(days=1), staff["clerk"])
    event = events(app, number)[-1]
    assert event["type"] == "complainant_replied" and event["by"] is None
    assert event["received"] == {"channel": "post", "received_on": "2026-11-24",
                                 "recorded_by": {"id": staff["clerk"], "username": "clerk", "name": "Clerk"}}
    _verified(app)


def test_a_dispute_by_phone_reopens_the_complaint_as_an_online_one_does(app, register, staff):
    number = _answered(app, register, staff, close=True)
    _record(app, number, staff["clerk"], channel=Channel.PHONE, body="I do not accept; the money never came.",
            dispute=True)
    complaint = load(app, number)
    assert (complaint.status, complaint.resolution, complaint.closed_at) == (S.REOPENED, None, None)
    assert complaint.resolution_started_at == T0 + 5 * H  # the clock starts again, as on a dispute
    event = events(app, number)[-1]
    assert (event["type"], event["received"]["channel"], event["escalation_requested"]) == ("disputed", "phone", False)
    _verified(app)


def test_a_dispute_in_person_asking_for_escalation_escalates_it(app, register, staff):
    number = _answered(app, register, staff)
    _record(app, number, staff["olga"], channel=Channel.IN_PERSON, body="Pass it higher, please.", dispute=True,
            ask_escalation=True)
    complaint = load(app, number)
    assert (complaint.status, complaint.tier) == (S.REOPENED, 2)
    assert [e["type"] for e in events(app, number)[-2:]] == ["disputed", "escalated"]
    assert events(app, number)[-1]["escalation"]["reason"] == "complainant_request"
    _verified(app)


@pytest.mark.parametrize(("day", "channel", "message"), [
    (T0_DAY + timedelta(days=1), Channel.POST, "in the future"),
    (T0_DAY - timedelta(days=1), Channel.POST, "before the complaint was registered"),
    (T0_DAY, Channel.WEB, "Choose how it came"),
])
def test_a_received_reply_with_a_wrong_date_or_channel_is_refused_and_nothing_is_written(
        app, register, staff, day, channel, message):
    number = register(**WALK_IN)
    act(app, number, ops.take_complaint, by=staff["olga"], at=T0 + H)
    before, contacts = _written(app), load(app, number).contact_count
    with pytest.raises(ComplaintChangeRefused, match=message):
        _record(app, number, staff["clerk"], day=day, channel=channel, body="A letter came.")
    assert _written(app) == before
    assert load(app, number).contact_count == contacts


def test_nothing_is_recorded_for_an_annulled_complaint_or_a_status_that_does_not_allow_it(app, register, staff):
    registered = register(**WALK_IN)
    before = _written(app)
    with pytest.raises(ComplaintChangeRefused, match="registered"):  # nothing to dispute yet
        _record(app, registered, staff["clerk"], body="I dispute it.", dispute=True)
    act(app, registered, annul_complaint, by=staff["clerk"], reason="Registered twice by mistake")
    after_annulment = _written(app)
    assert after_annulment[1] == before[1]
    with pytest.raises(ComplaintChangeRefused, match="annulled"):
        _record(app, registered, staff["clerk"], body="Any news?")
    assert _written(app) == after_annulment
    _verified(app)


# Reopening ------------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["olga", "mihai"], ids=["the owner", "management"])
def test_the_owner_or_management_reopens_a_closed_complaint_with_a_reason(app, register, staff, who):
    number = _answered(app, register, staff, close=True)
    act(app, number, ops.reopen, by=staff[who], reason="New evidence from the bank", at=T0 + D)
    complaint = load(app, number)
    assert (complaint.status, complaint.resolution, complaint.resolved_at, complaint.closed_at) == (
        S.REOPENED, None, None, None)
    assert complaint.resolution_started_at == T0 + D and complaint.resolution_due > T0 + D
    event = events(app, number)[-1]
    assert (event["type"], event["by"]["id"]) == ("reopened", staff[who])
    assert private_parts(app, number)[-1] == {"reason": "New evidence from the bank"}  # free text: private
    assert event["state"]["status"] == "reopened"
    act(app, number, ops.resolve, by=staff["olga"], resolution=Resolution.REJECTED, reasons="Checked again: paid.",
        at=T0 + 2 * D)
    assert load(app, number).status == S.RESOLVED
    _verified(app)


def test_reopening_is_refused_to_others_for_open_complaints_and_without_a_reason(app, register, staff):
    number = _answered(app, register, staff)
    before = _written(app)
    with pytest.raises(ComplaintChangeForbidden, match="owner or management"):
        act(app, number, ops.reopen, by=staff["petru"], reason="I think it is wrong")
    with pytest.raises(ComplaintChangeForbidden):
        act(app, number, ops.reopen, by=staff["clerk"], reason="I think it is wrong")
    with pytest.raises(ComplaintChangeRefused, match="at least 5"):
        act(app, number, ops.reopen, by=staff["olga"], reason="no")
    assert _written(app) == before and load(app, number).status == S.RESOLVED
    act(app, number, ops.reopen, by=staff["olga"], reason="New evidence", at=T0 + D)
    with pytest.raises(ComplaintChangeRefused, match="reopened"):
        act(app, number, ops.reopen, by=staff["olga"], reason="New evidence again", at=T0 + D)


# The dashboard --------------------------------------------------------------------------------

def test_a_postal_dispute_counts_as_a_dispute_in_the_figures_and_their_rollups(app, register, staff):
    number = _answered(app, register, staff, close=True)
    now = T0 + 30 * D
    with app.app_context():
        assert rollup.split(ComplaintFilter(), "Europe/Chisinau") == rollup.Split(None, None, None, None)
        assert figures.overview(ComplaintFilter(), now).summary.reopen_rate == figures.Share(0, 1)
    _record(app, number, staff["clerk"], at=T0 + 5 * D, day=T0_DAY + timedelta(days=4), body="Not paid.",
            dispute=True)
    with app.app_context():
        assert db.session.get(ComplaintFacts, load(app, number).id).disputed
        assert figures.overview(ComplaintFilter(), now).summary.reopen_rate == figures.Share(1, 1)
    act(app, number, ops.resolve, by=staff["olga"], resolution=Resolution.UPHELD, reasons="Paid again.",
        at=T0 + 6 * D)  # settled again: read from the rollups
    with app.app_context():
        assert db.session.scalar(select(func.sum(FigureCell.disputed)).where(FigureCell.grouping == 0)) == 1
        assert sorted(db.session.execute(rollup.stored_cells())) == sorted(db.session.execute(rollup.recomputed_cells()))
        assert figures.overview(ComplaintFilter(), now).summary.reopen_rate == figures.Share(1, 1)


# The tray of letters to post -------------------------------------------------------------------

def test_letters_to_complainants_without_e_mail_wait_in_the_tray_until_posted(app, register, staff):
    walk_in = register(**WALK_IN)
    online = register()
    for number in (walk_in, online):
        act(app, number, ops.take_complaint, by=staff["olga"], at=T0 + H)
    act(app, walk_in, ops.request_information, by=staff["olga"], body="Send the statement.", at=T0 + 2 * H)
    act(app, online, ops.respond, by=staff["olga"], body="Our answer.", at=T0 + 2 * H)
    act(app, walk_in, ops.respond, by=staff["olga"], body="Our answer.", at=T0 + 3 * H)
    with app.app_context():
        tray = letters_to_post()
        assert [(m.kind, c.number) for m, c in tray] == [
            (MessageKind.INFORMATION_REQUEST, walk_in), (MessageKind.RESPONSE, walk_in)]
        first = tray[0][0].id
    with app.app_context(), frozen_clock(T0 + 4 * H):
        ops.mark_letter_posted(db.session.get(CaseMessage, first), by=db.session.get(User, staff["clerk"]))
        db.session.commit()
    with app.app_context():
        letter = db.session.get(CaseMessage, first)
        assert letter.posted_at == T0 + 4 * H
        assert [m.id for m, _ in letters_to_post()] == [first + 2]
    event = events(app, walk_in)[-1]
    assert (event["type"], event["letter"], event["by"]["id"], event["state"]["status"]) == (
        "letter_posted", {"outgoing_number": letter.outgoing_number, "posted_on": "2026-11-23"}, staff["clerk"],
        "responded")
    before = _written(app)
    with app.app_context(), pytest.raises(ComplaintChangeRefused, match="posted already"):
        ops.mark_letter_posted(db.session.get(CaseMessage, first), by=db.session.get(User, staff["clerk"]))
    with app.app_context():
        db.session.rollback()
    assert _written(app) == before
    _verified(app)


#: sqlite_stat1 of a registry of 100,000 complaints, 5,000 of them without an e-mail address,
#: and 300,000 messages, half of them outgoing letters (most sent by e-mail, never posted).
TRAY_STATISTICS = [
    ("complaints", None, "100000"),
    ("complaints", "ix_complaints_without_email", "5000 5000"),
    ("case_messages", None, "300000"),
    ("case_messages", "sqlite_autoindex_case_messages_1", "150000 1"),  # the outgoing number
    ("case_messages", "ix_case_messages_complaint_id", "300000 3"),
]


def test_the_tray_reads_the_complaints_without_an_address_first_not_every_unposted_letter(app, register, staff):
    """Letters sent by e-mail are never marked posted: the tray must start from the few
    complaints without an address (`ix_complaints_without_email`), on either database."""
    act(app, register(**WALK_IN), ops.take_complaint, by=staff["olga"], at=T0 + H)
    postgresql = app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    for _ in range(24 if postgresql else 0):
        register()  # with an e-mail address: the index of those without one holds a twenty-fifth
    sent: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append((statement, parameters))

    with app.app_context():
        # SQLite's planner decides by the statistics it has: none in a registry that grew from
        # empty (the migrations analysed empty tables), or those of a large registry.
        if postgresql:
            # PostgreSQL's planner decides by the tables' statistics, and no test can give it a
            # large registry's; which order it took here depended on the statistics earlier tests
            # had left in the database. So they are taken afresh, for 25 complaints of which one
            # has no address, and the two tables are joined by hashing, each read on its own: the
            # complaints through the small index, if its condition is the query's. Which table a
            # large registry starts from is checked on SQLite, whose planner takes a large
            # registry's statistics (TRAY_STATISTICS).
            db.session.execute(text("ANALYZE complaints, case_messages"))
            for setting in ("enable_nestloop", "enable_mergejoin"):
                db.session.execute(text(f"SET LOCAL {setting} = off"))
        for statistics in ([],) if postgresql else ([], TRAY_STATISTICS):
            if statistics:
                db.session.execute(text("ANALYZE sqlite_schema"))  # makes sqlite_stat1 where there is none
                db.session.execute(text("DELETE FROM sqlite_stat1 WHERE tbl IN ('complaints', 'case_messages')"))
                for table, index, stat in statistics:
                    db.session.execute(text("INSERT INTO sqlite_stat1 VALUES (:t, :i, :s)"),
                                       {"t": table, "i": index, "s": stat})
                db.session.execute(text("ANALYZE sqlite_schema"))  # reads them
            sent.clear()
            event.listen(db.engine, "before_cursor_execute", capture)
            try:
                letters_to_post()
            finally:
                event.remove(db.engine, "before_cursor_execute", capture)
            (statement, parameters), = [(s, p) for s, p in sent if "case_messages" in s]
            assert "ix_complaints_without_email" in plan(statement, parameters), statistics
        db.session.rollback()


# The case page and the tray, through the web -------------------------------------------------

def _case(client, number):
    return client.get(f"/staff/complaints/{number.replace('/', '-')}")


def test_a_clerk_records_a_postal_dispute_on_the_case_page_and_the_dashboard_shows_it(
        app, client, register, staff, login):
    number = _answered(app, register, staff, close=True)
    slug = number.replace("/", "-")
    login(client, "clerk", "irina")
    with frozen_clock(T0 + 2 * D):
        page = _case(client, number).get_data(as_text=True)
        assert 'data-testid="form-record_received"' in page and 'data-testid="form-reopen"' not in page
        response = client.post(f"/staff/complaints/{slug}/record-received", data={
            "record_received-what": "dispute", "record_received-channel": "post",
            "record_received-received_on": "2026-11-24", "record_received-body": "Vă scriu: banii nu au venit."})
    assert response.status_code == 303
    assert load(app, number).status == S.REOPENED
    with frozen_clock(T0 + 2 * D):
        page = _case(client, number).get_data(as_text=True)
    assert "Received: Post, on" in page and "Irina" in page
    client.post("/staff/logout")
    login(client, "manager", "maria", tier=3)
    with frozen_clock(T0 + 2 * D):
        dashboard = client.get("/manage/").get_data(as_text=True)
    assert "1 of 1 answered" in dashboard
    _verified(app)


def test_the_record_form_keeps_what_was_typed_and_says_what_is_wrong_next_to_each_field(
        app, client, register, staff, login):
    number = register(**WALK_IN)
    act(app, number, ops.take_complaint, by=staff["olga"], at=T0 + H)
    slug = number.replace("/", "-")
    login(client, "clerk", "irina")
    before = _written(app)
    with frozen_clock(T0 + 2 * H):
        response = client.post(f"/staff/complaints/{slug}/record-received", data={
            "record_received-what": "", "record_received-channel": "carrier-pigeon",
            "record_received-received_on": "2026-12-24", "record_received-body": "Scrisoare: «vă rog»"})
        early = client.post(f"/staff/complaints/{slug}/record-received", data={
            "record_received-what": "reply", "record_received-channel": "phone",
            "record_received-received_on": "2026-11-01", "record_received-body": "x"})
        dispute = client.post(f"/staff/complaints/{slug}/record-received", data={
            "record_received-what": "dispute", "record_received-channel": "phone",
            "record_received-received_on": "2026-11-23", "record_received-body": "I dispute it."})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Choose what they sent." in page and "Not a valid choice" in page
    assert "The date cannot be in the future." in page and 'value="2026-12-24"' in page
    assert "Scrisoare: «vă rog»" in page
    assert early.status_code == 422 and "before the complaint was registered" in early.get_data(as_text=True)
    assert dispute.status_code == 422  # in progress: nothing to dispute, and it is not offered
    assert _written(app) == before


def test_the_owner_reopens_from_the_case_page_and_a_short_reason_is_shown_again(
        app, client, register, staff):
    number = _answered(app, register, staff, close=True)
    slug = number.replace("/", "-")
    client.post("/staff/login", data={"username": "olga", "password": "correct horse 1"})
    with frozen_clock(T0 + D):
        assert 'data-testid="form-reopen"' in _case(client, number).get_data(as_text=True)
        short = client.post(f"/staff/complaints/{slug}/reopen", data={"reopen-reason": "no"})
        assert short.status_code == 422 and 'no</textarea>' in short.get_data(as_text=True)
        done = client.post(f"/staff/complaints/{slug}/reopen", data={"reopen-reason": "The bank wrote again"})
    assert done.status_code == 303 and load(app, number).status == S.REOPENED


def test_the_tray_lists_letters_to_post_and_marks_them_posted(app, client, register, staff, login):
    number = register(**WALK_IN)
    act(app, number, ops.take_complaint, by=staff["olga"], at=T0 + H)
    act(app, number, ops.respond, by=staff["olga"], body="Our answer.", at=T0 + 2 * H)
    slug = number.replace("/", "-")
    login(client, "clerk", "irina")
    with frozen_clock(T0 + 3 * H):
        home = client.get("/staff/").get_data(as_text=True)
        assert 'href="/staff/complaints/to-post"' in home
        tray = client.get("/staff/complaints/to-post").get_data(as_text=True)
        assert number in tray and "str. Ștefan cel Mare 10, Bălți" in tray
        assert 'data-testid="to-post"' in _case(client, number).get_data(as_text=True)
        with app.app_context():
            message_id = db.session.scalar(select(CaseMessage.id).where(CaseMessage.outgoing_number.is_not(None)))
        assert client.get(f"/staff/complaints/{slug}/letters/{message_id}.pdf").status_code == 200
        posted = client.post(f"/staff/complaints/{slug}/letters/{message_id}/posted",
                             data={"next": "/staff/complaints/to-post"})
        assert (posted.status_code, posted.headers["Location"]) == (303, "/staff/complaints/to-post")
        assert 'data-testid="to-post-empty"' in client.get("/staff/complaints/to-post").get_data(as_text=True)
        assert 'data-testid="posted"' in _case(client, number).get_data(as_text=True)
        again = client.post(f"/staff/complaints/{slug}/letters/{message_id}/posted", follow_redirects=True)
        assert "posted already" in again.get_data(as_text=True)
        assert client.post(f"/staff/complaints/{slug}/letters/999/posted").status_code == 404
    _verified(app)


def test_a_walk_in_complainant_registered_by_a_clerk_gets_the_code_on_the_printed_receipt(app, client, login):
    login(client, "clerk", "irina")
    data = form_data(email="", postal_address="str. Independenței 3, Cahul")
    data |= {"channel": "in_person", "received_on": "2026-11-23"}
    with frozen_clock(T0):
        response = client.post("/staff/complaints/new", data=data)
        assert response.status_code == 303, response.get_data(as_text=True)
        number = response.headers["Location"].rsplit("/", 1)[1].replace("-", "/")
        printed = client.post(f"/staff/complaints/{number.replace('/', '-')}/receipt", data={"language": "ro"})
        pdf = client.get(printed.headers["Location"] + ".pdf").data
    with app.app_context():
        code = display_access_code(find_by_reference(number).access_code)
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert text.count(code) == 1
