"""Outcome, redress and closure-time figures, and the regulator returns made from them: the
figures against values worked out by hand, a return for an ended period issued once and then
served byte for byte, a provisional one made afresh, verify catching a changed stored return,
the CSV and XLSX contents, and who may download them.

Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import os
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text, update

from _cases import T0, act
from app.clock import frozen_clock
from app.clocks.calendar import WorkingCalendar
from app.clocks.policy import ClockKind, ClockPolicies, Period, Unit
from app.clocks.presets import preset
from app.complaints.access import find_by_reference
from app.complaints.models import Complaint, ComplaintStatus, Resolution
from app.extensions import db
from app.manage import outcome_rollup, outcomes
from app.manage.issued_returns import return_store
from app.manage.models import IssuedReturn
from app.manage.returns import ReturnKind, period_of, return_figures
from app.registry.models import EntryKind, RegistryEntry
from app.registry.verify import verify_registry
from app.workflow import operations as ops
from app.workflow.models import DeadlineKind

ZONE = "Europe/Chisinau"  # UTC+3 until 25 Oct 2026, UTC+2 after
#: November 2026 in Chișinău: [1 Nov 00:00, 1 Dec 00:00) local.
NOV_START, NOV_END = datetime(2026, 10, 31, 22, tzinfo=UTC), datetime(2026, 11, 30, 22, tzinfo=UTC)
#: When the tests download: after November ended, within December.
NOW = datetime(2026, 12, 4, 9, tzinfo=UTC)
WEEKDAYS = WorkingCalendar(ZONE)  # no public holidays: Monday to Friday
FCA = ClockPolicies(default=preset("fca_general").policy)


def local(*args: int) -> datetime:
    """A Chișinău wall-clock moment in UTC (Nov: UTC+2, Oct before the 25th: UTC+3)."""
    moment = datetime(*args)
    return (moment - timedelta(hours=3 if moment < datetime(2026, 10, 25, 4) else 2)).replace(tzinfo=UTC)


def _set(app, number: str, **columns) -> None:
    """Test database fixture: write the columns the workflow (or the redress operations built
    elsewhere) would write, directly on the complaint's row."""
    enums = {"resolution": Resolution, "status": ComplaintStatus}
    values = {name: enums[name](value) if name in enums else value for name, value in columns.items()}
    with app.app_context():
        complaint_id = find_by_reference(number).id
        db.session.execute(update(Complaint).where(Complaint.id == complaint_id).values(**values))
        db.session.commit()


def _clock(app, number: str, *, paused_seconds: int = 0, extended_at: datetime | None = None) -> None:
    """Test database fixture: a final-response clock row (met), as app/clocks would keep it."""
    with app.app_context():
        complaint_id = find_by_reference(number).id
        db.session.execute(text(
            "INSERT INTO complaint_clocks (complaint_id, kind, rule, started_at, due_at, paused_seconds, extended_at) "
            "VALUES (:id, 'final_response', '{}', :started, :due, :paused, :extended)"),
            {"id": complaint_id, "started": T0, "due": T0 + timedelta(days=56), "paused": paused_seconds,
             "extended": extended_at})
        db.session.commit()


def _breach(app, number: str, detected_at: datetime) -> None:
    """Test database fixture: a breach of the final-response clock."""
    with app.app_context():
        complaint_id = find_by_reference(number).id
        db.session.execute(text(
            "INSERT INTO breaches (complaint_id, kind, tier, due_at, detected_at) "
            "VALUES (:id, 'final_response', 1, :at, :at)"), {"id": complaint_id, "at": detected_at})
        db.session.commit()


@pytest.fixture
def november(app, register, make_user):
    """Six complaints around November 2026 (numbers by letter), their times set by hand:

    a: received Mon 2 Nov 10:00, decided Thu 5 Nov 23:00 (within 3 business days: the end of
       Thu 5 Nov), upheld, closed Fri 6 Nov; 100.50 EUR paid 10 Nov.
    b: received Mon 2 Nov 10:00, decided Fri 6 Nov 00:30 (after the 3 business days, within
       28 days: the end of 30 Nov), partly upheld, an apology; 49.50 EUR paid 20 Nov.
    c: received Thu 1 Oct 10:00, decided Fri 27 Nov 10:00: 56 days end on 26 Nov, but its
       clock stood still 2 days, so within 56 days; rejected; 250 MDL paid 25 Nov; its clock
       extended 3 Nov.
    d: as c without the pause: over 56 days; rejected; 30 GBP paid 2 Dec (December); breached
       26 Nov.
    e: received 10 Nov, not decided. g: received 12 Nov, annulled (never counted).
    """
    numbers = {letter: register(T0) for letter in "abcdeg"}
    owner = make_user("owner", "officer", tier=1)
    for letter in "abcd":
        _set(app, numbers[letter], owner_id=owner)
    _set(app, numbers["a"], received_at=local(2026, 11, 2, 10), resolved_at=local(2026, 11, 5, 23),
         resolution="upheld", status="closed", closed_at=local(2026, 11, 6, 9), redress_amount=Decimal("100.50"),
         redress_currency="EUR", redress_paid_at=local(2026, 11, 10, 12))
    _set(app, numbers["b"], received_at=local(2026, 11, 2, 10), resolved_at=local(2026, 11, 6, 0, 30),
         resolution="partly_upheld", status="resolved", redress_amount=Decimal("49.50"), redress_currency="EUR",
         redress_paid_at=local(2026, 11, 20, 12), redress_remedy="A written apology")
    _set(app, numbers["c"], received_at=local(2026, 10, 1, 10), resolved_at=local(2026, 11, 27, 10),
         resolution="rejected", status="resolved", redress_amount=Decimal("250.00"), redress_currency="MDL",
         redress_paid_at=local(2026, 11, 25, 12))
    _clock(app, numbers["c"], paused_seconds=2 * 86400, extended_at=local(2026, 11, 3, 12))
    _set(app, numbers["d"], received_at=local(2026, 10, 1, 10), resolved_at=local(2026, 11, 27, 10),
         resolution="rejected", status="resolved", redress_amount=Decimal("30.00"), redress_currency="GBP",
         redress_paid_at=local(2026, 12, 2, 12))
    _breach(app, numbers["d"], local(2026, 11, 26, 9))
    _set(app, numbers["e"], received_at=local(2026, 11, 10, 10))
    _set(app, numbers["g"], received_at=local(2026, 11, 12, 10), status="annulled")
    with app.app_context():  # the bands their decisions were put in, by the FCA's policy then in force
        outcome_rollup.fill_closure_bands(FCA, WEEKDAYS)
        db.session.commit()
    return numbers


def test_the_figures_of_a_period_are_those_worked_out_by_hand(app, november):
    with app.app_context():
        f = outcomes.outcome_figures(NOV_START, NOV_END, policies=FCA, calendar=WEEKDAYS)
    assert (f.opened, f.closed, f.outstanding_at_start, f.outstanding_at_end) == (3, 1, 2, 1)
    assert f.outcomes == {Resolution.UPHELD: 1, Resolution.PARTLY_UPHELD: 1, Resolution.REJECTED: 2}
    assert f.upheld_fca == 2
    assert f.redress == {"EUR": (Decimal("150.00"), 2), "MDL": (Decimal("250.00"), 1)}
    assert f.remedies == 1
    three, four_weeks, eight_weeks = (Period(3, Unit.WORKING_DAYS), Period(28, Unit.CALENDAR_DAYS),
                                      Period(56, Unit.CALENDAR_DAYS))
    assert list(f.bands.items()) == [(outcomes.Band(three), 1), (outcomes.Band(four_weeks), 1),
                                     (outcomes.Band(eight_weeks), 1), (outcomes.Band(eight_weeks, over=True), 1)]
    assert f.extensions == {ClockKind.FINAL_RESPONSE: 1}
    assert f.breaches == {DeadlineKind.FINAL_RESPONSE: 1}


def test_a_category_filter_counts_only_that_category(app, november):
    with app.app_context():
        f = outcomes.outcome_figures(NOV_START, NOV_END, category="no-such-category", policies=FCA,
                                     calendar=WEEKDAYS)
    assert (f.opened, f.resolved, f.redress, f.bands) == (0, 0, {}, {})


def test_a_complaint_decided_at_the_end_of_the_third_business_day_is_within_it_and_a_moment_later_is_not():
    received = local(2026, 11, 2, 10)  # Monday; the 3rd business day after it ends Fri 6 Nov 00:00
    limits = (Period(3, Unit.WORKING_DAYS), Period(56, Unit.CALENDAR_DAYS))
    assert outcomes.band_of(received, local(2026, 11, 6, 0), 0, limits, WEEKDAYS) == outcomes.Band(limits[0])
    assert outcomes.band_of(received, local(2026, 11, 6, 0, 1), 0, limits, WEEKDAYS) == outcomes.Band(limits[1])
    # An hour paused moves the end of the third business day by an hour.
    assert outcomes.band_of(received, local(2026, 11, 6, 0, 59), 3600, limits, WEEKDAYS) == outcomes.Band(limits[0])


def test_the_fca_return_states_the_disp_figures(app, november):
    with app.app_context():
        figures = return_figures(ReturnKind.FCA, NOV_START, NOV_END, policies=FCA, calendar=WEEKDAYS)
    assert figures == {
        "opened": 3, "closed": 4, "closed_within_3_business_days": 1, "closed_within_8_weeks": 2,
        "closed_after_8_weeks": 1, "upheld": 2, "outstanding_at_start": 2, "outstanding_at_end": 1,
        "redress_paid": {"EUR": "150.00", "MDL": "250.00"},
    }


def test_the_gambling_commission_return_counts_disputes_when_they_arose(app, register, staff):
    numbers = [register(T0) for _ in range(3)]
    # Escalated beyond tier 1 in November: a dispute of November.
    act(app, numbers[0], ops.take_complaint, by=staff["olga"])
    act(app, numbers[0], ops.escalate, by=staff["olga"], at=T0 + timedelta(hours=2), reason="Needs a specialist")
    # Referred to ADR in November: a dispute, and referred.
    _set(app, numbers[1], referred_at=local(2026, 11, 28, 10))
    # Referred in December: neither in November.
    _set(app, numbers[2], referred_at=local(2026, 12, 2, 10))
    with app.app_context():
        figures = return_figures(ReturnKind.UKGC, NOV_START, NOV_END, policies=FCA, calendar=WEEKDAYS)
        december = return_figures(ReturnKind.UKGC, NOV_END, NOV_END + timedelta(days=31), policies=FCA,
                                  calendar=WEEKDAYS)
    assert figures == {"received": 3, "disputes": 2, "referred_to_adr": 1}
    assert december == {"received": 0, "disputes": 1, "referred_to_adr": 1}


def _download(client, kind: str, file_format: str, first: str, last: str, language: str = "en"):
    with frozen_clock(NOW):
        return client.get(f"/manage/returns/{kind}.{file_format}?date_from={first}&date_to={last}&language={language}")


def test_a_return_for_an_ended_period_is_issued_once_and_served_byte_for_byte(app, client, login, november):
    login(client, "manager")
    first = _download(client, "fca", "csv", "2026-11-01", "2026-11-30")
    assert first.status_code == 200
    assert "provisional" not in first.headers["Content-Disposition"]
    # A redress paid later, recorded in November: the issued return does not change.
    _set(app, november["d"], redress_paid_at=local(2026, 11, 15, 12))
    again = _download(client, "fca", "csv", "2026-11-01", "2026-11-30")
    assert again.data == first.data
    # Another format of the same period states the figures signed with the first.
    workbook = load_workbook(io.BytesIO(_download(client, "fca", "xlsx", "2026-11-01", "2026-11-30").data))
    values = {row[0]: row[1] for row in workbook.active.iter_rows(values_only=True) if row and len(row) > 1}
    assert "Total redress paid, GBP" not in values
    # So does the returns page: it shows the issued figures, not a recount.
    page = client.get("/manage/returns?kind=fca&date_from=2026-11-01&date_to=2026-11-30&language=en")
    assert page.status_code == 200
    text_shown = page.get_data(as_text=True)
    assert "Final: issued" in text_shown and "Total redress paid, EUR" in text_shown
    assert "Total redress paid, GBP" not in text_shown
    with app.app_context():
        rows = db.session.scalars(select(IssuedReturn).order_by(IssuedReturn.id)).all()
        assert [(r.kind, r.format, r.language, r.period_start, r.period_end) for r in rows] == [
            ("fca", "csv", "en", NOV_START, NOV_END), ("fca", "xlsx", "en", NOV_START, NOV_END)]
        event = db.session.scalar(select(RegistryEntry).where(RegistryEntry.position == rows[0].entry_position))
        assert event.kind == EntryKind.EVENT and event.complaint_id is None
        payload = json.loads(event.payload)
        assert payload["type"] == "return_issued"
        assert payload["return"]["sha256"] == rows[0].sha256
        assert payload["return"]["figures"]["redress_paid"] == {"EUR": "150.00", "MDL": "250.00"}
        # (The complaints' columns set by hand differ from their signed records: not this test's business.)
        assert [p for p in verify_registry().problems if "return" in p.what] == []


def test_a_return_for_a_period_not_ended_is_provisional_and_made_afresh(app, client, login, november):
    login(client, "manager")
    first = _download(client, "fca", "csv", "2026-12-01", "2026-12-31")
    assert "provisional" in first.headers["Content-Disposition"]
    assert "Provisional" in first.data.decode("utf-8-sig")
    _set(app, november["a"], redress_paid_at=local(2026, 12, 3, 12))
    again = _download(client, "fca", "csv", "2026-12-01", "2026-12-31")
    assert again.data != first.data
    rows = {row[0]: row[2] for row in csv.reader(io.StringIO(again.data.decode("utf-8-sig")))}
    assert rows["redress_paid_EUR"] == "100.50" and rows["redress_paid_GBP"] == "30.00"
    with app.app_context():
        assert db.session.scalar(select(IssuedReturn.id)) is None


def test_the_csv_holds_each_figure_with_its_code(app, client, login, november):
    login(client, "manager")
    response = _download(client, "fca", "csv", "2026-11-01", "2026-11-30")
    assert response.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == ["code", "Figure", "Value"]
    by_code = {row[0]: row[2] for row in rows[1:]}
    assert by_code == {
        "return": "fca", "period": "", "status": "final", "outstanding_at_start": "2", "opened": "3", "closed": "4",
        "closed_within_3_business_days": "1", "closed_within_8_weeks": "2", "closed_after_8_weeks": "1",
        "upheld": "2", "outstanding_at_end": "1", "redress_paid_EUR": "150.00", "redress_paid_MDL": "250.00",
    }


def test_the_xlsx_is_in_the_language_asked_for(app, client, login, november):
    login(client, "manager")
    response = _download(client, "ukgc", "xlsx", "2026-11-01", "2026-11-30", language="ro")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [row for row in sheet.iter_rows(values_only=True) if row and row[0]]
    assert rows[0][0] == "Raportul de reglementare pentru Comisia pentru Jocuri de Noroc"
    assert ("Reclamații primite", 3) in [tuple(row[:2]) for row in rows]


def test_the_pdf_renders_cyrillic_and_is_kept(app, client, login, november, artifacts_dir):
    from pypdf import PdfReader

    login(client, "manager")
    response = _download(client, "fca", "pdf", "2026-11-01", "2026-11-30", language="ru")
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")
    (artifacts_dir / "return-fca-ru.pdf").write_bytes(response.data)
    page = PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    assert "Отчёт о жалобах для FCA" in page and "Жалобы открыты" in page and "Окончательный" in page
    provisional = _download(client, "ukgc", "pdf", "2026-12-01", "2026-12-31", language="ro")
    (artifacts_dir / "return-ukgc-ro-provisional.pdf").write_bytes(provisional.data)
    text_ro = PdfReader(io.BytesIO(provisional.data)).pages[0].extract_text()
    assert "Reclamații primite" in text_ro and "Provizoriu: perioada nu s-a încheiat" in text_ro


def test_verify_catches_a_changed_stored_return_and_a_row_no_event_vouches_for(app, client, login, november):
    login(client, "manager")
    _download(client, "fca", "csv", "2026-11-01", "2026-11-30")
    with app.app_context():
        row = db.session.scalar(select(IssuedReturn))
        path = return_store().path_for(row.sha256)
        os.chmod(path, 0o640)
        path.write_bytes(path.read_bytes().replace(b"150.00", b"999.00"))
        problems = [p.what for p in verify_registry().problems]
        assert any(p.startswith("altered: the file of an issued return differs from its signed SHA-256") for p in problems)
        db.session.execute(text(
            "INSERT INTO issued_returns (kind, period_start, period_end, format, language, sha256, size, issued_at) "
            "VALUES ('ukgc', :start, :end, 'csv', 'en', :sha, 10, :at)"),
            {"start": NOV_START, "end": NOV_END, "sha": "0" * 64, "at": NOW})
        db.session.commit()
        problems = [p.what for p in verify_registry().problems]
        assert any("an issued return (row" in p and "no signed event recorded" in p for p in problems)


@pytest.mark.parametrize(("role", "status"), [("clerk", 403), ("officer", 403), ("manager", 200), ("administrator", 200)])
def test_only_those_who_see_the_dashboard_get_the_returns(client, login, role, status):
    login(client, role)
    with frozen_clock(NOW):
        assert client.get("/manage/returns").status_code == status
        assert client.get("/manage/returns/ukgc.csv?date_from=2026-12-01&date_to=2026-12-31").status_code == status


def test_the_returns_page_shows_the_figures_and_refuses_a_period_in_reverse(client, login):
    login(client, "manager")
    with frozen_clock(NOW):
        page = client.get("/manage/returns?kind=fca&date_from=2026-01-01&date_to=2026-06-30")
        assert page.status_code == 200
        assert "Complaints opened" in page.get_data(as_text=True)
        assert client.get("/manage/returns?date_from=2026-06-30&date_to=2026-01-01").status_code == 400
        assert client.get("/manage/returns/fca.csv?date_from=2026-06-30&date_to=2026-01-01").status_code == 400


def test_a_period_is_whole_local_days():
    assert period_of(date(2026, 11, 1), date(2026, 11, 30), ZONE) == (NOV_START.astimezone(UTC),
                                                                      NOV_END.astimezone(UTC))


def test_the_monthly_report_of_an_ended_month_is_issued_once(app, client, login, november, artifacts_dir):
    login(client, "manager")
    with frozen_clock(NOW):
        first = client.get("/manage/reports/monthly.pdf?month=2026-11&language=uk")
    assert first.status_code == 200
    (artifacts_dir / "monthly-report-with-outcomes-uk.pdf").write_bytes(first.data)
    _set(app, november["e"], received_at=local(2026, 11, 30, 10), status="annulled")
    with frozen_clock(NOW + timedelta(hours=1)):
        again = client.get("/manage/reports/monthly.pdf?month=2026-11&language=uk")
        current = client.get("/manage/reports/monthly.pdf?month=2026-12&language=uk")
    assert again.data == first.data
    assert current.status_code == 200
    with app.app_context():
        rows = db.session.scalars(select(IssuedReturn)).all()
        assert [(r.kind, r.format, r.language, r.period_start, r.period_end) for r in rows] == [
            ("monthly_report", "pdf", "uk", NOV_START, NOV_END)]
        assert [p for p in verify_registry().problems if "return" in p.what] == []
