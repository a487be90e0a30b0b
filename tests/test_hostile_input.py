"""Issue 14: each request that used to answer 500 now answers a 4xx, named one by one (the
fuzz over every route is tests/test_fuzz_routes.py), and a 500 logs no values."""

from __future__ import annotations

import logging
import re

import pytest
from flask import request
from sqlalchemy import select

from _support import valid_payload
from app.auth.models import User
from app.auth.tokens import create_token
from app.database import commit_with_retry
from app.extensions import db
from app.forms import AppForm
from app.text import ascii_integer, has_bidi_controls

# --- NUL and other control characters: the input guard's 400 ---------------------------------


@pytest.mark.parametrize("url", [
    "/track/%00?code=x",
    "/track?number=a%00b&code=abcd",
    "/complaints/%00/receipt.pdf?code=x",
    "/complaints/%00/confirmation?code=x",
    "/verify?number=%00&fingerprint=0000000000000000",
    "/track?number=a%07b&code=abcd",  # another C0 control
    "/track?number=a%C2%85b&code=abcd",  # C1 (NEL)
    "/track?number=%ED%A0%80&code=abcd",  # a lone surrogate, percent-encoded
    "/track?number=%FF&code=abcd",  # not UTF-8 at all
])
def test_a_nul_or_control_character_in_a_public_look_up_is_a_400_page(client, url):
    response = client.get(url)
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "not allowed" in response.get_data(as_text=True)


def test_a_nul_in_the_query_string_is_named_in_the_message(client):
    response = client.get("/track?number=a%00b&code=abcd")
    assert "“number”" in response.get_data(as_text=True)


def test_a_nul_in_an_api_look_up_is_a_400_in_the_apis_error_shape(client):
    response = client.get("/api/v1/complaints/%00?code=x")
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "Bad Request" and "not allowed" in body["message"]


def test_a_nul_in_the_sign_in_forms_username_is_a_400(client):
    response = client.post("/staff/login", data={"username": "adm\x00in", "password": "x"})
    assert response.status_code == 400
    assert "“username”" in response.get_data(as_text=True)


def test_line_breaks_and_tabs_are_kept_in_form_text(client):
    from _support import form_data

    response = client.post("/complaints/new", data=form_data(description="Line one\r\nLine\ttwo, and more."))
    assert response.status_code == 303


# --- JSON --------------------------------------------------------------------------------------


def test_a_lone_surrogate_in_a_json_string_is_a_400_naming_the_field(client):
    body = b'{"full_name": "Ion \\ud800 Popescu"}'
    response = client.post("/api/v1/complaints", data=body, content_type="application/json")
    assert response.status_code == 400
    assert "full_name" in response.get_json()["message"]


def test_a_nul_deep_inside_json_is_a_400(client):
    response = client.post("/api/v1/complaints", json=valid_payload(extra={"a": [{"b": "x\x00"}]}))
    assert response.status_code == 400
    assert "extra.a[0].b" in response.get_json()["message"]


@pytest.mark.parametrize("body", [
    b"[" * 100_000,  # deep enough to exhaust Python's recursion
    b"[" * 40 + b"]" * 40,  # parses, but deeper than any document of ours
    b'{"full_name": "\xff"}',  # not UTF-8
    b'{"full_name": ',  # cut short
])
def test_json_that_does_not_parse_or_nests_too_deep_is_a_400(client, body):
    response = client.post("/api/v1/complaints", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"] == "Bad Request"


def test_a_valid_complaint_still_registers_through_the_api(client):
    assert client.post("/api/v1/complaints", json=valid_payload()).status_code == 201


# --- Bidirectional controls in names and subjects ------------------------------------------------


@pytest.mark.parametrize("field", ["full_name", "subject", "signature"])
def test_bidirectional_controls_in_a_name_or_subject_are_refused_at_the_field(client, field):
    value = "Ion \u202ePopescu" if field != "subject" else "Refund \u2066of 500 MDL\u2069"
    changes = {field: value} | ({"signature": value} if field == "full_name" else {})
    response = client.post("/api/v1/complaints", json=valid_payload(**changes))
    assert response.status_code == 422
    assert "text-direction" in response.get_json()["errors"][field][0]


def test_bidi_controls_and_ascii_integers():
    assert has_bidi_controls("a\u200fb") and not has_bidi_controls("Ștefan")
    assert [ascii_integer(t) for t in ("12", " 7 ", "", " ", "²", "٣", "1_000", "9" * 20)] == [
        12, 7, None, None, None, None, None, None]
    assert ascii_integer(str(2**63)) is None and ascii_integer(str(2**63 - 1)) == 2**63 - 1


# --- Staff-side filters: values a select, number or date field cannot convert ----------------------


@pytest.fixture
def admin(client, login):
    return login(client, "administrator", username="root", tier=3)


@pytest.mark.parametrize("url", [
    "/staff/registry?status=%20",
    "/staff/registry?channel=%20",
    "/staff/registry?category=%20",
    "/staff/registry?year=%C2%B2",
    "/staff/registry?date_from=9999-12-31",
    "/staff/registry?date_to=9999-12-31",
    "/staff/registry?date_from=0001-01-01",
    "/staff/queue?tier=%20",
    "/staff/queue?due=%20",
    "/staff/queue?show=%20",
    "/manage/?tier=%20",
    "/manage/?channel=%20",
    "/manage/?date_to=9999-12-31",
    "/manage/analysis/?tier=%20",
    "/manage/analysis/?date_from=0001-01-01",
    "/staff/audit/?action=%20",
    "/staff/audit/?before=12345678901234567890",
    "/staff/audit/?before=%C2%B2",
    "/staff/audit/?date_to=9999-12-31",
    "/staff/registry?name=" + "x" * 100_000,
])
def test_a_filter_value_that_cannot_be_converted_is_a_400_with_the_field_message(admin, url):
    assert admin.get(url).status_code == 400


@pytest.mark.parametrize("url", [
    "/staff/registry/export.csv?status=%20",
    "/staff/registry/export.pdf?date_to=9999-12-31",
    "/manage/summary.csv?tier=%20",
    "/manage/reports/dashboard.xlsx?channel=%20",
])
def test_an_export_with_a_filter_that_cannot_be_converted_goes_back_to_its_page(admin, url):
    assert admin.get(url).status_code == 302


def test_the_staff_api_refuses_a_blank_filter_and_a_non_ascii_limit(app, client, login):
    login(client, "administrator", username="root", tier=3)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "root"))
        bearer = {"Authorization": f"Bearer {commit_with_retry(lambda: create_token(user, 'test').secret)}"}
    response = client.get("/api/v1/staff/complaints?tier=%20&limit=%C2%B2", headers=bearer)
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"tier", "limit"}


def test_revoking_a_token_by_a_20_digit_id_is_refused(admin):
    response = admin.post("/staff/tokens/revoke", data={"token_id": "12345678901234567890"})
    assert response.status_code in (302, 303, 400)


def test_the_form_base_refuses_blanks_superscripts_huge_numbers_and_far_dates(app):
    from werkzeug.datastructures import MultiDict
    from wtforms import DateField, IntegerField, SelectField
    from wtforms.validators import Optional

    class Filter(AppForm):
        class Meta:
            csrf = False

        choice = SelectField(validators=[Optional()], validate_choice=True)
        number = IntegerField(validators=[Optional()])
        day = DateField(validators=[Optional()])

        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)
            self.choice.choices = [("", "Any"), ("a", "A")]

    with app.test_request_context():
        for data, field in [({"choice": " "}, "choice"), ({"number": "²"}, "number"), ({"number": " "}, "number"),
                            ({"number": "9" * 20}, "number"), ({"day": "9999-12-31"}, "day"),
                            ({"day": "0001-01-01"}, "day"), ({"day": " "}, "day")]:
            form = Filter(MultiDict(data))
            assert not form.validate() and list(form.errors) == [field], data
        assert Filter(MultiDict({"choice": "a", "number": "42", "day": "2026-11-30"})).validate()
        assert Filter(MultiDict({})).validate()


# --- Logs ----------------------------------------------------------------------------------------


def test_the_engine_never_puts_statement_parameters_in_errors(app):
    with app.app_context():
        assert db.engine.hide_parameters


def test_an_unhandled_exception_is_logged_by_type_and_route_without_its_message(make_app, caplog):
    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.get("/boom/<int:n>")
    def boom(n: int) -> str:
        raise ValueError(f"secret complainant text {request.args['name']}")

    with caplog.at_level(logging.ERROR):
        response = app.test_client().get("/boom/1?name=Ion-Popescu")
    assert response.status_code == 500
    logged = "\n".join(record.getMessage() + str(record.exc_info) for record in caplog.records)
    assert "ValueError" in logged and "/boom/<int:n>" in logged and "in boom" in logged
    assert "secret complainant text" not in logged and "Ion-Popescu" not in logged


@pytest.mark.parametrize("url", [
    "/track/2026-000001/letters/12345678901234567890.pdf?code=x",
    "/track/2026-000001/letters/%D9%A3.pdf?code=x",  # an Arabic-Indic three
])
def test_an_id_in_the_path_beyond_64_bits_or_not_in_ascii_digits_is_a_404(client, url):
    assert client.get(url).status_code == 404


def test_a_row_id_in_the_path_past_32_bits_is_a_404_on_every_route(app, admin):
    """Ids are INTEGER columns (32-bit on PostgreSQL): one past the largest never reaches the
    database, whose driver would overflow (a 500), on any route that takes one."""
    from app.input_guard import RowIdConverter

    checked = 0
    for rule in app.url_map.iter_rules():
        if not any(isinstance(c, RowIdConverter) for c in rule._converters.values()):
            continue
        url = re.sub(r"<int:[a-z_]+>", "2147483648", rule.rule)
        url = re.sub(r"<path:[a-z_]+>", "2026-000001", url)
        assert "<" not in url, rule.rule
        method = "GET" if "GET" in rule.methods else "POST"
        response = admin.open(url, method=method)
        assert response.status_code == 404, (method, url, response.status_code)
        assert admin.open(url.replace("2147483648", "2147483647"), method=method).status_code < 500, url
        checked += 1
    assert checked >= 20


def test_a_mail_that_cannot_be_composed_is_logged_without_the_error_message(app, caplog, monkeypatch):
    from app.mail import delivery
    from app.mail.delivery import deliver_due
    from app.notifications.models import Audience, Notification, NotificationKind
    from app.notifications.queue import notification_row, queue_rows

    client = app.test_client()
    client.post("/api/v1/complaints", json=valid_payload())
    with app.app_context():
        complaint_id = db.session.scalar(db.select(db.func.min(Notification.complaint_id)))
        queue_rows([notification_row(NotificationKind.STATUS_CHANGED, complaint_id, Audience.COMPLAINANT,
                                     params={"status": "in_progress"})])
        db.session.commit()

    def broken(notification):
        raise ValueError("secret complainant text Ion-Popescu")

    monkeypatch.setattr(delivery, "compose", broken)
    with caplog.at_level(logging.ERROR), app.app_context():
        deliver_due()
    logged = "\n".join(record.getMessage() + str(record.exc_info) for record in caplog.records)
    assert "could not compose it: ValueError" in logged and "in broken" in logged
    assert "Ion-Popescu" not in logged
