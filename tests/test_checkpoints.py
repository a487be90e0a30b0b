"""Signed checkpoints of the chain heads, kept outside the database: an untouched registry
matches them; a registry cut short (rows, entries, counter and head moved back together, which
the chain alone cannot show), an audit trail cut short, an edited or forged checkpoint file are
reported; a full verification can be noted, and the newest verified checkpoint found."""

from __future__ import annotations

import json
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, text

from _cases import T0
from _support import valid_payload
from app.audit.models import AuditAction, AuditEvent
from app.audit.service import record
from app.audit.verify import verify_audit_trail
from app.clock import frozen_clock
from app.extensions import db
from app.registry.checkpoint_check import check_checkpoints
from app.registry.checkpoint_cli import publish_checkpoint
from app.registry.checkpoints import (
    CheckpointRefused,
    current_checkpoint,
    newest_checkpoint,
    newest_verified_checkpoint,
    record_verified,
    signed_checkpoints,
    write_checkpoint,
)
from app.registry.models import ChainHead, RegistryEntry
from app.registry.signing import RegistrySigner
from app.registry.verify import verify_registry

COMPLAINT_TABLES = ("attachments", "breaches", "idempotency_keys", "notifications", "receipt_prints",
                    "case_messages", "escalations", "complaint_facts", "registry_private")


def _directory(app) -> Path:
    return Path(app.config["REGISTRY_CHECKPOINT_DIR"])


def _checkpoint(app, at=T0 + timedelta(hours=1)) -> Path:
    with app.app_context(), frozen_clock(at):
        path = write_checkpoint(current_checkpoint())
        db.session.rollback()
        return path


def _problems(app) -> list[str]:
    with app.app_context():
        return [str(problem) for problem in check_checkpoints()]


def _cut_registry_to(app, keep: int) -> None:
    """What someone with the database does to remove the newest complaints unseen: their rows
    and entries deleted, the counter and the chain head moved back to match."""
    with app.app_context():
        doomed = "SELECT id FROM complaints WHERE seq > :keep"
        for table in COMPLAINT_TABLES:
            db.session.execute(text(f"DELETE FROM {table} WHERE complaint_id IN ({doomed})"), {"keep": keep})  # noqa: S608
        db.session.execute(text(f"DELETE FROM registry_entries WHERE complaint_id IN ({doomed})"), {"keep": keep})  # noqa: S608
        db.session.execute(text("DELETE FROM complaints WHERE seq > :keep"), {"keep": keep})
        db.session.execute(text("UPDATE number_counters SET last_value = :keep WHERE scope LIKE 'incoming:%'"),
                           {"keep": keep})
        last = db.session.execute(select(RegistryEntry.position, RegistryEntry.digest)
                                  .order_by(RegistryEntry.position.desc()).limit(1)).one()
        db.session.execute(text("UPDATE registry_chain_head SET position = :p, digest = :d"),
                           {"p": last.position, "d": last.digest})
        db.session.commit()


def test_an_untouched_registry_matches_its_checkpoints_also_once_it_grew(app, register):
    register()
    register()
    _checkpoint(app)
    register()
    _checkpoint(app, T0 + timedelta(hours=2))
    register()
    assert _problems(app) == []
    names = sorted(p.name for p in _directory(app).iterdir())
    assert names == ["checkpoint-20261123T090000.000000Z-2.json", "checkpoint-20261123T100000.000000Z-3.json"]
    document = json.loads((_directory(app) / names[0]).read_text())
    assert (document["type"], document["position"], document["audit"]["position"]) == ("registry-checkpoint", 2, 0)


def test_an_empty_registry_without_checkpoints_has_no_problems(app):
    assert _problems(app) == []


def test_the_newest_complaints_removed_with_counter_and_head_are_caught_by_a_checkpoint(app, register):
    for _ in range(4):
        register()
    _checkpoint(app)
    _cut_registry_to(app, 2)
    with app.app_context():  # the shortened chain holds together; only the checkpoint gives it away
        assert [p.what for p in verify_registry().problems] == [p.what for p in check_checkpoints()]
    problems = _problems(app)
    assert problems[0].startswith("entry #4: the chain no longer holds entry #4 named by checkpoint checkpoint-")
    assert problems[1].startswith("entry #4: the chain head is at entry #2, behind checkpoint checkpoint-")
    assert len(problems) == 2


def test_a_registry_cut_short_and_filled_again_past_the_checkpoint_is_caught(app, register):
    for _ in range(3):
        register()
    _checkpoint(app)
    _cut_registry_to(app, 1)
    for _ in range(3):
        register(subject="Written again")
    with app.app_context():
        assert [p.what for p in verify_registry().problems] == [p.what for p in check_checkpoints()]
    [problem] = _problems(app)
    assert problem.startswith("entry #3: the chain holds another entry #3 than checkpoint checkpoint-")
    assert "(replaced)" in problem


def test_audit_events_removed_at_the_end_with_the_head_moved_back_are_caught(app, register):
    with app.app_context():
        for n in range(3):
            record(AuditAction.LOGIN_FAILED, username=f"u{n}")
        db.session.commit()
    register()
    _checkpoint(app)
    with app.app_context():
        db.session.execute(text("DELETE FROM audit_events WHERE position = 3"))
        second = db.session.scalar(select(AuditEvent.digest).where(AuditEvent.position == 2))
        db.session.execute(text("UPDATE audit_chain_head SET position = 2, digest = :d"), {"d": second})
        db.session.commit()
        assert verify_audit_trail() == []
    problems = _problems(app)
    assert [p.split(" checkpoint-")[0] for p in problems] == [
        "entry #3: audit trail: the trail no longer holds event #3 named by checkpoint",
        "entry #3: audit trail: its head is at event #2, behind checkpoint",
    ]


@pytest.mark.parametrize("field, value", [("position", 1), ("digest", "0" * 64), ("at", "2030-01-01T00:00:00.000000+00:00")])
def test_an_edited_checkpoint_file_is_reported(app, register, field, value):
    register()
    register()
    path = _checkpoint(app)
    document = json.loads(path.read_text())
    document[field] = value
    path.write_text(json.dumps(document))
    assert _problems(app) == [
        f"checkpoint {path.name}: the signature is not valid (the file was edited or forged)"]


def test_a_checkpoint_signed_by_another_key_is_reported(app, register):
    register()
    other = RegistrySigner(Ed25519PrivateKey.generate())
    with app.app_context(), frozen_clock(T0 + timedelta(hours=1)):
        forged = write_checkpoint(current_checkpoint(signer=other))
        db.session.rollback()
        key_id = app.extensions["registry_signer"].key_id
    [problem] = _problems(app)
    assert problem == (f"checkpoint {forged.name} is signed with an unknown key (forged or from another registry) "
                       f"(expected {key_id}; found {other.key_id})")
    # Under the registry's key id, another key's signature does not pass either.
    document = json.loads(forged.read_text())
    document["key_id"] = key_id
    forged.write_text(json.dumps(document))
    assert _problems(app) == [f"checkpoint {forged.name}: the signature is not valid (the file was edited or forged)"]


def test_a_file_that_is_no_checkpoint_is_reported(app):
    _directory(app).mkdir(parents=True)
    (_directory(app) / "checkpoint-20261123T090000.000000Z-1.json").write_text("{not json")
    [problem] = _problems(app)
    assert problem.startswith("checkpoint checkpoint-20261123T090000.000000Z-1.json is unreadable: not readable as JSON")


def test_no_checkpoint_vouches_for_a_head_that_names_a_missing_entry(app, register):
    register()
    with app.app_context():
        db.session.execute(text("UPDATE registry_chain_head SET position = 5"))
        db.session.commit()
        with pytest.raises(CheckpointRefused):
            current_checkpoint()


def test_checkpoint_files_are_written_whole_and_never_replaced(app, register):
    register()
    path = _checkpoint(app)
    assert [p.name for p in _directory(app).iterdir()] == [path.name]  # no temporary file left behind
    with pytest.raises(FileExistsError):
        _checkpoint(app)


def test_a_noted_full_verification_names_the_checkpoint_an_incremental_one_starts_from(app, register):
    register()
    first = _checkpoint(app)
    register()
    _checkpoint(app, T0 + timedelta(hours=2))
    with app.app_context():
        assert newest_verified_checkpoint() is None
        confirmed = newest_checkpoint(at_most=1)
        assert confirmed.name == first.name
        note = record_verified(confirmed)
        assert newest_verified_checkpoint().name == first.name
        newest = newest_checkpoint()
        assert newest.position == 2
        record_verified(newest, at=T0 + timedelta(hours=3))
        assert newest_verified_checkpoint().position == 2
    # A note edited to claim more is not believed, and is reported.
    document = json.loads(note.read_text())
    document["position"] = 2
    note.write_text(json.dumps(document))
    with app.app_context():
        assert newest_verified_checkpoint().position == 2  # still the genuine later note
    assert _problems(app) == [f"verification note {note.name}: the signature is not valid "
                              "(the file was edited or forged)"]


def test_flask_registry_checkpoint_writes_one_and_mails_it_to_the_auditors(make_app, base_settings):
    app = make_app(REGISTRY_CHECKPOINT_AUDITORS=["auditor@example.md", "second@example.md"])
    outbox = Path(base_settings["MAIL_OUTBOX_DIR"])
    before = set(outbox.glob("*.eml")) if outbox.exists() else set()
    app.test_client().post("/api/v1/complaints", json=valid_payload())
    runner = app.test_cli_runner()
    result = runner.invoke(args=["registry", "checkpoint"])
    assert result.exit_code == 0, result.output
    assert "entry #1, audit event #0" in result.output and "auditor@example.md, second@example.md" in result.output
    [path] = _directory(app).glob("checkpoint-*.json")
    [sent] = set(outbox.glob("*.eml")) - before
    message = message_from_bytes(sent.read_bytes(), policy=policy.default)
    assert message["Subject"].startswith("Registry checkpoint: entry #1 at ")
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == path.name and attachment.get_content() == path.read_bytes()
    result = runner.invoke(args=["registry", "checkpoint", "--if-moved"])
    assert "No checkpoint written" in result.output
    assert len(list(_directory(app).glob("checkpoint-*.json"))) == 1


def test_publishing_only_when_moved_writes_again_after_a_head_moved(app, register):
    with app.app_context():
        assert publish_checkpoint(only_if_moved=True) is None  # nothing to vouch for yet
    register()
    with app.app_context(), frozen_clock(T0 + timedelta(hours=1)):
        assert publish_checkpoint(only_if_moved=True).checkpoint.position == 1
        assert publish_checkpoint(only_if_moved=True) is None
    with app.app_context(), frozen_clock(T0 + timedelta(hours=2)):
        record(AuditAction.LOGIN_FAILED, username="someone")
        db.session.commit()
        assert publish_checkpoint(only_if_moved=True).checkpoint.audit_position == 1
        assert [c.audit_position for c in signed_checkpoints()] == [0, 1]


def test_the_deadline_watcher_writes_a_checkpoint_when_the_chain_moved(app, register, runner):
    register()
    result = runner.invoke(args=["deadlines", "watch", "--interval", "1", "--passes", "1"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        [checkpoint] = signed_checkpoints()
        head = db.session.get(ChainHead, 1)
        assert (checkpoint.position, checkpoint.digest) == (head.position, head.digest)  # the breach it recorded too
    assert _problems(app) == []


def test_the_watcher_writes_none_when_the_interval_is_zero(make_app, register):
    app = make_app(REGISTRY_CHECKPOINT_INTERVAL=0)
    register()
    result = app.test_cli_runner().invoke(args=["deadlines", "watch", "--interval", "1", "--passes", "1"])
    assert result.exit_code == 0, result.output
    assert not _directory(app).exists() or not list(_directory(app).iterdir())
