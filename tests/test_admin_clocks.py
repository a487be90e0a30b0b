"""The administrators' page of the regulator's clocks (/admin/clocks): the installation's
preset and its adjustments, the categories' own presets, the working calendar and the referral
body, each its own form and setting; refusals at the field with nothing saved; the audit trail;
who may; and that a new policy never moves the clocks of complaints already registered.
Changes take effect SETTINGS_CHECK_SECONDS (2 s) after they are saved: the tests save at one
moment and register a complaint an hour later."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from _cases import T0, load, post
from _support import valid_payload
from app.audit.models import AuditAction, AuditEvent
from app.clock import frozen_clock
from app.clocks.models import ComplaintClock
from app.extensions import db
from app.settings.models import SettingVersion
from app.settings.store import settings_store

H = timedelta(hours=1)
LATER = T0 + H  # Monday 23 Nov 2026, 09:00 UTC: the administrator saves
AFTER = T0 + 2 * H  # in force by then


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)




def page(client, at=LATER) -> str:
    with frozen_clock(at):
        response = client.get("/admin/clocks?lang=en")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def latest(app, key: str):
    with app.app_context(), frozen_clock(LATER):
        store = settings_store()
        store.forget()
        return store.latest_values()[key]


def versions(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(SettingVersion))


def audit_events(app) -> list[dict]:
    with app.app_context():
        return [json.loads(e.details) | {"target": e.target, "username": e.username} for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == AuditAction.SETTINGS_CHANGED).order_by(AuditEvent.id))]


def field_error(html: str, field: str) -> str:
    """The error paragraph shown under `field`."""
    found = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', html, re.S)
    assert found, f"no error shown at {field}"
    return found.group(1)


def file_complaint(app, client, at) -> str:
    with frozen_clock(at):
        response = client.post("/api/v1/complaints", json=valid_payload())
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["number"]


def complaint_clocks(app, number: str) -> dict[str, tuple]:
    with app.app_context():
        complaint = load(app, number)
        return {c.kind.value: (c.rule, c.started_at, c.due_at, c.met_at, c.extended_at) for c in db.session.scalars(
            select(ComplaintClock).where(ComplaintClock.complaint_id == complaint.id))}


# The final-response clock of fca_payments as the form shows it, adjusted below.
FCA_PAYMENTS_ADJUSTED = {
    "final_response_amount": "10", "final_response_unit": "working_days", "final_response_pauses": "y",
    "final_response_extension": "25", "final_response_extension_notice": "y",
    "first_response_amount": "2", "first_response_unit": "calendar_days",
}


# --- the installation's policy ---------------------------------------------------------------


def test_the_page_offers_every_preset_with_its_summary_and_sources_and_says_old_clocks_stay(client, admin):
    html = page(client)
    for title in ("Current behaviour (no regulatory clocks)", "UK Gambling Commission (LCCP SR 6.1.1)",
                  "UK FCA, DISP 1 (general complaints)", "Russia, Federal Law 59-FZ",
                  "Romania, OG 27/2002 (petitions)"):
        assert title in html
    assert "Acknowledgement within 24 hours; the whole procedure within 8 weeks" in html
    assert '<a href="https://legislatie.just.ro/Public/DetaliiDocumentAfis/196796"' in html
    assert ">legislatie.just.ro</a>" in html
    assert "never changes the due times of complaints already registered" in html
    assert '<input checked id="preset-0" name="preset" type="radio" value="current">' in html


def test_using_a_preset_replaces_the_installations_clocks_and_shows_them_to_adjust(app, client, admin):
    response = post(client, "/admin/clocks/preset", {"preset": "ru_59fz"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/admin/clocks#policy")
    default = latest(app, "clock_policy")["default"]
    assert default["preset"] == "ru_59fz"
    # 59-FZ: registered within 3 days; answered within 30 days of registration, extended once
    # by up to 30 days with a notice letter; a breach escalates.
    assert [(c["kind"], c["period"], c["start"], c["extension"], c["extension_notice"], c["escalates"])
            for c in default["clocks"]] == [
        ("registration", {"amount": 3, "unit": "calendar_days"}, "received", None, False, False),
        ("final_response", {"amount": 30, "unit": "calendar_days"}, "registered", 30, True, True),
    ]
    html = page(client)
    assert 'name="registration_amount"' in html and 'name="final_response_extension"' in html
    assert 'id="final_response_extension" name="final_response_extension" type="text" value="30"' in html
    assert "Counts from registration." in html
    assert "adjusted" not in html.split('id="categories"')[0].split("<h2>The installation")[1].split("</p>")[0]


def test_adjusted_clocks_are_saved_keeping_the_preset_code_and_shown_again(app, client, admin):
    post(client, "/admin/clocks/preset", {"preset": "fca_payments"})
    response = post(client, "/admin/clocks/policy", FCA_PAYMENTS_ADJUSTED)
    assert response.status_code == 303
    default = latest(app, "clock_policy")["default"]
    assert default["preset"] == "fca_payments"
    [clock] = default["clocks"]
    assert clock == {"kind": "final_response", "period": {"amount": 10, "unit": "working_days"},
                     "met_by": ["decision"], "start": "received", "pauses_in": ["waiting"], "extension": 25,
                     "extension_notice": True, "escalates": False}
    assert default["first_response"] == {"amount": 2, "unit": "calendar_days"}
    # What the form does not show stays the preset's.
    assert default["letters"] == ["holding", "summary_resolution"] and default["referral_wording"] == "fos"
    html = page(client)
    assert 'name="final_response_amount" type="text" value="10"' in html
    assert 'name="first_response_amount" type="text" value="2"' in html
    assert '<option selected value="working_days">' in html
    assert '<span class="tag">adjusted</span>' in html


def test_an_empty_first_response_amount_leaves_the_installations_hours(app, client, admin):
    post(client, "/admin/clocks/preset", {"preset": "fca_payments"})
    post(client, "/admin/clocks/policy", FCA_PAYMENTS_ADJUSTED)
    response = post(client, "/admin/clocks/policy", FCA_PAYMENTS_ADJUSTED | {"first_response_amount": ""})
    assert response.status_code == 303
    assert latest(app, "clock_policy")["default"]["first_response"] is None
    assert "Now 24 hours if empty" in page(client)


def test_a_category_takes_its_own_preset_and_gives_it_back(app, client, admin):
    response = post(client, "/admin/clocks/categories", {"category_payments": "fca_payments"})
    assert response.status_code == 303 and response.headers["Location"].endswith("#categories")
    policies = latest(app, "clock_policy")
    assert list(policies["by_category"]) == ["payments"]
    assert policies["by_category"]["payments"]["preset"] == "fca_payments"
    assert policies["by_category"]["payments"]["clocks"][0]["period"] == {"amount": 15, "unit": "working_days"}
    assert policies["default"]["preset"] == "current"
    assert '<option selected value="fca_payments">' in page(client)
    post(client, "/admin/clocks/categories", {"category_payments": ""})
    assert latest(app, "clock_policy")["by_category"] == {}


# --- the working calendar --------------------------------------------------------------------


def test_the_calendar_is_saved_and_previews_the_next_sixty_days_non_working_days(app, client, admin):
    response = post(client, "/admin/clocks/calendar", {
        "country": "GB", "subdivision": "eng", "added_holidays": "2026-12-24\n\n",
        "added_working_days": " 2026-12-26 ", "opening_from": "9:00", "opening_to": "17:30"})
    assert response.status_code == 303 and response.headers["Location"].endswith("#calendar")
    assert latest(app, "calendar") == {
        "country": "GB", "subdivision": "ENG", "added_holidays": ["2026-12-24"],
        "added_working_days": ["2026-12-26"], "opening": ["09:00", "17:30"], "weekend": [5, 6]}
    html = page(client)
    assert '<option selected value="GB">United Kingdom</option>' in html
    assert 'value="ENG"' in html and "2026-12-24</textarea>" in html and 'value="17:30"' in html
    # From Monday 23 Nov 2026 to Thursday 21 Jan 2027 in England: Christmas Day (Fri 25 Dec),
    # Boxing Day on Saturday 26 Dec (made a working day here) observed on Monday 28 Dec, New
    # Year's Day (Fri 1 Jan), the added Thursday 24 Dec, and the weekends.
    table = html.split('data-testid="non-working-days"')[1].split("</table>")[0]
    rows = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", table)
    named = [(day, why) for day, _, why in rows if why != "weekend"]
    assert named == [("24 Dec 2026", "Non-working day (added)"), ("25 Dec 2026", "Christmas Day"),
                     ("28 Dec 2026", "Boxing Day (observed)"), ("1 Jan 2027", "New Year&#39;s Day")]
    weekends = [day for day, _, why in rows if why == "weekend"]
    assert "26 Dec 2026" not in weekends and "27 Dec 2026" in weekends
    # 8 Saturdays (28 Nov .. 16 Jan) less the worked 26 Dec, and 8 Sundays (29 Nov .. 17 Jan).
    assert len(weekends) == 7 + 8
    assert ("28 Nov 2026", "Saturday", "weekend") in rows


def test_a_blank_country_keeps_only_the_weekend(app, client, admin):
    assert post(client, "/admin/clocks/calendar", {"country": ""}).status_code == 303
    assert latest(app, "calendar")["country"] is None
    html = page(client)
    assert "Christmas" not in html.split('data-testid="non-working-days"')[1]


# --- the referral body -----------------------------------------------------------------------

FOS = {"name": "Financial Ombudsman Service", "address": "Exchange Tower, London E14 9SR",
       "website": "https://www.financial-ombudsman.org.uk", "time_limit_months": "6"}


def test_the_referral_body_is_saved_shown_again_and_cleared(app, client, admin):
    response = post(client, "/admin/clocks/referral", FOS)
    assert response.status_code == 303 and response.headers["Location"].endswith("#referral")
    assert latest(app, "referral_body") == FOS | {"time_limit_months": 6}
    html = page(client)
    assert 'value="Exchange Tower, London E14 9SR"' in html and 'name="time_limit_months" type="text" value="6"' in html
    post(client, "/admin/clocks/referral", dict.fromkeys(FOS, ""))
    assert latest(app, "referral_body") is None


# --- refusals --------------------------------------------------------------------------------

REFUSALS = {
    "unknown country": ("/admin/clocks/calendar", {"country": "XX"},
                        {"country": "Unknown country XX: choose one from the list."}),
    "bad date lines": ("/admin/clocks/calendar",
                       {"country": "MD", "added_holidays": "2026-12-24\n2026-13-01\nnext friday"},
                       {"added_holidays": "Line 2 (2026-13-01) is not a date such as 2026-12-24. "
                                          "Line 3 (next friday) is not a date such as 2026-12-24."}),
    "a day both off and worked": ("/admin/clocks/calendar",
                                  {"country": "MD", "added_holidays": "2026-12-24", "added_working_days": "2026-12-24"},
                                  {"added_working_days": "2026-12-24 cannot be both a non-working and a working day."}),
    "closing before opening": ("/admin/clocks/calendar",
                               {"country": "MD", "opening_from": "17:00", "opening_to": "09:00"},
                               {"opening_to": "Closing time must be after opening time."}),
    "one opening time": ("/admin/clocks/calendar", {"country": "MD", "opening_from": "09:00"},
                         {"opening_to": "Give both the opening and the closing time, or neither"}),
    "unknown subdivision": ("/admin/clocks/calendar", {"country": "GB", "subdivision": "XYZ"},
                            {"subdivision": "Unknown subdivision XYZ of GB: use one of ENG, NIR, SCT, WLS."}),
    "a pausing registration clock": ("/admin/clocks/policy",
                                     {"registration_amount": "3", "registration_unit": "calendar_days",
                                      "registration_pauses": "y", "final_response_amount": "30",
                                      "final_response_unit": "calendar_days", "final_response_extension": "30",
                                      "final_response_extension_notice": "y"},
                                     {"registration_pauses": "it cannot pause (a clock can pause only while "
                                                             "waiting for the complainant)"}),
    "an extension notice without an extension": (
        "/admin/clocks/policy",
        {"registration_amount": "3", "registration_unit": "calendar_days", "final_response_amount": "30",
         "final_response_unit": "calendar_days", "final_response_extension": "",
         "final_response_extension_notice": "y"},
        {"final_response_extension_notice": "Only a clock that can be extended has an extension notice"}),
    "a zero period and no unit": ("/admin/clocks/policy",
                                  {"registration_amount": "0", "registration_unit": "fortnights",
                                   "final_response_amount": "30", "final_response_unit": "calendar_days"},
                                  {"registration_amount": "Give a whole number from 1 to 3650.",
                                   "registration_unit": "Choose one of the units."}),
    "a referral body without its website": (
        "/admin/clocks/referral", FOS | {"website": " "},
        {"website": "Fill in every detail of the referral body, or leave them all empty."}),
    "a referral body with no time limit": (
        "/admin/clocks/referral", FOS | {"time_limit_months": "six"},
        {"time_limit_months": "Give a whole number of months from 1 to 120."}),
    "an unknown preset": ("/admin/clocks/preset", {"preset": "eu_adr"}, {"preset": "Choose one of the presets."}),
    "an unknown preset for a category": ("/admin/clocks/categories", {"category_payments": "eu_adr"},
                                         {"category_payments": "Choose one of the presets"}),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_a_refused_section_answers_422_with_the_message_at_its_field_and_saves_nothing(make_app, login, case):
    app = make_app(CLOCK_POLICY="ru_59fz")  # a registration clock and an extensible final response
    client = app.test_client()
    login(client, "administrator", "ada")
    path, data, expected = REFUSALS[case]
    with frozen_clock(LATER):
        response = client.post(path + "?lang=en", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for field, message in expected.items():
        assert message in field_error(html, field), field
    assert versions(app) == 0 and audit_events(app) == []
    # What was typed in text fields is shown again (a choice not on the list cannot be).
    for name, value in data.items():
        if value.strip() and value != "y" and not name.endswith(("_unit", "country", "preset")) \
                and not name.startswith("category_"):
            assert str(escape(value.strip())) in html, name


# --- the audit trail -------------------------------------------------------------------------


def test_each_section_saves_one_version_of_its_setting_audited_with_old_and_new_values(app, client, admin):
    post(client, "/admin/clocks/preset", {"preset": "ukgc"})
    post(client, "/admin/clocks/calendar", {"country": "GB", "subdivision": "SCT"})
    post(client, "/admin/clocks/referral", FOS)
    events = audit_events(app)
    assert [e["target"] for e in events] == ["settings:clock_policy", "settings:calendar", "settings:referral_body"]
    assert all(e["username"] == "ada" for e in events)
    assert {"field": "default.preset", "old": "current", "new": "ukgc"} in [
        change | {"field": change["field"].removeprefix("clock_policy.")} for change in events[0]["changes"]]
    assert {"field": "calendar.country", "old": "MD", "new": "GB"} in events[1]["changes"]
    assert {"field": "calendar.subdivision", "old": None, "new": "SCT"} in events[1]["changes"]
    assert {"field": "referral_body.name", "old": None, "new": "Financial Ombudsman Service"} in events[2]["changes"]
    assert versions(app) == 3
    # Saving the same again changes nothing.
    assert post(client, "/admin/clocks/referral", FOS).status_code == 303
    assert versions(app) == 3


def test_the_overview_summarises_the_clocks(app, client, admin):
    post(client, "/admin/clocks/preset", {"preset": "ukgc"})
    post(client, "/admin/clocks/referral", FOS)
    with frozen_clock(LATER):
        html = client.get("/admin/?lang=en").get_data(as_text=True)
    assert 'href="/admin/clocks"' in html
    assert "UK Gambling Commission (LCCP SR 6.1.1)" in html and "Financial Ombudsman Service" in html


# --- who may ---------------------------------------------------------------------------------

CLOCK_PATHS = ["/admin/clocks/preset", "/admin/clocks/policy", "/admin/clocks/categories", "/admin/clocks/calendar",
               "/admin/clocks/referral"]


@pytest.mark.parametrize("role", ["clerk", "officer", "manager"])
def test_only_administrators_reach_the_clocks_page(app, client, login, role):
    login(client, role)
    assert client.get("/admin/clocks").status_code == 403
    for path in CLOCK_PATHS:
        assert client.post(path, data={"preset": "ukgc", "country": "GB"}).status_code == 403, path
    assert versions(app) == 0


def test_anonymous_visitors_are_sent_to_sign_in_from_the_clocks_page(client):
    response = client.get("/admin/clocks")
    assert response.status_code == 302 and response.headers["Location"].startswith("/staff/login")


# --- complaints already registered keep their clocks -----------------------------------------


def test_a_new_policy_runs_for_new_complaints_and_never_moves_the_clocks_already_running(make_app, login):
    app = make_app(CLOCK_POLICY="ukgc")
    client = app.test_client()
    login(client, "administrator", "ada")
    first = file_complaint(app, client, T0)
    before = complaint_clocks(app, first)
    # UKGC, received Monday 23 Nov 2026 08:00 UTC (10:00 in Chisinau): acknowledged by the
    # registration itself; 8 weeks (56 days) from receipt: day 56 is Monday 18 Jan 2027, due at
    # its end, midnight in Chisinau = 18 Jan 22:00 UTC.
    assert set(before) == {"acknowledgement", "final_response"}
    assert before["final_response"][2] == utc(2027, 1, 18, 22)

    assert post(client, "/admin/clocks/preset", {"preset": "ro_og27"}).status_code == 303
    second = file_complaint(app, client, AFTER)

    assert complaint_clocks(app, first) == before
    after = complaint_clocks(app, second)
    # OG 27/2002: 30 days from registration (Monday 23 Nov 2026, 12:00 in Chisinau): day 30 is
    # Wednesday 23 Dec, due at its end = 23 Dec 22:00 UTC; no acknowledgement clock.
    assert set(after) == {"final_response"}
    rule = json.loads(after["final_response"][0])
    assert (rule["start"], rule["extension"], rule["extension_notice"]) == ("registered", 15, True)
    assert after["final_response"][2] == utc(2026, 12, 23, 22)
    assert json.loads(before["final_response"][0])["pauses_in"] == ["waiting"]
