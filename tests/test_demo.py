"""The demo registry (app/journal/demo.py, seed.py): the story of handled complaints told by the
real operations verifies and has every stage, breaches and escalations, letters started from
answer templates, ratings, joined and linked complaints and escalation reviews; it goes only into an
empty registry and never into production; an empty registry's staff pages say how to load it,
and a demo registry says so on every page.

Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from _cases import T0
from _support import empty_database
from app.answers.models import AnswerTemplate, AnswerTemplateText, AnswerTemplateUse, AnswerTemplateVersion
from app.clock import frozen_clock, now_utc
from app.complaints.models import Channel, Complaint, ComplaintStatus
from app.extensions import db
from app.journal.demo import tell_demo_story
from app.journal.seed import RegistryNotEmpty
from app.manage import facts, rollup
from app.manage.models import ComplaintFacts
from app.notifications.models import DeliveryStatus, Notification
from app.registry.demo import DemoDataRefused, holds_demo_data
from app.registry.models import RegistryEntry
from app.registry.verify import verify_registry
from app.workflow.models import (
    Breach,
    CaseMessage,
    ComplaintJoin,
    ComplaintLink,
    Escalation,
    EscalationReason,
    EscalationReview,
    MessageKind,
)
from app.workflow.states import OPEN
from app.workflow.verdict_models import Rating

S = ComplaintStatus
#: The stages the newest complaints are caught at, and the oldest ones' ends.
STAGES = {S.REGISTERED, S.IN_PROGRESS, S.WAITING, S.RESPONDED, S.RESOLVED, S.CLOSED, S.REOPENED, S.ANNULLED}


def _count(model: type, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.mark.parametrize("seed", [1, 2])
def test_the_story_is_told_by_the_real_operations_and_the_registry_verifies(app, seed):
    # The story ends now: told at a fixed moment, a seed tells the same story on every run (on
    # the wall clock, seed 2's forty lives left no escalation for the desk to review when told at
    # 2026-12-05 23:55 UTC, though they did at 23:30).
    with app.app_context(), frozen_clock(T0):
        report = tell_demo_story(40, days=30, random_seed=seed)
        verified = verify_registry()
        assert verified.ok, [str(problem) for problem in verified.problems]
        assert verified.complaints_checked == report.complaints >= 40  # a copy registered twice is annulled

        statuses = Counter(db.session.scalars(select(Complaint.status)))
        assert STAGES <= set(statuses), statuses
        assert set(db.session.scalars(select(Complaint.channel).distinct())) == set(Channel)
        assert _count(Breach) and _count(Escalation) == report.escalations > 0
        reasons = set(db.session.scalars(select(Escalation.reason).distinct()))
        assert {EscalationReason.FIRST_RESPONSE_BREACH, EscalationReason.OWNER_REQUEST} <= reasons
        kinds = set(db.session.scalars(select(CaseMessage.kind).distinct()))
        assert {MessageKind.RESPONSE, MessageKind.INFORMATION_REQUEST, MessageKind.DECISION,
                MessageKind.COMPLAINANT_REPLY, MessageKind.DISPUTE} <= kinds
        # Staff registered the desk's complaints; the web and the API registered themselves.
        desk = db.session.execute(select(Complaint.channel, Complaint.registered_by_id)).all()
        assert all((by is None) == (channel in (Channel.WEB, Channel.API)) for channel, by in desk)

        # Every life runs its course: what came weeks ago is settled (a joined repeat is not open).
        assert not db.session.scalars(select(Complaint.number).where(
            Complaint.status.in_(OPEN), Complaint.registered_at < now_utc() - timedelta(days=21))).all()
        # One timeline: the entries' times only move forward, up to now.
        moments = list(db.session.scalars(select(RegistryEntry.recorded_at).order_by(RegistryEntry.position)))
        assert moments == sorted(moments)
        # The dashboard's copies kept up with every step.
        assert db.session.execute(facts.stored().order_by(ComplaintFacts.complaint_id)).all() == \
            db.session.execute(facts.recomputed().order_by(Complaint.id)).all()
        assert sorted(db.session.execute(rollup.stored_cells())) == sorted(db.session.execute(rollup.recomputed_cells()))

        # Issue 19's tools are in use: templates in the four languages, some letters started from
        # them; complainants' ratings; a repeat joined to the earlier complaint of the same person;
        # related complaints linked; a review decision on the escalation desk.
        assert report.templates == _count(AnswerTemplate) == 4
        assert {tuple(row) for row in db.session.execute(
            select(AnswerTemplateVersion.template_id, AnswerTemplateText.language)
            .join(AnswerTemplateVersion, AnswerTemplateVersion.id == AnswerTemplateText.version_id))} >= {
            (t, code) for t in db.session.scalars(select(AnswerTemplate.id)) for code in ("en", "ro", "ru", "uk")}
        assert report.template_letters == _count(AnswerTemplateUse) > 0
        assert report.ratings == _count(Rating) > 0
        assert {score for (score,) in db.session.execute(select(Rating.score))} <= set(range(1, 6))
        assert report.joins == _count(ComplaintJoin) > 0
        for joined, main in db.session.execute(select(ComplaintJoin.complaint_id, ComplaintJoin.main_id)):
            assert db.session.get(Complaint, joined).email == db.session.get(Complaint, main).email
        assert report.links == _count(ComplaintLink) > 0
        assert report.reviews == _count(EscalationReview) > 0

        # Nothing is e-mailed to made-up people; the registry says it holds demo data.
        assert {status for (status,) in db.session.execute(select(Notification.status).distinct())} == {
            DeliveryStatus.SKIPPED}
        assert holds_demo_data()


def test_the_same_seed_tells_the_same_story(make_app):
    def story(seed: int) -> list[tuple]:
        app = make_app()
        with app.app_context(), frozen_clock(T0):
            tell_demo_story(30, days=10, random_seed=seed)
            told = db.session.execute(select(Complaint.status, Complaint.tier, Complaint.channel, Complaint.language,
                                             Complaint.subject).order_by(Complaint.id)).all()
            empty_database()
            db.session.commit()
            return told

    assert story(5) == story(5)


def test_the_story_goes_only_into_an_empty_registry(app, runner, register):
    register()
    refused = runner.invoke(args=["registry", "seed-demo"])
    assert refused.exit_code != 0
    assert "The registry is not empty" in refused.output
    with app.app_context():
        with pytest.raises(RegistryNotEmpty):
            tell_demo_story(10, days=5)
        assert _count(Complaint) == 1 and not holds_demo_data()
    assert "--append goes with --count" in runner.invoke(args=["registry", "seed-demo", "--append"]).output


@pytest.mark.parametrize("args", [[], ["--count", "10"]], ids=["story", "bulk"])
def test_demo_data_is_refused_in_production(make_app, args):
    app = make_app(DEMO_DATA_ALLOWED=False)
    refused = app.test_cli_runner().invoke(args=["registry", "seed-demo", *args])
    assert refused.exit_code != 0
    assert "never loaded into a production registry" in refused.output
    with app.app_context():
        with pytest.raises(DemoDataRefused):
            tell_demo_story(10, days=5)
        assert _count(Complaint) == 0 and _count(RegistryEntry) == 0 and not holds_demo_data()


STAFF_PAGES = {"manager": ["/manage/", "/manage/analysis/", "/staff/queue", "/staff/registry", "/staff/"]}


@pytest.mark.parametrize("page", STAFF_PAGES["manager"])
def test_an_empty_registry_offers_the_demo_until_it_has_complaints(client, login, register, page):
    login(client, "manager", tier=3)
    empty = client.get(page)
    assert empty.status_code == 200
    html = empty.get_data(as_text=True)
    assert 'data-testid="demo-notice"' in html and "<code>make demo</code>" in html
    assert "registry seed-demo</code>" in html and "or, without make:" in html
    register()
    assert 'data-testid="demo-notice"' not in client.get(page).get_data(as_text=True)


def test_no_demo_is_offered_in_production(make_app, login):
    client = make_app(DEMO_DATA_ALLOWED=False).test_client()
    login(client, "manager", tier=3)
    assert 'data-testid="demo-notice"' not in client.get("/manage/").get_data(as_text=True)


def test_the_notice_is_in_the_reader_s_language(client, login):
    login(client, "manager", tier=3, language="ro")
    assert "Registrul este gol" in client.get("/manage/").get_data(as_text=True)


def test_a_demo_registry_says_so_on_every_page(app, client, login, runner):
    assert 'data-testid="demo-ribbon"' not in client.get("/").get_data(as_text=True)
    loaded = runner.invoke(args=["registry", "seed-demo", "--count", "5", "--seed", "2"])
    assert loaded.exit_code == 0, loaded.output
    for path in ("/", "/track", "/verify", "/staff/login"):
        html = client.get(path).get_data(as_text=True)
        assert 'data-testid="demo-ribbon"' in html, path
        assert "Demonstration data" in html
    login(client, "manager", tier=3)
    for path in ("/staff/", "/manage/", "/staff/registry"):
        assert 'data-testid="demo-ribbon"' in client.get(path).get_data(as_text=True), path
    with app.app_context():  # the bulk loader counts what it loaded, as the story does
        assert holds_demo_data()


def test_a_ribbon_is_in_the_public_language(app, client, runner):
    assert runner.invoke(args=["registry", "seed-demo", "--count", "3"]).exit_code == 0
    client.post("/language", data={"language": "uk", "next": "/"})
    assert "Демонстраційні дані" in client.get("/").get_data(as_text=True)


def test_make_run_s_banner_prints_the_demo_command_only_while_the_registry_is_empty(runner, register):
    assert "`make demo`" in runner.invoke(args=["users", "demo"]).output
    register()
    banner = runner.invoke(args=["users", "demo"]).output
    assert "demo clerk" in banner and "make demo" not in banner
