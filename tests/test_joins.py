"""Joined and related complaints (app/workflow/joins.py): joining a repeat to the earlier
complaint, what that does to its deadlines, clocks and queue, the refusals, linking and
unlinking, the signed events verify checks, the case page, and the journal's search of the
correspondence."""

from __future__ import annotations

from datetime import timedelta

import flask_migrate
import pytest
from sqlalchemy import delete, func, select, update

from _cases import T0, act, events, load
from _support import IBAS
from app.auth.models import User
from app.clock import frozen_clock
from app.complaints.access import find_by_reference
from app.complaints.errors import ComplaintChangeForbidden, ComplaintChangeRefused
from app.complaints.filters import ComplaintFilter
from app.complaints.models import Complaint, ComplaintStatus, Resolution
from app.database import commit_with_retry
from app.extensions import db
from app.manage import figures, outcome_rollup, outcomes, rollup
from app.registry.models import RegistryEntry
from app.registry.verify import verify_registry
from app.settings.store import current_policy, current_settings
from app.workflow import joins, states
from app.workflow import operations as ops
from app.workflow.deadlines import DueState, first_response_state, next_due, resolution_state
from app.workflow.enforcement import enforce
from app.workflow.models import Breach, ComplaintJoin, ComplaintLink, Escalation
from app.workflow.states import NOT_COUNTED, Action, TransitionRefused

LATER = T0 + timedelta(hours=2)
ANA = {"email": "ana.maria@example.md", "phone": "+373 69 123 456"}
OTHER = {"full_name": "Ion Popescu", "email": "ion.popescu@example.md", "phone": "+373 79 555 444",
         "signature": "Ion Popescu"}


def join(app, number: str, into: str, *, by: int, at=T0 + timedelta(hours=3), reason="The same withdrawal, again"):
    with app.app_context(), frozen_clock(at):
        complaint, main = find_by_reference(number), find_by_reference(into)
        user = db.session.get(User, by)
        return commit_with_retry(lambda: joins.join_complaint(complaint, into=main, reason=reason, by=user))


def link(app, number: str, other: str, *, by: int, note="The same card outage of 23 November", undo=False,
         at=T0 + timedelta(hours=3)):
    with app.app_context(), frozen_clock(at):
        complaint, related = find_by_reference(number), find_by_reference(other)
        user = db.session.get(User, by)
        if undo:
            return commit_with_retry(lambda: joins.unlink_complaints(complaint, other=related, note=note, by=user))
        return commit_with_retry(lambda: joins.link_complaints(complaint, to=related, note=note, by=user))


def recorded(app) -> tuple[int, int, int]:
    """How many signed entries, joins and links there are: a refusal changes none."""
    with app.app_context():
        return (db.session.scalar(select(func.count()).select_from(RegistryEntry)),
                db.session.scalar(select(func.count()).select_from(ComplaintJoin)),
                db.session.scalar(select(func.count()).select_from(ComplaintLink)))


def assert_verified(app):
    with app.app_context():
        report = verify_registry(files=False)
        assert report.ok, [str(p) for p in report.problems]


def run_enforcement(app, at):
    with app.app_context(), frozen_clock(at):
        return enforce(at, current_policy())


# Joining ------------------------------------------------------------------------------------

def test_a_repeat_is_joined_to_the_earlier_complaint_keeping_its_number_as_signed_events_on_both(
        app, register, staff):
    main, repeat = register(), register(at=LATER)
    join(app, repeat, main, by=staff["clerk"])
    joined = events(app, repeat)[-1]
    assert joined["type"] == "joined"
    assert joined["join"]["main"] == main and joined["by"]["id"] == staff["clerk"]
    assert events(app, main)[-1]["type"] == "join_received"
    assert events(app, main)[-1]["joined"]["number"] == repeat
    with app.app_context():
        complaint = find_by_reference(repeat)
        assert complaint.number == repeat and complaint.joined.main.number == main
        assert [c.number for c in joins.joined_here(find_by_reference(main))] == [repeat]
    assert_verified(app)


def test_a_joined_complaint_runs_no_deadline_leaves_the_queue_and_is_never_escalated_while_its_main_one_is(
        app, register, staff, client, login):
    main, repeat = register(), register(at=LATER)
    with frozen_clock(LATER):
        login(client, "manager", "vera", tier=3)
        assert repeat in client.get("/staff/queue?show=all").get_data(as_text=True)
    join(app, repeat, main, by=staff["clerk"])
    with app.app_context(), frozen_clock(T0 + timedelta(days=1)):
        complaint = find_by_reference(repeat)
        assert complaint.next_check_at is None and complaint.resolution_due is None
        fraction = current_policy().due_soon_fraction
        assert first_response_state(complaint, T0 + timedelta(days=90), fraction) == DueState.NOT_RUNNING
        assert resolution_state(complaint, T0 + timedelta(days=90), fraction) == DueState.NOT_RUNNING
        assert next_due(complaint) is None
    # Months later every deadline of the main one has passed: it is breached and escalated; the
    # joined one is not even looked at.
    for days in (10, 30, 60, 120):
        run_enforcement(app, T0 + timedelta(days=days))
    with app.app_context():
        ids = {n: find_by_reference(n).id for n in (main, repeat)}
        breached = set(db.session.scalars(select(Breach.complaint_id)))
        escalated = set(db.session.scalars(select(Escalation.complaint_id)))
    assert ids[main] in breached and ids[main] in escalated
    assert ids[repeat] not in breached and ids[repeat] not in escalated
    assert load(app, repeat).tier == 1
    with frozen_clock(T0 + timedelta(days=120)):
        client = login(app.test_client(), "manager", "vera2", tier=3)
        queue = client.get("/staff/queue?show=all").get_data(as_text=True)
    assert main in queue and repeat not in queue
    assert_verified(app)


def test_joining_stops_the_repeats_regulatory_clocks_as_signed_changes_and_enforcement_leaves_them_alone(
        make_app, staff_factory):
    app = make_app(CLOCK_POLICY="ukgc", REFERRAL_BODY=IBAS)
    staff = staff_factory()
    client = app.test_client()
    with frozen_clock(T0):
        main = client.post("/api/v1/complaints", json=_payload()).get_json()["number"]
    with frozen_clock(LATER):
        repeat = client.post("/api/v1/complaints", json=_payload()).get_json()["number"]
    join(app, repeat, main, by=staff["olga"])
    stopped = events(app, repeat)[-1]["clocks"]
    assert stopped and {change["event"] for change in stopped} == {"stopped"}
    with app.app_context():
        complaint = find_by_reference(repeat)
        assert complaint.clocks and all((clock.stopped_at or clock.met_at) is not None and clock.next_check_at is None
                                        for clock in complaint.clocks)
        assert complaint.clock_due is None
    run_enforcement(app, T0 + timedelta(days=70))
    with app.app_context():
        repeat_id, main_id = find_by_reference(repeat).id, find_by_reference(main).id
        assert db.session.scalar(select(func.count()).select_from(Breach).where(Breach.complaint_id == repeat_id)) == 0
        assert db.session.scalar(select(func.count()).select_from(Breach).where(Breach.complaint_id == main_id)) > 0
    assert_verified(app)


def _payload(**changes):
    from _support import valid_payload
    return valid_payload(**changes)


@pytest.fixture
def staff_factory(make_user):
    """The `staff` fixture's people for an app made with `make_app`."""
    def make():
        return {"olga": make_user("olga", "officer", tier=1, full_name="Olga Officer"),
                "clerk": make_user("clerk", "clerk", tier=None)}
    return make


def test_every_action_on_a_joined_complaint_but_an_internal_note_is_refused_naming_the_main_one(
        app, register, staff):
    main, repeat = register(), register(at=LATER)
    act(app, repeat, ops.take_complaint, by=staff["olga"])
    join(app, repeat, main, by=staff["olga"])
    before = recorded(app)
    for operation, kwargs in (
        (ops.respond, {"body": "An answer"}),
        (ops.resolve, {"resolution": Resolution.UPHELD, "reasons": "Upheld, paid back"}),
        (ops.escalate, {"reason": "Needs the payments team"}),
        (ops.transfer_complaint, {"to": staff["petru"], "reason": "Petru knows cards"}),
        (ops.take_complaint, {}),
    ):
        who = staff["petru"] if operation is ops.take_complaint else staff["olga"]
        with pytest.raises(TransitionRefused, match=f"joined to {main}"):
            act(app, repeat, operation, by=who, **kwargs)
    with pytest.raises(TransitionRefused, match=f"joined to {main}"):
        act(app, repeat, ops.complainant_reply, by=None, body="Any news?")
    assert recorded(app) == before
    act(app, repeat, ops.add_consultation, by=staff["olga"], note="Handled with the earlier complaint")
    assert events(app, repeat)[-1]["type"] == "consulted"


def test_the_main_complaints_answer_stands_for_both(app, register, staff):
    main, repeat = register(), register(at=LATER)
    join(app, repeat, main, by=staff["clerk"])
    act(app, main, ops.take_complaint, by=staff["olga"])
    act(app, main, ops.resolve, by=staff["olga"], resolution=Resolution.UPHELD, reasons="Paid back in full today")
    assert load(app, main).resolution == Resolution.UPHELD
    with app.app_context():
        assert find_by_reference(repeat).joined is not None  # still joined, still its number
    assert_verified(app)


def _counts(app, at) -> tuple[int, int, int, int]:
    """(complaints counted, open, opened, outstanding at the end) over the days around T0."""
    with app.app_context():
        settings = current_settings()
        start, end = T0 - timedelta(days=1), T0 + timedelta(days=20)
        summary = figures.overview(ComplaintFilter(registered_from=start, registered_before=end), at).summary
        f = outcomes.outcome_figures(start, end, policies=settings.clock_policies, calendar=settings.calendar)
        db.session.rollback()
    return summary.complaints, summary.open, f.opened, f.outstanding_at_end


def _rollups_kept(app) -> None:
    with app.app_context():
        def rows(statement):
            return sorted(tuple(row) for row in db.session.execute(statement))

        assert rows(outcome_rollup.stored_weeks()) == rows(outcome_rollup.recomputed_weeks())
        assert rows(outcome_rollup.stored_years()) == rows(outcome_rollup.recomputed_years())
        assert rows(rollup.stored_cells()) == rows(rollup.recomputed_cells())


def test_a_joined_repeat_is_no_longer_open_and_the_figures_count_its_main_one_once(app, register, staff):
    main, repeat, other = register(), register(at=LATER), register(at=LATER, **OTHER)
    at = T0 + timedelta(days=2)
    assert _counts(app, at) == (3, 3, 3, 3)
    join(app, repeat, main, by=staff["clerk"])
    assert load(app, repeat).status == ComplaintStatus.JOINED
    assert events(app, repeat)[-1]["state"]["status"] == "joined"  # signed with the join
    assert _counts(app, at) == (2, 2, 2, 2)
    # Answered and closed, the main one leaves the open work; the repeat never comes back.
    act(app, main, ops.take_complaint, by=staff["olga"])
    act(app, main, ops.resolve, by=staff["olga"], resolution=Resolution.UPHELD, reasons="Paid back in full today")
    assert _counts(app, at) == (2, 1, 2, 1)
    assert load(app, other).status == ComplaintStatus.REGISTERED
    _rollups_kept(app)
    assert_verified(app)


def test_the_migration_lists_as_uncounted_the_statuses_the_figures_never_count():
    """The migration `joined_status` writes out the statuses its triggers never count (migrations
    do not import the app): a status added to NOT_COUNTED needs a new migration."""
    import importlib.util
    from pathlib import Path

    path = next((Path(__file__).resolve().parents[1] / "migrations" / "versions").glob("*_joined_status.py"))
    spec = importlib.util.spec_from_file_location("joined_status_migration", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert set(migration.UNCOUNTED) == {status.value for status in NOT_COUNTED}


def test_a_complaint_joined_before_joined_had_a_status_is_moved_to_it_by_the_migration_and_verifies(
        app, register, staff, monkeypatch):
    """Joins made before the migration `joined_status` kept the status the complaint had, and
    signed it: the migration moves them to "joined", the outcome rollups lose them, and verify
    accepts the status for a complaint whose join row a signed event vouches for, no other."""
    main, repeat, other = register(), register(at=LATER), register(at=LATER + timedelta(hours=1), **OTHER)
    act(app, repeat, ops.take_complaint, by=staff["olga"])
    with monkeypatch.context() as m:  # the join as it was: the status kept
        m.setitem(states.TRANSITIONS, (ComplaintStatus.IN_PROGRESS, Action.JOIN), ComplaintStatus.IN_PROGRESS)
        join(app, repeat, main, by=staff["olga"])
    assert load(app, repeat).status == ComplaintStatus.IN_PROGRESS
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
        flask_migrate.downgrade(revision="b8d2f4a6c9e1")
        flask_migrate.upgrade()
        db.engine.dispose()
    assert load(app, repeat).status == ComplaintStatus.JOINED
    assert events(app, repeat)[-1]["state"]["status"] == "in_progress"
    _rollups_kept(app)
    assert _counts(app, T0 + timedelta(days=2))[2] == 2
    assert_verified(app)
    # A complaint with no join is held to its signed status.
    with app.app_context():
        db.session.execute(update(Complaint).where(Complaint.number == other).values(status=ComplaintStatus.JOINED,
                                                                                     owner_id=None))
        db.session.commit()
        problems = verify_registry(files=False).problems
    assert [p.number for p in problems] == [other]


# Refusals -----------------------------------------------------------------------------------

def test_a_join_across_two_complainants_is_refused_and_changes_nothing(app, register, staff):
    main, other = register(), register(at=LATER, **OTHER)
    before = recorded(app)
    with pytest.raises(ComplaintChangeRefused, match="not from the same complainant"):
        join(app, other, main, by=staff["clerk"])
    assert recorded(app) == before


def test_the_same_phone_alone_is_the_same_complainant(app, register, staff):
    main = register()
    repeat = register(at=LATER, email="ana.other@example.md")
    join(app, repeat, main, by=staff["clerk"])
    assert events(app, repeat)[-1]["type"] == "joined"


def test_a_complaint_is_not_joined_to_itself(app, register, staff):
    number = register()
    before = recorded(app)
    with pytest.raises(ComplaintChangeRefused, match="itself"):
        join(app, number, number, by=staff["clerk"])
    assert recorded(app) == before


def test_a_circle_and_a_join_into_a_joined_complaint_are_refused(app, register, staff):
    first, second, third = register(), register(at=LATER), register(at=LATER + timedelta(hours=1))
    join(app, second, first, by=staff["clerk"])
    before = recorded(app)
    with pytest.raises(ComplaintChangeRefused, match=f"{second} is itself joined to {first}"):
        join(app, first, second, by=staff["clerk"])  # A -> B -> A
    with pytest.raises(ComplaintChangeRefused, match=f"join to {first} instead"):
        join(app, third, second, by=staff["clerk"])  # into a joined complaint
    with pytest.raises(TransitionRefused, match=f"joined to {first}"):
        join(app, second, third, by=staff["clerk"])  # joined already
    assert recorded(app) == before
    join(app, third, first, by=staff["clerk"])  # to the main one: fine


def test_the_earlier_complaint_is_not_joined_to_a_later_one(app, register, staff):
    first, second = register(), register(at=LATER)
    with pytest.raises(ComplaintChangeRefused, match="later complaint to the earlier one"):
        join(app, first, second, by=staff["clerk"])


def test_a_closed_complaint_is_not_joined_nor_anything_to_an_annulled_one(app, register, staff):
    from app.desk.operations import annul_complaint
    first, second, third = register(), register(at=LATER), register(at=LATER + timedelta(hours=1))
    act(app, second, ops.take_complaint, by=staff["olga"])
    act(app, second, ops.resolve, by=staff["olga"], resolution=Resolution.REJECTED, reasons="Nothing was owed here")
    act(app, second, ops.close, by=staff["olga"])
    before = recorded(app)
    with pytest.raises(TransitionRefused, match="closed"):
        join(app, second, first, by=staff["clerk"])
    assert recorded(app) == before
    act(app, first, annul_complaint, by=staff["clerk"], reason="Registered twice by mistake")
    with pytest.raises(ComplaintChangeRefused, match=f"{first} is annulled"):
        join(app, third, first, by=staff["clerk"])


def test_a_complaint_someone_owns_is_joined_only_by_its_owner_or_management(app, register, staff):
    main, repeat = register(), register(at=LATER)
    act(app, repeat, ops.take_complaint, by=staff["olga"])
    for somebody in ("petru", "clerk"):
        with pytest.raises(ComplaintChangeForbidden, match="only its owner or management"):
            join(app, repeat, main, by=staff[somebody])
    join(app, repeat, main, by=staff["mihai"])


# Linking ------------------------------------------------------------------------------------

def test_related_complaints_are_linked_with_a_note_once_and_unlinked_as_signed_events(app, register, staff):
    first, second = register(), register(at=LATER, **OTHER)
    link(app, first, second, by=staff["olga"])
    signed = events(app, first)[-1]
    assert signed["type"] == "linked" and signed["link"] == {"related": second, "related_id": signed["link"][
        "related_id"], "linked": True}
    with app.app_context():
        assert [(r.complaint.number, r.note) for r in joins.related_to(find_by_reference(second))] == [
            (first, "The same card outage of 23 November")]
    before = recorded(app)
    with pytest.raises(ComplaintChangeRefused, match="linked already"):
        link(app, second, first, by=staff["clerk"])
    with pytest.raises(ComplaintChangeRefused, match="itself"):
        link(app, first, first, by=staff["clerk"])
    with pytest.raises(ComplaintChangeRefused, match="note"):
        link(app, first, second, by=staff["clerk"], note="   ")
    assert recorded(app) == before
    link(app, second, first, by=staff["clerk"], note="A different outage after all", undo=True)
    assert events(app, second)[-1]["type"] == "unlinked"
    with app.app_context():
        assert joins.related_to(find_by_reference(first)) == []
    with pytest.raises(ComplaintChangeRefused, match="not linked"):
        link(app, first, second, by=staff["clerk"], note="Undo again", undo=True)
    link(app, first, second, by=staff["clerk"], note="Linked again: the same outage")
    assert_verified(app)


# The signed record --------------------------------------------------------------------------

def test_verify_finds_a_removed_join_and_an_altered_link(app, register, staff):
    main, repeat, other = register(), register(at=LATER), register(at=LATER, **OTHER)
    join(app, repeat, main, by=staff["clerk"])
    link(app, main, other, by=staff["clerk"])
    with app.app_context():
        db.session.execute(update(ComplaintLink).values(note="Quietly rewritten"))
        db.session.execute(delete(ComplaintJoin))
        db.session.commit()
        problems = [p.what for p in verify_registry(files=False).problems]
    assert "the join this entry records is missing (removed)" in problems
    assert any("the link differs from its signed event" in p for p in problems)


# The case page ------------------------------------------------------------------------------

def test_the_case_page_joins_and_links_and_shows_both_ways(app, register, staff, client, login):
    main, repeat, other = register(), register(at=LATER), register(at=LATER, **OTHER)
    login(client, "clerk", "carla")
    with frozen_clock(T0 + timedelta(hours=3)):
        page = client.get(f"/staff/complaints/{repeat}").get_data(as_text=True)
        assert 'data-testid="form-join"' in page and 'data-testid="form-link"' in page
        refused = client.post(f"/staff/complaints/{repeat}/join", data={"join-into": "2026/999999",
                                                                       "join-reason": "The same withdrawal"})
        assert refused.status_code == 422 and "No complaint has this number." in refused.get_data(as_text=True)
        refused = client.post(f"/staff/complaints/{other}/join", data={"join-into": main,
                                                                      "join-reason": "The same withdrawal"})
        assert refused.status_code == 422 and "not from the same complainant" in refused.get_data(as_text=True)
        done = client.post(f"/staff/complaints/{repeat}/join", data={"join-into": main,
                                                                    "join-reason": "The same withdrawal"})
        assert done.status_code == 303
        done = client.post(f"/staff/complaints/{main}/link", data={"link-to": other,
                                                                  "link-note": "The same card outage"})
        assert done.status_code == 303
        again = client.post(f"/staff/complaints/{main}/link", data={"link-to": other, "link-note": "Again"})
        assert again.status_code == 422 and "linked already" in again.get_data(as_text=True)
        repeat_page = client.get(f"/staff/complaints/{repeat}").get_data(as_text=True)
        main_page = client.get(f"/staff/complaints/{main}").get_data(as_text=True)
        other_page = client.get(f"/staff/complaints/{other}").get_data(as_text=True)
    assert 'data-testid="joined-banner"' in repeat_page and f"Joined to {main}" in repeat_page
    assert 'data-testid="form-join"' not in repeat_page
    assert 'data-testid="joined-here"' in main_page and repeat in main_page
    assert 'data-testid="form-join"' not in main_page  # a main complaint is not joined itself
    assert 'data-testid="related"' in main_page and "The same card outage" in main_page
    assert 'data-testid="related"' in other_page and main in other_page
    assert "Joined to an earlier complaint" in repeat_page  # its history
    with frozen_clock(T0 + timedelta(hours=4)):
        assert client.post(f"/staff/complaints/{main}/unlink",
                           data={"unlink-other": other, "unlink-note": "Not the same outage"}).status_code == 303
        assert 'data-testid="related"' not in client.get(f"/staff/complaints/{main}").get_data(as_text=True)
    assert_verified(app)


def test_the_tracking_page_of_a_joined_complaint_names_the_main_one_and_offers_no_reply(app, register, staff):
    main, repeat = register(), register(at=LATER)
    complaint = load(app, repeat)

    def tracking_page() -> str:
        with frozen_clock(T0 + timedelta(days=1)):
            return app.test_client().get(f"/track?number={complaint.number}&code={complaint.access_code}",
                                         follow_redirects=True).get_data(as_text=True)

    before = tracking_page()
    assert 'name="reply-body"' in before and 'data-testid="first-response-promise"' in before
    join(app, repeat, main, by=staff["clerk"])
    page = tracking_page()
    assert 'data-testid="joined-to"' in page and main in page
    assert 'name="reply-body"' not in page
    # No promise of a first response of its own: the main complaint's answer answers it.
    assert 'data-testid="answered-with"' in page and 'data-testid="first-response-due"' not in page
    assert 'data-testid="first-response-promise"' not in page


# The journal's search of the correspondence -------------------------------------------------

def _journal(client, **args) -> str:
    response = client.get("/staff/registry", query_string=args)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def test_the_journal_searches_the_correspondence_and_internal_notes_only_for_officers(
        app, register, staff, client, login):
    answered, noted, quiet = register(), register(at=LATER, **OTHER), register(at=LATER + timedelta(hours=1))
    act(app, answered, ops.take_complaint, by=staff["olga"])
    act(app, answered, ops.respond, by=staff["olga"], body="The refund reference is ZQXREFUND77.")
    act(app, noted, ops.take_complaint, by=staff["olga"])
    act(app, noted, ops.add_consultation, by=staff["olga"], note="Suspected chargeback fraud, see KYCFLAG12.")
    login(client, "clerk", "carla")
    assert answered in _journal(client, correspondence="zqxrefund77")
    assert noted not in _journal(client, correspondence="KYCFLAG12")  # an internal note: not for the desk
    # The subject-or-description search is what it was: the correspondence does not reach it.
    assert answered not in _journal(client, text="ZQXREFUND77")
    client = login(app.test_client(), "officer", "vera", tier=1)
    found = _journal(client, correspondence="kycflag12")
    assert noted in found and answered not in found and quiet not in found
    assert answered in _journal(client, correspondence="refund ZQXREFUND77")


def test_a_correspondence_search_word_too_short_is_explained_at_its_field(client, login):
    login(client, "clerk", "carla")
    response = client.get("/staff/registry", query_string={"correspondence": "ab"})
    assert response.status_code == 400
    assert "Each word must have at least 3 characters." in response.get_data(as_text=True)
