"""Gap-free incoming numbers: sequential per year, never skipped, never repeated, under load."""

from __future__ import annotations

import multiprocessing
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from _support import valid_payload
from _workers import register_many
from app.clock import frozen_clock
from app.complaints.models import Channel, Complaint
from app.complaints.storage import Evidence
from app.database import commit_with_retry
from app.extensions import db
from app.intake import operations
from app.intake.operations import ComplaintSubmission, register_complaint
from app.registry.numbering import format_number, number_slug
from app.registry.verify import verify_registry


def _seqs(app) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(Complaint.seq).order_by(Complaint.seq)))


def _submission(**changes) -> ComplaintSubmission:
    data = valid_payload()
    fields = {
        "full_name": data["full_name"], "email": data["email"], "phone": "+37369123456",
        "postal_address": data["postal_address"], "category": data["category"],
        "subject": data["subject"], "description": data["description"],
        "desired_outcome": data["desired_outcome"], "language": "ro",
        "signature_name": data["signature"], "declaration_confirmed": True,
    }
    return ComplaintSubmission(**{**fields, **changes})


@pytest.mark.slow
def test_sixteen_threads_at_once_get_exactly_one_to_n(app):
    threads, per_thread, errors, numbers = 16, 5, [], []
    start = threading.Barrier(threads)
    lock = threading.Lock()

    def worker(index: int) -> None:
        client = app.test_client()
        start.wait()
        for i in range(per_thread):
            try:
                response = client.post("/api/v1/complaints", json=valid_payload(subject=f"Thread {index}/{i}"))
                assert response.status_code == 201, response.get_data(as_text=True)
                with lock:
                    numbers.append(response.get_json()["number"])
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    assert errors == []
    total = threads * per_thread
    assert len(numbers) == len(set(numbers)) == total
    assert _seqs(app) == list(range(1, total + 1))
    with app.app_context():
        assert verify_registry().ok


@pytest.mark.slow
def test_several_processes_at_once_get_exactly_one_to_n(app, base_settings):
    processes, per_process = 4, 8
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes) as pool:
        results = pool.starmap(register_many, [(base_settings, per_process)] * processes)
    numbers = [n for batch in results for n in batch]
    total = processes * per_process
    assert len(set(numbers)) == total
    assert _seqs(app) == list(range(1, total + 1))
    with app.app_context():
        assert verify_registry().ok


def test_a_registration_that_fails_after_taking_its_number_leaves_no_gap(app, monkeypatch):
    def broken_append(*args, **kwargs):
        raise RuntimeError("disk full while signing")

    monkeypatch.setattr(operations, "append_intake_entry", broken_append)
    evidence = Evidence("proof.txt", "text/plain", "доказательство, unique to this test".encode())
    with app.app_context():
        with pytest.raises(RuntimeError):
            commit_with_retry(lambda: register_complaint(
                _submission(attachments=(evidence,)), channel=Channel.WEB))
    monkeypatch.undo()
    assert _seqs(app) == []
    stored = Path(app.config["ATTACHMENTS_DIR"]) / evidence.sha256[:2] / evidence.sha256
    assert not stored.exists()  # the file written for the failed registration is gone too
    with app.app_context():
        complaint = commit_with_retry(lambda: register_complaint(_submission(), channel=Channel.WEB)).complaint
        assert complaint.seq == 1
        assert verify_registry().ok


def test_numbers_start_again_at_one_in_a_new_registry_year(app):
    # 21:59 UTC on 31 December is 23:59 in Chișinău; 22:01 UTC is already the new year there.
    moments = [datetime(2026, 12, 31, 21, 59, tzinfo=UTC),
               datetime(2026, 12, 31, 22, 1, tzinfo=UTC),
               datetime(2027, 1, 2, 9, 0, tzinfo=UTC)]
    numbers = []
    with app.app_context():
        for moment in moments:
            with frozen_clock(moment):
                numbers.append(commit_with_retry(
                    lambda: register_complaint(_submission(), channel=Channel.WEB)).complaint.number)
        assert verify_registry().ok
    assert numbers == ["2026/000001", "2027/000001", "2027/000002"]


def test_the_display_format_is_configurable(make_app):
    app = make_app(NUMBER_FORMAT="IN-{year}-{seq:05d}")
    body = app.test_client().post("/api/v1/complaints", json=valid_payload()).get_json()
    year = datetime.now().year
    assert body["number"] == f"IN-{year}-00001"
    assert f"/track/IN-{year}-00001?" in body["tracking_url"]
    assert format_number(2026, 123, "{year}/{seq:06d}") == "2026/000123"
    assert number_slug("2026/000123") == "2026-000123"


def test_the_schema_refuses_a_second_complaint_with_the_same_number(app):
    with app.app_context():
        registered = commit_with_retry(lambda: register_complaint(_submission(), channel=Channel.WEB))
        original = registered.complaint
        clone = Complaint(**{c.key: getattr(original, c.key) for c in Complaint.__table__.columns
                             if c.key not in ("id", "number", "slug")},
                          number="copy", slug="copy")
        db.session.add(clone)
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Complaint)) == 1


@pytest.mark.slow
def test_the_same_idempotency_key_sent_by_eight_threads_at_once_registers_once(app):
    threads, start, answers, lock = 8, threading.Barrier(8), [], threading.Lock()

    def worker() -> None:
        client = app.test_client()
        start.wait()
        response = client.post("/api/v1/complaints", json=valid_payload(),
                               headers={"Idempotency-Key": "retry-storm"})
        with lock:
            answers.append((response.status_code, response.get_json()["number"]))

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    assert len(answers) == threads
    assert {status for status, _ in answers} == {201}
    assert len({number for _, number in answers}) == 1
    assert _seqs(app) == [1]
