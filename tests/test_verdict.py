"""The complainant's verdict: asked at closing (by e-mail, in their language, and on the tracking
page), a rating 1..5 with a reason, once, within the administrators' window, signed and checked
by verify; one reminder from the deadline sweep; the satisfaction figures."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select, update

from _cases import T0, act, events, load, notifications, post, private_parts
from _support import statements_of
from app.clock import frozen_clock
from app.complaints.access import find_by_reference
from app.complaints.models import Resolution
from app.database import commit_with_retry
from app.extensions import db
from app.mail.compose import compose
from app.manage import outcome_rollup
from app.manage.satisfaction import lowest_rated, satisfaction_figures
from app.notifications.models import Notification, NotificationKind
from app.registry.models import RegistryEntry
from app.registry.verify import verify_registry
from app.reports.context import build_monthly_report_context
from app.workflow import operations as ops
from app.workflow.verdict import RatingRefused, rate_handling, send_rating_reminders
from app.workflow.verdict_models import Rating, RatingRequest

CLOSED_AT = T0 + timedelta(hours=3)
REASON = "Answered in two days, but I had to call twice."


def _close(app, register, staff, officer: str = "olga", **payload) -> str:
    """A complaint registered at T0, taken, decided and closed by `officer` at CLOSED_AT."""
    number = register(**payload)
    act(app, number, ops.take_complaint, by=staff[officer], at=T0 + timedelta(hours=1))
    act(app, number, ops.resolve, by=staff[officer], resolution=Resolution.UPHELD,
        reasons="The withdrawal was late; it is paid now.", at=T0 + timedelta(hours=2))
    act(app, number, ops.close, by=staff[officer], at=CLOSED_AT)
    return number


@pytest.fixture
def closed(app, register, staff):
    return lambda **payload: _close(app, register, staff, **payload)


def _rating_url(app, number: str, code: str | None = None) -> str:
    complaint = load(app, number)
    return f"/track/{complaint.slug}/rating?code={code or complaint.access_code}"


def _rate(app, number: str, *, score="4", reason=REASON, at=CLOSED_AT + timedelta(days=1), code=None):
    """The complainant posts the rating form from the tracking page at `at`."""
    client = app.test_client()
    with frozen_clock(at):
        return client.post(_rating_url(app, number, code), data={"rating-score": score, "rating-reason": reason})


def _ratings(app) -> list[tuple[int, str]]:
    with app.app_context():
        return [(r.score, r.reason) for r in db.session.scalars(select(Rating).order_by(Rating.id))]


# Asked at closing ------------------------------------------------------------------------------


def test_closing_asks_the_complainant_once_by_email_even_if_it_is_closed_again(app, closed, staff):
    number = closed()
    assert notifications(app, number).count(("rating_request", "complainant", None, None)) == 1
    act(app, number, ops.reopen, by=staff["olga"], reason="The bank found another payment.",
        at=CLOSED_AT + timedelta(hours=1))
    act(app, number, ops.resolve, by=staff["olga"], resolution=Resolution.UPHELD, reasons="Both are paid now.",
        at=CLOSED_AT + timedelta(hours=2))
    act(app, number, ops.close, by=staff["olga"], at=CLOSED_AT + timedelta(hours=3))
    assert notifications(app, number).count(("rating_request", "complainant", None, None)) == 1


def test_a_complainant_without_email_is_asked_on_the_tracking_page_only(app, closed):
    number = closed(email=None)
    assert "rating_request" not in [kind for kind, *_ in notifications(app, number)]
    page = app.test_client().get(_rating_url(app, number).replace("/rating", ""))
    assert 'data-testid="form-rating"' in page.get_data(as_text=True)


@pytest.mark.parametrize(("language", "subject", "words"), [
    ("en", "how did we handle it?", "rate it from 1 (very dissatisfied) to 5"),
    ("ro", "cum am gestionat-o?", "de la 1 (foarte nemulțumit) la 5"),
    ("ru", "как мы её рассмотрели?", "от 1 (совсем недовольны) до 5"),
    ("uk", "як ми її розглянули?", "від 1 (зовсім незадоволені) до 5"),
])
def test_the_invitation_is_written_in_the_complainants_language_with_the_link_and_the_last_day(
        app, closed, language, subject, words):
    number = closed(language=language)
    with app.app_context():
        complaint = load(app, number)
        notification = db.session.scalar(select(Notification).where(
            Notification.complaint_id == complaint.id, Notification.kind == NotificationKind.RATING_REQUEST))
        mail = compose(notification)
    assert mail.language == language
    assert number in mail.subject and subject in mail.subject
    assert words in mail.body
    assert f"/track/{complaint.slug}?code={complaint.access_code}#rating" in mail.body
    last_day = {"en": "23 Dec 2026", "ro": "23.12.2026", "ru": "23.12.2026", "uk": "23.12.2026"}[language]
    assert last_day in mail.body  # closed on 23 Nov, 30 days by default, in the language's style


# The rating: an operation and a signed event ---------------------------------------------------


def test_a_rating_is_a_signed_event_with_the_reason_private_and_verify_checks_it(app, closed, staff):
    number = closed()
    response = _rate(app, number, score="2", reason="  Slow,\nand nobody called me back.  ")
    assert response.status_code == 303 and response.headers["Location"].endswith("#rating")
    event = events(app, number)[-1]
    assert event["type"] == "rated" and event["by"] is None
    assert event["rating"] == {"score": 2, "category": "payments"}
    assert (event["state"]["status"], event["state"]["owner_id"]) == ("closed", staff["olga"])
    assert private_parts(app, number)[-1] == {"reason": "Slow, and nobody called me back."}
    with app.app_context():
        rating = db.session.scalar(select(Rating))
        assert (rating.score, rating.category, rating.tier, rating.owner_id) == (2, "payments", 1, staff["olga"])
        assert rating.rated_at == CLOSED_AT + timedelta(days=1)
        assert db.session.get(RatingRequest, rating.complaint_id).remind_at is None  # nothing to remind of
        assert verify_registry().ok


@pytest.mark.parametrize(("column", "value", "what"), [
    ("score", 5, "altered: the rating differs from its signed event"),
    ("reason", "Perfect.", "altered: the rating differs from its signed event"),
    ("owner_id", None, "altered: the rating differs from its signed event"),
])
def test_verify_reports_a_rating_changed_outside_the_registry(app, closed, column, value, what):
    number = closed()
    _rate(app, number, score="2")
    with app.app_context():
        db.session.execute(update(Rating).values({column: value}))
        db.session.commit()
        report = verify_registry()
    assert what in [p.what for p in report.problems]


def test_a_rating_added_outside_the_registry_is_reported_by_verify(app, closed):
    number = closed()
    with app.app_context():
        closing = db.session.scalar(select(func.max(RegistryEntry.position)))  # the "closed" event
        db.session.add(Rating(complaint_id=find_by_reference(number).id, score=5, reason="Great", rated_at=CLOSED_AT,
                              category="payments", tier=1, owner_id=None, entry_position=closing))
        db.session.commit()
        report = verify_registry()
    assert "a rating names this entry, which records none (added outside the registry)" in [
        p.what for p in report.problems]


def test_the_case_page_shows_the_rating_and_its_event(app, closed, client, login):
    number = closed()
    _rate(app, number, score="3")
    login(client, "clerk")
    page = client.get(f"/staff/complaints/{load(app, number).slug}").get_data(as_text=True)
    assert 'data-testid="verdict"' in page and "3 out of 5" in page and REASON in page
    assert "The complainant rated the handling" in page and "Rating: 3 out of 5" in page


# Once, and within the window -------------------------------------------------------------------


def test_a_second_rating_is_refused_and_changes_nothing(app, closed):
    number = closed(language="en")
    assert _rate(app, number, score="4").status_code == 303
    before = (len(events(app, number)), _ratings(app))
    second = _rate(app, number, score="1", reason="Changed my mind.", at=CLOSED_AT + timedelta(days=2))
    assert second.status_code == 422
    assert "You have already rated the handling of this complaint." in second.get_data(as_text=True)
    assert (len(events(app, number)), _ratings(app)) == before == (before[0], [(4, REASON)])


def test_no_rating_is_taken_after_the_window_the_administrator_set(app, closed, admin):
    number = closed(language="en")
    assert post(admin, "/admin/ratings", {"rating_window_days": "5"}, at=T0).status_code == 303
    late = _rate(app, number, at=CLOSED_AT + timedelta(days=5))
    assert late.status_code == 422
    assert "The time to rate the handling ended on 28 Nov 2026, 13:00." in late.get_data(as_text=True)
    assert _ratings(app) == [] and events(app, number)[-1]["type"] == "closed"
    in_time = _rate(app, number, at=CLOSED_AT + timedelta(days=5) - timedelta(minutes=1))
    assert in_time.status_code == 303 and _ratings(app) == [(4, REASON)]


def test_the_tracking_page_says_when_the_window_ended(app, closed):
    number = closed(language="en")
    with frozen_clock(CLOSED_AT + timedelta(days=31)):
        page = app.test_client().get(_rating_url(app, number).replace("/rating", "")).get_data(as_text=True)
    assert "The time to rate the handling ended on 23 Dec 2026, 13:00." in page
    assert 'data-testid="form-rating"' not in page


def test_an_open_complaint_cannot_be_rated(app, register, staff):
    number = register(language="en")
    act(app, number, ops.take_complaint, by=staff["olga"])
    response = _rate(app, number, at=T0 + timedelta(hours=2))
    assert response.status_code == 422
    assert "You can rate the handling once the complaint is closed." in response.get_data(as_text=True)
    assert _ratings(app) == []


@pytest.mark.parametrize(("score", "reason", "message"), [
    ("0", REASON, "Choose a rating from 1 to 5."),
    ("6", REASON, "Choose a rating from 1 to 5."),
    ("-1", REASON, "Choose a rating from 1 to 5."),
    ("3.5", REASON, "Choose a rating from 1 to 5."),
    ("three", REASON, "Choose a rating from 1 to 5."),
    ("٣", REASON, "Choose a rating from 1 to 5."),
    ("99999999999999999999999", REASON, "Choose a rating from 1 to 5."),
    (None, REASON, "Choose a rating from 1 to 5."),
    ("4", "", "Say in a sentence why you give this rating."),
    ("4", "   \n ", "Say in a sentence why you give this rating."),
    ("4", "x" * 501, "Keep the reason to one sentence (at most 500 characters)."),
])
def test_bad_input_is_refused_at_its_field_and_changes_nothing(app, closed, score, reason, message):
    number = closed(language="en")
    data = {"rating-reason": reason, **({"rating-score": score} if score is not None else {})}
    client = app.test_client()
    with frozen_clock(CLOSED_AT + timedelta(days=1)):
        response = client.post(_rating_url(app, number), data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _ratings(app) == [] and events(app, number)[-1]["type"] == "closed"


def test_a_nul_byte_in_the_reason_is_refused_with_a_clear_error(app, closed):
    number = closed(language="en")
    response = _rate(app, number, reason="Good\x00 enough")
    assert response.status_code == 400 and "rating-reason" in response.get_data(as_text=True)
    assert _ratings(app) == []
    with app.app_context(), frozen_clock(CLOSED_AT + timedelta(days=1)):  # the operation refuses it too
        with pytest.raises(RatingRefused, match="cannot be kept"):
            rate_handling(find_by_reference(number), score=4, reason="Good\x00 enough")
        db.session.rollback()


def test_a_wrong_access_code_is_not_found_and_changes_nothing(app, closed):
    number = closed()
    response = _rate(app, number, code="AAAA-BBBB-CCCC")
    assert response.status_code == 404
    assert _ratings(app) == []


@pytest.mark.parametrize("score", [0, 6, True, 2.0, "4 ", None])
def test_the_operation_takes_only_a_whole_number_from_1_to_5(app, closed, score):
    number = closed()
    with app.app_context(), frozen_clock(CLOSED_AT + timedelta(days=1)):
        if score == "4 ":  # digits with blanks around them, as a form sends them
            commit_with_retry(lambda: rate_handling(find_by_reference(number), score=score, reason=REASON))
            assert _ratings(app) == [(4, REASON)]
            return
        with pytest.raises(RatingRefused):
            rate_handling(find_by_reference(number), score=score, reason=REASON)
    assert _ratings(app) == []


# One reminder ----------------------------------------------------------------------------------


def test_the_sweep_sends_one_reminder_at_half_the_window_and_never_again(app, closed, runner):
    number = closed()
    rated = closed()
    _rate(app, rated, at=CLOSED_AT + timedelta(days=2))
    early = runner.invoke(args=["deadlines", "enforce", "--at", (CLOSED_AT + timedelta(days=14)).isoformat()])
    assert early.exit_code == 0, early.output
    assert "rating_reminder" not in [kind for kind, *_ in notifications(app, number)]
    for days in (15, 16, 20):
        result = runner.invoke(args=["deadlines", "enforce", "--at", (CLOSED_AT + timedelta(days=days)).isoformat()])
        assert result.exit_code == 0, result.output
    assert [kind for kind, *_ in notifications(app, number)].count("rating_reminder") == 1
    assert "rating_reminder" not in [kind for kind, *_ in notifications(app, rated)]
    with app.app_context():
        request = db.session.get(RatingRequest, load(app, number).id)
        assert (request.remind_at, request.reminded_at) == (None, CLOSED_AT + timedelta(days=15))


def test_no_reminder_goes_for_a_complaint_reopened_meanwhile(app, closed, staff):
    number = closed()
    act(app, number, ops.reopen, by=staff["olga"], reason="The bank found another payment.",
        at=CLOSED_AT + timedelta(days=3))
    with app.app_context():
        assert commit_with_retry(lambda: send_rating_reminders(CLOSED_AT + timedelta(days=16))) == (1, 0)
        assert commit_with_retry(lambda: send_rating_reminders(CLOSED_AT + timedelta(days=17))) == (0, 0)
    assert "rating_reminder" not in [kind for kind, *_ in notifications(app, number)]


def test_the_reminder_is_written_in_the_complainants_language(app, closed):
    number = closed(language="uk")
    with app.app_context():
        commit_with_retry(lambda: send_rating_reminders(CLOSED_AT + timedelta(days=15)))
        notification = db.session.scalar(select(Notification).where(
            Notification.kind == NotificationKind.RATING_REMINDER))
        mail = compose(notification)
    assert mail.language == "uk" and number in mail.subject
    assert "Нагадування" in mail.subject and "Це єдине нагадування." in mail.body


# Satisfaction figures --------------------------------------------------------------------------


def test_the_figures_count_and_average_by_category_tier_and_owner_for_the_period(app, register, staff):
    ratings = [("olga", "payments", "5"), ("olga", "payments", "2"), ("petru", "bonuses", "1"),
               ("olga", "bonuses", "4")]
    numbers = []
    for officer, category, score in ratings:
        number = _close(app, register, staff, officer=officer, category=category)
        _rate(app, number, score=score, reason=f"Rated {score}.")
        numbers.append(number)
    outside = _close(app, register, staff, officer="petru")
    _rate(app, outside, score="3", at=CLOSED_AT + timedelta(days=20))  # after the period below
    start, end = T0, CLOSED_AT + timedelta(days=10)
    with app.app_context():
        figures = satisfaction_figures(start, end, language="en")
        assert (figures.overall.count, figures.overall.average) == (4, 3.0)
        assert [(line.key, line.count, line.average) for line in figures.by_category] == [
            ("bonuses", 2, 2.5), ("payments", 2, 3.5)]
        assert [(line.name, line.count, line.average) for line in figures.by_tier] == [("1. Support desk", 4, 3.0)]
        assert [(line.name, line.count, line.average) for line in figures.by_owner] == [
            ("Olga Officer", 3, 3.67), ("Petru Officer", 1, 1.0)]
        only = satisfaction_figures(start, end, language="en", category="payments")
        assert (only.overall.count, only.overall.average) == (2, 3.5)
        lowest = lowest_rated(start, end, language="en")
        assert [(r.number, r.score, r.owner) for r in lowest] == [
            (numbers[2], 1, "Petru Officer"), (numbers[1], 2, "Olga Officer"), (numbers[3], 4, "Olga Officer"),
            (numbers[0], 5, "Olga Officer")]
        assert satisfaction_figures(end, end + timedelta(days=30), language="en").overall.count == 1


def test_the_lowest_rated_are_the_newest_of_the_lowest_scores_read_by_score(app, register, staff):
    """More ratings of a score than the list shows: the newest of the lowest score first, then
    the next score; each score's ratings read through the index on (score, rated_at), so the
    list reads at most its length per score, not the period's ratings."""
    from sqlalchemy import event

    from _support import plan

    scored = []
    for day, score in enumerate(("1", "2", "1", "5", "1", "2")):
        number = _close(app, register, staff)
        _rate(app, number, score=score, at=CLOSED_AT + timedelta(days=1, hours=day))
        scored.append((number, int(score)))
    start, end = T0, CLOSED_AT + timedelta(days=10)
    sent: list[tuple[str, object]] = []

    def catch(conn, cursor, statement, parameters, context, executemany):
        if "complaint_ratings" in statement:
            sent.append((statement, parameters))

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", catch)
        try:
            lowest = lowest_rated(start, end, language="en", limit=4)
        finally:
            event.remove(db.engine, "before_cursor_execute", catch)
        ones, twos = [n for n, sc in scored if sc == 1], [n for n, sc in scored if sc == 2]
        assert [(r.number, r.score) for r in lowest] == [(ones[2], 1), (ones[1], 1), (ones[0], 1), (twos[1], 2)]
        assert [r.number for r in lowest_rated(start, end, language="en", limit=2)] == [ones[2], ones[1]]
        assert len(sent) == 1
        assert plan(*sent[0]).count("ix_complaint_ratings_score_rated_at") >= 5, plan(*sent[0])  # one read per score
        db.session.rollback()


def test_the_dashboard_and_the_analysis_show_the_periods_satisfaction(app, register, staff, client, login):
    low = _close(app, register, staff, category="bonuses")
    _rate(app, low, score="1", reason="Nobody answered my calls.")
    high = _close(app, register, staff)
    _rate(app, high, score="5", reason="Quick and clear.")
    login(client, "manager")
    with frozen_clock(CLOSED_AT + timedelta(days=2)):
        dashboard = client.get("/manage/?date_from=2026-11-01&date_to=2026-11-30")
        analysis = client.get("/manage/analysis/?date_from=2026-11-01&date_to=2026-11-30")
    assert dashboard.status_code == 200 and analysis.status_code == 200
    page = dashboard.get_data(as_text=True)
    assert 'data-testid="satisfaction"' in page and "3.00" in page and "2 ratings" in page
    assert 'id="table-satisfaction-owners"' in page and "Olga Officer" in page
    rows = analysis.get_data(as_text=True).split('data-testid="lowest-rated"')[1]
    assert rows.index(low) < rows.index(high) and "Nobody answered my calls." in rows


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_the_dashboards_csv_and_xlsx_files_hold_the_satisfaction_tables_for_its_filters(app, register, staff, client,
                                                                                        login):
    for officer, category, score in (("olga", "payments", "5"), ("olga", "payments", "2"), ("petru", "bonuses", "4")):
        _rate(app, _close(app, register, staff, officer=officer, category=category), score=score)
    login(client, "manager")
    november = "date_from=2026-11-01&date_to=2026-11-30"
    with frozen_clock(CLOSED_AT + timedelta(days=2)):
        page = client.get(f"/manage/?{november}").get_data(as_text=True)
        files = {name: client.get(f"/manage/{name}.csv?{november}") for name in
                 ("satisfaction", "satisfaction_categories", "satisfaction_tiers", "satisfaction_owners")}
        payments = client.get(f"/manage/satisfaction_owners.csv?{november}&category=payments")
        book = load_workbook(io.BytesIO(client.get(f"/manage/reports/dashboard.xlsx?{november}").data))
    for name in files:
        assert f'href="/manage/{name}.csv?date_from=2026-11-01&amp;date_to=2026-11-30"' in page, name
    assert _csv(files["satisfaction"]) == [["Figure", "Value"], ["Ratings", "3"], ["Average rating", "3.67"]]
    assert _csv(files["satisfaction_categories"]) == [
        ["Category", "Ratings", "Average rating"], ["Payments and withdrawals", "2", "3.5"], ["Bonuses and promotions",
                                                                                            "1", "4.0"]]
    assert _csv(files["satisfaction_tiers"])[1:] == [["1. Support desk", "3", "3.67"]]
    assert _csv(files["satisfaction_owners"])[1:] == [["Olga Officer", "2", "3.5"], ["Petru Officer", "1", "4.0"]]
    assert _csv(payments)[1:] == [["Olga Officer", "2", "3.5"]]  # the category chosen applies
    assert [[c.value for c in row] for row in book["satisfaction"].iter_rows()] == [
        ["Figure", "Value"], ["Ratings", 3], ["Average rating", 3.67]]
    assert [[c.value for c in row] for row in book["satisfaction_owners"].iter_rows()] == [
        ["Owner", "Ratings", "Average rating"], ["Olga Officer", 2, 3.5], ["Petru Officer", 1, 4.0]]
    assert isinstance(book["satisfaction_tiers"]["B2"].value, int)


def test_a_period_without_ratings_exports_the_satisfaction_tables_with_no_data(client, login):
    login(client, "manager", language="ro")
    with frozen_clock(CLOSED_AT):
        summary = client.get("/manage/satisfaction.csv")
        owners = client.get("/manage/satisfaction_owners.csv")
        book = load_workbook(io.BytesIO(client.get("/manage/reports/dashboard.xlsx").data))
    assert _csv(summary) == [["Indicator", "Valoare"], ["Evaluări", "0"], ["Evaluarea medie", ""]]
    assert _csv(owners) == [["Responsabil", "Evaluări", "Evaluarea medie"]]
    assert [[c.value for c in row] for row in book["satisfaction"].iter_rows()][2] == ["Evaluarea medie", None]


@pytest.mark.parametrize(("language", "title"), [("en", "ratings of the handling per owner"),
                                                 ("ro", "pe responsabili"), ("uk", "за відповідальними")])
def test_the_monthly_report_shows_the_months_satisfaction_by_category_tier_and_owner(
        app, register, staff, client, login, language, title):
    for officer, score in (("olga", "5"), ("olga", "2"), ("petru", "4")):
        _rate(app, _close(app, register, staff, officer=officer), score=score)
    with app.app_context():
        context = build_monthly_report_context(2026, 11, language=language, timezone="Europe/Chisinau",
                                               now=CLOSED_AT + timedelta(days=10))
    headline = {h.code: h for h in context.headlines}["satisfaction"]
    assert (headline.value, headline.detail_values) == (3.67, (("count", 3, "count"),))
    tables = {t.code: t for t in context.tables}
    assert tables["satisfaction_owners"].rows == (("Olga Officer", 2, 3.5), ("Petru Officer", 1, 4.0))
    assert tables["satisfaction_categories"].rows[0][1:] == (3, 3.67)
    assert [row[1:] for row in tables["satisfaction_tiers"].rows] == [(3, 3.67)]
    login(client, "manager")
    with frozen_clock(CLOSED_AT + timedelta(days=10)):
        pdf = client.get(f"/manage/reports/monthly.pdf?month=2026-11&language={language}")
    assert pdf.status_code == 200
    text = " ".join("\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages).split())
    assert title in text and "Petru Officer" in text
    assert ("3.67" if language == "en" else "3,67") in text


# Administration --------------------------------------------------------------------------------


@pytest.mark.parametrize("days", ["0", "366", "ten", "", "1.5"])
def test_the_administrator_cannot_set_a_window_outside_1_to_365_days(admin, app, days):
    response = post(admin, "/admin/ratings", {"rating_window_days": days})
    assert response.status_code == 422
    assert "Give a whole number of days from 1 to 365." in response.get_data(as_text=True)
    with app.app_context():
        from app.settings.store import current_settings
        assert current_settings().rating_window_days == 30


def test_the_window_is_on_the_administration_overview_and_its_change_is_signed(admin, app):
    assert "for 30 days after closing" in admin.get("/admin/").get_data(as_text=True)
    assert post(admin, "/admin/ratings", {"rating_window_days": "14"}).status_code == 303
    with frozen_clock(T0 + timedelta(hours=2)):
        assert "for 14 days after closing" in admin.get("/admin/").get_data(as_text=True)
    with app.app_context():
        payload = json.loads(db.session.scalar(select(RegistryEntry.payload).order_by(RegistryEntry.position.desc())))
        assert (payload["type"], payload["key"]) == ("setting", "rating_window_days")
        assert verify_registry().ok


def _live_by_owner(start, end) -> list[tuple[int | None, int, float]]:
    """The period's ratings per owner, read from the ratings themselves: what the rollups must give."""
    rows = db.session.execute(select(Rating.owner_id, func.count(), func.avg(Rating.score))
                              .where(Rating.rated_at >= start, Rating.rated_at < end).group_by(Rating.owner_id))
    return sorted((owner, n, round(float(avg), 2)) for owner, n, avg in rows)


def test_the_satisfaction_tables_read_the_rollups_in_as_many_statements_however_many_ratings(
        app, register, staff, client, login):
    login(client, "manager")
    november = "date_from=2026-11-01&date_to=2026-11-30"
    counts, rated = [], 0
    for more in (2, 5):
        for i in range(rated, rated + more):
            number = _close(app, register, staff, officer=("olga", "petru")[i % 2],
                            category=("payments", "bonuses")[i % 3 % 2])
            _rate(app, number, score=str(1 + i % 5), reason=f"Rated {i}.", at=CLOSED_AT + timedelta(hours=1 + i))
        rated += more
        with frozen_clock(CLOSED_AT + timedelta(days=2)):
            sent = [s for name in ("satisfaction", "satisfaction_owners")
                    for s, _parameters in statements_of(app, client, f"/manage/{name}.csv?{november}")]
            owners = _csv(client.get(f"/manage/satisfaction_owners.csv?{november}"))
        # Whole days: the rollups alone, no rating read one by one.
        assert not [s for s in sent if "complaint_ratings" in s]
        counts.append(len(sent))
        with app.app_context():
            for start, end in ((T0, CLOSED_AT + timedelta(days=10)),  # whole days and parts at both ends
                               (CLOSED_AT + timedelta(minutes=30), CLOSED_AT + timedelta(hours=4, minutes=10))):
                figures = satisfaction_figures(start, end, language="en")
                assert sorted((line.key, line.count, line.average) for line in figures.by_owner) == _live_by_owner(
                    start, end)
                assert figures.overall.count == sum(n for _o, n, _a in _live_by_owner(start, end))
            assert sum(int(row[1]) for row in owners[1:]) == rated
            stored = sorted(tuple(row) for row in db.session.execute(outcome_rollup.stored_weeks()))
            assert stored == sorted(tuple(row) for row in db.session.execute(outcome_rollup.recomputed_weeks()))
            assert {row[2] for row in stored} >= set(outcome_rollup.RATINGS)
    assert counts[0] == counts[1]
