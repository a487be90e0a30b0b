"""The signed, hash-chained registry: `flask registry verify` catches every kind of tampering."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from _support import valid_payload
from app import create_app
from app.extensions import db
from app.registry.signing import RegistryKeyMissing
from config import ProductionConfig


def _file(client, n: int) -> list[dict]:
    return [
        client.post("/api/v1/complaints", json=valid_payload(subject=f"Complaint number {i}")).get_json()
        for i in range(1, n + 1)
    ]


def _sql(app, *statements: str) -> None:
    with app.app_context():
        for statement in statements:
            db.session.execute(text(statement))
        db.session.commit()


def test_an_untouched_registry_verifies(client, runner):
    _file(client, 3)
    result = runner.invoke(args=["registry", "verify"])
    assert result.exit_code == 0, result.output
    assert "OK: 3 entries verified" in result.output


def test_an_empty_registry_verifies(runner):
    result = runner.invoke(args=["registry", "verify"])
    assert result.exit_code == 0, result.output


TAMPERING = {
    "a complaint's text edited": (
        ["UPDATE complaints SET description = 'Nothing happened, really.' WHERE seq = 2"],
        "complaint {n2}: altered: the stored complainant's data or text differs from the signed record",
    ),
    "a complaint's name edited": (
        ["UPDATE complaints SET full_name = 'Ana-Maria Stefanescu-Turcanu' WHERE seq = 1"],
        "complaint {n1}: altered",
    ),
    "a signed entry's payload edited": (
        ["UPDATE registry_entries SET payload = replace(payload, '\"category\":\"payments\"', '\"category\":\"other\"') WHERE position = 2"],
        "entry #2 complaint {n2}: altered: the entry's content does not match its digest",
    ),
    "an entry removed from the middle": (
        ["DELETE FROM registry_private WHERE position = 2", "DELETE FROM registry_entries WHERE position = 2"],
        "entries #2..#2 were removed",
    ),
    "two entries swapped": (
        [
            "DELETE FROM registry_private",
            "UPDATE registry_entries SET position = 100 WHERE position = 2",
            "UPDATE registry_entries SET position = 2 WHERE position = 3",
            "UPDATE registry_entries SET position = 3 WHERE position = 100",
        ],
        "does not follow the entry before it",
    ),
    "a signature replaced": (
        ["UPDATE registry_entries SET signature = (SELECT signature FROM registry_entries WHERE position = 1) WHERE position = 3"],
        "entry #3 complaint {n3}: the signature is not valid",
    ),
    "the last complaint deleted with its entry": (
        ["DELETE FROM attachments", "DELETE FROM idempotency_keys", "DELETE FROM notifications",
         "DELETE FROM registry_private WHERE position = 3", "DELETE FROM registry_entries WHERE position = 3",
         "DELETE FROM complaints WHERE seq = 3"],
        "entries at the end were removed",
    ),
    "a complaint in the middle deleted with its entry": (
        ["DELETE FROM notifications", "DELETE FROM registry_private WHERE position = 2",
         "DELETE FROM registry_entries WHERE position = 2", "DELETE FROM complaints WHERE seq = 2"],
        "incoming numbers {year}: 2..2 are missing (removed)",
    ),
    "a complaint's tier raised behind the registry's back": (
        ["UPDATE complaints SET tier = 3 WHERE seq = 2"],
        "complaint {n2}: altered: its status, owner, tier, dates or counts differ from its last signed event"
        " (expected tier=1; found tier=3)",
    ),
    "a complaint annulled behind the registry's back": (
        ["UPDATE complaints SET status = 'annulled' WHERE seq = 1"],
        "complaint {n1}: altered: its status, owner, tier, dates or counts differ from its last signed event"
        ' (expected status="registered"; found status="annulled")',
    ),
    "a complaint inserted behind the registry's back": (
        ["INSERT INTO complaints (year, seq, number, slug, access_code, personal_salt, status, channel, registered_at,"
         " received_at, first_response_due, full_name, email, category, subject, description,"
         " desired_outcome, language, signature_name, declaration_confirmed)"
         " SELECT year, 4, 'forged', 'forged', access_code, personal_salt, status, channel, registered_at, received_at,"
         " first_response_due, full_name, email, category, subject, description, desired_outcome,"
         " language, signature_name, declaration_confirmed FROM complaints WHERE seq = 1"],
        "complaint forged: has no signed intake record",
    ),
}


@pytest.mark.parametrize("case", list(TAMPERING), ids=list(TAMPERING))
def test_tampering_is_caught_and_reported_with_a_failing_exit_code(app, client, runner, case):
    numbers = [body["number"] for body in _file(client, 3)]
    statements, expected = TAMPERING[case]
    _sql(app, *statements)
    result = runner.invoke(args=["registry", "verify"])
    assert result.exit_code == 1
    year = numbers[0].split("/")[0]
    assert expected.format(n1=numbers[0], n2=numbers[1], n3=numbers[2], year=year) in result.output


def test_the_verify_page_warns_about_an_altered_record(app, client):
    body = _file(client, 1)[0]
    _sql(app, "UPDATE complaints SET subject = 'Changed later' WHERE seq = 1")
    page = client.get("/verify", query_string={"number": body["number"], "fingerprint": body["fingerprint"]})
    text_ = page.get_data(as_text=True)
    assert "fails verification" in text_ and "Genuine." not in text_


def test_the_signing_key_is_created_once_and_reused(make_app, base_settings, tmp_path):
    settings = {"REGISTRY_KEY_PATH": str(tmp_path / "key.pem")}
    first = make_app(**settings).extensions["registry_signer"].key_id
    second = make_app(**settings).extensions["registry_signer"].key_id
    assert first == second
    assert oct((tmp_path / "key.pem").stat().st_mode & 0o777) == "0o600"


def test_without_autocreate_a_missing_key_stops_the_app(make_app, tmp_path):
    with pytest.raises(RegistryKeyMissing):
        make_app(REGISTRY_KEY_PATH=str(tmp_path / "absent.pem"), REGISTRY_KEY_AUTOCREATE=False)


def test_production_settings_refuse_to_start_without_secrets(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setattr(ProductionConfig, "SECRET_KEY", "")
    monkeypatch.setattr(ProductionConfig, "REGISTRY_KEY_PATH", str(tmp_path / "absent.pem"))
    with pytest.raises(RuntimeError, match="SECRET_KEY.*DATABASE_URL.*REGISTRY_KEY_PATH"):
        create_app(ProductionConfig)


@pytest.mark.parametrize("record", [
    {},
    {"type": "complaint", "name": "Ștefănescu-Țurcanu", "quote": 'he said "no"', "nested": {"b": [1, 2.5, None]}},
    {"type": "event", "by": None, "state": {"status": "in_progress", "tier": 2, "owner_id": 7}},
])
def test_the_spliced_digest_is_the_digest_of_the_whole_canonical_envelope(record):
    import hashlib
    from datetime import UTC, datetime

    from app.registry.digest import FORMAT_VERSION, canonical_json, entry_digest, iso_utc

    at = datetime(2026, 11, 23, 8, 0, 1, 5, tzinfo=UTC)
    envelope = {"v": FORMAT_VERSION, "position": 12, "kind": "event", "recorded_at": iso_utc(at),
                "prev": "0" * 64, "key": "abcd1234", "record": record}
    expected = hashlib.sha256(canonical_json(envelope).encode("utf-8")).hexdigest()
    assert entry_digest(position=12, kind="event", recorded_at=at, prev_digest="0" * 64,
                        payload=canonical_json(record), key_id="abcd1234") == expected
