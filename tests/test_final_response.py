"""The final response is complete: the decision's outcome, reasons and redress, and what the
regulator requires the letter to say (where to take the complaint next, in its fixed wording
where it prescribes one), in the complainant's language; the summary resolution communication
and the end-of-procedure letter where the policy names them; what became of the redress and
the referral, on the record."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from _cases import act, events, load, private_parts
from _support import COURT, FOS, IBAS, valid_payload
from app.clock import frozen_clock
from app.clocks.statutory import ReferralBody, StatutoryLetter, statutory_paragraphs
from app.complaints.errors import ComplaintChangeRefused
from app.complaints.models import Resolution
from app.extensions import db
from app.letters.service import message_letter_pdf
from app.registry.models import NumberCounter
from app.registry.verify import verify_registry
from app.workflow import operations as ops
from app.workflow.models import CaseMessage, MessageKind

#: (preset, referral body, the statutory letter its decision is, the fixed words it must carry in English)
PRESETS = [
    ("ukgc", IBAS, StatutoryLetter.DEADLOCK, ("internal procedure has now ended", "free of charge")),
    ("fca_general", FOS, StatutoryLetter.FINAL_RESPONSE, ("Financial Ombudsman Service, free of charge",
                                                          "within six months of the date of this letter")),
    ("fca_payments", FOS, StatutoryLetter.FINAL_RESPONSE, ("Financial Ombudsman Service, free of charge",
                                                           "within six months of the date of this letter")),
    ("ru_59fz", COURT, StatutoryLetter.FINAL_RESPONSE, ("within 3 months of the date of this letter",)),
    ("ua_appeals", COURT, StatutoryLetter.FINAL_RESPONSE, ("within 3 months of the date of this letter",)),
    ("ro_og27", COURT, StatutoryLetter.FINAL_RESPONSE, ("within 3 months of the date of this letter",)),
]
T = datetime(2026, 9, 14, 8, tzinfo=UTC)  # a Monday


def text_of(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


def file(app, at: datetime = T, **changes) -> str:
    client = app.test_client()
    with frozen_clock(at):
        response = client.post("/api/v1/complaints", json=valid_payload(**changes))
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["number"]


def letter_text(app, message_id: int, keep: Path | None = None) -> str:
    """The letter's text; `keep`: also where to keep the PDF (test-artifacts, to look at)."""
    with app.test_request_context():
        pdf = message_letter_pdf(db.session.get(CaseMessage, message_id))
    if keep is not None:
        keep.parent.mkdir(parents=True, exist_ok=True)
        keep.write_bytes(pdf)
    return text_of(pdf)


def decided(app, staff, number, at, **kwargs) -> CaseMessage:
    act(app, number, ops.take_complaint, by=staff["olga"], at=at - timedelta(hours=1))
    return act(app, number, ops.resolve, by=staff["olga"], at=at, **{
        "resolution": Resolution.PARTLY_UPHELD, "reasons": "The withdrawal was late; half of the fee is refunded.",
        **kwargs})


@pytest.mark.parametrize("language", ["en", "ro", "ru", "uk"])
@pytest.mark.parametrize(("preset", "body", "letter", "english"), PRESETS, ids=[p[0] for p in PRESETS])
def test_each_presets_final_response_carries_its_mandatory_wording_in_each_language(
        make_app, staff, artifacts_dir, preset, body, letter, english, language):
    app = make_app(CLOCK_POLICY=preset, REFERRAL_BODY=body)
    number = file(app, language=language)
    message = decided(app, staff, number, T + timedelta(days=20),
                      redress=ops.Redress(Decimal("1500"), "eur", "A written apology"))
    text = letter_text(app, message.id, artifacts_dir / "final-responses" / f"{preset}-{language}.pdf")
    expected = statutory_paragraphs(letter, wording={"fca_general": "fos", "fca_payments": "fos",
                                                     "ukgc": "ukgc_adr"}.get(preset),
                                    body=ReferralBody.from_json(body), language=language)
    for paragraph in expected:
        words = paragraph.split()
        assert " ".join(words[:8]) in text, (preset, language, paragraph)  # each paragraph, as worded
        assert " ".join(words[-4:]) in text, (preset, language, paragraph)
    assert body["name"] in text and body["website"] in text
    assert {"en": "1,500.00 EUR", "ro": "1.500,00 EUR", "ru": "1 500,00 EUR", "uk": "1 500,00 EUR"}[language] in \
        text.replace("\u202f", " ").replace("\xa0", " ")
    assert "A written apology" in text
    if language == "en":
        for phrase in english:
            assert phrase in text
    issued = next(p["letter"] for p in private_parts(app, number) if "letter" in p)
    assert issued["statutory"]["letter"] == letter.value  # captured as sent: later wording changes leave it
    assert [e["statutory_letter"] for e in events(app, number) if e["type"] == "resolved"] == [letter.value]


def test_a_decision_is_refused_without_the_referral_body_the_policy_requires_and_takes_no_number(make_app, staff):
    app = make_app(CLOCK_POLICY="ukgc")
    number = file(app)
    act(app, number, ops.take_complaint, by=staff["olga"], at=T + timedelta(hours=1))
    with app.app_context():
        counters = db.session.scalar(select(func.sum(NumberCounter.last_value)))
    with pytest.raises(ComplaintChangeRefused, match="ADR entity or ombudsman"):
        act(app, number, ops.resolve, by=staff["olga"], at=T + timedelta(days=2), resolution=Resolution.REJECTED,
            reasons="The bet was settled correctly under rule 4.2.")
    complaint = load(app, number)
    assert (complaint.status.value, complaint.resolution) == ("in_progress", None)
    with app.app_context():
        assert db.session.scalar(select(func.sum(NumberCounter.last_value))) == counters


def test_the_current_behaviour_sends_a_decision_without_a_referral_body(make_app, staff):
    app = make_app(CLOCK_POLICY="current")
    number = file(app)
    message = decided(app, staff, number, T + timedelta(days=2))
    assert "statutory" not in next(p["letter"] for p in private_parts(app, number) if "letter" in p)
    assert "Decizie" in letter_text(app, message.id)  # the complaint is in Romanian


def test_fca_resolved_by_the_third_business_day_gets_the_summary_resolution_communication(make_app, staff):
    app = make_app(CLOCK_POLICY="fca_general", REFERRAL_BODY=FOS, CALENDAR_COUNTRY="GB", CALENDAR_SUBDIVISION="ENG",
                   REGISTRY_TIMEZONE="Europe/London")
    # Received Friday 28 Aug 2026 19:00 BST; the 3rd business day after it (Monday 31 Aug is a
    # bank holiday) is Thursday 3 Sep: resolved on its last hour, a summary resolution.
    early = file(app, at=datetime(2026, 8, 28, 18, tzinfo=UTC), language="en")
    message = decided(app, staff, early, datetime(2026, 9, 3, 22, 30, tzinfo=UTC), resolution=Resolution.UPHELD,
                      reasons="Your withdrawal is paid; you told us on the phone that this settles it.")
    text = letter_text(app, message.id)
    assert "we now consider your complaint resolved" in text
    assert "six months" in text
    assert next(p["letter"] for p in private_parts(app, early) if "letter" in p)["statutory"]["letter"] == \
        "summary_resolution"
    # Friday 4 Sep is past the third business day: the full final response.
    late = file(app, at=datetime(2026, 8, 28, 18, tzinfo=UTC), language="en")
    decided(app, staff, late, datetime(2026, 9, 4, 9, tzinfo=UTC))
    assert private_parts(app, late)[-1]["letter"]["statutory"]["letter"] == "final_response"


def test_the_extension_notice_states_the_new_term_and_reason_in_the_complainants_language(make_app, staff):
    app = make_app(CLOCK_POLICY="ru_59fz", REFERRAL_BODY=COURT, CALENDAR_COUNTRY="RU", REGISTRY_TIMEZONE="Europe/Moscow")
    number = file(app, at=datetime(2026, 12, 30, 7, tzinfo=UTC), language="ru")
    act(app, number, ops.take_complaint, by=staff["olga"], at=datetime(2027, 1, 11, 7, tzinfo=UTC))
    from app.clocks.policy import ClockKind
    _, letter = act(app, number, ops.extend_clock, by=staff["olga"], at=datetime(2027, 1, 20, 7, tzinfo=UTC),
                    kind=ClockKind.FINAL_RESPONSE, amount=30, reason="запрошены документы у банка",
                    notice="Уважаемая Ана-Мария, нам нужно больше времени.")
    text = letter_text(app, letter.id)
    # Due at the end of 28 Feb 2027 (30 days from registration on 30 Dec, 30 more days).
    assert "продлён на 30 дней, до 28.02.2027" in text
    assert "запрошены документы у банка" in text
    assert "Уведомление о продлении срока рассмотрения вашей жалобы" in text


def test_the_fca_holding_letter_says_when_the_final_response_will_come(make_app, staff):
    app = make_app(CLOCK_POLICY="fca_general", REFERRAL_BODY=FOS)
    number = file(app, language="en")
    act(app, number, ops.take_complaint, by=staff["olga"], at=T + timedelta(hours=1))
    with pytest.raises(ComplaintChangeRefused, match="future"):
        act(app, number, ops.send_holding_response, by=staff["olga"], at=T + timedelta(days=55),
            body="We are still investigating.", reason="the card scheme has not answered", expected_on=date(2026, 9, 1))
    message = act(app, number, ops.send_holding_response, by=staff["olga"], at=T + timedelta(days=55),
                  body="We are still investigating.", reason="the card scheme has not answered",
                  expected_on=date(2026, 11, 30))
    text = letter_text(app, message.id)
    assert "We expect to send you our final response by 30 Nov 2026" in text
    assert "the card scheme has not answered" in text
    assert "Financial Ombudsman Service" in text
    with app.app_context():
        assert db.session.get(CaseMessage, message.id).kind == MessageKind.HOLDING_RESPONSE


def test_redress_paid_and_a_referral_are_signed_facts_recorded_once(make_app, staff):
    app = make_app(CLOCK_POLICY="ukgc", REFERRAL_BODY=IBAS)
    number = file(app)
    decided(app, staff, number, T + timedelta(days=3), redress=ops.Redress(Decimal("25.50"), "GBP", None))
    with pytest.raises(ComplaintChangeRefused, match="future"):
        act(app, number, ops.record_redress_paid, by=staff["olga"], at=T + timedelta(days=4),
            paid_on=date(2026, 9, 30))
    with pytest.raises(ComplaintChangeRefused, match="before the decision"):
        act(app, number, ops.record_redress_paid, by=staff["olga"], at=T + timedelta(days=4),
            paid_on=date(2026, 9, 15))
    act(app, number, ops.record_redress_paid, by=staff["olga"], at=T + timedelta(days=4), paid_on=date(2026, 9, 17))
    with pytest.raises(ComplaintChangeRefused, match="already"):
        act(app, number, ops.record_redress_paid, by=staff["olga"], at=T + timedelta(days=5), paid_on=date(2026, 9, 17))
    act(app, number, ops.record_referral, by=staff["olga"], at=T + timedelta(days=40), referred_on=date(2026, 10, 20),
        reference="IBAS-2026-4411")
    complaint = load(app, number)
    assert (complaint.redress_amount, complaint.redress_currency) == (Decimal("25.50"), "GBP")
    assert complaint.redress_paid_at is not None and complaint.referral_reference == "IBAS-2026-4411"
    paid, referred = [e for e in events(app, number) if e["type"] in ("redress_paid", "referred")]
    assert paid["redress"] == {"paid_on": "2026-09-17", "amount": "25.50", "currency": "GBP"}
    assert referred["referral"] == {"referred_on": "2026-10-20", "reference": "IBAS-2026-4411", "body": "IBAS"}
    assert referred["state"]["redress_amount"] == "25.50" and referred["state"]["referred_at"]
    with app.app_context():
        report = verify_registry(files=False)
        assert report.ok, [str(p) for p in report.problems]
        complaint = db.session.merge(complaint)
        complaint.redress_amount = Decimal("2550")  # changed outside the registry
        db.session.commit()
        assert any("altered" in p.what for p in verify_registry(files=False).problems)


@pytest.mark.parametrize(("redress", "message"), [
    (ops.Redress(Decimal("-5"), "EUR"), "positive"),
    (ops.Redress(Decimal("10.001"), "EUR"), "two decimals"),
    (ops.Redress(Decimal("10"), None), "currency"),
    (ops.Redress(Decimal("10"), "EURO"), "currency"),
])
def test_a_decision_with_bad_redress_is_refused_and_changes_nothing(make_app, staff, redress, message):
    app = make_app(CLOCK_POLICY="current")
    number = file(app)
    act(app, number, ops.take_complaint, by=staff["olga"], at=T + timedelta(hours=1))
    with pytest.raises(ComplaintChangeRefused, match=message):
        act(app, number, ops.resolve, by=staff["olga"], at=T + timedelta(days=1), resolution=Resolution.UPHELD,
            reasons="The withdrawal was late; it is paid now.", redress=redress)
    assert load(app, number).resolution is None


def test_the_receipt_states_when_the_final_response_is_due_where_the_policy_runs_that_clock(
        make_app, staff, artifacts_dir):
    from app.complaints.access import find_by_reference
    from app.receipts.service import complaint_receipt_pdf
    app = make_app(CLOCK_POLICY="ukgc", REFERRAL_BODY=IBAS, CALENDAR_COUNTRY="GB", CALENDAR_SUBDIVISION="ENG",
                   REGISTRY_TIMEZONE="Europe/London")
    number = file(app, at=datetime(2026, 8, 28, 18, tzinfo=UTC), language="en")
    with app.test_request_context():
        pdf = complaint_receipt_pdf(find_by_reference(number), language="en")
    (artifacts_dir / "final-responses").mkdir(parents=True, exist_ok=True)
    (artifacts_dir / "final-responses" / "receipt-ukgc-en.pdf").write_bytes(pdf)
    text = text_of(pdf)
    # 24 hours after receipt; 8 weeks (56 days) after 28 Aug 2026 end at midnight on 23 Oct.
    assert "First response due by 29 Aug 2026, 19:00 (24 hours after receipt)." in text
    assert "Final response due by 23 Oct 2026." in text  # by the end of that day
