"""Administrators' settings on the web (/admin/...): who may change them, that each change
changes real behaviour from then on, that printed records stay as they were, bad input, and
the audit trail. Changes take effect SETTINGS_CHECK_SECONDS (2 s) after they are saved, so
the tests save at one moment and act a minute later."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from urllib.parse import urlsplit

import msgspec
import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from _cases import T0, act, load, post
from _support import form_data, valid_payload
from app.audit.models import AuditAction, AuditEvent
from app.clock import frozen_clock
from app.extensions import db
from app.mail.compose import compose
from app.notifications.models import Notification, NotificationKind
from app.settings.models import SettingVersion
from app.settings.store import current_policy, current_settings
from app.workflow import operations as ops
from app.workflow.enforcement import enforce

H = timedelta(hours=1)
LATER = T0 + H  # when the tests' administrator saves a change
AFTER = T0 + 2 * H  # when the change is in force


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def file_complaint(client, at=T0, **changes) -> dict:
    with frozen_clock(at):
        response = client.post("/api/v1/complaints", json=valid_payload(**changes))
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def receipt(client, body: dict) -> bytes:
    parts = urlsplit(body["receipt_url"])
    response = client.get(f"{parts.path}?{parts.query}")
    assert response.status_code == 200
    return response.data




def audit_events(app) -> list[dict]:
    with app.app_context():
        return [json.loads(e.details) | {"target": e.target, "username": e.username} for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == AuditAction.SETTINGS_CHANGED).order_by(AuditEvent.id))]


def versions(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(SettingVersion))


ORGANISATION = {
    "name": "Noua Companie de Pariuri SA",
    "address": "bd. Dacia 10, MD-2060 Chișinău",
    "phone": "+373 22 000 111",
    "email": "reclamatii@noua.md",
    "website": "www.noua.md",
    "stamp_ring_text": "NOUA COMPANIE SA • CHIȘINĂU •",
}


def tiers_data(app, **changes) -> dict:
    with app.app_context():
        settings = current_settings()
    data = {"first_response_hours": str(settings.first_response_hours)}
    for tier in settings.tiers:
        for language, name in tier.names.items():
            data[f"tier{tier.level}_name_{language}"] = name
        data[f"tier{tier.level}_days"] = "" if tier.resolution_days is None else str(tier.resolution_days)
    return data | changes


# --- who may ---------------------------------------------------------------------------------

ADMIN_PAGES = ["/admin/", "/admin/categories", "/admin/categories/payments", "/admin/tiers", "/admin/organisation",
               "/admin/numbering", "/admin/notifications"]


@pytest.mark.parametrize("role", ["clerk", "officer", "manager"])
def test_only_administrators_reach_the_administration_pages(client, login, role):
    login(client, role)
    for path in ADMIN_PAGES:
        assert client.get(path).status_code == 403, path
    assert client.post("/admin/organisation", data=ORGANISATION).status_code == 403
    assert "/admin/" not in client.get("/staff/").get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_sign_in(client):
    for path in ADMIN_PAGES:
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/staff/login"), path


def test_administrators_see_every_page_and_the_link_in_the_staff_navigation(client, admin):
    for path in ADMIN_PAGES:
        assert client.get(path).status_code == 200, path
    assert 'href="/admin/"' in client.get("/staff/").get_data(as_text=True)
    assert client.get("/admin/categories/no_such_code").status_code == 404


# --- the organisation, and records printed before a change -----------------------------------


def test_an_old_receipt_stays_byte_identical_and_a_new_one_shows_the_new_organisation(app, client, admin):
    old = file_complaint(client)
    before = receipt(client, old)
    assert "Demo Betting SRL" in pdf_text(before)

    response = post(client, "/admin/organisation", ORGANISATION)
    assert response.status_code == 303

    with frozen_clock(AFTER):
        assert receipt(client, old) == before
        new = file_complaint(client, at=AFTER)
        text = pdf_text(receipt(client, new))
        page = client.get("/").get_data(as_text=True)
    assert "Noua Companie de Pariuri SA" in text and "reclamatii@noua.md" in text
    assert "Demo Betting SRL" not in text
    assert "Noua Companie de Pariuri SA" in page


def test_an_old_letter_keeps_the_organisation_it_was_sent_under(app, client, admin, staff):
    body = file_complaint(client)
    act(app, body["number"], ops.take_complaint, by=staff["olga"])
    act(app, body["number"], ops.respond, by=staff["olga"], body="We are looking into it.", at=T0 + H / 2)
    from app.letters.service import render_message_letter
    from app.workflow.models import CaseMessage

    def letter() -> bytes:  # made anew each time (as a first delivery after an upgrade), never the kept file
        with app.test_request_context(), frozen_clock(AFTER):
            message = db.session.scalars(select(CaseMessage).where(CaseMessage.outgoing_number.is_not(None))).one()
            return render_message_letter(message)

    before = letter()
    post(client, "/admin/organisation", ORGANISATION)
    assert letter() == before
    assert "Demo Betting SRL" in pdf_text(before)


def test_a_change_is_audited_with_who_and_each_old_and_new_value(app, client, admin):
    post(client, "/admin/organisation", ORGANISATION | {"name": "Alt Nume SRL"})
    [event] = audit_events(app)
    assert event["username"] == "ada" and event["target"] == "settings:organisation"
    assert {"field": "organisation.name", "old": "Demo Betting SRL", "new": "Alt Nume SRL"} in event["changes"]
    assert all(change["field"] != "organisation.address" or change["new"] == ORGANISATION["address"]
               for change in event["changes"])
    page = client.get("/staff/audit/?action=settings_changed").get_data(as_text=True)
    assert "Changed the settings" in page and "Alt Nume SRL" in page and "Demo Betting SRL" in page


def test_saving_the_same_values_again_changes_and_audits_nothing(app, client, admin):
    post(client, "/admin/organisation", ORGANISATION)
    response = post(client, "/admin/organisation", ORGANISATION)
    assert response.status_code == 303
    assert versions(app) == 1 and len(audit_events(app)) == 1


def test_bad_organisation_details_are_shown_again_with_errors_and_nothing_is_saved(app, client, admin):
    response = post(client, "/admin/organisation", ORGANISATION | {"name": "  ", "email": "not-an-address",
                                                                    "website": "w" * 101})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "This is printed on every receipt: fill it in." in page
    assert "This is not a valid e-mail address." in page
    assert "Write at most 100 characters" in page
    assert 'value="not-an-address"' in page and ORGANISATION["address"] in page
    assert versions(app) == 0 and audit_events(app) == []


# --- categories ------------------------------------------------------------------------------


def test_a_new_category_is_offered_on_the_form_the_api_and_the_desk(app, client, admin):
    response = post(client, "/admin/categories", {"code": "responsible_gaming", "name_en": "Responsible gaming",
                                                  "name_ro": "Joc responsabil", "name_ru": "", "name_uk": ""})
    assert response.status_code == 303
    with frozen_clock(AFTER):
        assert "Responsible gaming" in client.get("/?lang=en").get_data(as_text=True)
        listed = client.get("/api/v1/categories?language=ro").get_json()
        assert {"code": "responsible_gaming", "name": "Joc responsabil"} in listed
        english = client.get("/api/v1/categories?language=uk").get_json()  # no Ukrainian name: English
        assert {"code": "responsible_gaming", "name": "Responsible gaming"} in english
        assert "Responsible gaming" in client.get("/staff/complaints/new").get_data(as_text=True)
    body = file_complaint(client, at=AFTER, category="responsible_gaming")
    assert load(app, body["number"]).category == "responsible_gaming"


def test_a_retired_category_is_no_longer_offered_but_old_complaints_keep_it(app, client, admin):
    old = file_complaint(client, category="bonuses", language="en")
    data = {"name_en": "Bonuses and promotions", "name_ru": "Бонусы и акции", "name_ro": "Bonusuri și promoții",
            "name_uk": "Бонуси та акції", "retired": "y"}
    assert post(client, "/admin/categories/bonuses", data).status_code == 303

    with frozen_clock(AFTER):
        assert "bonuses" not in [c["code"] for c in client.get("/api/v1/categories").get_json()]
        assert 'value="bonuses"' not in client.get("/").get_data(as_text=True)
        refused = client.post("/api/v1/complaints", json=valid_payload(category="bonuses"))
        assert refused.status_code == 422
        form = client.post("/complaints/new", data=form_data(category="bonuses"))
        assert form.status_code == 422 and "This is not one of our categories." in form.get_data(as_text=True)
        case = client.get(f"/staff/complaints/{old['number'].replace('/', '-')}").get_data(as_text=True)
        assert "Bonuses and promotions" in case
        assert "Bonuses and promotions" in pdf_text(receipt(client, old))
        assert "Bonuses and promotions" in client.get("/staff/registry").get_data(as_text=True)  # journal filter


def test_a_renamed_category_shows_the_new_name_but_an_old_receipt_keeps_the_old_one(app, client, admin):
    old = file_complaint(client, category="payments", language="en")
    before = receipt(client, old)
    data = {"name_en": "Deposits and withdrawals", "name_ru": "", "name_ro": "", "name_uk": ""}
    assert post(client, "/admin/categories/payments", data).status_code == 303
    with frozen_clock(AFTER):
        assert receipt(client, old) == before
        new = file_complaint(client, at=AFTER, category="payments", language="en")
        assert "Deposits and withdrawals" in pdf_text(receipt(client, new))
        assert {"code": "payments", "name": "Deposits and withdrawals"} in client.get(
            "/api/v1/categories?language=ru").get_json()


@pytest.mark.parametrize(("code", "message"), [
    ("", "Give the category a code."),
    ("Bad Code", "Use 2 to 50 lower-case letters"),
    ("payments", "There is already a category with this code"),
])
def test_a_bad_category_code_is_refused(app, client, admin, code, message):
    response = post(client, "/admin/categories", {"code": code, "name_en": "Something", "name_ro": "Ceva"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page and 'value="Ceva"' in page
    assert versions(app) == 0


def test_the_last_offered_category_cannot_be_retired(app, client, admin):
    with app.app_context():
        codes = [c.code for c in current_settings().categories]
    for code in codes[:-1]:
        assert post(client, f"/admin/categories/{code}", {"name_en": code, "retired": "y"}).status_code == 303
    response = post(client, f"/admin/categories/{codes[-1]}", {"name_en": "Other", "retired": "y"})
    assert response.status_code == 422
    assert "At least one category must stay offered" in response.get_data(as_text=True)


# --- tiers and deadlines ---------------------------------------------------------------------


def test_first_response_hours_set_a_new_complaints_deadline_and_the_forms_promise(app, client, admin):
    old = file_complaint(client)
    assert post(client, "/admin/tiers", tiers_data(app, first_response_hours="48")).status_code == 303
    new = file_complaint(client, at=AFTER)
    assert load(app, new["number"]).first_response_due == AFTER + 48 * H
    assert load(app, old["number"]).first_response_due == T0 + 24 * H  # a running deadline keeps its date
    with frozen_clock(AFTER):
        assert "within 48 hours" in client.get("/?lang=en").get_data(as_text=True)
        assert "în termen de 48 de ore de la" in pdf_text(receipt(client, new)).replace("\n", " ")
        assert "în termen de 24 de ore de la" in pdf_text(receipt(client, old)).replace("\n", " ")


@pytest.mark.parametrize(("language", "hours", "words"), [
    ("en", 1, "(1 hour after receipt)"), ("en", 48, "(48 hours after receipt)"),
    ("ru", 1, "в течение 1 часа после"), ("ru", 21, "в течение 21 часа после"), ("ru", 48, "в течение 48 часов после"),
    ("uk", 24, "протягом 24 годин після"), ("ro", 1, "în termen de 1 oră de la"), ("ro", 12, "în termen de 12 ore de la"),
    ("ro", 72, "în termen de 72 de ore de la"),
])
def test_the_receipt_states_the_first_response_hours_the_complaint_was_given(language, hours, words):
    from test_receipt_render import BASE, render

    context = msgspec.structs.replace(BASE, language=language, first_response_hours=hours)
    assert words in pdf_text(render(context)).replace("\n", " ")


def test_a_tiers_resolution_days_change_the_deadline_the_workflow_computes(app, client, admin, staff):
    number = file_complaint(client)["number"]
    act(app, number, ops.take_complaint, by=staff["olga"])
    data = tiers_data(app, tier2_days="7", tier2_name_en="Specialists")
    assert post(client, "/admin/tiers", data).status_code == 303
    at = T0 + 25 * H
    with app.app_context(), frozen_clock(at):
        assert current_policy().tier(2).resolution_days == 7
        enforce(at, current_policy())
    complaint = load(app, number)
    assert (complaint.tier, complaint.resolution_due) == (2, at + timedelta(days=7))
    with app.app_context(), frozen_clock(at):
        [escalated] = db.session.scalars(select(Notification).where(
            Notification.kind == NotificationKind.ESCALATED)).all()
        assert "Specialists" in compose(escalated).subject


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"first_response_hours": "0"}, "first_response_hours", "Give a whole number of hours from 1 to 720."),
    ({"first_response_hours": "abc"}, "first_response_hours", "Give a whole number of hours from 1 to 720."),
    ({"tier1_days": ""}, "tier1_days", "Give a whole number of days from 1 to 365."),
    ({"tier2_days": "-3"}, "tier2_days", "Give a whole number of days from 1 to 365."),
    ({"tier4_days": "1000"}, "tier4_days", "or leave it empty for no deadline"),
    ({"tier3_name_en": ""}, "tier3_name_en", "Give the name in English"),
])
def test_bad_tier_settings_are_refused_and_nothing_changes(app, client, admin, changes, field, message):
    data = tiers_data(app, tier1_name_ro="Typed and kept", **changes)
    response = post(client, "/admin/tiers", data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page and message in page
    assert 'value="Typed and kept"' in page
    assert versions(app) == 0 and audit_events(app) == []


def test_the_last_tier_may_get_a_deadline_and_lose_it_again(app, client, admin):
    assert post(client, "/admin/tiers", tiers_data(app, tier4_days="30")).status_code == 303
    assert post(client, "/admin/tiers", tiers_data(app, tier4_days=""), at=AFTER).status_code == 303
    with app.app_context(), frozen_clock(AFTER + H):
        assert current_policy().tier(4).resolution_days is None
    [first, second] = audit_events(app)
    assert {"field": "tiers.4.resolution_days", "old": None, "new": 30} in first["changes"]
    assert {"field": "tiers.4.resolution_days", "old": 30, "new": None} in second["changes"]


# --- numbers ---------------------------------------------------------------------------------


def test_a_number_format_applies_to_the_next_registration_only(app, client, admin):
    first = file_complaint(client)
    assert first["number"] == "2026/000001"
    response = post(client, "/admin/numbering", {"number_format": "IN-{year}-{seq:05d}",
                                                 "outgoing_number_format": "OUT-{year}/{seq:06d}"})
    assert response.status_code == 303
    second = file_complaint(client, at=AFTER)
    assert second["number"] == "IN-2026-00002"
    assert load(app, first["number"]).number == "2026/000001"
    with frozen_clock(AFTER):
        assert client.get("/staff/complaints/IN-2026-00002").status_code == 200


def test_the_numbering_page_shows_the_next_number(app, client, admin):
    file_complaint(client)
    with frozen_clock(LATER):
        page = client.get("/admin/numbering").get_data(as_text=True)
    assert "2026/000002" in page and "2026-000002" in page


@pytest.mark.parametrize(("pattern", "message"), [
    ("{seq:06d}", "must contain {year} and {seq} exactly once each"),
    ("{year}/{year}/{seq}", "must contain {year} and {seq} exactly once each"),
    ("{year}/{seq.__class__}", "Use only {year}, {seq}"),
    ("{year}/{seq!r}", "Use only {year}, {seq}"),
    ("{year} {seq}", "Use only {year}, {seq}"),
    ("{year}/{seq:>10}", "Use only {year}, {seq}"),
    ("{year}/{seq", "Use only {year}, {seq}"),
    ("COMPLAINT-REGISTRY-OF-THE-ORGANISATION-{year}-{seq:06d}", "Numbers would be too long"),
    ("", "Give a format"),
])
def test_a_bad_number_format_is_refused(app, client, admin, pattern, message):
    response = post(client, "/admin/numbering", {"number_format": pattern,
                                                 "outgoing_number_format": "OUT-{year}/{seq:06d}"})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert versions(app) == 0


def test_a_format_that_could_repeat_an_existing_number_is_refused(app, client, admin):
    formats = {"outgoing_number_format": "OUT-{year}/{seq:06d}"}
    assert post(client, "/admin/numbering", formats | {"number_format": "{year}/1{seq}"}).status_code == 303
    file_complaint(client, at=AFTER)  # 2026/11 (seq 1): "{year}/{seq}" would give it again at seq 11
    for pattern in ("{year}/{seq}", "{year}-{seq}"):  # the second repeats its web address, 2026-11
        response = post(client, "/admin/numbering", formats | {"number_format": pattern}, at=AFTER + H)
        assert response.status_code == 422, pattern
        assert "could give again the number 2026/11" in response.get_data(as_text=True)
    assert post(client, "/admin/numbering", formats | {"number_format": "C-{year}/{seq:06d}"},
                at=AFTER + H).status_code == 303


# --- tier mailboxes --------------------------------------------------------------------------


def test_a_tier_mailbox_receives_the_escalation_e_mail(app, client, admin, staff):
    number = file_complaint(client)["number"]
    data = {"tier1": "", "tier2": "Specialists@Operator.md, backup@operator.md", "tier3": "", "tier4": ""}
    assert post(client, "/admin/notifications", data).status_code == 303
    at = T0 + 25 * H
    with app.app_context(), frozen_clock(at):
        enforce(at, current_policy())
        [escalated] = db.session.scalars(select(Notification).where(
            Notification.kind == NotificationKind.ESCALATED)).all()
        mail = compose(escalated)
    assert mail.to == ("Specialists@operator.md", "backup@operator.md")
    assert number in mail.subject


def test_a_bad_mailbox_address_is_refused_with_the_address_named(app, client, admin):
    response = post(client, "/admin/notifications", {"tier1": "desk@operator.md", "tier2": "nobody@", "tier3": ""})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "nobody@ is not a valid e-mail address." in page and 'value="desk@operator.md"' in page
    assert versions(app) == 0


# --- several processes -----------------------------------------------------------------------


def test_another_process_notices_a_change_before_it_takes_effect(make_app, app, client, admin):
    other = make_app()  # a second worker process: its own app, its own settings cache
    with other.app_context(), frozen_clock(LATER - timedelta(seconds=1)):
        assert current_settings().organisation.name == "Demo Betting SRL"  # cached from now on
    post(client, "/admin/organisation", ORGANISATION)  # saved at LATER, in force at LATER + 2 s
    with other.app_context():
        with frozen_clock(LATER + timedelta(seconds=1)):
            assert current_settings().organisation.name == "Demo Betting SRL"
        with frozen_clock(LATER + timedelta(seconds=2)):
            assert current_settings().organisation.name == ORGANISATION["name"]


def test_the_overview_lists_recent_changes(app, client, admin):
    post(client, "/admin/organisation", ORGANISATION)
    with frozen_clock(AFTER):
        page = client.get("/admin/").get_data(as_text=True)
    assert "Noua Companie de Pariuri SA" in page and "organisation" in page and "Ada" in page


def test_a_database_error_in_the_settings_check_fails_the_unit_of_work_it_happens_in(app, monkeypatch):
    """A conflict met while the settings are checked mid-operation (a deadlock, say) must end
    the whole unit of work: rolling back there and carrying on would write the rest in a new
    transaction, without what came before (a letter without the counter that numbered it)."""
    from sqlalchemy.exc import OperationalError

    from app.database import commit_with_retry
    from app.registry.models import NumberCounter
    from app.registry.numbering import take_number
    from app.settings import store

    with app.app_context():
        real_execute = db.session.execute

        def meets_a_conflict(statement, *args, **kwargs):
            if statement is store._STAMP:
                raise OperationalError("SELECT ...", {}, Exception("deadlock detected"))
            return real_execute(statement, *args, **kwargs)

        monkeypatch.setattr(db.session, "execute", meets_a_conflict)
        store.settings_store().forget()

        def work():
            take_number("outgoing:2026")
            return current_settings()

        with pytest.raises(OperationalError):
            commit_with_retry(work)
        monkeypatch.setattr(db.session, "execute", real_execute)
        assert db.session.scalar(select(NumberCounter.last_value).where(NumberCounter.scope == "outgoing:2026")) is None
        # Outside a unit of work the same failure is the unreachable database: the last settings seen.
        monkeypatch.setattr(db.session, "execute", meets_a_conflict)
        store.settings_store().forget()
        assert current_settings() is not None
