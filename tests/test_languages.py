"""Four languages: the complainant's choice carries through the form, the confirmation, the
tracking page, the receipt and the acknowledgement e-mail; staff pages follow the staff
member's own setting; every catalogue translates every message the code asks for."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.pofile import read_po
from pypdf import PdfReader
from sqlalchemy import select

from _cases import T0
from _support import form_data
from app.audit.models import AuditAction, AuditEvent
from app.auth.models import User
from app.clock import frozen_clock
from app.complaints.models import Complaint
from app.dates import format_moment
from app.extensions import db
from app.i18n import page_languages
from app.mail.delivery import deliver_due

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "app" / "translations"
LANGUAGES = ("en", "ru", "ro", "uk")

#: A few strings each page is known to say, per language (written here, not read from the
#: catalogues, so a missing or wrong translation fails).
KNOWN = {
    "en": {
        "form": "File a formal complaint", "confirmation": "Your complaint is registered",
        "tracking": "Correspondence", "status": "Registered, awaiting first response",
        "mail_subject": "Your complaint is registered as {number}", "mail_body": "Hello,",
        "receipt": "Complaint registration receipt", "staff": "Staff desk", "switch": "Language",
    },
    "ru": {
        "form": "Подача официальной жалобы", "confirmation": "Ваша жалоба зарегистрирована",
        "tracking": "Переписка", "status": "Зарегистрирована, ожидает первого ответа",
        "mail_subject": "Ваша жалоба зарегистрирована под номером {number}",
        "mail_body": "Здравствуйте!",
        "receipt": "Квитанция о регистрации жалобы", "staff": "Рабочее место сотрудника", "switch": "Язык",
    },
    "ro": {
        "form": "Depunerea unei reclamații oficiale", "confirmation": "Reclamația dumneavoastră este înregistrată",
        "tracking": "Corespondență", "status": "Înregistrată, așteaptă primul răspuns",
        "mail_subject": "Reclamația dumneavoastră este înregistrată cu numărul {number}",
        "mail_body": "Bună ziua,",
        "receipt": "Recipisă de înregistrare a reclamației", "staff": "Ghișeul personalului", "switch": "Limbă",
    },
    "uk": {
        "form": "Подання офіційної скарги", "confirmation": "Вашу скаргу зареєстровано",
        "tracking": "Листування", "status": "Зареєстрована, очікує першої відповіді",
        "mail_subject": "Вашу скаргу зареєстровано під номером {number}",
        "mail_body": "Доброго дня!",
        "receipt": "Квитанція про реєстрацію скарги", "staff": "Робоче місце працівника", "switch": "Мова",
    },
}

NAMES = {"en": "Jane Mary Doe", "ru": "Пётр Ильич Щукин", "ro": "Ana-Maria Ștefănescu-Țurcanu",
         "uk": "Олена Миколаївна Коваленко"}


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)


def _token(page: str) -> str:
    return re.search(r'name="submission_token" type="hidden" value="([^"]+)"', page).group(1)


def _h1(page: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S).group(1)).split())


def _plain(text: str) -> str:
    """Spaces of every width as one plain space (PDF text and CLDR's narrow no-break spaces)."""
    return " ".join(text.replace("\u202f", " ").replace("\u00a0", " ").split())


def _pdf_text(data: bytes) -> str:
    return _plain(" ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages))


def test_all_four_languages_have_a_compiled_catalogue(app):
    with app.test_request_context():
        assert page_languages() == list(LANGUAGES), "compile the catalogues: make setup (pybabel compile)"


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_complainant_goes_through_the_whole_journey_in_their_language(make_app, language, tmp_path):
    app = make_app(WTF_CSRF_ENABLED=True, MAIL_TRANSPORT="outbox", MAIL_OUTBOX_DIR=str(tmp_path / "outbox"))
    zone = ZoneInfo(app.config["REGISTRY_TIMEZONE"])
    known = KNOWN[language]
    client = app.test_client()
    # A browser that prefers another language: the visitor's own choice wins over it.
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "de-DE,de;q=0.9" if language == "en" else "en-GB,en;q=0.9"

    # 1. Choose the language with the switcher (a plain form with a CSRF token).
    first = client.get("/").get_data(as_text=True)
    switched = client.post("/language", data={"csrf_token": _csrf(first), "language": language, "next": "/"})
    assert switched.status_code == 303 and switched.headers["Location"] == "/"
    form_page = client.get("/").get_data(as_text=True)
    assert f'<html lang="{language}">' in form_page
    assert _h1(form_page) == known["form"]
    assert f'<option selected value="{language}">' in form_page  # the preferred language is preset

    # 2. File the complaint.
    data = form_data(language=language, full_name=NAMES[language], signature=NAMES[language])
    data |= {"csrf_token": _csrf(form_page), "submission_token": _token(form_page)}
    with frozen_clock(T0):
        filed = client.post("/complaints/new", data=data)
    assert filed.status_code == 303, filed.get_data(as_text=True)
    with app.app_context():
        complaint = db.session.scalar(select(Complaint))
        assert complaint.language == language
        number, registered_at, due = complaint.number, complaint.registered_at, complaint.first_response_due

    # 3. The confirmation page, with its dates written the language's way.
    confirmation = client.get(filed.headers["Location"]).get_data(as_text=True)
    assert known["confirmation"] in confirmation
    assert format_moment(registered_at, language, zone) in confirmation
    assert format_moment(due, language, zone) in confirmation
    tracking_link = re.search(r'href="([^"]+)" data-testid="tracking-link"', confirmation).group(1)
    receipt_link = re.search(r'href="([^"]+)" download data-testid="receipt-link"', confirmation).group(1)

    # 4. The tracking page, opened from the e-mail in a fresh browser that prefers English:
    #    it speaks the complaint's language.
    stranger = app.test_client()
    stranger.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en-GB,en;q=0.9"
    tracking = stranger.get(tracking_link.replace("&amp;", "&")).get_data(as_text=True)
    assert f'<html lang="{language}">' in tracking
    assert known["tracking"] in tracking and known["status"] in tracking
    assert format_moment(due, language, zone) in tracking

    # 5. The receipt PDF.
    receipt = client.get(receipt_link.replace("&amp;", "&"))
    assert receipt.status_code == 200 and receipt.mimetype == "application/pdf"
    text = _pdf_text(receipt.data)
    wording = json.loads((ROOT / "pdf_templates" / "receipt" / f"{language}.json").read_text(encoding="utf-8"))
    assert known["receipt"] == wording["title"] and known["receipt"] in text
    assert number in text and NAMES[language] in text
    assert _plain(format_moment(registered_at, language, zone)) in text

    # 6. The acknowledgement e-mail.
    with app.app_context(), frozen_clock(T0):
        assert deliver_due().sent == 1
    [eml] = (tmp_path / "outbox").glob("*.eml")
    mail = message_from_bytes(eml.read_bytes(), policy=default_policy)
    assert mail["Content-Language"] == language
    assert mail["Subject"] == known["mail_subject"].format(number=number)
    body = mail.get_body(("plain",)).get_content()
    assert known["mail_body"].format(name=NAMES[language]) in body
    assert format_moment(registered_at, language, zone) in body


def test_a_visitor_who_switches_language_sees_the_tracking_page_in_their_choice(make_app, register):
    app = make_app()
    number = register(language="ru")
    with app.app_context():
        complaint = db.session.scalar(select(Complaint).where(Complaint.number == number))
        link = f"/track/{complaint.slug}?code={complaint.access_code}"
    client = app.test_client()
    assert '<html lang="ru">' in client.get(link).get_data(as_text=True)
    client.post("/language", data={"language": "ro", "next": link})
    page = client.get(link).get_data(as_text=True)
    assert '<html lang="ro">' in page and KNOWN["ro"]["tracking"] in page


def test_the_switcher_only_offers_and_accepts_the_four_languages_and_stays_on_the_site(client):
    assert client.post("/language", data={"language": "de", "next": "/"}).status_code == 400
    away = client.post("/language", data={"language": "uk", "next": "https://evil.example/"})
    assert away.status_code == 303 and away.headers["Location"] == "/complaints/new"
    page = client.get("/track").get_data(as_text=True)  # the form page's own: test_language_switch.py
    switcher = re.search(r'<form method="post" action="/language".*?</form>', page, re.S).group(0)
    assert re.findall(r'name="language" value="(\w+)"', switcher) == list(LANGUAGES)
    assert "<script" not in switcher and "onclick" not in switcher


def _language_events(app) -> list[tuple[int, dict]]:
    with app.app_context():
        return [(e.user_id, json.loads(e.details)) for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == AuditAction.OWN_SETTINGS_CHANGED).order_by(AuditEvent.id))]


def _sign_in(client, username: str = "olga") -> None:
    assert client.post("/staff/login", data={"username": username, "password": "correct horse 1"}).status_code == 302


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_language_chosen_on_the_sign_in_page_becomes_the_staff_members_own_and_is_audited(
    make_app, make_user, language
):
    app = make_app()
    saved = "ro" if language != "ro" else "uk"
    user_id = make_user("olga", "officer", tier=1, language=saved)
    client = app.test_client()
    client.post("/language", data={"language": language, "next": "/staff/login"})  # the switcher on the page
    assert f'<html lang="{language}">' in client.get("/staff/login").get_data(as_text=True)
    _sign_in(client)
    home = client.get("/staff/").get_data(as_text=True)
    assert f'<html lang="{language}">' in home and _h1(home) == KNOWN[language]["staff"]
    assert 'data-testid="staff-language-switch"' in home and 'data-testid="language-switch"' not in home
    with app.app_context():
        assert db.session.get(User, user_id).language == language
    assert _language_events(app) == [(user_id, {"language": {"from": saved, "to": language}})]
    assert f'<html lang="{language}">' in client.get("/").get_data(as_text=True)  # public pages keep the choice


def test_without_a_choice_on_the_sign_in_page_staff_pages_keep_the_saved_language(make_app, make_user):
    app = make_app()
    make_user("olga", "officer", tier=1, language="uk")
    client = app.test_client()
    browser = {"Accept-Language": "ro"}
    assert '<html lang="ro">' in client.get("/staff/login", headers=browser).get_data(as_text=True)  # a guess ...
    response = client.post("/staff/login", data={"username": "olga", "password": "correct horse 1"}, headers=browser)
    assert response.status_code == 302
    home = client.get("/staff/").get_data(as_text=True)
    assert '<html lang="uk">' in home  # ... is no choice: her own language stays
    assert _language_events(app) == []


def test_signing_out_forgets_the_choice_so_the_next_person_keeps_their_language(make_app, make_user):
    app = make_app()
    make_user("olga", "officer", tier=1, language="en")
    make_user("petru", "officer", tier=1, language="ru")
    client = app.test_client()
    client.post("/language", data={"language": "ro", "next": "/staff/login"})
    _sign_in(client, "olga")
    assert client.post("/staff/logout").status_code == 302
    _sign_in(client, "petru")
    assert '<html lang="ru">' in client.get("/staff/").get_data(as_text=True)
    with app.app_context():
        languages = dict(db.session.execute(select(User.username, User.language)).all())
    assert languages == {"olga": "ro", "petru": "ru"}


def test_the_staff_frame_switches_my_language_audited_and_returns_to_the_same_page(make_app, make_user):
    app = make_app()
    user_id = make_user("olga", "officer", tier=1, language="en")
    client = app.test_client()
    _sign_in(client)
    queue = client.get("/staff/queue?show=mine").get_data(as_text=True)
    switch = re.search(r'<form [^>]*data-testid="staff-language-switch".*?</form>', queue, re.S).group(0)
    assert 'action="/staff/language"' in switch and 'name="next" value="/staff/queue?show=mine"' in switch
    assert re.findall(r'name="language" value="(\w+)"', switch) == list(LANGUAGES)
    assert "<script" not in switch
    answer = client.post("/staff/language", data={"language": "ru", "next": "/staff/queue?show=mine"})
    assert answer.status_code == 303 and answer.headers["Location"] == "/staff/queue?show=mine"
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert '<html lang="ru">' in page and '<option selected value="mine">Мои</option>' in page
    assert _language_events(app) == [(user_id, {"language": {"from": "en", "to": "ru"}})]
    assert client.post("/staff/language", data={"language": "xx", "next": "/staff/"}).status_code == 400
    elsewhere = client.post("/staff/language", data={"language": "ru", "next": "https://example.com/"})
    assert elsewhere.headers["Location"] == "/staff/"  # never off the site; no change, no second event
    assert len(_language_events(app)) == 1
    assert app.test_client().post("/staff/language", data={"language": "ro"}).status_code == 302  # signed out


def test_a_staff_member_changes_their_language_in_my_settings_and_it_is_audited(make_app, make_user):
    app = make_app()
    user_id = make_user("olga", "officer", tier=1, language="en")
    client = app.test_client()
    client.post("/staff/login", data={"username": "olga", "password": "correct horse 1"})
    assert client.get("/staff/settings").status_code == 200

    refused = client.post("/staff/settings", data={"language": "xx"})
    assert refused.status_code == 422 and "Not a valid choice" in refused.get_data(as_text=True)

    saved = client.post("/staff/settings", data={"language": "uk"})
    assert saved.status_code == 303
    page = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert '<html lang="uk">' in page and "Ваші налаштування збережено." in page
    with app.app_context():
        assert db.session.get(User, user_id).language == "uk"
        [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == AuditAction.OWN_SETTINGS_CHANGED))
        assert event.user_id == user_id and json.loads(event.details) == {"language": {"from": "en", "to": "uk"}}

    client.post("/staff/settings", data={"language": "uk"})  # no change: no second event
    with app.app_context():
        assert len(db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == AuditAction.OWN_SETTINGS_CHANGED)).all()) == 1


@pytest.mark.parametrize(("language", "expected"), [
    ("en", ["Attach at most 1 file.", "Attach at most 3 files.", "Attach at most 5 files.", "Attach at most 21 files."]),
    ("ru", ["Приложите не более 1 файла.", "Приложите не более 3 файлов.", "Приложите не более 5 файлов.",
            "Приложите не более 21 файла."]),
    ("ro", ["Atașați cel mult 1 fișier.", "Atașați cel mult 3 fișiere.", "Atașați cel mult 5 fișiere.",
            "Atașați cel mult 21 de fișiere."]),
    ("uk", ["Додайте не більше 1 файлу.", "Додайте не більше 3 файлів.", "Додайте не більше 5 файлів.",
            "Додайте не більше 21 файлу."]),
])
def test_counted_messages_take_the_languages_plural_forms(app, language, expected):
    from flask_babel import force_locale, ngettext

    with app.test_request_context(), force_locale(language):
        assert [ngettext("Attach at most %(num)d file.", "Attach at most %(num)d files.", n)
                for n in (1, 3, 5, 21)] == expected


def test_numbers_on_pages_are_written_the_page_languages_way(app):
    from flask import render_template_string
    from flask_babel import force_locale

    with app.test_request_context():
        written = {}
        for language in LANGUAGES:
            with force_locale(language):
                written[language] = render_template_string("{{ 1234567.5|number('#,##0.0') }}")
    assert written["en"] == "1,234,567.5"
    assert written["ro"] == "1.234.567,5"
    assert written["ru"].replace("\u00a0", " ") == "1 234 567,5"
    assert written["uk"].replace("\u00a0", " ") == "1 234 567,5"


def test_every_number_is_written_as_babel_writes_it_in_each_language(app):
    """`number` writes small whole numbers itself (the dashboard shows hundreds a page): the same
    text as Babel's for each of them and around every edge, in every language."""
    from decimal import Decimal

    from flask_babel import force_locale, format_decimal
    from flask_babel import gettext as _
    from markupsafe import Markup

    from app.i18n import format_figure, format_number

    values = [*range(-3, 1003), 9_999, 10_000, 123_456, 1_234_567, -1_000, 0.5, 999.5, 1000.0, Decimal("12.30")]
    with app.test_request_context():
        for language in LANGUAGES:
            with force_locale(language):
                assert [format_number(v) for v in values] == [format_decimal(v) for v in values], language
                assert format_number(True) is True and format_number("12") == "12"
                assert format_figure(7) == "7" and format_figure(4.5, "0.00") == format_decimal(4.5, "0.00")
                assert format_figure(None) == Markup('<span class="muted">%s</span>') % _("no data")


# The catalogues ---------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdif]|%%|\{\w+\}")


def _placeholders(text: str) -> list[str]:
    return sorted(_PLACEHOLDER.findall(text))


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> set:
    """Every message the code and templates ask for, extracted afresh (as `make translations` does)."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
         "-k", "lazy_gettext", "-k", "_l", "-k", "lazy_ngettext:1,2", "-o", str(pot), "."],
        cwd=ROOT, check=True, capture_output=True,
    )
    with pot.open("rb") as handle:
        return {message.id for message in read_po(handle) if message.id}


@pytest.mark.parametrize("language", [code for code in LANGUAGES if code != "en"])
def test_every_catalogue_translates_every_message_completely(language, extracted):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalogue = read_po(handle)
    assert catalogue.num_plurals == 3, catalogue.plural_forms
    messages = {message.id: message for message in catalogue if message.id}
    missing = sorted(str(key) for key in extracted - set(messages))
    assert not missing, f"not in the {language} catalogue (run `make translations`, then translate): {missing}"
    problems = []
    for key in extracted:
        message = messages[key]
        singular, plural = key if isinstance(key, tuple) else (key, key)
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            problems.append(f"fuzzy: {singular!r}")
        if len(forms) != (3 if isinstance(key, tuple) else 1) or not all(form.strip() for form in forms):
            problems.append(f"untranslated: {singular!r}")
            continue
        for form in forms:
            if _placeholders(form) != _placeholders(plural):
                problems.append(f"placeholders differ: {singular!r} -> {form!r}")
    assert not problems, "\n".join(problems)


def test_romanian_is_written_with_comma_below_letters():
    text = (TRANSLATIONS / "ro" / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")
    assert not set("şţŞŢ") & set(text), "use ș ț (comma below), not ş ţ (cedilla)"
    assert "ș" in text and "ț" in text and "ă" in text and "î" in text and "â" in text


def test_ukrainian_is_not_russian():
    def strings(language: str) -> list[str]:
        with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
            return [m.string for m in read_po(handle) if m.id and isinstance(m.string, str)]

    ukrainian, russian = strings("uk"), strings("ru")
    same = sum(1 for u, r in zip(ukrainian, russian, strict=True) if u == r and re.search(r"[а-яіїєґ]{4}", u))
    assert same < len(ukrainian) // 20
    assert not set("ыэъё") & set("".join(ukrainian))
    assert set("іїєґ") <= set("".join(ukrainian))


def test_an_account_made_on_the_command_line_can_start_in_a_language(app, runner):
    made = runner.invoke(args=["users", "create", "--username", "ion", "--role", "officer", "--tier", "1",
                               "--language", "ro", "--password", "long enough pass"])
    assert made.exit_code == 0, made.output
    refused = runner.invoke(args=["users", "create", "--username", "max", "--role", "clerk",
                                  "--language", "de", "--password", "long enough pass"])
    assert refused.exit_code != 0 and "--language" in refused.output
    with app.app_context():
        assert db.session.scalar(select(User.language).where(User.username == "ion")) == "ro"
        assert db.session.scalar(select(User.id).where(User.username == "max")) is None
