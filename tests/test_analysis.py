"""Complaint analysis: categories over time, spikes, repeat complainants, why complaints rose."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event

from _cases import T0, act
from app.clock import frozen_clock
from app.complaints.filters import ComplaintFilter
from app.extensions import db
from app.manage.analysis import CategoryTrend, category_trend, repeat_complainants, rise_reasons, spikes
from app.settings.store import current_policy
from app.workflow import operations as ops
from app.workflow.enforcement import enforce
from app.workflow.models import DeadlineKind, EscalationReason

WEEK = timedelta(days=7)


def test_a_category_that_jumps_week_over_week_is_a_spike():
    from datetime import date

    weeks = [date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16)]
    trend = CategoryTrend(weeks, {"payments": [2, 4, 9], "bonuses": [6, 9, 9], "other": [0, 1, 4]})
    found = spikes(trend, min_count=5, growth=0.5)
    assert [(s.category, s.week, s.count, s.previous) for s in found] == [
        ("payments", date(2026, 11, 16), 9, 4), ("bonuses", date(2026, 11, 9), 9, 6)]


def test_categories_are_counted_per_week_in_the_organisations_time_zone(app, register):
    register(at=T0, category="payments")  # Monday 23 Nov, 10:00 in Chișinău
    register(at=T0 + WEEK, category="payments")
    register(at=T0 + WEEK, category="bonuses")
    register(at=T0 + WEEK - timedelta(hours=9), category="bonuses")  # Sunday 23:00 UTC = Monday 01:00 local
    with app.app_context():
        trend = category_trend(ComplaintFilter(), "Europe/Chisinau")
    assert [str(w) for w in trend.weeks] == ["2026-11-23", "2026-11-30"]
    assert trend.counts == {"bonuses": [0, 2], "payments": [1, 1]}


def test_repeat_complainants_are_found_by_e_mail_and_by_phone(app, register):
    register(email="Ana@Example.md", phone=None)
    register(email="ana@example.md", phone=None)
    register(email=None, phone="+373 69 111 222")
    register(email=None, phone="+37369111222")
    register(email="once@example.md", phone=None)
    with app.app_context():
        found = {r.contact: r.complaints for r in repeat_complainants(ComplaintFilter())}
    assert found == {"ana@example.md": 2, "+37369111222": 2}


def test_repeat_complainants_are_counted_by_contact_with_their_five_latest_numbers_newest_first(app, register):
    hour = timedelta(hours=1)
    # One address typed six ways (the domain is stored in lower case, the local part as typed),
    # registered out of time order so that number order is not time order.
    a1 = register(at=T0 + 1 * hour, email="Ana@Example.md", phone=None)
    a2 = register(at=T0 + 5 * hour, email="ana@example.md", phone=None)
    a3 = register(at=T0 + 3 * hour, email="ANA@example.md", phone=None)
    a4 = register(at=T0 + 2 * hour, email="ana@EXAMPLE.md", phone=None)
    a5 = register(at=T0 + 6 * hour, email="Ana@example.md", phone=None)
    register(at=T0, email="ana@example.md", phone=None)  # the oldest of six: not among the five
    # A complaint with both an address and a phone number counts for each of the two contacts.
    b1 = register(at=T0 + 1 * hour, email="bob@example.md", phone="+373 69 111 222")
    b2 = register(at=T0 + 4 * hour, email="bob@example.md", phone=None)
    p1 = register(at=T0 + 7 * hour, email=None, phone="+37369111222")
    register(at=T0 + 8 * hour, email="carol@example.md", phone=None)  # once: not a repeat
    with app.app_context():
        found = [(r.contact, r.complaints, r.numbers) for r in repeat_complainants(ComplaintFilter())]
        first_two = [r.contact for r in repeat_complainants(ComplaintFilter(), limit=2)]
    assert found == [
        ("ana@example.md", 6, [a5, a2, a3, a4, a1]),
        # a tie of two, in byte order: "+" comes before "b"
        ("+37369111222", 2, [p1, b1]),
        ("bob@example.md", 2, [b2, b1]),
    ]
    assert first_two == ["ana@example.md", "+37369111222"]


def test_repeat_complainants_count_and_list_only_the_complaints_in_the_filters(app, register):
    register(at=T0, email="dan@example.md", phone=None, category="payments")
    bonus = register(at=T0 + timedelta(hours=1), email="dan@example.md", phone=None, category="bonuses")
    register(at=T0 + timedelta(hours=2), email="Dan@example.md", phone=None, category="payments")
    later = register(at=T0 + timedelta(hours=3), email="DAN@example.md", phone=None, category="bonuses")
    with app.app_context():
        found = [(r.contact, r.complaints, r.numbers) for r in repeat_complainants(ComplaintFilter(category="bonuses"))]
        assert repeat_complainants(ComplaintFilter(category="technical")) == []
    assert found == [("dan@example.md", 2, [later, bonus])]


def test_repeat_complainants_take_two_statements_however_many_are_asked_for(app, register):
    for k in range(4):
        register(at=T0 + timedelta(minutes=k), email=f"user{k}@example.md", phone=f"+37369{k:06d}")
        register(at=T0 + timedelta(minutes=10 + k), email=f"USER{k}@example.md", phone=f"+37369{k:06d}")
    statements: list[str] = []

    def count(_conn, _cursor, statement, _parameters, _context, _many) -> None:
        if statement != "BEGIN":  # SQLite's transaction opening, sent as a statement of its own
            statements.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            per_limit = {}
            for limit in (1, 3, 8, 1000):
                statements.clear()
                per_limit[limit] = (len(repeat_complainants(ComplaintFilter(), limit=limit)), len(statements))
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
    # (contacts found, statements run): 8 contacts, each behind two complaints
    assert per_limit == {1: (1, 2), 3: (3, 2), 8: (8, 2), 1000: (8, 2)}


def test_rise_reasons_count_escalations_breaches_and_transfers(app, register, staff):
    late = register(subject="Late")
    passed = register(subject="Passed on")
    act(app, passed, ops.take_complaint, by=staff["olga"])
    act(app, passed, ops.respond, by=staff["olga"], body="Answered in time.")
    act(app, passed, ops.transfer_complaint, by=staff["olga"], to=staff["petru"], reason="Petru knows it")
    act(app, passed, ops.escalate, by=staff["petru"], reason="Needs the payments team")
    with app.app_context(), frozen_clock(T0 + timedelta(hours=25)):
        enforce(T0 + timedelta(hours=25), current_policy())
        reasons = rise_reasons(ComplaintFilter())
    assert reasons.escalations == {EscalationReason.FIRST_RESPONSE_BREACH: 1, EscalationReason.OWNER_REQUEST: 1}
    assert reasons.breaches == {DeadlineKind.FIRST_RESPONSE: 1}
    assert (reasons.transferred, reasons.complaints) == (1, 2)
    assert late != passed


@pytest.mark.parametrize(("role", "status"), [("manager", 200), ("administrator", 200), ("officer", 403),
                                              ("clerk", 403)])
def test_the_analysis_page_is_for_management(client, login, register, role, status):
    register()
    login(client, role, tier=3)
    response = client.get("/manage/analysis/")
    assert response.status_code == status
    if status == 200:
        page = response.get_data(as_text=True)
        assert "Categories per week" in page and "Payments and withdrawals" in page


def test_an_empty_period_says_so(client, login):
    login(client, "manager", tier=3)
    page = client.get("/manage/analysis/", query_string={"date_from": "2020-01-01", "date_to": "2020-01-31"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "No complaints in this period" in text and "No escalations in this period" in text
