"""Issue 13's tampers, each made directly in the database (or on disk) as someone with access
would, and `flask registry verify` naming it; and the letters that must not change once sent.

Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from _cases import T0, act, load
from _support import form_data
from app.complaints.access import find_by_reference
from app.complaints.models import Attachment, Resolution
from app.desk.operations import record_receipt_print
from app.extensions import db
from app.registry.checkpoints import current_checkpoint, write_checkpoint
from app.settings.store import current_policy
from app.workflow import operations as ops
from app.workflow.enforcement import enforce
from app.workflow.models import CaseMessage, MessageKind

H = timedelta(hours=1)


def _sql(app, *statements: str, **params) -> None:
    with app.app_context():
        for statement in statements:
            db.session.execute(text(statement), params)
        db.session.commit()


def _verify(runner, *args: str) -> tuple[int, list[dict]]:
    result = runner.invoke(args=["registry", "verify", "--full", "--json", *args])
    return result.exit_code, json.loads(result.output)["problems"]


@pytest.fixture
def handled(app, register, staff) -> dict[str, str]:
    """A registry with something of everything: a decided complaint (response, decision), one
    that breached its first-response deadline and rose a tier, and a receipt printed twice."""
    decided, late = register(), register(subject="Nobody answered this one")
    act(app, decided, ops.take_complaint, by=staff["olga"])
    act(app, decided, ops.respond, by=staff["olga"], body="We are checking the payment.", at=T0 + 2 * H)
    act(app, decided, ops.resolve, by=staff["olga"], resolution=Resolution.UPHELD, reasons="The bank held it.",
        at=T0 + 3 * H)
    with app.app_context():
        enforce(T0 + 25 * H, current_policy())
    act(app, decided, record_receipt_print, by=staff["clerk"], language="ro")
    act(app, decided, record_receipt_print, by=staff["clerk"], language="ro")
    return {"decided": decided, "late": late}


def test_an_untouched_registry_with_everything_in_it_verifies(runner, handled):
    assert _verify(runner) == (0, [])


def _id(app, number: str) -> int:
    with app.app_context():
        return find_by_reference(number).id


TAMPERS = {
    "a sent letter's body": (
        "UPDATE case_messages SET body = 'We never promised anything.' WHERE outgoing_number = 'OUT-2026/000001'",
        "decided", "altered: the message differs from its signed event",
    ),
    "a sent letter's frozen record": (
        "UPDATE registry_private SET data = replace(data, 'We are checking', 'We refuse') "
        "WHERE position = (SELECT entry_position FROM case_messages WHERE outgoing_number = 'OUT-2026/000001')",
        "decided", "altered: its private part (personal data, text) differs from what was signed",
    ),
    "the first response moved to look on time": (
        "UPDATE complaints SET first_responded_at = registered_at WHERE id = :decided",
        "decided", "differ from its last signed event",
    ),
    "a breach deleted": (
        "DELETE FROM breaches", "late", "the breach this entry records is missing (removed)",
    ),
    "an escalation deleted": (
        "DELETE FROM escalations", "late", "the escalation this entry records is missing (removed)",
    ),
    "the decision flipped": (
        "UPDATE complaints SET resolution = 'rejected' WHERE id = :decided",
        "decided", "differ from its last signed event",
    ),
    "receipt prints deleted": (
        "DELETE FROM receipt_prints", "decided", "the receipt print this entry records is missing (removed)",
    ),
    "a print added by hand": (
        "INSERT INTO receipt_prints (complaint_id, reprint_number, printed_at, printed_by_id, language) "
        "SELECT complaint_id, 7, printed_at, printed_by_id, language FROM receipt_prints WHERE reprint_number = 0",
        None, "that no signed event recorded (added outside the registry)",
    ),
    "the complainant's address corrected by hand": (
        "UPDATE complaints SET email = 'someone.else@example.md' WHERE id = :decided",
        "decided", "altered: the stored complainant's data or text differs from the signed record",
    ),
    "a letter's number taken out": (
        "UPDATE case_messages SET outgoing_seq = 5, outgoing_number = 'OUT-2026/000005' "
        "WHERE outgoing_number = 'OUT-2026/000002'",
        None, "outgoing numbers",
    ),
}


@pytest.mark.parametrize("case", list(TAMPERS), ids=list(TAMPERS))
def test_each_tamper_is_named_with_its_number_what_was_expected_and_what_was_found(app, runner, handled, case):
    statement, whose, what = TAMPERS[case]
    _sql(app, statement, decided=_id(app, handled["decided"]))
    status, problems = _verify(runner)
    assert status == 1
    matching = [p for p in problems if what in p["what"]]
    assert matching, problems
    if whose is not None:
        assert matching[0]["number"] == handled[whose]
    assert {"number", "what", "expected", "found", "position"} <= set(matching[0])


def test_the_flipped_decision_says_what_was_signed_and_what_is_stored(app, runner, handled):
    _sql(app, "UPDATE complaints SET resolution = 'rejected' WHERE id = :decided", decided=_id(app, handled["decided"]))
    _status, [problem] = _verify(runner)
    assert (problem["expected"], problem["found"]) == ('resolution="upheld"', 'resolution="rejected"')


def test_an_evidence_file_overwritten_on_disk_is_named(app, runner):
    data = form_data()
    data["attachments"] = [(io.BytesIO(b"Extras de cont, 20.11.2026.\n"), "extras.txt")]
    assert app.test_client().post("/complaints/new", data=data, content_type="multipart/form-data").status_code in (
        200, 302, 303)
    with app.app_context():
        attachment = db.session.scalars(select(Attachment)).one()
        path = Path(app.config["ATTACHMENTS_DIR"]) / attachment.sha256[:2] / attachment.sha256
    assert _verify(runner) == (0, [])
    path.chmod(0o644)
    path.write_bytes(b"Something else entirely.\n")
    status, [problem] = _verify(runner)
    assert status == 1 and problem["what"] == "altered: an evidence file differs from its recorded SHA-256"
    assert problem["expected"] == attachment.sha256
    path.unlink()
    assert _verify(runner)[1][0]["what"] == "an evidence file is missing"
    assert _verify(runner, "--no-files") == (0, [])


def test_the_newest_complaint_removed_with_its_counter_and_head_is_caught_by_the_checkpoint(app, runner, register):
    for _ in range(3):
        register()
    with app.app_context():
        write_checkpoint(current_checkpoint())
        head = db.session.execute(text("SELECT position, digest FROM registry_entries WHERE position = 2")).one()
    _sql(app, "DELETE FROM notifications WHERE complaint_id = (SELECT id FROM complaints WHERE seq = 3)",
         "DELETE FROM idempotency_keys", "DELETE FROM complaint_facts WHERE complaint_id = (SELECT id FROM complaints "
         "WHERE seq = 3)", "DELETE FROM registry_private WHERE position = 3",
         "DELETE FROM registry_entries WHERE position = 3", "DELETE FROM complaints WHERE seq = 3",
         "UPDATE number_counters SET last_value = 2 WHERE scope LIKE 'incoming:%'",
         "UPDATE registry_chain_head SET position = 2, digest = :digest", digest=head.digest)
    status, problems = _verify(runner)
    assert status == 1
    assert any("checkpoint" in p["what"] for p in problems), problems


def test_verify_starts_from_the_newest_checkpoint_it_confirmed_and_full_walks_everything(app, runner, register):
    for _ in range(3):
        register()
    with app.app_context():
        write_checkpoint(current_checkpoint())
    first = runner.invoke(args=["registry", "verify", "--json"])
    assert json.loads(first.output)["since_position"] is None  # nothing confirmed yet: from the start
    register()
    later = json.loads(runner.invoke(args=["registry", "verify", "--json"]).output)
    assert (later["ok"], later["since_position"], later["entries_checked"]) == (True, 3, 1)
    # An edit behind the checkpoint to a complaint no new entry touches: only --full reads it.
    _sql(app, "UPDATE complaints SET tier = 4 WHERE seq = 1")
    assert json.loads(runner.invoke(args=["registry", "verify", "--json"]).output)["ok"]
    full = runner.invoke(args=["registry", "verify", "--full"])
    assert full.exit_code == 1 and "expected tier=1; found tier=4" in full.output


# Letters frozen as sent ------------------------------------------------------------------------

def _letter_text(app, outgoing_number: str) -> str:
    from pypdf import PdfReader

    from app.letters.service import render_message_letter

    def pdf_text(pdf: bytes) -> str:
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)

    with app.test_request_context(base_url="https://complaints.example.md/"):
        message = db.session.scalars(select(CaseMessage).where(CaseMessage.outgoing_number == outgoing_number)).one()
        return pdf_text(render_message_letter(message))  # made anew: as a first delivery after an upgrade


def test_a_decision_letter_stays_as_sent_through_a_dispute_a_new_decision_and_a_rename(app, runner, register, staff,
                                                                                         make_user):
    from app.admin.operations import change_organisation, latest_for_change
    from app.auth.models import User
    from app.database import commit_with_retry

    number = register(full_name="Ana Popescu", signature="Ana Popescu")
    act(app, number, ops.take_complaint, by=staff["olga"])
    act(app, number, ops.resolve, by=staff["olga"], resolution=Resolution.UPHELD, reasons="The payment was late.",
        at=T0 + 2 * H)
    with app.app_context():
        first = db.session.scalars(select(CaseMessage.outgoing_number).where(
            CaseMessage.kind == MessageKind.DECISION)).one()
    sent = _letter_text(app, first)
    assert "Decizia: Admisă" in sent and "Ana Popescu" in sent

    act(app, number, ops.complainant_reply, by=None, body="I want interest too.", dispute=True, at=T0 + 3 * H)
    assert _letter_text(app, first) == sent  # no decision any more on the complaint: the letter keeps it
    act(app, number, ops.resume, by=staff["olga"], at=T0 + 4 * H)
    act(app, number, ops.resolve, by=staff["olga"], resolution=Resolution.REJECTED, reasons="No interest is due.",
        at=T0 + 5 * H)
    assert load(app, number).resolution == Resolution.REJECTED
    assert _letter_text(app, first) == sent
    with app.app_context():  # the address corrected, the organisation renamed: old letters unchanged
        from app.desk.operations import correct_complaint

        complaint = find_by_reference(number)
        manager = db.session.get(User, staff["mihai"])
        commit_with_retry(lambda: correct_complaint(complaint, changes={"full_name": "Ana Popescu-Rusu"},
                                                    reason="Name as in the passport", by=manager))
        admin = db.session.get(User, make_user("ada", "administrator"))
        organisation = {**latest_for_change()["organisation"], "name": "Renamed Betting SRL"}
        commit_with_retry(lambda: change_organisation(organisation, by=admin))
    assert _letter_text(app, first) == sent
    assert "Renamed" not in sent
    assert _verify(runner) == (0, [])


def test_a_settings_version_changed_by_hand_is_named(app, runner, make_user):
    from app.admin.operations import change_organisation, latest_for_change
    from app.auth.models import User
    from app.database import commit_with_retry

    with app.app_context():
        admin = db.session.get(User, make_user("ada", "administrator"))
        organisation = {**latest_for_change()["organisation"], "name": "Renamed Betting SRL"}
        commit_with_retry(lambda: change_organisation(organisation, by=admin))
    assert _verify(runner) == (0, [])
    _sql(app, "UPDATE setting_versions SET value = replace(value, 'Renamed', 'Quietly renamed')")
    status, [problem] = _verify(runner)
    assert status == 1 and problem["what"] == "altered: the settings version differs from its signed event"
    assert problem["expected"].startswith("value_sha256=")


def test_the_verify_page_shows_what_the_receipt_and_a_letter_say(app, client, register, staff):
    from app.registry.digest import fingerprint_of
    from app.registry.models import RegistryEntry

    number = register(full_name="Ana Popescu", signature="Ana Popescu", subject="Retragerea nu a sosit")
    act(app, number, ops.take_complaint, by=staff["olga"])
    act(app, number, ops.resolve, by=staff["olga"], resolution=Resolution.PARTLY_UPHELD, reasons="Half was paid.",
        at=T0 + 2 * H)
    with app.app_context():
        complaint = find_by_reference(number)
        intake, letter = (fingerprint_of(db.session.get_one(RegistryEntry, position).digest) for position in (
            db.session.scalar(select(RegistryEntry.position).where(RegistryEntry.complaint_id == complaint.id)
                              .order_by(RegistryEntry.position)),
            db.session.scalars(select(CaseMessage.entry_position)).one()))
    page = client.get("/verify", query_string={"number": number, "fingerprint": intake}).get_data(as_text=True)
    assert "Genuine." in page and "A** P******" in page and "Retragerea nu a sosit" in page
    assert "Ana Popescu" not in page
    page = client.get("/verify", query_string={"number": number, "fingerprint": letter}).get_data(as_text=True)
    assert "Genuine." in page and "OUT-2026/000001" in page and "A** P******" in page and "Partly upheld" in page
    _sql(app, "UPDATE registry_private SET data = replace(data, 'Retragerea', 'Depunerea')")
    page = client.get("/verify", query_string={"number": number, "fingerprint": intake}).get_data(as_text=True)
    assert "fails verification" in page and "private part" in page


def test_an_incremental_run_checks_a_touched_complaint_against_its_last_signed_event(app, runner, register, staff):
    numbers = [register() for _ in range(2)]
    act(app, numbers[0], ops.take_complaint, by=staff["olga"])
    with app.app_context():
        write_checkpoint(current_checkpoint())
    assert json.loads(runner.invoke(args=["registry", "verify", "--json"]).output)["ok"]
    act(app, numbers[0], ops.respond, by=staff["olga"], body="Checked.", at=T0 + 2 * H)  # after the checkpoint
    _sql(app, "UPDATE complaints SET owner_id = :other WHERE id = :decided", other=staff["petru"],
         decided=_id(app, numbers[0]))
    report = json.loads(runner.invoke(args=["registry", "verify", "--json"]).output)
    assert report["since_position"] is not None and not report["ok"]
    [problem] = report["problems"]
    assert problem["number"] == numbers[0] and problem["expected"] == f"owner_id={staff['olga']}"
