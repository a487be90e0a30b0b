"""The indexes that find the candidates of the journal's name, e-mail and phone searches
(app/journal/search.py): SQLite's trigram index of the complaints' names, e-mail addresses and
phone numbers (migrations `contact_search_sqlite` and `contact_search_batched`), kept in step
with the complaints by triggers, new complaints taken in by batches; PostgreSQL's directory of
distinct contacts (migration `contact_directory_search`). On either database a journal search
finds with them exactly what it finds without them, before a complaint's batch and after."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import flask_migrate
import pytest
from sqlalchemy import event, select, text, update

from _support import empty_database, plan, valid_payload
from app.clock import frozen_clock
from app.complaints.filters import ComplaintFilter, contains
from app.complaints.models import Channel, Complaint
from app.database import commit_with_retry
from app.extensions import db
from app.intake.operations import register_complaint
from app.intake.validation import rules_from_config, validate_complaint
from app.journal import queries, search
from app.journal.queries import journal_page
from app.manage.models import FigureContactTotal

PEOPLE = [
    ("Ion Popescu", "ion.popescu@example.md", "+373 69 100 001"),
    ("Ioana Popescu", "ioana_popescu@example.md", "+373 69 100 002"),
    ("Иван Петров", "Ivan.Petrov@example.ru", "+373 79 200 003"),
    ("Mihai Țurcanu", "mihai%100@example.md", "+373 69 300 004"),
    ("John Smith", None, "+44 20 7946 0958"),
    ("Olena Ґонта", "olena@example.ua", None),
]


def _register(app, name: str, email: str | None, phone: str | None, hour: int = 8) -> int:
    payload = valid_payload(full_name=name, signature=name, email=email, phone=phone)
    submission, errors = validate_complaint(payload, rules_from_config(app.config))
    assert not errors, errors
    with frozen_clock(datetime(2026, 11, 2, hour, tzinfo=UTC)):
        return commit_with_retry(lambda: register_complaint(submission, channel=Channel.WEB)).complaint.id


def _mark() -> int:
    """The last complaint the index holds."""
    return db.session.execute(text("SELECT indexed_through FROM complaint_search_state")).scalar_one()


def _take_in_the_rest() -> None:
    """What a batch does, for every complaint after the mark: into the index, the mark moved."""
    db.session.execute(text("INSERT INTO complaint_search(rowid, full_name, email, phone) "
                            "SELECT id, full_name, email, phone FROM complaints WHERE id > :mark ORDER BY id"),
                       {"mark": _mark()})
    db.session.execute(text("UPDATE complaint_search_state SET indexed_through = "
                            "(SELECT coalesce(max(id), 0) FROM complaints)"))
    db.session.commit()


@pytest.fixture
def people(app) -> dict[str, int]:
    """One complaint per person, each complaint's id by the person's e-mail (or name). On SQLite
    the first four are in the index and the last two after its mark, not in it yet."""
    ids = {}
    with app.app_context():
        sqlite = db.engine.dialect.name == "sqlite"
        for hour, (name, email, phone) in enumerate(PEOPLE):
            if sqlite and hour == 4:
                _take_in_the_rest()
            ids[email or name] = _register(app, name, email, phone, 8 + hour)
    return ids


def _on_sqlite(app) -> None:
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("PostgreSQL's trigram indexes serve these searches; it has no FTS5 table")


def _found(f: ComplaintFilter) -> list[int] | None:
    """The complaint ids the index narrows `f` to (None: not narrowed)."""
    conditions = search.contact_candidates(f)
    if not conditions:
        return None
    return sorted(db.session.scalars(select(Complaint.id).where(*conditions)))


def _integrity_checked() -> None:
    """FTS5's own check of the index against the complaints table (fails if they differ)."""
    db.session.execute(text("INSERT INTO complaint_search(complaint_search, rank) VALUES ('integrity-check', 1)"))


def test_the_index_follows_every_registration_change_and_removal(app, people):
    _on_sqlite(app)
    with app.app_context():
        _take_in_the_rest()
        _integrity_checked()
        assert _found(ComplaintFilter(email="popescu@")) == sorted([people["ion.popescu@example.md"],
                                                                     people["ioana_popescu@example.md"]])
        assert _found(ComplaintFilter(phone="37379200")) == [people["Ivan.Petrov@example.ru"]]
        assert _found(ComplaintFilter(name="smith")) == [people["John Smith"]]

        ivan = people["Ivan.Petrov@example.ru"]
        db.session.execute(update(Complaint).where(Complaint.id == ivan)
                           .values(email="i.petrov@example.com", full_name="Ivan Petrov"))
        db.session.commit()
        _integrity_checked()
        assert _found(ComplaintFilter(email="Ivan.Petrov")) == []
        assert _found(ComplaintFilter(email="petrov@example.com")) == [ivan]
        assert _found(ComplaintFilter(name="ivan pet")) == [ivan]
        # The phone was not changed, and is still found.
        assert _found(ComplaintFilter(phone="37379200")) == [ivan]

        empty_database()  # every complaint deleted
        _integrity_checked()
        assert _mark() == 0  # a number given again is a new complaint, after the mark
        assert _found(ComplaintFilter(phone="37379200")) == []


def test_new_complaints_are_candidates_until_their_batch_takes_them_into_the_index(app, people):
    _on_sqlite(app)
    with app.app_context():
        mark = _mark()
        after_the_mark = sorted(people[key] for key in ("John Smith", "olena@example.ua"))
        assert all(i > mark for i in after_the_mark)
        # Not in the index yet: whatever is searched, they are candidates, and the search decides.
        assert _found(ComplaintFilter(email="nobody@")) == after_the_mark
        # ... looked up by their ids with those the index found, not by a walk of every number.
        sent: list[tuple[str, Any]] = []

        def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
            sent.append((statement, parameters))

        event.listen(db.engine, "before_cursor_execute", capture)
        try:
            journal_page(ComplaintFilter(email="nobody@"))
        finally:
            event.remove(db.engine, "before_cursor_execute", capture)
        statement, parameters = next((s, p) for s, p in sent if "ORDER BY" in s and "FROM complaints" in s)
        assert "SCAN complaints" not in plan(statement, parameters)
        assert _found(ComplaintFilter(email="ion.popescu")) == sorted([people["ion.popescu@example.md"],
                                                                       *after_the_mark])
        # A change before its batch: the batch takes the complaint in as it is then.
        olena = people["olena@example.ua"]
        db.session.execute(update(Complaint).where(Complaint.id == olena).values(email="o.honta@example.ua"))
        db.session.commit()
        registered = []
        while _mark() == mark:  # registrations until one brings the complaints a batch past the mark
            registered.append(_register(app, "Ana Rusu", f"ana{len(registered)}@example.ro", None))
            assert len(registered) <= 64
        assert _mark() == registered[-1] >= mark + 64
        _integrity_checked()  # the index holds exactly the complaints up to the mark, as they are now
        assert _found(ComplaintFilter(email="o.honta")) == [olena]
        assert _found(ComplaintFilter(email="olena@")) == []
        assert _found(ComplaintFilter(name="smith")) == [people["John Smith"]]


def test_the_index_narrows_a_rare_search_and_leaves_a_common_or_short_one_to_the_walk(app, people, monkeypatch):
    _on_sqlite(app)
    with app.app_context():
        _take_in_the_rest()
        assert _found(ComplaintFilter(email="ion.popescu")) == [people["ion.popescu@example.md"]]
        assert _found(ComplaintFilter(email="nobody@")) == []  # nothing to read at all
        assert _found(ComplaintFilter(email="md")) is None  # two letters: the index cannot look them up
        # LIKE's wildcards typed into a search: the longest stretch without them is looked up.
        assert _found(ComplaintFilter(email="_popescu@")) == sorted([people["ion.popescu@example.md"],
                                                                     people["ioana_popescu@example.md"]])
        assert _found(ComplaintFilter(email="%1")) is None
        monkeypatch.setattr(search, "PROBE_LIMIT", 2)
        assert _found(ComplaintFilter(email="@example.md")) is None  # 3 found: a common text
        assert _found(ComplaintFilter(email="popescu@")) is not None  # 2 found: narrowed


def test_the_migration_indexes_the_complaints_already_there_and_without_it_searches_still_find(app, people):
    _on_sqlite(app)
    rare = ComplaintFilter(email="ioana_pop")
    with app.app_context():
        expected = [row.number for row in journal_page(rare).rows]
        assert len(expected) == 1
        flask_migrate.downgrade(revision="f4a6c8e0b2d5")  # as on an SQLite without the trigram tokenizer
        try:
            db.session.remove()
            assert db.session.execute(text("SELECT count(*) FROM sqlite_master WHERE name LIKE 'complaint_search%'")
                                      ).scalar() == 0
            assert search.contact_candidates(rare) == []
            assert [row.number for row in journal_page(rare).rows] == expected
        finally:  # the other tests share this database
            db.session.remove()
            flask_migrate.upgrade()
            db.session.remove()
        _integrity_checked()
        assert _found(rare) == [people["ioana_popescu@example.md"]]


def _on_postgresql(app) -> None:
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite's FTS5 index serves these searches")


def test_postgresql_finds_e_mail_and_phone_candidates_in_the_directory_of_contacts(app, people, monkeypatch):
    _on_postgresql(app)
    with app.app_context():
        ivan = people["Ivan.Petrov@example.ru"]
        # The directory holds addresses in lower case: a search in either case finds them.
        assert _found(ComplaintFilter(email="IVAN.P")) == [ivan]
        assert _found(ComplaintFilter(email="petrov@example")) == [ivan]
        assert _found(ComplaintFilter(email="popescu@")) == sorted([people["ion.popescu@example.md"],
                                                                     people["ioana_popescu@example.md"]])
        assert _found(ComplaintFilter(email="mihai%100")) == [people["mihai%100@example.md"]]  # % typed is a %
        assert _found(ComplaintFilter(email="mihai%200")) == []
        assert _found(ComplaintFilter(phone="37379200")) == [ivan]
        assert _found(ComplaintFilter(email="nobody@")) == []  # nothing to read at all
        assert _found(ComplaintFilter(email="md")) is None  # too short for a trigram index
        assert _found(ComplaintFilter(name="Popescu")) is None  # names: the planner's own index
        monkeypatch.setattr(search, "PROBE_LIMIT", 2)
        assert _found(ComplaintFilter(email="@example.md")) is None  # 3 contacts: a common text
        assert _found(ComplaintFilter(email="popescu@")) is not None  # 2: narrowed
        monkeypatch.undo()

        # A changed address leaves the directory's count of the old one at nought: not a candidate.
        db.session.execute(update(Complaint).where(Complaint.id == ivan).values(email="i.petrov@example.com"))
        db.session.commit()
        assert _found(ComplaintFilter(email="Ivan.Petrov")) == []
        assert _found(ComplaintFilter(email="petrov@example.com")) == [ivan]
        # ... nor does it count against the limit: one contact holding the text is still narrowed.
        monkeypatch.setattr(search, "PROBE_LIMIT", 1)
        assert _found(ComplaintFilter(email="petrov@example")) == [ivan]
        monkeypatch.undo()

        # The probe is one the directory's trigram index answers, not a read of every contact.
        probe = select(FigureContactTotal.contact).where(contains(FigureContactTotal.contact, "petrov"),
                                                         FigureContactTotal.complaints > 0)
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        shown = "\n".join(db.session.scalars(text("EXPLAIN " + str(probe.compile(
            dialect=db.engine.dialect, compile_kwargs={"literal_binds": True})))))
        db.session.rollback()
        assert "ix_figure_contact_totals_trgm" in shown, shown


SEARCHES = [
    {"email": "popescu@"},
    {"email": "POPESCU"},  # ASCII letters in either case, as SQLite's LIKE
    {"email": "_popescu"},  # an underscore is a character, not a wildcard
    {"email": "ioana_pop"},
    {"email": "%100"},  # a percent sign too
    {"email": "mihai%100@"},
    {"email": "example"},
    {"email": "nobody"},
    {"email": "ua"},
    {"email": "petrov@"},  # stored as typed, Ivan.Petrov@...
    {"email": "IVAN.P"},
    {"name": "Popescu"},
    {"name": "иван"},  # SQLite's LIKE folds ASCII letters only: not found, with or without the index
    {"name": "Иван"},
    {"name": "țurcanu"},
    {"name": "Ґонта"},
    {"phone": "69100"},
    {"phone": "4420"},
    {"phone": "7946 0958"},
    {"name": "Popescu", "email": "ioana"},
    {"name": "Popescu", "phone": "373"},
]


@pytest.mark.parametrize("limit", [1000, 1])
@pytest.mark.parametrize("fields", SEARCHES, ids=lambda fields: ",".join(f"{k}={v}" for k, v in fields.items()))
def test_a_journal_search_finds_the_same_complaints_with_the_index_as_without_it(app, people, monkeypatch,
                                                                                 fields, limit):
    monkeypatch.setattr(search, "PROBE_LIMIT", limit)
    f = ComplaintFilter(**fields)
    with app.app_context():
        with_index = [row.number for row in journal_page(f).rows]
        monkeypatch.setattr(queries, "contact_candidates", lambda f: [])
        without_index = [row.number for row in journal_page(f).rows]
    assert with_index == without_index
