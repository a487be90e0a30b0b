"""An error page wears the frame of the part of the site it is in: under a staff address the staff
menu and a way back to the staff desk, elsewhere the public header and the complaint form."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from app.urls import is_staff_path

STAFF_MENU = 'data-testid="menu"'
BACK_TO_DESK = '<a href="/staff/">Back to the staff desk</a>'
BACK_TO_FORM = "Back to the complaint form"


def test_a_clerk_refused_a_managers_page_gets_the_staff_frame_and_the_way_back_to_the_desk(
    client: FlaskClient, login: Callable[..., FlaskClient]
) -> None:
    login(client, "clerk")
    response = client.get("/manage/")
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert '<body class="staff">' in page
    assert STAFF_MENU in page and "Sign out" in page
    assert "Your account may not open this page." in page
    assert BACK_TO_DESK in page
    assert BACK_TO_FORM not in page


@pytest.mark.parametrize("path", ["/staff/complaints/2026-999999", "/admin/no-such-page", "/manage/nothing"])
def test_a_missing_staff_page_says_so_in_the_staff_frame(
    client: FlaskClient, login: Callable[..., FlaskClient], path: str
) -> None:
    login(client, "administrator")
    response = client.get(path)
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert STAFF_MENU in page and BACK_TO_DESK in page
    assert "There is no page or complaint at this address." in page
    assert "access code" not in page and BACK_TO_FORM not in page


def test_a_stranger_at_a_missing_staff_address_is_offered_the_staff_sign_in(client: FlaskClient) -> None:
    response = client.get("/staff/no-such-page")
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert '<body class="staff">' in page and STAFF_MENU not in page
    assert '<a href="/staff/login">Staff sign-in</a>' in page
    assert BACK_TO_FORM not in page


def test_a_missing_public_page_keeps_the_public_frame_and_the_complaint_form(client: FlaskClient) -> None:
    response = client.get("/track/2026-999999?code=ABCD-EFGH-JKLM")
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert '<body class="public">' in page and STAFF_MENU not in page
    assert "the number and access code do not match" in page
    assert BACK_TO_FORM in page and "Back to the staff desk" not in page


def test_the_refusal_is_in_the_staff_members_own_language(
    client: FlaskClient, login: Callable[..., FlaskClient]
) -> None:
    login(client, "clerk", language="ro")
    page = client.get("/manage/").get_data(as_text=True)
    assert "Înapoi la ghișeul personalului" in page
    assert ">Meniu</summary>" in page


@pytest.mark.parametrize(("path", "staff"), [
    ("/staff", True), ("/staff/", True), ("/staff/queue", True), ("/manage/", True), ("/admin", True),
    ("/admin/tiers", True), ("/", False), ("/track/2026-000001", False), ("/verify", False),
    ("/staffing", False), ("/administration", False), ("/api/v1/staff/complaints", False),
])
def test_staff_addresses_are_told_from_public_ones(path: str, staff: bool) -> None:
    assert is_staff_path(path) is staff
