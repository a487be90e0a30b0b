"""The regulator's clocks, preset by preset: each test drives one complaint through its clocks
with a moved clock (received before a public holiday, registered, acknowledged, paused while
waiting for the complainant, extended once with its letter, answered) and checks the due
times, breaches and letters against values worked out by hand from the rule's text, written
in the comments. docs/clock-policies.md gives the rules and their sources."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from _cases import act, enforce_at_once, events, load, private_parts
from _support import COURT, FOS, IBAS, valid_payload
from app.clock import frozen_clock
from app.clocks.models import ComplaintClock
from app.clocks.policy import ClockKind
from app.complaints.errors import ComplaintChangeRefused
from app.complaints.models import Channel, Resolution
from app.database import commit_with_retry
from app.extensions import db
from app.intake.operations import ComplaintSubmission, register_complaint
from app.registry.verify import verify_registry
from app.settings.store import current_policy
from app.workflow import operations as ops
from app.workflow.enforcement import enforce
from app.workflow.models import Breach, CaseMessage, Escalation, MessageKind


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def submission(**changes) -> ComplaintSubmission:
    p = valid_payload(**changes)
    return ComplaintSubmission(
        full_name=p["full_name"], email=p.get("email"), phone=p.get("phone"), postal_address=p.get("postal_address"),
        category=p["category"], subject=p["subject"], description=p["description"],
        desired_outcome=p["desired_outcome"], language=p["language"], signature_name=p["signature"],
        declaration_confirmed=True)


def file(app, *, registered: datetime, received: datetime | None = None, **changes) -> str:
    """Register a complaint at `registered`; `received` before it: it came by post then."""
    channel = Channel.POST if received is not None else Channel.WEB
    with app.app_context(), frozen_clock(registered):
        return commit_with_retry(lambda: register_complaint(
            submission(**changes), channel=channel, received_at=received)).complaint.number


def clocks(app, number: str) -> dict[str, ComplaintClock]:
    with app.app_context():
        complaint = load(app, number)
        return {c.kind.value: c for c in db.session.scalars(
            select(ComplaintClock).where(ComplaintClock.complaint_id == complaint.id))}


def breaches(app, number: str) -> list[tuple[str, datetime]]:
    with app.app_context():
        complaint = load(app, number)
        return [(b.kind.value, b.due_at) for b in db.session.scalars(
            select(Breach).where(Breach.complaint_id == complaint.id).order_by(Breach.id))]


def run_enforcement(app, at: datetime):
    with app.app_context(), frozen_clock(at):
        return enforce(at, current_policy())


def assert_verified(app):
    with app.app_context():
        report = verify_registry(files=False)
        assert report.ok, [str(p) for p in report.problems]


# UK Gambling Commission ---------------------------------------------------------------------

def test_ukgc_a_letter_received_before_the_bank_holiday_is_acknowledged_late_and_its_eight_weeks_pause(
        make_app, staff):
    app = make_app(CLOCK_POLICY="ukgc", REFERRAL_BODY=IBAS, CALENDAR_COUNTRY="GB", CALENDAR_SUBDIVISION="ENG",
                   REGISTRY_TIMEZONE="Europe/London")
    # Received by post on Friday 28 Aug 2026 at 19:00 BST (18:00 UTC), before the summer bank
    # holiday (Monday 31 Aug); registered on Tuesday 1 Sep at 09:00 BST (08:00 UTC).
    number = file(app, received=utc(2026, 8, 28, 18), registered=utc(2026, 9, 1, 8))
    found = clocks(app, number)
    # Acknowledgement: 24 hours from receipt, due Saturday 29 Aug 18:00 UTC; registration (the
    # receipt) came later: met late, and a breach recorded at registration.
    ack = found["acknowledgement"]
    assert (ack.due_at, ack.met_at, ack.breached_at) == (utc(2026, 8, 29, 18), utc(2026, 9, 1, 8), utc(2026, 9, 1, 8))
    assert breaches(app, number) == [("acknowledgement", utc(2026, 8, 29, 18))]
    # Final response: 8 weeks (56 days) from receipt: day 0 is 28 Aug, day 56 is Friday 23 Oct;
    # due at its end, midnight BST = 23 Oct 23:00 UTC.
    assert found["final_response"].due_at == utc(2026, 10, 23, 23)
    assert found["final_response"].started_at == utc(2026, 8, 28, 18)

    act(app, number, ops.take_complaint, by=staff["olga"], at=utc(2026, 9, 1, 9))
    # Waiting for the complainant from 10 Sep 09:00 UTC to 15 Sep 09:00 UTC: the clock stands
    # still for exactly 5 days, so it falls due 5 x 24 h later: 28 Oct 23:00 UTC (the clocks
    # went back on 25 Oct, so that is 23:00 GMT).
    act(app, number, ops.request_information, by=staff["olga"], at=utc(2026, 9, 10, 9),
        body="Please send the bank statement showing the deposit.")
    assert clocks(app, number)["final_response"].paused_at == utc(2026, 9, 10, 9)
    with frozen_clock(utc(2026, 9, 11, 9)):  # the complainant sees it on the tracking page
        complaint = load(app, number)
        track = app.test_client().get(f"/track?number={complaint.number}&code={complaint.access_code}",
                                      follow_redirects=True).get_data(as_text=True)
    # In the complaint's language (Romanian), by the end of 23 Oct.
    assert "Răspunsul final — până la" in track and "23.10.2026" in track
    assert "Cât timp așteptăm răspunsul dumneavoastră, termenul nu curge." in track
    act(app, number, ops.complainant_reply, by=None, at=utc(2026, 9, 15, 9), body="Statement attached.")
    final = clocks(app, number)["final_response"]
    assert (final.paused_at, final.due_at) == (None, utc(2026, 10, 28, 23))
    # The Commission's clock has no extension.
    with pytest.raises(ComplaintChangeRefused, match="cannot be extended"):
        act(app, number, ops.extend_clock, by=staff["olga"], at=utc(2026, 9, 20, 9),
            kind=ClockKind.FINAL_RESPONSE, amount=7, reason="Awaiting the payment provider's report")
    # Decided on 20 Oct: met in time.
    act(app, number, ops.resolve, by=staff["olga"], at=utc(2026, 10, 20, 9), resolution=Resolution.UPHELD,
        reasons="The withdrawal was delayed by our payment provider; it is paid with interest.")
    final = clocks(app, number)["final_response"]
    assert (final.met_at, final.breached_at) == (utc(2026, 10, 20, 9), None)
    changes = [c["event"] for e in events(app, number) for c in e.get("clocks", [])]
    assert changes == ["paused", "resumed", "met"]
    assert_verified(app)


def test_ukgc_an_unanswered_complaint_breaches_its_eight_weeks_once_and_rises_a_tier(make_app, staff):
    app = make_app(CLOCK_POLICY="ukgc", REFERRAL_BODY=IBAS, CALENDAR_COUNTRY="GB", CALENDAR_SUBDIVISION="ENG",
                   REGISTRY_TIMEZONE="Europe/London")
    number = file(app, registered=utc(2026, 8, 28, 18))
    act(app, number, ops.take_complaint, by=staff["olga"], at=utc(2026, 8, 28, 19))
    act(app, number, ops.respond, by=staff["olga"], at=utc(2026, 8, 29, 9), body="We are looking into it.")
    due = utc(2026, 10, 23, 23)
    assert clocks(app, number)["final_response"].due_at == due
    for at in (due - timedelta(seconds=1), due, due + timedelta(hours=1)):
        run_enforcement(app, at)
    assert ("final_response", due) in breaches(app, number)
    assert [b for b in breaches(app, number) if b[0] == "final_response"] == [("final_response", due)]
    breached = [e for e in events(app, number) if e["type"] == "deadline_breached"
                and e["deadline"]["kind"] == "final_response"]
    assert len(breached) == 1
    assert breached[0]["clocks"][0]["breached_at"] == "2026-10-23T23:00:00.000000+00:00"
    with app.app_context():
        rises = db.session.scalars(select(Escalation).where(Escalation.reason == "clock_breach")).all()
        assert [e.to_tier - e.from_tier for e in rises] == [1]  # one tier up (from wherever its own clocks took it)
    assert_verified(app)


# FCA DISP ------------------------------------------------------------------------------------

def test_fca_payments_fifteen_business_days_skip_the_bank_holiday_and_extend_to_thirty_five_with_a_letter(
        make_app, staff):
    app = make_app(CLOCK_POLICY="fca_payments", REFERRAL_BODY=FOS, CALENDAR_COUNTRY="GB", CALENDAR_SUBDIVISION="ENG",
                   REGISTRY_TIMEZONE="Europe/London")
    # Filed online on Friday 28 Aug 2026, 19:00 BST. Business days after the day of receipt,
    # Monday 31 Aug being a bank holiday: 1, 2, 3, 4, 7, 8, 9, 10, 11, 14, 15, 16, 17, 18 and
    # 21 Sep (the 15th). Due at the end of Monday 21 Sep: midnight BST = 21 Sep 23:00 UTC.
    number = file(app, registered=utc(2026, 8, 28, 18), language="en")
    assert clocks(app, number)["final_response"].due_at == utc(2026, 9, 21, 23)
    act(app, number, ops.take_complaint, by=staff["olga"], at=utc(2026, 9, 1, 9))
    with pytest.raises(ComplaintChangeRefused, match="20 working days at most"):
        act(app, number, ops.extend_clock, by=staff["olga"], at=utc(2026, 9, 10, 9), kind=ClockKind.FINAL_RESPONSE,
            amount=21, reason="The card scheme's chargeback takes longer", notice="We need more time.")
    with pytest.raises(ComplaintChangeRefused, match="notice"):
        act(app, number, ops.extend_clock, by=staff["olga"], at=utc(2026, 9, 10, 9), kind=ClockKind.FINAL_RESPONSE,
            amount=20, reason="The card scheme's chargeback takes longer")
    assert clocks(app, number)["final_response"].extended_at is None  # refused: nothing changed
    # Extended by 20 business days from 21 Sep: 22, 23, 24, 25, 28, 29, 30 Sep, 1, 2, 5, 6, 7,
    # 8, 9, 12, 13, 14, 15, 16 and 19 Oct (the 20th): end of Monday 19 Oct = 19 Oct 23:00 UTC.
    change, letter = act(app, number, ops.extend_clock, by=staff["olga"], at=utc(2026, 9, 10, 9),
                         kind=ClockKind.FINAL_RESPONSE, amount=20,
                         reason="The card scheme's chargeback takes longer",
                         notice="We cannot give our final response yet: the card scheme has not answered.")
    assert change["due_at"] == "2026-10-19T23:00:00.000000+00:00" and change["previous_due_at"] == "2026-09-21T23:00:00.000000+00:00"
    with app.app_context():
        notice = db.session.get(CaseMessage, letter.id)
        assert notice.kind == MessageKind.EXTENSION_NOTICE and notice.outgoing_number.startswith("OUT-2026/")
    issued = private_parts(app, number)[-1]
    assert issued["reason"] == "The card scheme's chargeback takes longer"
    assert issued["letter"]["kind"] == "extension_notice" and issued["letter"]["language"] == "en"
    with pytest.raises(ComplaintChangeRefused, match="extended already"):
        act(app, number, ops.extend_clock, by=staff["olga"], at=utc(2026, 9, 11, 9), kind=ClockKind.FINAL_RESPONSE,
            amount=1, reason="Still waiting for the card scheme", notice="Still waiting.")
    run_enforcement(app, utc(2026, 9, 22, 9))  # the first due time passed: not a breach any more
    assert [b for b in breaches(app, number) if b[0] == "final_response"] == []
    act(app, number, ops.resolve, by=staff["olga"], at=utc(2026, 10, 15, 9), resolution=Resolution.PARTLY_UPHELD,
        reasons="The chargeback succeeded for half of the amount; we refund the rest ourselves.")
    assert clocks(app, number)["final_response"].met_at == utc(2026, 10, 15, 9)
    assert_verified(app)


def test_fca_general_the_eight_week_letter_meets_the_clock(make_app, staff):
    app = make_app(CLOCK_POLICY="fca_general", REFERRAL_BODY=FOS, CALENDAR_COUNTRY="GB", CALENDAR_SUBDIVISION="ENG",
                   REGISTRY_TIMEZONE="Europe/London")
    # 8 weeks from Friday 28 Aug 2026: day 56 is Friday 23 Oct, due at its end (23:00 UTC).
    number = file(app, registered=utc(2026, 8, 28, 18))
    assert clocks(app, number)["final_response"].due_at == utc(2026, 10, 23, 23)
    act(app, number, ops.take_complaint, by=staff["olga"], at=utc(2026, 9, 1, 9))
    act(app, number, ops.send_holding_response, by=staff["olga"], at=utc(2026, 10, 20, 9),
        body="Thank you for your patience while we look into your card payment.",
        reason="the card scheme has not yet answered our chargeback request", expected_on=date(2026, 11, 20))
    final = clocks(app, number)["final_response"]
    assert final.met_at == utc(2026, 10, 20, 9)
    assert load(app, number).status.value == "in_progress"  # the status stays
    run_enforcement(app, utc(2026, 10, 24, 9))
    assert [b for b in breaches(app, number) if b[0] == "final_response"] == []
    assert_verified(app)


# 59-FZ ---------------------------------------------------------------------------------------

def test_59_fz_registration_in_three_days_and_thirty_days_from_registration_extended_by_thirty(make_app, staff):
    app = make_app(CLOCK_POLICY="ru_59fz", REFERRAL_BODY=COURT, CALENDAR_COUNTRY="RU", REGISTRY_TIMEZONE="Europe/Moscow")
    # Arrived by post on Friday 25 Dec 2026 at 18:00 MSK (15:00 UTC); registered on Wednesday
    # 30 Dec at 10:00 MSK (07:00 UTC). Registration within 3 days: day 0 is 25 Dec, due at the
    # end of 28 Dec, midnight MSK = 28 Dec 21:00 UTC: late, a breach.
    number = file(app, received=utc(2026, 12, 25, 15), registered=utc(2026, 12, 30, 7), language="ru")
    found = clocks(app, number)
    assert (found["registration"].due_at, found["registration"].breached_at) == (utc(2026, 12, 28, 21),
                                                                                 utc(2026, 12, 30, 7))
    # The answer within 30 days of registration: day 0 is 30 Dec, day 30 is 29 Jan 2027; due
    # at its end, 29 Jan 21:00 UTC. New Year holidays do not matter: the law counts days.
    assert found["final_response"].started_at == utc(2026, 12, 30, 7)
    assert found["final_response"].due_at == utc(2027, 1, 29, 21)
    act(app, number, ops.take_complaint, by=staff["olga"], at=utc(2027, 1, 11, 7))
    # Extended by 30 days: from 29 Jan, 30 more days end on 28 Feb 2027: 28 Feb 21:00 UTC.
    change, letter = act(app, number, ops.extend_clock, by=staff["olga"], at=utc(2027, 1, 20, 7),
                         kind=ClockKind.FINAL_RESPONSE, amount=30, reason="Запрошены документы у банка-эквайера",
                         notice="Срок рассмотрения вашего обращения продлён на 30 дней.")
    assert clocks(app, number)["final_response"].due_at == utc(2027, 2, 28, 21)
    assert private_parts(app, number)[-1]["letter"]["language"] == "ru"
    act(app, number, ops.resolve, by=staff["olga"], at=utc(2027, 2, 25, 7), resolution=Resolution.REJECTED,
        reasons="Платёж был выполнен 21 ноября; подтверждение банка приложено.")
    assert [kind for kind, _ in breaches(app, number)] == ["registration"]
    assert_verified(app)


# Ukraine -------------------------------------------------------------------------------------

def test_ukraine_one_month_extended_to_forty_five_days_at_most(make_app, staff):
    app = make_app(CLOCK_POLICY="ua_appeals", REFERRAL_BODY=COURT, CALENDAR_COUNTRY="UA", REGISTRY_TIMEZONE="Europe/Kyiv")
    # Filed online on Friday 25 Dec 2026 at 19:00 EET (17:00 UTC). 30 days from receipt: day 30
    # is 24 Jan 2027, due at its end, midnight EET = 24 Jan 22:00 UTC.
    number = file(app, registered=utc(2026, 12, 25, 17), language="uk")
    assert clocks(app, number)["final_response"].due_at == utc(2027, 1, 24, 22)
    act(app, number, ops.take_complaint, by=staff["olga"], at=utc(2026, 12, 28, 8))
    with pytest.raises(ComplaintChangeRefused, match="15 calendar days at most"):
        act(app, number, ops.extend_clock, by=staff["olga"], at=utc(2027, 1, 10, 8), kind=ClockKind.FINAL_RESPONSE,
            amount=16, reason="Потрібна перевірка платіжної системи", notice="Строк продовжено.")
    # 15 more days from 24 Jan end on 8 Feb: 8 Feb 22:00 UTC (45 days in all).
    act(app, number, ops.extend_clock, by=staff["olga"], at=utc(2027, 1, 10, 8), kind=ClockKind.FINAL_RESPONSE,
        amount=15, reason="Потрібна перевірка платіжної системи",
        notice="Строк розгляду вашого звернення продовжено до 45 днів.")
    assert clocks(app, number)["final_response"].due_at == utc(2027, 2, 8, 22)
    # Not answered: breached once at the new due time, not at the old one.
    run_enforcement(app, utc(2027, 1, 25, 8))
    run_enforcement(app, utc(2027, 2, 8, 22))
    run_enforcement(app, utc(2027, 2, 9, 8))
    assert [b for b in breaches(app, number) if b[0] == "final_response"] == [("final_response", utc(2027, 2, 8, 22))]
    assert_verified(app)


# Romania -------------------------------------------------------------------------------------

def test_romania_thirty_days_from_registration_plus_fifteen(make_app, staff):
    app = make_app(CLOCK_POLICY="ro_og27", REFERRAL_BODY=COURT, CALENDAR_COUNTRY="RO", REGISTRY_TIMEZONE="Europe/Bucharest")
    # Arrived by post on Friday 27 Nov 2026 at 18:00 EET (16:00 UTC), before St Andrew's Day
    # and National Day (30 Nov, 1 Dec); registered on Wednesday 2 Dec at 09:00 EET (07:00 UTC).
    # 30 days from registration: day 30 is 1 Jan 2027, due at its end: 1 Jan 22:00 UTC.
    number = file(app, received=utc(2026, 11, 27, 16), registered=utc(2026, 12, 2, 7))
    assert clocks(app, number)["final_response"].due_at == utc(2027, 1, 1, 22)
    act(app, number, ops.take_complaint, by=staff["olga"], at=utc(2026, 12, 3, 7))
    act(app, number, ops.request_information, by=staff["olga"], at=utc(2026, 12, 4, 7),
        body="Vă rugăm să trimiteți extrasul de cont.")
    assert clocks(app, number)["final_response"].paused_at is None  # the law does not pause it
    # 15 more days: 16 Jan 2027, due at its end, 16 Jan 22:00 UTC.
    act(app, number, ops.extend_clock, by=staff["olga"], at=utc(2026, 12, 20, 7), kind=ClockKind.FINAL_RESPONSE,
        amount=15, reason="Așteptăm răspunsul procesatorului de plăți",
        notice="Termenul de soluționare a petiției dumneavoastră se prelungește cu 15 zile.")
    assert clocks(app, number)["final_response"].due_at == utc(2027, 1, 16, 22)
    assert_verified(app)


# The current behaviour, and receipt ------------------------------------------------------------

def test_a_postal_complaint_received_five_days_before_registration_starts_its_clocks_at_receipt(make_app, staff):
    app = make_app(CLOCK_POLICY="current")
    received, registered = utc(2026, 11, 18, 9), utc(2026, 11, 23, 9)
    number = file(app, received=received, registered=registered)
    complaint = load(app, number)
    assert complaint.received_at == received
    assert complaint.first_response_due == received + timedelta(hours=24)  # not a fresh 24 hours
    assert clocks(app, number) == {}  # the current behaviour runs no regulatory clock
    report = run_enforcement(app, registered + timedelta(minutes=1))
    assert report.breaches == 1
    assert breaches(app, number) == [("first_response", received + timedelta(hours=24))]
    assert_verified(app)


def test_verify_notices_a_clock_changed_outside_the_registry(make_app, staff):
    app = make_app(CLOCK_POLICY="ukgc", REFERRAL_BODY=IBAS, CALENDAR_COUNTRY="GB", CALENDAR_SUBDIVISION="ENG",
                   REGISTRY_TIMEZONE="Europe/London")
    number = file(app, registered=utc(2026, 8, 28, 18))
    with app.app_context():
        clock = db.session.scalars(select(ComplaintClock).where(ComplaintClock.kind == "final_response")).one()
        clock.due_at += timedelta(days=30)
        db.session.commit()
        report = verify_registry(files=False)
    assert any("final_response clock differs" in p.what and p.number == number for p in report.problems)


def test_three_enforcement_passes_at_once_breach_each_clock_exactly_once(make_app, staff):
    app = make_app(CLOCK_POLICY="ukgc", REFERRAL_BODY=IBAS, CALENDAR_COUNTRY="GB", CALENDAR_SUBDIVISION="ENG",
                   REGISTRY_TIMEZONE="Europe/London")
    numbers = [file(app, registered=utc(2026, 8, 28, 18), subject=f"Complaint {i}") for i in range(20)]
    for days in (2, 12, 30, 50):  # the complaints' own deadlines take them up to the top tier first
        run_enforcement(app, utc(2026, 8, 28, 18) + timedelta(days=days))
    at = utc(2026, 10, 24, 9)  # every final-response clock passed on 23 Oct at 23:00 UTC
    results = enforce_at_once(app, at, passes=3, batch_size=3)
    assert sum(r.breaches for r in results) == 20
    with app.app_context():
        rows = db.session.execute(select(Breach.complaint_id, Breach.entry_position)
                                  .where(Breach.kind == "final_response")).all()
    assert len(rows) == 20 and len({c for c, _ in rows}) == 20 and all(p is not None for _, p in rows)
    assert run_enforcement(app, at + timedelta(minutes=1)).breaches == 0
    assert all(clocks(app, n)["final_response"].breached_at == at for n in numbers)
    assert_verified(app)


def test_the_case_page_shows_each_clock_its_state_and_history_and_offers_the_extension(make_app, staff, login):
    app = make_app(CLOCK_POLICY="ro_og27", REFERRAL_BODY=COURT, CALENDAR_COUNTRY="RO", REGISTRY_TIMEZONE="Europe/Bucharest")
    number = file(app, received=utc(2026, 11, 27, 16), registered=utc(2026, 12, 2, 7))
    act(app, number, ops.take_complaint, by=staff["olga"], at=utc(2026, 12, 3, 7))
    act(app, number, ops.extend_clock, by=staff["olga"], at=utc(2026, 12, 20, 7), kind=ClockKind.FINAL_RESPONSE,
        amount=15, reason="Așteptăm răspunsul procesatorului de plăți",
        notice="Termenul de soluționare a petiției dumneavoastră se prelungește cu 15 zile.")
    client = app.test_client()
    with frozen_clock(utc(2026, 12, 21, 7)):
        assert client.post("/staff/login", data={"username": "olga", "password": "correct horse 1"}).status_code == 302
        response = client.get(f"/staff/complaints/{load(app, number).slug}")
    assert response.status_code == 200, response.status_code
    page = response.get_data(as_text=True)
    panel = page[page.index('data-testid="clock-final_response"'):]
    panel = panel[:panel.index("</dd>")]
    # 30 days from registration on 2 Dec, extended by 15: due at the end of 16 Jan 2027.
    assert "due 16 Jan 2027" in panel and "on time" in panel
    assert "30 calendar days from 2 Dec 2026, 09:00" in panel and "extended 20 Dec 2026, 09:00" in panel
    assert "started" in panel and "extended" in panel
    assert "form-extend" not in page  # extended once: nothing more to extend
