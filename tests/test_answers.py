"""Answer templates: kept by managers in four languages and versioned, offered on the case page
for the complaint's category and language, filled in with the complaint's details, edited by the
officer before sending, and counted when a letter started from one is sent."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from _cases import T0, act, load, private_parts
from app.answers.models import AnswerTemplate, AnswerTemplateText, AnswerTemplateUse, AnswerTemplateVersion
from app.answers.operations import (
    create_template,
    fill_for,
    offered_versions,
    record_use,
    retire_template,
    revise_template,
)
from app.audit.models import AuditAction, AuditEvent
from app.auth.models import User
from app.auth.tokens import create_token
from app.clock import frozen_clock
from app.complaints.filters import ComplaintFilter
from app.database import commit_with_retry
from app.dates import format_deadline
from app.extensions import db
from app.manage.template_usage import template_usage
from app.workflow import operations as ops
from app.workflow.models import CaseMessage

BODY_RO = "Stimată {name},\nPlângerea nr. {number} din {received} ({category}) a fost examinată. Termen: {first_response_due}.\n{officer}"


def slug(number: str) -> str:
    return number.replace("/", "-")


def sign_in(client, username: str) -> None:
    assert client.post("/staff/login", data={"username": username, "password": "correct horse 1"}).status_code == 302


def template_form(**changes: str) -> dict[str, str]:
    data = {"category": "", "title_en": "Withdrawal delayed", "body_en": "Dear {name}, about {number}: paid on {today}.",
            "title_ro": "Retragere întârziată", "body_ro": BODY_RO, "title_ru": "", "body_ru": "", "title_uk": "",
            "body_uk": ""}
    return data | changes


def counts(app) -> tuple[int, int, int]:
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(t))
                     for t in (AnswerTemplate, AnswerTemplateVersion, AnswerTemplateText))


def make_template(app, user_id: int, *, category: str | None = None, texts=None) -> int:
    texts = texts or {"en": ("Withdrawal delayed", "Dear {name}, about {number}."),
                      "ro": ("Retragere întârziată", BODY_RO)}
    with app.app_context(), frozen_clock(T0):
        return commit_with_retry(lambda: create_template(category=category, texts=texts,
                                                         by=db.session.get(User, user_id))).id


def current_version(app, template_id: int) -> int:
    with app.app_context():
        return db.session.get(AnswerTemplate, template_id).current.id


# --- the managers' pages -----------------------------------------------------------------


def test_a_manager_saves_a_template_and_an_edit_makes_a_new_version_leaving_the_first_as_it_was(app, client, staff):
    sign_in(client, "mihai")
    response = client.post("/manage/templates/new", data=template_form())
    assert response.status_code == 303
    template_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    assert counts(app) == (1, 1, 2)
    response = client.post(f"/manage/templates/{template_id}",
                           data=template_form(body_ro="Stimată {name}, plângerea {number} e soluționată."))
    assert response.status_code == 303
    with app.app_context():
        template = db.session.get(AnswerTemplate, template_id)
        first, second = template.versions
        assert (first.number, second.number) == (1, 2)
        assert first.text("ro").body == BODY_RO
        assert second.text("ro").body == "Stimată {name}, plângerea {number} e soluționată."
    page = client.get(f"/manage/templates/{template_id}").get_data(as_text=True)
    assert "Earlier versions" in page and "Version 2" in page
    # Saving the same texts again makes no version.
    assert client.post(f"/manage/templates/{template_id}",
                       data=template_form(body_ro="Stimată {name}, plângerea {number} e soluționată.")).status_code == 303
    assert counts(app) == (1, 2, 4)
    listing = client.get("/manage/templates/").get_data(as_text=True)
    assert "Withdrawal delayed" in listing


def test_an_unknown_placeholder_is_refused_at_its_field_with_the_known_ones_listed_and_nothing_is_saved(app, client,
                                                                                                       staff):
    sign_in(client, "mihai")
    response = client.post("/manage/templates/new", data=template_form(body_ro="Bună ziua {nume}, {number} {nume}."))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Unknown placeholder: {nume}." in page
    assert "{number}, {name}, {subject}" in page
    assert counts(app) == (0, 0, 0)


@pytest.mark.parametrize(("changes", "message"), [
    ({"title_ru": "Задержка вывода"}, "Write the text in this language too, or leave its title empty."),
    ({"body_uk": "Шановна {name}"}, "Give the title in this language too, or leave its text empty."),
    ({"title_en": "", "body_en": "", "title_ro": "", "body_ro": ""},
     "Write the template in at least one language (a title and a text)."),
    ({"title_ro": "Ț" * 201}, "Field cannot be longer than 200 characters."),
    ({"body_en": "x" * 20_001}, "Field cannot be longer than 20000 characters."),
    ({"category": "no_such_category"}, "Not a valid choice."),
])
def test_a_half_written_language_no_language_or_overlong_text_is_refused_and_nothing_is_saved(app, client, staff,
                                                                                             changes, message):
    sign_in(client, "mihai")
    response = client.post("/manage/templates/new", data=template_form(**changes))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert counts(app) == (0, 0, 0)


def test_a_nul_byte_in_a_template_is_refused_and_an_edit_with_a_bad_placeholder_changes_nothing(app, client, staff):
    template_id = make_template(app, staff["mihai"])
    sign_in(client, "mihai")
    assert client.post("/manage/templates/new", data=template_form(body_en="Dear\x00 {name}")).status_code == 400
    response = client.post(f"/manage/templates/{template_id}", data=template_form(body_en="Dear {Name}"))
    assert response.status_code == 422 and "Unknown placeholder: {Name}." in response.get_data(as_text=True)
    assert counts(app) == (1, 1, 2)


def test_a_retired_template_is_no_longer_offered_nor_changed(app, client, register, staff):
    number = register()
    template_id = make_template(app, staff["mihai"])
    sign_in(client, "mihai")
    assert client.post(f"/manage/templates/{template_id}/retire").status_code == 303
    with app.app_context():
        assert db.session.get(AnswerTemplate, template_id).retired_at is not None
        assert fill_for(load(app, number), current_version(app, template_id),
                        officer=db.session.get(User, staff["olga"]), zone="Europe/Chisinau") is None
    response = client.post(f"/manage/templates/{template_id}", data=template_form(body_en="Dear {name}, again."))
    assert response.status_code == 422 and "A retired template cannot be changed." in response.get_data(as_text=True)
    assert counts(app) == (1, 1, 2)


def test_officers_cannot_keep_templates(client, staff):
    sign_in(client, "olga")
    assert client.get("/manage/templates/").status_code == 403
    assert client.post("/manage/templates/new", data=template_form()).status_code == 403


# --- filling in ---------------------------------------------------------------------------


@pytest.mark.parametrize(("language", "name", "expected"), [
    ("ro", "Ana-Maria Ștefănescu-Țurcanu",
     "Ana-Maria Ștefănescu-Țurcanu · {n} · 23.11.2026 · Plăți și retrageri · 23.11.2026 · Olga Officer · Mulțumim, ăâîșț"),
    ("ru", "Анна Сергеевна Иванова",
     "Анна Сергеевна Иванова · {n} · 23.11.2026 · Платежи и вывод средств · 23.11.2026 · Olga Officer · Спасибо"),
    ("uk", "Ганна Іванівна Петренко",
     "Ганна Іванівна Петренко · {n} · 23.11.2026 · Платежі та виведення коштів · 23.11.2026 · Olga Officer · Дякуємо, ґєії"),
    ("en", "Anna Smith", "Anna Smith · {n} · 23 Nov 2026 · Payments and withdrawals · 23 Nov 2026 · Olga Officer · Thank you"),
])
def test_placeholders_are_filled_in_the_complaints_language_with_its_date_style(app, register, staff, language, name,
                                                                               expected):
    number = register(language=language, full_name=name, signature=name)
    closing = {"ro": "Mulțumim, ăâîșț", "ru": "Спасибо", "uk": "Дякуємо, ґєії", "en": "Thank you"}
    body = "{name} · {number} · {received} · {category} · {today} · {officer} · "
    texts = {code: (f"T {code}", body + closing[code]) for code in closing}
    template_id = make_template(app, staff["mihai"], texts=texts)
    with app.app_context(), frozen_clock(T0 + timedelta(hours=3)):
        filled = fill_for(load(app, number), current_version(app, template_id),
                          officer=db.session.get(User, staff["olga"]), zone="Europe/Chisinau")
    assert filled.text == expected.format(n=number)


def test_a_deadline_and_the_redress_are_written_in_the_languages_style(app, register, staff):
    number = register(language="ro")
    act(app, number, ops.take_complaint, by=staff["olga"])
    template_id = make_template(app, staff["mihai"], texts={"ro": ("T", "Până la {first_response_due}; {redress}|")})
    with app.app_context():
        complaint = load(app, number)
        filled = fill_for(complaint, current_version(app, template_id), officer=db.session.get(User, staff["olga"]),
                          zone="Europe/Chisinau")
        assert filled.text == f"Până la {format_deadline(complaint.first_response_due, 'ro', 'Europe/Chisinau')}; |"
        complaint.redress_amount, complaint.redress_currency = 1500, "MDL"
        filled = fill_for(complaint, current_version(app, template_id), officer=db.session.get(User, staff["olga"]),
                          zone="Europe/Chisinau")
        assert filled.text.endswith("; 1.500,00 MDL|")  # Romanian groups thousands with a dot
        db.session.rollback()


def test_templates_are_offered_for_their_category_or_every_category_in_the_complaints_language_only(app, register,
                                                                                                  staff):
    number = register(language="ro", category="payments")
    every = make_template(app, staff["mihai"])
    payments = make_template(app, staff["mihai"], category="payments")
    other = make_template(app, staff["mihai"], category="bonuses")
    english_only = make_template(app, staff["mihai"], texts={"en": ("Only English", "Dear {name}")})
    with app.app_context():
        offered = {v.template_id for v in offered_versions(load(app, number))}
    assert offered == {every, payments}
    assert other not in offered and english_only not in offered


# --- on the case page -----------------------------------------------------------------------


def test_an_officer_inserts_a_template_edits_it_and_the_letter_sent_holds_the_edit_and_its_version(app, client,
                                                                                                  register, staff):
    number = register(language="ro")
    act(app, number, ops.take_complaint, by=staff["olga"])
    template_id = make_template(app, staff["mihai"])
    version_id = current_version(app, template_id)
    sign_in(client, "olga")
    page = client.get(f"/staff/complaints/{slug(number)}").get_data(as_text=True)
    assert "Retragere întârziată" in page and 'data-testid="insert-template-respond"' in page
    with frozen_clock(T0 + timedelta(hours=2)):
        response = client.post(f"/staff/complaints/{slug(number)}/respond/template",
                               data={"answer_template": str(version_id), "respond-body": "old text"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f"Plângerea nr. {number} din 23.11.2026 (Plăți și retrageri)" in page and "Stimată Ana-Maria Ștefănescu-Țurcanu" in page
    assert f'name="respond-template_version" type="hidden" value="{version_id}"' in page
    assert "old text" not in page
    edited = f"Stimată Ana-Maria Ștefănescu-Țurcanu,\nPlângerea nr. {number} a fost examinată; banii au fost virați."
    with frozen_clock(T0 + timedelta(hours=3)):
        response = client.post(f"/staff/complaints/{slug(number)}/respond",
                               data={"respond-body": edited, "respond-template_version": str(version_id)})
    assert response.status_code == 303
    with app.app_context():
        message = db.session.scalar(select(CaseMessage).where(CaseMessage.outgoing_number.is_not(None)))
        assert message.body == edited
        use = db.session.scalar(select(AnswerTemplateUse))
        assert (use.version_id, use.message_id, use.used_by_id) == (version_id, message.id, staff["olga"])
    page = client.get(f"/staff/complaints/{slug(number)}").get_data(as_text=True)
    assert "from the template “Withdrawal delayed”, version 1" in page  # its title in the reader’s language
    # An edit of the template later changes neither the letter sent nor the version it came from.
    with app.app_context():
        revise_template(db.session.get(AnswerTemplate, template_id), category=None,
                        texts={"ro": ("Retragere", "Alt text {number}")}, by=db.session.get(User, staff["mihai"]))
        db.session.commit()
    assert [p["letter"]["body"] for p in private_parts(app, number) if "letter" in p] == [edited]
    with app.app_context():
        assert db.session.scalar(select(AnswerTemplateUse)).version_id == version_id
        assert db.session.scalar(select(CaseMessage).where(CaseMessage.outgoing_number.is_not(None))).body == edited


def test_a_decision_and_a_request_for_information_start_from_a_template_too(app, client, register, staff):
    number = register(language="ro")
    act(app, number, ops.take_complaint, by=staff["olga"])
    version_id = current_version(app, make_template(app, staff["mihai"]))
    sign_in(client, "olga")
    for path, field in (("request-information", "request_information-body"), ("resolve", "resolve-reasons")):
        response = client.post(f"/staff/complaints/{slug(number)}/{path}/template",
                               data={"answer_template": str(version_id)})
        assert response.status_code == 200
        assert f'name="{field}"' in response.get_data(as_text=True)
        assert f"Plângerea nr. {number} din 23.11.2026" in response.get_data(as_text=True)
    response = client.post(f"/staff/complaints/{slug(number)}/request-information",
                           data={"request_information-body": "Trimiteți extrasul, vă rog.",
                                 "request_information-template_version": str(version_id)})
    assert response.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AnswerTemplateUse)) == 1


@pytest.mark.parametrize("chosen", ["", "abc", "999999", "0", "1" * 30])
def test_inserting_no_template_or_one_not_offered_shows_an_error_and_keeps_the_text(app, client, register, staff,
                                                                                   chosen):
    number = register(language="ro")
    act(app, number, ops.take_complaint, by=staff["olga"])
    make_template(app, staff["mihai"])
    sign_in(client, "olga")
    response = client.post(f"/staff/complaints/{slug(number)}/respond/template",
                           data={"answer_template": chosen, "respond-body": "Textul meu"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Choose one of the templates offered for this complaint." in page and "Textul meu" in page


def test_inserting_into_a_form_the_officer_is_not_offered_is_refused(app, client, register, staff):
    number = register(language="ro")  # nobody owns it: nobody may respond yet
    version_id = current_version(app, make_template(app, staff["mihai"]))
    sign_in(client, "olga")
    response = client.post(f"/staff/complaints/{slug(number)}/respond/template", data={"answer_template": str(version_id)})
    assert response.status_code == 422
    assert "Choose one of the templates offered" in response.get_data(as_text=True)


@pytest.mark.parametrize("version", ["999999", "x1"])
def test_a_letter_naming_an_unknown_template_version_is_refused_and_nothing_is_sent(app, client, register, staff,
                                                                                    version):
    number = register(language="ro")
    act(app, number, ops.take_complaint, by=staff["olga"])
    sign_in(client, "olga")
    response = client.post(f"/staff/complaints/{slug(number)}/respond",
                           data={"respond-body": "Răspunsul nostru.", "respond-template_version": version})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "insert it again" in page or "Insert the template again." in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CaseMessage)) == 0
        assert db.session.scalar(select(func.count()).select_from(AnswerTemplateUse)) == 0


# --- usage ----------------------------------------------------------------------------------


def _send_from(app, number: str, version_id: int, by: int, at) -> None:
    def respond(complaint, **kwargs):
        message = ops.respond(complaint, body="Răspuns.", **kwargs)
        record_use(version_id, message, by=kwargs["by"])
        return message

    act(app, number, respond, by=by, at=at)


def test_usage_is_counted_per_template_within_the_period_and_shown_on_the_analysis_page(app, client, register, staff):
    first, second, third = (register(language="ro") for _ in range(3))
    for number in (first, second, third):
        act(app, number, ops.take_complaint, by=staff["olga"])
    a = make_template(app, staff["mihai"])
    b = make_template(app, staff["mihai"], texts={"ro": ("Cerere de documente", "Trimiteți {number}")})
    _send_from(app, first, current_version(app, a), staff["olga"], T0 + timedelta(hours=2))
    with app.app_context():
        revise_template(db.session.get(AnswerTemplate, a), category=None, texts={"ro": ("Retragere", "Nou {number}")},
                        by=db.session.get(User, staff["mihai"]))
        db.session.commit()
    _send_from(app, second, current_version(app, a), staff["olga"], T0 + timedelta(hours=3))
    _send_from(app, third, current_version(app, b), staff["olga"], T0 + timedelta(days=20))
    with app.app_context():
        usage = template_usage(ComplaintFilter())
        assert [(u.template.id, u.letters, u.versions) for u in usage] == [(a, 2, 2), (b, 1, 1)]
        november = template_usage(ComplaintFilter(registered_from=T0, registered_before=T0 + timedelta(days=7)))
        assert [(u.template.id, u.letters) for u in november] == [(a, 2)]
        assert template_usage(ComplaintFilter(category="bonuses")) == []
    sign_in(client, "mihai")
    page = client.get("/manage/analysis/", query_string={"date_from": "2026-11-01", "date_to": "2026-11-30"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-testid="template-usage"' in html
    assert "Retragere" in html and "Cerere de documente" not in html


def test_usage_per_version_is_read_from_the_outcome_rollups_and_equals_a_count(app, register, staff):
    """The letters per version of a period of whole days come from the outcome rollups (a
    trigger on answer_template_uses keeps them; no statement reads the uses), equal the rollups
    recomputed, and equal a count of the uses (a part day at the ends read live); narrowed to a
    category, they are counted live."""
    from sqlalchemy import event

    from app.clock import local_day_start
    from app.manage import outcome_rollup

    numbers = [register(language="ro") for _ in range(3)]
    a = make_template(app, staff["mihai"])
    for day, number in enumerate(numbers):
        act(app, number, ops.take_complaint, by=staff["olga"])
        _send_from(app, number, current_version(app, a), staff["olga"], T0 + timedelta(days=day, hours=2))
    zone = app.config["REGISTRY_TIMEZONE"]
    first = (T0 + timedelta(days=1)).astimezone(__import__("zoneinfo").ZoneInfo(zone)).date()
    whole_days = ComplaintFilter(registered_from=local_day_start(first, zone),
                                 registered_before=local_day_start(first + timedelta(days=5), zone))
    sent: list[str] = []

    def catch(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    with app.app_context():
        rows = sorted(map(tuple, db.session.execute(outcome_rollup.stored_days())))
        assert rows == sorted(map(tuple, db.session.execute(outcome_rollup.recomputed_days())))
        assert any(row[2] == outcome_rollup.TEMPLATE_USED for row in rows)
        event.listen(db.engine, "before_cursor_execute", catch)
        try:
            usage = template_usage(whole_days)
        finally:
            event.remove(db.engine, "before_cursor_execute", catch)
        assert [(u.template.id, u.letters) for u in usage] == [(a, 2)]
        assert sent and not [statement for statement in sent if "FROM answer_template_uses" in statement]
        part_days = ComplaintFilter(registered_from=T0 + timedelta(hours=1), registered_before=T0 + timedelta(days=1, hours=3))
        assert [(u.template.id, u.letters) for u in template_usage(part_days)] == [(a, 2)]
        category = load(app, numbers[0]).category
        assert [(u.template.id, u.letters) for u in template_usage(ComplaintFilter(category=category))] == [(a, 3)]


def test_a_retired_template_still_counts_its_letters(app, register, staff):
    number = register(language="ro")
    act(app, number, ops.take_complaint, by=staff["olga"])
    a = make_template(app, staff["mihai"])
    _send_from(app, number, current_version(app, a), staff["olga"], T0 + timedelta(hours=2))
    with app.app_context():
        retire_template(db.session.get(AnswerTemplate, a), by=db.session.get(User, staff["mihai"]))
        db.session.commit()
        assert [(u.template.id, u.letters) for u in template_usage(ComplaintFilter())] == [(a, 1)]


# --- the audit trail --------------------------------------------------------------------------


def _audit(app) -> list[tuple[str, str | None, str, dict]]:
    with app.app_context():
        rows = db.session.execute(select(AuditEvent.action, AuditEvent.username, AuditEvent.target, AuditEvent.details)
                                  .where(AuditEvent.action.in_([AuditAction.TEMPLATE_CREATED,
                                                                AuditAction.TEMPLATE_REVISED,
                                                                AuditAction.TEMPLATE_RETIRED]))
                                  .order_by(AuditEvent.id)).all()
        return [(action.value, who, target, json.loads(details)) for action, who, target, details in rows]


def test_creating_changing_and_retiring_a_template_are_audited_with_old_and_new_values(app, client, staff):
    sign_in(client, "mihai")
    response = client.post("/manage/templates/new", data=template_form())
    template_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    target = f"answer template {template_id} (Withdrawal delayed)"
    assert _audit(app) == [("template_created", "mihai", target,
                            {"category": None, "version": 1, "languages": ["en", "ro"]})]
    # The category alone: no new version, the category's old and new value.
    client.post(f"/manage/templates/{template_id}", data=template_form(category="payments"))
    # A new title in Romanian, a new text in English, Russian added: version 2.
    client.post(f"/manage/templates/{template_id}", data=template_form(
        category="payments", title_ro="Retragere", body_en="Dear {name}, paid.", title_ru="Вывод",
        body_ru="Уважаемый {name}"))
    # Saved again as it is: nothing changed, nothing audited.
    client.post(f"/manage/templates/{template_id}", data=template_form(
        category="payments", title_ro="Retragere", body_en="Dear {name}, paid.", title_ru="Вывод",
        body_ru="Уважаемый {name}"))
    client.post(f"/manage/templates/{template_id}/retire")
    client.post(f"/manage/templates/{template_id}/retire")  # retired already: nothing new
    assert _audit(app)[1:] == [
        ("template_revised", "mihai", target, {"changes": [{"field": "category", "old": None, "new": "payments"}]}),
        ("template_revised", "mihai", target, {
            "changes": [{"field": "version", "old": 1, "new": 2},
                        {"field": "title_ru", "old": None, "new": "Вывод"},
                        {"field": "title_ro", "old": "Retragere întârziată", "new": "Retragere"}],
            "texts": ["en", "ru"]}),
        ("template_retired", "mihai", target, {"version": 2, "changes": [{"field": "active", "old": True,
                                                                          "new": False}]}),
    ]


def test_a_refused_template_is_not_audited(app, client, staff):
    sign_in(client, "mihai")
    assert client.post("/manage/templates/new", data=template_form(body_en="Dear {nume}")).status_code == 422
    assert _audit(app) == []


@pytest.mark.parametrize(("language", "expected"), [
    ("en", ["Created an answer template", "Category: Every category | Languages: English, Română | Version: 1",
            "Changed an answer template",
            "Category: Every category → Payments and withdrawals | Version: 1 → 2 | Title (Română): Retragere "
            "întârziată → Retragere | Texts changed: Română",
            "Retired an answer template", "Active: yes → no | Version: 2"]),
    ("ro", ["A creat un șablon de răspuns", "Categorie: Toate categoriile | Limbi: English, Română | Versiune: 1",
            "A modificat un șablon de răspuns",
            "Categorie: Toate categoriile → Plăți și retrageri | Versiune: 1 → 2 | Titlu (Română): Retragere "
            "întârziată → Retragere | Texte modificate: Română",
            "A retras un șablon de răspuns", "Activ: da → nu | Versiune: 2"]),
    ("ru", ["Создал шаблон ответа", "Категория: Все категории | Языки: English, Română | Версия: 1",
            "Изменил шаблон ответа",
            "Категория: Все категории → Платежи и вывод средств | Версия: 1 → 2 | Заголовок (Română): Retragere "
            "întârziată → Retragere | Изменённые тексты: Română",
            "Вывел из употребления шаблон ответа", "Активна: да → нет | Версия: 2"]),
    ("uk", ["Створив шаблон відповіді", "Категорія: Усі категорії | Мови: English, Română | Версія: 1",
            "Змінив шаблон відповіді",
            "Категорія: Усі категорії → Платежі та виведення коштів | Версія: 1 → 2 | Заголовок (Română): Retragere "
            "întârziată → Retragere | Змінені тексти: Română",
            "Вивів з ужитку шаблон відповіді", "Активний: так → ні | Версія: 2"]),
])
def test_the_audit_trail_shows_the_template_events_in_the_readers_language(app, client, login, staff, language,
                                                                           expected):
    template_id = make_template(app, staff["mihai"])
    with app.app_context():
        manager = db.session.get(User, staff["mihai"])
        template = db.session.get(AnswerTemplate, template_id)
        revise_template(template, category="payments", texts={
            "en": ("Withdrawal delayed", "Dear {name}, about {number}."), "ro": ("Retragere", "Alt text {number}")},
            by=manager)
        retire_template(template, by=manager)
        db.session.commit()
    login(client, "administrator", "ana", language=language)
    page = client.get("/staff/audit/").get_data(as_text=True)
    rows = re.findall(r"<td>([^<]+)</td><td>answer template [0-9]+ \(Withdrawal delayed\)</td>"
                      r'<td class="details">(.*?)</td>', page, re.S)
    shown = []
    for action, cell in reversed(rows):  # oldest first
        lines = [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", line)).split())
                 for line in re.findall(r"<div>(.*?)</div>", cell, re.S)]
        shown += [action, " | ".join(lines)]
    assert shown == expected


# --- through the staff API ------------------------------------------------------------------


def bearer(app, user_id: int) -> dict[str, str]:
    with app.app_context():
        secret = create_token(db.session.get(User, user_id), "templates").secret
        db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def uses(app) -> list[tuple[int, int, int]]:
    with app.app_context():
        return [(u.version_id, u.message_id, u.used_by_id) for u in db.session.scalars(select(AnswerTemplateUse))]


@pytest.mark.parametrize(("path", "body"), [
    ("responses", {"body": "Stimată doamnă, banii au fost virați."}),
    ("request-information", {"body": "Trimiteți extrasul, vă rog."}),
    ("resolve", {"resolution": "upheld", "reasons": "Retragerea a întârziat; comisionul se restituie."}),
])
def test_a_letter_sent_through_the_api_naming_a_template_version_counts_as_a_use_of_it(app, client, register, staff,
                                                                                      path, body):
    number = register(language="ro")
    act(app, number, ops.take_complaint, by=staff["olga"])
    template_id = make_template(app, staff["mihai"])
    olga = bearer(app, staff["olga"])
    listed = client.get("/api/v1/staff/templates", headers=olga).get_json()["templates"]
    version_id = listed[0]["version_id"]
    assert version_id == current_version(app, template_id)
    with frozen_clock(T0 + timedelta(hours=2)):
        response = client.post(f"/api/v1/staff/complaints/{slug(number)}/{path}", headers=olga,
                               json=body | {"template_version": version_id})
    assert response.status_code in (200, 201), response.get_json()
    with app.app_context():
        letter = db.session.scalar(select(CaseMessage).where(CaseMessage.outgoing_number.is_not(None)))
    assert uses(app) == [(version_id, letter.id, staff["olga"])]
    with app.app_context():
        assert [(u.template.id, u.letters) for u in template_usage(ComplaintFilter())] == [(template_id, 1)]


@pytest.mark.parametrize("path", ["responses", "resolve"])
@pytest.mark.parametrize(("version", "message"), [
    (999_999, "The template this text was started from no longer exists; insert it again."),
    (0, "The template this text was started from no longer exists; insert it again."),
    (-3, "Insert the template again."),
    (10**12, "Insert the template again."),
    ("7", "Must be a whole number."),
    (True, "Must be a whole number."),
    (1.5, "Must be a whole number."),
])
def test_a_letter_through_the_api_naming_a_bad_template_version_is_a_422_at_the_field_and_nothing_is_sent(
        app, client, register, staff, path, version, message):
    number = register(language="ro")
    act(app, number, ops.take_complaint, by=staff["olga"])
    body = {"body": "Răspunsul nostru."} if path == "responses" else {"resolution": "upheld", "reasons": "Motivele noastre."}
    response = client.post(f"/api/v1/staff/complaints/{slug(number)}/{path}", headers=bearer(app, staff["olga"]),
                           json=body | {"template_version": version})
    assert response.status_code == 422
    assert response.get_json() == {"errors": {"template_version": [message]}}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CaseMessage)) == 0
    assert uses(app) == []


def test_the_api_lists_the_active_templates_with_their_current_version_and_placeholders_per_language(app, client,
                                                                                                    staff):
    kept = make_template(app, staff["mihai"], category="payments")
    retired = make_template(app, staff["mihai"], texts={"en": ("Old", "Dear {name}")})
    with app.app_context():
        manager = db.session.get(User, staff["mihai"])
        revise_template(db.session.get(AnswerTemplate, kept), category="payments", texts={
            "en": ("Withdrawal delayed", "Dear {name}, about {number} ({number}) on {today}; {not_a_placeholder"),
            "uk": ("Затримка виведення", "Шановна {name}")}, by=manager)
        retire_template(db.session.get(AnswerTemplate, retired), by=manager)
        db.session.commit()
    response = client.get("/api/v1/staff/templates", headers=bearer(app, staff["olga"]))
    assert response.status_code == 200
    assert response.get_json() == {"templates": [{
        "id": kept, "category": "payments", "version_id": current_version(app, kept), "version": 2,
        "texts": {
            "en": {"title": "Withdrawal delayed",
                   "body": "Dear {name}, about {number} ({number}) on {today}; {not_a_placeholder",
                   "placeholders": ["name", "number", "today"]},
            "uk": {"title": "Затримка виведення", "body": "Шановна {name}", "placeholders": ["name"]},
        },
    }]}
    assert client.get("/api/v1/staff/templates", headers=bearer(app, staff["clerk"])).status_code == 403
    assert client.get("/api/v1/staff/templates").status_code == 401
