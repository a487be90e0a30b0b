"""Complaint analysis: categories over time, spikes, repeat complainants, why complaints rose."""

from __future__ import annotations

from datetime import timedelta

import pytest

from _cases import T0, act
from app.clock import frozen_clock
from app.complaints.filters import ComplaintFilter
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
