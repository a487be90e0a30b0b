"""The analysis page's rollups (figure_reasons, figure_contacts, figure_contact_totals,
figure_contact_years, figure_contact_months; app/manage/rollup.py): the
triggers keep them equal to a recomputation after a realistic workflow (registrations with
repeated contacts, transfers, enforcement's breaches and escalations, escalations on request,
decisions, disputes, corrections, annulment, a regulatory clock's breach); the analysis read
through them equals the analysis read from every complaint live, for every period and filter;
`flask figures rebuild` and the migration's backfill compute the same lines."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import flask_migrate
import pytest
from sqlalchemy import delete, func, insert, literal, select, text, union_all, update

from _cases import T0, act
from app.clock import frozen_clock, local_day_start
from app.complaints.filters import ComplaintFilter
from app.complaints.models import Channel, Complaint, Resolution
from app.desk.operations import annul_complaint, correct_complaint
from app.extensions import db
from app.manage import analysis, facts, rollup
from app.manage.figures import counted
from app.manage.models import (
    CONTACT_DIRECTORY_INDEX,
    ComplaintFacts,
    FigureContact,
    FigureContactMonth,
    FigureContactTotal,
    FigureContactYear,
    FigureReason,
)
from app.settings.store import current_policy
from app.workflow import operations as ops
from app.workflow.enforcement import enforce
from app.workflow.models import Breach, DeadlineKind, EscalationReason

H, D = timedelta(hours=1), timedelta(days=1)
ZONE = "Europe/Chisinau"
CATEGORIES = ("payments", "technical", "bonuses")
EMAILS = ("Ana@Example.md", "ana@example.md", "bob@example.md", None)
PHONES = ("+373 69 111 222", None, "+37369333444")


def _lines(app) -> dict[str, tuple[list, list]]:
    """(stored, recomputed) lines of each analysis rollup and of complaint_facts, sorted."""
    with app.app_context():
        def rows(statement):
            return sorted(tuple(row) for row in db.session.execute(statement))

        return {
            "reasons": (rows(rollup.stored_reasons()), rows(rollup.recomputed_reasons())),
            "contacts": (rows(rollup.stored_contacts()), rows(rollup.recomputed_contacts())),
            "contact totals": (rows(rollup.stored_contact_totals()), rows(rollup.recomputed_contact_totals())),
            "contact years": (rows(rollup.stored_contact_years()), rows(rollup.recomputed_contact_years())),
            "contact months": (rows(rollup.stored_contact_months()), rows(rollup.recomputed_contact_months())),
            "facts": (rows(facts.stored()), rows(facts.recomputed())),
        }


def _assert_kept(app) -> dict[str, list]:
    lines = _lines(app)
    for name, (stored, fresh) in lines.items():
        assert stored == fresh, name
    return {name: stored for name, (stored, _) in lines.items()}


@pytest.fixture
def worked(app, register, staff) -> list[str]:
    """Fifteen complaints every 2 days and 19 hours over six weeks before T0, three categories,
    contacts repeated (one address typed two ways, two phone numbers) and one complaint without
    an address; each taken, some transferred, some breached by enforcement (and risen a tier)
    before the answer, then answered, decided, every other one closed; one disputed with a
    request to escalate, one escalated by its owner and left open, one corrected to another
    category, one more registered and annulled, a regulatory clock's breach recorded on a closed one."""
    olga, petru, mihai = staff["olga"], staff["petru"], staff["mihai"]
    numbers = []
    for i in range(15):
        at = T0 - 42 * D + i * (2 * D + 19 * H)
        changes = {"email": EMAILS[i % 4], "phone": PHONES[i % 3]}
        if changes["email"] is None and changes["phone"] is None:
            changes["phone"] = PHONES[0]
        number = register(at=at, category=CATEGORIES[i % 3], **changes)
        numbers.append(number)
        owner = olga
        act(app, number, ops.take_complaint, by=olga, at=at + H / 2)
        if i % 4 == 2:
            act(app, number, ops.transfer_complaint, by=olga, to=petru, reason="Petru knows this bank", at=at + H)
            owner = petru
        if i % 5 == 1:  # not answered in time: breached, risen to tier 2
            with app.app_context(), frozen_clock(at + 25 * H):
                enforce(at + 25 * H, current_policy())
            act(app, number, ops.take_complaint, by=mihai, at=at + 26 * H)
            owner = mihai
        if i == 14:
            act(app, number, ops.escalate, by=owner, reason="Needs the payments team", at=at + 27 * H)
            continue
        act(app, number, ops.respond, by=owner, body="Our answer.", at=at + 28 * H)
        act(app, number, ops.resolve, by=owner, resolution=Resolution.UPHELD, reasons="Paid in full today.",
            at=at + 30 * H)
        if i % 2 == 0:
            act(app, number, ops.close, by=owner, at=at + 31 * H)
    act(app, numbers[4], ops.complainant_reply, by=None, body="Still not paid.", dispute=True,
        ask_escalation=True, at=T0 - 42 * D + 4 * (2 * D + 19 * H) + 40 * H)
    act(app, numbers[7], correct_complaint, by=staff["clerk"], changes={"category": "other"},
        reason="Filed under the wrong category.", at=T0 - D)
    twice = register(at=T0 - 20 * D, category="payments", email="ana@example.md", phone=None)
    act(app, twice, annul_complaint, by=staff["clerk"], reason="Registered twice by mistake.", at=T0 - 20 * D + H)
    numbers.append(twice)
    with app.app_context():  # a breach and a channel written behind the ORM's back reach the rollups too
        closed = db.session.scalar(select(Complaint.id).where(Complaint.number == numbers[6]))
        db.session.execute(insert(Breach).values(complaint_id=closed, kind=DeadlineKind.FINAL_RESPONSE, tier=1,
                                                 due_at=T0 - 5 * D, detected_at=T0 - 4 * D))
        db.session.execute(update(Complaint).where(Complaint.number.in_(numbers[::5])).values(channel=Channel.EMAIL))
        db.session.commit()
    return numbers


def test_the_analysis_rollups_equal_a_recomputation_after_a_realistic_workflow(app, worked):
    kept = _assert_kept(app)
    reasons = {(line[4], line[5]): 0 for line in kept["reasons"]}
    for line in kept["reasons"]:
        if line[0] == 0:  # grouping 0: every complaint, by week
            reasons[line[4], line[5]] += line[7]
    assert reasons[("escalation", "first_response_breach")] >= 2
    assert reasons[("breach", "first_response")] >= 2
    assert reasons[("breach", "final_response")] == 1
    contacts = {}
    for line in kept["contacts"]:
        contacts[line[1]] = contacts.get(line[1], 0) + line[5]
    assert contacts["ana@example.md"] >= 4  # typed two ways, counted as one
    assert "Ana@Example.md" not in contacts
    assert "+37369111222" in contacts


def test_a_change_rolled_back_leaves_the_analysis_rollups_as_they_were(app, worked):
    before = _assert_kept(app)
    with app.app_context():
        db.session.execute(update(Complaint).values(category="other", tier=3))
        if db.session.get_bind().dialect.name == "postgresql":
            db.session.execute(text("SET CONSTRAINTS ALL IMMEDIATE"))
        assert db.session.scalar(select(FigureReason.events).where(
            FigureReason.grouping == rollup.BY_CATEGORY, FigureReason.category == "other",
            FigureReason.events != 0).limit(1))
        db.session.rollback()
    assert _assert_kept(app) == before


def test_the_contact_totals_follow_corrections_of_the_address_and_phone(app, worked, staff):
    """A corrected address or phone moves the complaint from one contact's total to another's
    (annulment keeps it counted: the totals hold every complaint that gives the contact)."""
    act(app, worked[0], correct_complaint, by=staff["clerk"],
        changes={"email": "Someone.Else@example.md", "phone": "+37369555666"}, reason="Typed wrong.", at=T0)
    act(app, worked[1], correct_complaint, by=staff["clerk"], changes={"email": "someone.else@example.md"},
        reason="Typed wrong.", at=T0 + H)
    totals = dict(_assert_kept(app)["contact totals"])
    assert totals["someone.else@example.md"] == 2
    assert totals["+37369555666"] == 1
    assert totals["ana@example.md"] == 7  # eight of the fifteen and the annulled one, two moved away


def test_the_contacts_per_year_and_month_follow_a_moved_registration_and_a_deleted_row(app, worked):
    """A registration moved to another month and year (at a month's first instant in UTC, the
    evening before in the registry's time zone) takes its contacts' counts with it; a row
    deleted takes them away."""
    _assert_kept(app)
    with app.app_context():
        first, second = db.session.scalars(select(ComplaintFacts.complaint_id).order_by(ComplaintFacts.complaint_id).limit(2)).all()
        db.session.execute(update(ComplaintFacts).where(ComplaintFacts.complaint_id == first)
                           .values(registered_at=datetime(2027, 1, 1, tzinfo=UTC)))
        db.session.execute(delete(ComplaintFacts).where(ComplaintFacts.complaint_id == second))
        db.session.commit()
        stored = {name: sorted(map(tuple, db.session.execute(statement))) for name, statement in (
            ("years", rollup.stored_contact_years()), ("months", rollup.stored_contact_months()),
            ("totals", rollup.stored_contact_totals()))}
        assert stored == {name: sorted(map(tuple, db.session.execute(statement))) for name, statement in (
            ("years", rollup.recomputed_contact_years()), ("months", rollup.recomputed_contact_months()),
            ("totals", rollup.recomputed_contact_totals()))}
    assert {month for month, _, _ in stored["months"]} == {date(2026, 10, 1), date(2026, 11, 1), date(2027, 1, 1)}
    assert {year for year, _, _ in stored["years"]} == {2026, 2027}


PERIODS = [
    (None, None),
    (local_day_start(date(2026, 10, 20), ZONE), local_day_start(date(2026, 11, 21), ZONE)),  # partial weeks
    (local_day_start(date(2026, 10, 19), ZONE), local_day_start(date(2026, 11, 16), ZONE)),  # whole weeks
    (T0 - 30 * D + 5 * H, T0 - 3 * D + 7 * H),  # any instants
    (T0 - 20 * D, None),
    (None, T0 - 20 * D),
    (T0 - 10 * D, T0 - 8 * D),  # no full week
    # both partial weeks read from their weeks' rollups, less a settled complaint in each one's
    # part outside the period (Monday 26 October, Sunday 15 November)
    (local_day_start(date(2026, 10, 27), ZONE), local_day_start(date(2026, 11, 14), ZONE) + 12 * H),
]
NARROWED = [{}, {"category": "technical"}, {"channel": Channel.EMAIL}, {"tier": 1}, {"tier": 2},
            {"category": "payments", "channel": Channel.API}, {"category": "bonuses", "tier": 1}]


def _analysis(f: ComplaintFilter) -> tuple:
    return (analysis.category_trend(f, ZONE), analysis.repeat_complainants(f), analysis.rise_reasons(f))


def test_the_analysis_through_the_rollups_equals_the_analysis_read_live(app, worked, monkeypatch):
    used = 0
    for period in PERIODS:
        for narrowed in NARROWED:
            f = ComplaintFilter(registered_from=period[0], registered_before=period[1], **narrowed)
            with app.app_context():
                rolled_up = _analysis(f)
                used += rollup.split(f, ZONE) is not None
                with monkeypatch.context() as m:
                    m.setattr(rollup, "split", lambda *_args, **_kwargs: None)  # every complaint read live
                    live = _analysis(f)
                db.session.rollback()
            assert rolled_up == live, f
    assert used >= 30  # most of the cases did read rollups


def _counted_one_by_one(f: ComplaintFilter, limit: int) -> list[tuple[str, int]]:
    """The recurring complainants as the page shows them, counted from every complaint."""
    counts: Counter[str] = Counter()
    for email, phone in db.session.execute(
            select(func.lower(Complaint.email), Complaint.phone).where(*counted(f, Complaint))):
        counts.update(contact for contact in (email, phone) if contact is not None)
    ranked = sorted(((c, n) for c, n in counts.items() if n > 1), key=lambda item: (-item[1], item[0].encode()))
    return ranked[:limit]


def test_recurring_complainants_looked_for_among_the_most_frequent_of_all_time_are_cut_as_when_all_are_counted(
        app, worked, register, monkeypatch):
    """The contacts with the most complaints of all time are counted first; the rest of the
    period only when those cannot settle the places asked for. Every cut equals counting all:
    contacts frequent long ago and not in the period, ties in byte order ("+" before letters,
    capitals before small letters in phone-free addresses), open complaints read live."""
    for k in range(6):  # frequent long ago
        register(at=T0 - 300 * D + k * D, category="payments", email="old@example.md", phone=None)
    for k in range(9):  # twice each in the last weeks, one of them three times
        for n in range(3 if k == 4 else 2):
            register(at=T0 - (k + 3 * n) * D, category=CATEGORIES[k % 3],
                     email=f"c{k}@example.md" if k % 2 or not k % 3 else None, phone=f"+3736900000{k}" if k % 3 else None)
    register(at=T0 - 2 * D, category="payments", email="old@example.md", phone=None)
    for years_ago in (1, 2, 4):  # coming back in other years (T0 is in November 2026)
        register(at=T0 - years_ago * 365 * D, category="payments", email="c1@example.md", phone="+37369000005")
        register(at=T0 - years_ago * 365 * D - 3 * D, category="technical", email="old@example.md", phone=None)
    for k in range(4):  # every nine days in October, twice in a week of it
        register(at=T0 - (25 + 9 * k) * D, category="technical", email="m@example.md", phone=f"+3736900001{k % 2}")
    used, by_calendar = 0, Counter()
    periods = [(None, None), (T0 - 20 * D, None), (T0 - 30 * D + 5 * H, T0 - 2 * D + 7 * H), (None, T0 - 60 * D),
               # one calendar year, two, three (no end), four (counted from all time only)
               (T0 - 200 * D, T0), (T0 - 400 * D, T0 - D), (T0 - 800 * D, None), (T0 - 1500 * D, T0),
               # inside one calendar month (UTC), two (the registry's month begins the evening
               # before), three, four (counted from all time only)
               (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 21, tzinfo=UTC)),
               (local_day_start(date(2026, 11, 1), ZONE), local_day_start(date(2026, 12, 1), ZONE)),
               (datetime(2026, 9, 15, tzinfo=UTC), datetime(2026, 11, 20, tzinfo=UTC)),
               (datetime(2026, 8, 20, tzinfo=UTC), datetime(2026, 11, 20, tzinfo=UTC))]
    for period in periods:
        for narrowed in [{}, {"category": "payments"}, {"tier": 1}]:
            f = ComplaintFilter(registered_from=period[0], registered_before=period[1], **narrowed)
            with app.app_context():
                used += rollup.split(f) is not None
                key, keys = analysis._calendar(f)
                by_calendar[key.key if keys else None, len(keys)] += 1
                for limit in (1, 2, 3, 5, 8, 25):
                    for first_look in (1, analysis.FIRST_LOOK, 100):  # from counting all often to never
                        with monkeypatch.context() as m:
                            m.setattr(analysis, "FIRST_LOOK", first_look)
                            found = analysis.repeat_complainants(f, limit)
                        assert [(r.contact, r.complaints) for r in found] == _counted_one_by_one(f, limit), (
                            f, limit, first_look)
    assert used >= 6
    # all time only: with no start, four months, or four years
    assert by_calendar == {(None, 0): 12, ("month", 1): 6, ("month", 2): 6, ("month", 3): 3,
                           ("year", 1): 3, ("year", 2): 3, ("year", 3): 3}


_RECURRING = analysis._recurring


def _marked(f, s, among=None, when=None):
    """analysis._recurring, with a row that only the whole period's sum adds: shows whether it ran."""
    statement = _RECURRING(f, s, among, when)
    if when is None:
        return statement
    return union_all(statement, select(literal("summed@example.md").label("contact"),
                                       literal(1000).label("complaints")).where(when))


def test_recurring_complainants_of_a_period_are_settled_by_its_years_when_old_customers_come_back_every_year(
        app, register, monkeypatch):
    """Customers who come back every year have the most complaints of all time, but not in the
    period: counted first among the most frequent of the period's years, the places are settled
    without summing the whole period (a row the whole period's sum would add shows whether it
    ran), and are the same as when every complaint is counted."""
    for year in range(5):  # three old customers, one complaint a year for five years
        for k in range(3):
            register(at=T0 - (year * 365 + 40 + k) * D, category="payments", email=f"old{k}@example.md", phone=None)
    for k, times in enumerate((4, 4, 2)):  # frequent this year only
        for n in range(times):
            register(at=T0 - (10 + 3 * n + k) * D, category="technical", email=f"new{k}@example.md", phone=None)
    f = ComplaintFilter(registered_from=T0 - 300 * D, registered_before=T0 + D)
    with app.app_context():
        expected = _counted_one_by_one(f, 2)
        assert expected == [("new0@example.md", 4), ("new1@example.md", 4)]
        assert analysis._calendar(f) == (FigureContactYear.year, [2026])
        for years_at_most, summed in ((analysis.YEARS_AT_MOST, False), (0, True)):
            with monkeypatch.context() as m:
                m.setattr(analysis, "FIRST_LOOK", 1)
                m.setattr(analysis, "YEARS_AT_MOST", years_at_most)
                assert [(r.contact, r.complaints) for r in analysis.repeat_complainants(f, 2)] == expected
                m.setattr(analysis, "_recurring", _marked)
                found = [r.contact for r in analysis.repeat_complainants(f, 2)]
            assert ("summed@example.md" in found) is summed, years_at_most


def test_recurring_complainants_of_a_month_are_settled_by_its_months_when_customers_come_back_every_month(
        app, register, monkeypatch):
    """Customers who come back every month have the most complaints of all time and of the year,
    but one a month: counted first among the most frequent of the period's months, the places of
    a few weeks are settled without summing the whole period (as the years'), and are the same
    as when every complaint is counted. A calendar month in the registry's time zone begins two
    hours before the UTC month: that edge's contacts are looked at, so another month's
    frequent contacts (October's, twice each) do not bound it, and a contact that is frequent in
    the edge is found."""
    for month in range(10):  # three regular customers, one complaint a month for ten months
        for k in range(3):
            register(at=T0 - (month * 30 + 25 + k) * D, category="payments", email=f"old{k}@example.md", phone=None)
    for k in range(3):  # twice each in October (UTC and local)
        for n in range(2):
            register(at=T0 - (45 + 3 * n + k) * D, category="bonuses", email=f"october{k}@example.md", phone=None)
    register(at=local_day_start(date(2026, 11, 1), ZONE) + H, category="bonuses", email="new0@example.md", phone=None)
    for at in (local_day_start(date(2026, 11, 1), ZONE) + H / 2, local_day_start(date(2026, 11, 1), ZONE) + H,
               T0 - 4 * D, T0 - 5 * D):  # twice in the edge, twice in the UTC month
        register(at=at, category="bonuses", email="edge@example.md", phone=None)
    for k, times in enumerate((3, 4, 2)):  # frequent this month only
        for n in range(times):
            register(at=T0 - (10 + 3 * n + k) * D, category="technical", email=f"new{k}@example.md", phone=None)
    utc_month = ComplaintFilter(registered_from=datetime(2026, 11, 1, tzinfo=UTC), registered_before=T0 + D)
    local_month = ComplaintFilter(registered_from=local_day_start(date(2026, 11, 1), ZONE),
                                  registered_before=local_day_start(date(2026, 12, 1), ZONE))
    with app.app_context():
        assert _counted_one_by_one(utc_month, 2) == [("new1@example.md", 4), ("new0@example.md", 3)]
        assert _counted_one_by_one(local_month, 2) == [("edge@example.md", 4), ("new0@example.md", 4)]
        assert analysis._calendar(utc_month) == (FigureContactMonth.month, [date(2026, 11, 1)])
        assert analysis._calendar(local_month) == (FigureContactMonth.month, [date(2026, 10, 1), date(2026, 11, 1)])
        cases = [(utc_month, {}, False), (utc_month, {"MONTHS_AT_MOST": 0}, True),
                 (local_month, {}, False), (local_month, {"EDGE": timedelta(0)}, True)]
        for f, changes, summed in cases:
            with monkeypatch.context() as m:
                m.setattr(analysis, "FIRST_LOOK", 1)
                for name, value in changes.items():
                    m.setattr(analysis, name, value)
                assert [(r.contact, r.complaints) for r in analysis.repeat_complainants(f, 2)] == (
                    _counted_one_by_one(f, 2)), (f, changes)
                m.setattr(analysis, "_recurring", _marked)
                found = [r.contact for r in analysis.repeat_complainants(f, 2)]
            assert ("summed@example.md" in found) is summed, (f, changes)


def test_the_whole_registry_is_counted_once(app, worked):
    with app.app_context():
        trend, repeats, reasons = _analysis(ComplaintFilter())
    assert reasons.complaints == 15  # sixteen, one annulled
    assert sum(sum(counts) for counts in trend.counts.values()) == 15
    assert "other" in trend.counts
    assert reasons.breaches[DeadlineKind.FINAL_RESPONSE] == 1
    assert reasons.escalations[EscalationReason.COMPLAINANT_REQUEST] == 1
    assert reasons.escalations[EscalationReason.OWNER_REQUEST] == 1
    assert repeats[0].contact in {"ana@example.md", "+37369111222"}


def test_figures_rebuild_recomputes_the_analysis_rollups(app, worked, runner):
    expected = _assert_kept(app)
    with app.app_context():
        for table in (FigureReason, FigureContact, FigureContactTotal, FigureContactYear, FigureContactMonth):
            db.session.execute(table.__table__.delete())
        db.session.commit()
    result = runner.invoke(args=["figures", "rebuild"])
    assert result.exit_code == 0, result.output
    assert _assert_kept(app) == expected


def test_a_rebuild_builds_the_contact_directorys_trigram_index_afresh_on_postgresql(app, worked, runner):
    """A rebuild writes every directory line again; its trigram index is rebuilt after it has
    committed, so the index holds the new lines alone: one entry for the one line an address
    search matches (built in the rebuild's own transaction, it held the deleted line's too)."""
    def files() -> int:
        with app.app_context():
            return db.session.execute(text("SELECT relfilenode FROM pg_class WHERE relname = :name"),
                                      {"name": CONTACT_DIRECTORY_INDEX}).scalar_one()

    def entries(contact: str) -> int:
        """How many entries the index gives for `contact`, read from the index alone."""
        with app.app_context():
            for scan in ("seqscan", "indexscan", "indexonlyscan"):  # the trigram index's bitmap only
                db.session.execute(text(f"SET LOCAL enable_{scan} = off"))
            [[[plan]]] = db.session.execute(text(
                "EXPLAIN (ANALYZE, FORMAT JSON) SELECT contact FROM figure_contact_totals WHERE contact ILIKE :text"),
                {"text": f"%{contact}%"}).all()
            db.session.rollback()
        scan = plan["Plan"]["Plans"][0]
        assert scan["Index Name"] == CONTACT_DIRECTORY_INDEX, plan
        return scan["Actual Rows"]

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite keeps the index empty: its own FTS5 index serves the searches")
    before = files()
    result = runner.invoke(args=["figures", "rebuild"])
    assert result.exit_code == 0, result.output
    assert files() != before
    assert entries("ana@example.md") == 1


def test_the_migration_backfills_the_analysis_rollups_and_its_downgrade_undoes_them(app, worked):
    expected = _assert_kept(app)
    with app.app_context():
        flask_migrate.downgrade(revision="b4d7e2a9c6f1")
        db.session.remove()
        columns = {column["name"] for column in db.inspect(db.engine).get_columns("complaint_facts")}
        assert "email" not in columns and "escalations_transfers" not in columns
        flask_migrate.upgrade()
        db.session.remove()
    assert _assert_kept(app) == expected


def test_the_migration_writes_out_the_reasons_and_kinds_of_the_app():
    """The migration lists the escalation reasons and breach kinds (migrations do not import the
    app); a reason or kind added to the app needs a column and a trigger in a new migration."""
    import importlib.util
    from pathlib import Path

    path = next(Path("migrations/versions").glob("*_c8e4a1f6b2d9_analysis_rollups.py"))
    spec = importlib.util.spec_from_file_location("analysis_rollups", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.REASONS == tuple(reason.value for reason in EscalationReason)
    assert ("first_response", "resolution", *module.CLOCK_KINDS) == tuple(kind.value for kind in DeadlineKind)
    assert tuple(column for _, _, column in module.COUNTS) == tuple(
        column for _, _, column in rollup.REASON_COUNTS)
    assert {column for _, _, column in module.COUNTS} <= set(ComplaintFacts.__table__.columns.keys())


def test_sqlite_indexes_each_duration_as_the_percentiles_compute_it(app):
    """SQLite uses an expression index only for the same expression: the migration's must be the
    one `rollup.duration_ms` compiles to, or a percentile's bucket is read by a scan."""
    from app.manage.models import SQLITE_ONLY_INDEXES

    with app.app_context():
        if db.session.get_bind().dialect.name != "sqlite":
            pytest.skip("SQLite's indexes")
        indexes = dict(db.session.execute(text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'complaint_facts'")).all())
        for name, end in zip(SQLITE_ONLY_INDEXES, rollup.ENDS.values(), strict=True):
            compiled = str(rollup.duration_ms(end).compile(db.engine, compile_kwargs={"literal_binds": True}))
            assert compiled.replace("complaint_facts.", "") in indexes[name], name
            assert f"WHERE {end.name} IS NOT NULL" in indexes[name]
