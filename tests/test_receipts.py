"""The receipt as a complainant downloads it: rendered from the stored record."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import pytest
from pypdf import PdfReader

from _support import valid_payload


def _download(client, url: str, **params: str):
    parts = urlsplit(url)
    query = parts.query + "".join(f"&{k}={v}" for k, v in params.items())
    return client.get(f"{parts.path}?{query}")


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    return reader.pages[0].extract_text()


@pytest.mark.parametrize(
    ("name", "language", "title"),
    [
        ("Анна Сергеевна Иванова", "ru", "Квитанция о регистрации жалобы"),
        ("Олександр Євгенович Ґудзь", "uk", "Квитанція про реєстрацію скарги"),
        ("Ana-Maria Ștefănescu-Țurcanu", "ro", "Recipisă de înregistrare a reclamației"),
        ("John O'Neill", "en", "Complaint registration receipt"),
    ],
)
def test_the_receipt_holds_the_number_twice_the_exact_name_and_the_fingerprint(client, name, language, title):
    body = client.post(
        "/api/v1/complaints", json=valid_payload(full_name=name, signature=name, language=language)
    ).get_json()
    response = _download(client, body["receipt_url"])
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("inline; filename=\"receipt-")
    text = _text(response.data)
    assert text.count(body["number"]) >= 2  # one per copy, plus the stamp
    assert name in text
    assert body["fingerprint"] in text
    assert title in text


def test_every_download_of_a_receipt_is_the_same_document(client):
    body = client.post("/api/v1/complaints", json=valid_payload()).get_json()
    first = _download(client, body["receipt_url"]).data
    second = _download(client, body["receipt_url"]).data
    assert first == second


def test_the_receipt_can_be_printed_in_another_language(client):
    body = client.post("/api/v1/complaints", json=valid_payload(language="ro")).get_json()
    text = _text(_download(client, body["receipt_url"], lang="ru").data)
    assert "Квитанция о регистрации жалобы" in text
    assert "Ana-Maria Ștefănescu-Țurcanu" in text


def test_the_receipts_qr_target_verifies_the_record(client):
    body = client.post("/api/v1/complaints", json=valid_payload()).get_json()
    slug = body["number"].replace("/", "-")
    fingerprint = body["fingerprint"]
    page = client.get(f"/verify?number={slug}&fingerprint={fingerprint}").get_data(as_text=True)
    assert "Genuine." in page
    text = "".join(_text(_download(client, body["receipt_url"]).data).split())
    assert f"/verify?number={slug}&fingerprint={fingerprint}" in text  # the printed verify URL, which is also the QR code's target
