"""The staff queue: every open complaint, soonest deadline first, with "due soon" and "overdue"
marked in words at exactly the moments app/workflow/deadlines.py says, its filters, counts and
keyset pages, and who may see it.

Complaints are filed through the API under a frozen clock; their workflow columns (owner,
status, first response, resolution clock) are then set directly in the database.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from _support import valid_payload
from app.clock import frozen_clock
from app.complaints.models import Complaint, ComplaintStatus, Resolution
from app.extensions import db

T0 = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)  # 09:00 in Chișinău
HOUR = timedelta(hours=1)
_ROW = re.compile(r'<tr class="([^"]*)"[^>]*>(.*?)</tr>', re.S)
_NUMBER = re.compile(r'<a class="number" href="[^"]+">([^<]+)</a>')


# --- helpers -------------------------------------------------------------------------------


@pytest.fixture
def file(client):
    """File a complaint through the API at `at`; answers its number."""

    def make(at: datetime, **changes: Any) -> str:
        with frozen_clock(at):
            response = client.post("/api/v1/complaints", json=valid_payload(**changes))
        assert response.status_code == 201, response.get_data(as_text=True)
        return response.get_json()["number"]

    return make


@pytest.fixture
def set_columns(app):
    """Set workflow columns of a complaint directly (the workflow operations are not used here)."""

    def change(number: str, **values: Any) -> None:
        with app.app_context():
            db.session.execute(update(Complaint).where(Complaint.number == number).values(**values))
            db.session.commit()

    return change


@pytest.fixture
def staff(client, make_user):
    """Sign the client in as a new member of staff with `role` and `tier`; answers the user's id."""

    def sign_in(username: str = "olga", role: str = "officer", tier: int | None = None) -> int:
        user_id = make_user(username, role, tier=tier, full_name=username.title() + " Officer")
        response = client.post("/staff/login", data={"username": username, "password": "correct horse 1"})
        assert response.status_code == 302, response.get_data(as_text=True)
        return user_id

    return sign_in


@pytest.fixture
def colleague(make_user):
    """Another member of staff, not signed in; answers the id."""

    def make(username: str, tier: int | None = None) -> int:
        return make_user(username, "officer", tier=tier, full_name=username.title() + " Officer")

    return make


def _get(client, at: datetime, **params: Any) -> tuple[int, str]:
    with frozen_clock(at):
        response = client.get("/staff/queue", query_string=params)
    return response.status_code, response.get_data(as_text=True)


def _queue(client, at: datetime, **params: Any) -> str:
    status, page = _get(client, at, **params)
    assert status == 200, page
    return page


def _rows(page: str) -> list[tuple[str, str, str]]:
    """(number, row class, row text) of every queue line."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = []
    for css, cells in _ROW.findall(body):
        number = _NUMBER.search(cells)
        text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", cells)).split())
        rows.append((number[1] if number else "", css, text))
    return rows


def _numbers(page: str) -> list[str]:
    return [number for number, _css, _text in _rows(page)]


def _row(page: str, number: str) -> tuple[str, str]:
    """(class, text) of the line of `number`."""
    for found, css, text in _rows(page):
        if found == number:
            return css, text
    raise AssertionError(f"{number} is not in the queue")


def _counts(page: str) -> tuple[int, int, int]:
    def count(name: str) -> int:
        return int(re.search(rf'data-testid="count-{name}">(\d+)<', page)[1])

    return count("overdue"), count("due-soon"), count("total")


def _link(page: str, rel: str) -> str | None:
    match = re.search(rf'<a class="button" rel="{rel}" href="([^"]+)">', page)
    return html.unescape(match[1]) if match else None


def _taken(owner_id: int, **values: Any) -> dict[str, Any]:
    return {"status": ComplaintStatus.IN_PROGRESS, "owner_id": owner_id, **values}


# --- order ------------------------------------------------------------------------------------


def test_the_queue_lists_open_complaints_by_due_time_then_by_number(client, staff, file, set_columns):
    owner = staff()
    late = file(T0 + 2 * HOUR)
    first = file(T0)
    second = file(T0)  # the same deadline as `first`: the number decides
    middle = file(T0 + HOUR)
    no_deadline = file(T0 - 5 * HOUR)  # answered, at a tier where no resolution deadline runs
    set_columns(no_deadline, **_taken(owner, status=ComplaintStatus.RESPONDED, first_responded_at=T0 - HOUR,
                                      resolution_due=None))
    page = _queue(client, T0 + 3 * HOUR)
    assert _numbers(page) == [first, second, middle, late, no_deadline]
    assert "No deadline running" in _row(page, no_deadline)[1]


def test_a_responded_complaint_sorts_by_its_resolution_deadline(client, staff, file, set_columns):
    owner = staff()
    answered = file(T0)  # first response due T0 + 24 h, answered: now works against T0 + 30 h
    set_columns(answered, **_taken(owner, status=ComplaintStatus.RESPONDED, first_responded_at=T0 + HOUR,
                                   resolution_started_at=T0, resolution_due=T0 + 30 * HOUR))
    waiting = file(T0 + 3 * HOUR)  # first response due T0 + 27 h
    earlier = file(T0 + 2 * HOUR)  # first response due T0 + 26 h
    page = _queue(client, T0 + 4 * HOUR)
    assert _numbers(page) == [earlier, waiting, answered]
    css, text = _row(page, answered)
    assert "Resolution" in text and "3 Mar 2026, 15:00" in text  # T0 + 30 h in Chișinău
    assert "First response" in _row(page, waiting)[1]


def test_closed_resolved_and_annulled_complaints_are_not_listed(client, staff, file, set_columns):
    owner = staff()
    numbers = {status: file(T0) for status in ComplaintStatus}
    for status, number in numbers.items():
        values: dict[str, Any] = {"status": status}
        if status not in (ComplaintStatus.REGISTERED, ComplaintStatus.ANNULLED):
            values["owner_id"] = owner
        if status in (ComplaintStatus.RESOLVED, ComplaintStatus.CLOSED):
            values["resolution"] = Resolution.UPHELD
        set_columns(number, **values)
    page = _queue(client, T0 + HOUR)
    listed = {status for status, number in numbers.items() if number in _numbers(page)}
    assert listed == {ComplaintStatus.REGISTERED, ComplaintStatus.IN_PROGRESS, ComplaintStatus.WAITING,
                      ComplaintStatus.RESPONDED, ComplaintStatus.REOPENED}
    assert _counts(page) == (0, 0, 5)


# --- due soon and overdue -------------------------------------------------------------------


@pytest.mark.parametrize(
    "after, css, label, countdown",
    [
        (18 * HOUR - timedelta(milliseconds=1), "", "", "in 6 h 0 min"),
        (18 * HOUR, "due-soon", "Due soon", "in 6 h 0 min"),  # 75 % of 24 h used
        (24 * HOUR - timedelta(milliseconds=1), "due-soon", "Due soon", "in less than 1 min"),
        (24 * HOUR, "overdue", "Overdue", "overdue by less than 1 min"),
        (24 * HOUR + timedelta(minutes=25, seconds=59), "overdue", "Overdue", "overdue by 25 min"),
    ],
)
def test_a_first_response_is_due_soon_at_75_percent_and_overdue_at_24_hours(
    client, staff, file, after, css, label, countdown
):
    staff()
    number = file(T0)
    page = _queue(client, T0 + after)
    row_class, text = _row(page, number)
    assert row_class == css
    assert text.endswith(f"{label} {countdown}".strip())
    # The filter and the counts are worked out by the database; they agree with the row.
    overdue, due_soon = css == "overdue", css == "due-soon"
    assert _counts(page) == (int(overdue), int(due_soon), 1)
    assert _numbers(_queue(client, T0 + after, due="overdue")) == ([number] if overdue else [])
    assert _numbers(_queue(client, T0 + after, due="due_soon")) == ([number] if due_soon else [])


@pytest.mark.parametrize(
    "after, css",
    [
        (54 * HOUR - timedelta(milliseconds=1), ""),
        (54 * HOUR, "due-soon"),  # 75 % of three days, counted from when the resolution clock started
        (72 * HOUR - timedelta(milliseconds=1), "due-soon"),
        (72 * HOUR, "overdue"),
    ],
)
def test_a_resolution_deadline_is_due_soon_and_overdue_from_when_its_clock_started(
    client, staff, file, set_columns, after, css
):
    owner = staff()
    number = file(T0 - 10 * HOUR)
    started = T0  # e.g. reopened or escalated at T0
    set_columns(number, **_taken(owner, first_responded_at=T0 - 9 * HOUR, resolution_started_at=started,
                                 resolution_due=started + 72 * HOUR))
    page = _queue(client, started + after)
    assert _row(page, number)[0] == css
    assert _counts(page)[:2] == (int(css == "overdue"), int(css == "due-soon"))
    assert _numbers(_queue(client, started + after, due="due_soon")) == ([number] if css == "due-soon" else [])


def test_the_counts_say_how_many_are_overdue_due_soon_and_in_view(client, staff, file):
    staff()
    overdue = [file(T0), file(T0 + timedelta(minutes=30))]
    due_soon = file(T0 + 5 * HOUR)
    on_time = file(T0 + 20 * HOUR)
    now = T0 + 24 * HOUR + HOUR
    page = _queue(client, now)
    assert _counts(page) == (2, 1, 4)
    assert "counted at 10:00; reload to count again" in page  # 08:00 UTC in Chișinău
    assert [css for _n, css, _t in _rows(page)] == ["overdue", "overdue", "due-soon", ""]
    assert _numbers(page) == [*overdue, due_soon, on_time]
    only_overdue = _queue(client, now, due="overdue")
    assert _numbers(only_overdue) == overdue
    assert _counts(only_overdue) == (2, 1, 2)


def test_a_recorded_first_response_breach_is_marked_even_after_the_response(client, staff, file, set_columns):
    owner = staff()
    breached, clean = file(T0), file(T0)
    set_columns(breached, **_taken(owner, first_response_breached_at=T0 + 24 * HOUR,
                                   first_responded_at=T0 + 30 * HOUR))
    page = _queue(client, T0 + 31 * HOUR)
    assert "First response was late" in _row(page, breached)[1]
    assert "First response was late" not in _row(page, clean)[1]


def test_each_line_shows_subject_category_status_tier_owner_and_deadline(client, staff, file, set_columns):
    owner = staff("olga", tier=2)
    long_subject = "Retragerea de 500 MDL nu a ajuns pe card după trei săptămâni de așteptare și patru apeluri"
    taken, free = file(T0, subject=long_subject), file(T0, category="technical")
    set_columns(taken, **_taken(owner, tier=2))
    page = _queue(client, T0 + 2 * HOUR, show="all")
    _css, text = _row(page, taken)
    assert "Payments and withdrawals" in text and "In progress" in text
    assert "Specialist department" in text and "Olga Officer" in text
    assert "First response" in text and "3 Mar 2026, 09:00" in text and "in 22 h 0 min" in text
    assert long_subject not in text and long_subject[:40] in text  # shortened; whole in its title
    assert f'title="{long_subject}"' in page
    _css, text = _row(page, free)
    assert "Technical problems with the site or app" in text and "Support desk" in text
    assert "unassigned" in text and "Registered, awaiting first response" in text
    assert 'href="/staff/complaints/' + taken.replace("/", "-") + '"' in page


# --- filters ------------------------------------------------------------------------------------


@pytest.fixture
def teams(client, staff, colleague, file, set_columns) -> dict[str, str]:
    """Olga (signed in, tier 1) owns one at her tier and one that rose to tier 2; Petru (tier 2)
    owns one; one unassigned at each tier."""
    olga = staff("olga", tier=1)
    petru = colleague("petru", tier=2)
    numbers = {"olga": file(T0), "tier1_free": file(T0 + HOUR), "petru": file(T0 + 2 * HOUR),
               "olga_risen": file(T0 + 3 * HOUR), "tier2_free": file(T0 + 20 * HOUR)}
    set_columns(numbers["olga"], **_taken(olga))
    set_columns(numbers["petru"], **_taken(petru, tier=2))
    set_columns(numbers["olga_risen"], **_taken(olga, tier=2))
    set_columns(numbers["tier2_free"], tier=2)
    return numbers


@pytest.mark.parametrize(
    "params, expected",
    [
        ({}, ["olga", "tier1_free", "olga_risen"]),  # the default for someone at a tier: hers and her tier's
        ({"show": "mine_and_tier"}, ["olga", "tier1_free", "olga_risen"]),
        ({"due": "due_soon"}, ["olga_risen"]),
        ({"show": "my_tier"}, ["olga", "tier1_free"]),
        ({"show": "mine"}, ["olga", "olga_risen"]),
        ({"show": "unassigned"}, ["tier1_free", "tier2_free"]),
        ({"show": "all"}, ["olga", "tier1_free", "petru", "olga_risen", "tier2_free"]),
        ({"show": "all", "tier": "2"}, ["petru", "olga_risen", "tier2_free"]),
        ({"show": "mine_and_tier", "tier": "2"}, ["olga_risen"]),
        ({"show": "unassigned", "tier": "2"}, ["tier2_free"]),
        ({"show": "all", "due": "overdue"}, ["olga", "tier1_free"]),
        ({"show": "all", "due": "due_soon"}, ["petru", "olga_risen"]),
        ({"show": "my_tier", "due": "due_soon"}, []),
    ],
)
def test_each_filter_narrows_the_queue(client, teams, params, expected):
    page = _queue(client, T0 + 25 * HOUR + timedelta(minutes=30), **params)
    assert _numbers(page) == [teams[name] for name in expected]
    assert _counts(page)[2] == len(expected)


def test_someone_at_no_tier_sees_every_open_complaint_and_no_my_tier_choice(client, staff, colleague, file,
                                                                            set_columns):
    staff("marina", role="manager", tier=None)
    other = colleague("petru", tier=2)
    one, two = file(T0), file(T0 + HOUR)
    set_columns(two, **_taken(other, tier=2))
    page = _queue(client, T0 + 2 * HOUR)
    assert _numbers(page) == [one, two]
    assert 'value="my_tier"' not in page and 'value="mine_and_tier"' not in page
    assert re.search(r'<option selected value="all">All open</option>', page)
    status, page = _get(client, T0 + 2 * HOUR, show="my_tier")
    assert status == 400 and "Not a valid choice" in page and "Correct the filter" in page


def test_the_filter_form_shows_again_what_was_chosen(client, teams):
    page = _queue(client, T0 + HOUR, show="unassigned", tier="2", due="due_soon")
    assert '<option selected value="unassigned">Unassigned</option>' in page
    assert '<option selected value="2">Specialist department</option>' in page
    assert '<option selected value="due_soon">Due soon</option>' in page
    default = _queue(client, T0 + HOUR)
    assert '<option selected value="mine_and_tier">Mine and my tier</option>' in default


def test_a_bad_filter_value_is_refused_and_lists_nothing(client, teams):
    status, page = _get(client, T0, tier="9")
    assert status == 400
    assert "Not a valid choice" in page and "<tbody>" not in page


# --- pages -------------------------------------------------------------------------------------


def test_keyset_pages_show_every_open_complaint_once_in_order_both_ways(client, staff, file, set_columns,
                                                                        monkeypatch):
    monkeypatch.setattr("app.queue.queries.PAGE_SIZE", 2)
    owner = staff()
    numbers = [file(T0 + i * HOUR) for i in range(4)] + [file(T0 + HOUR)]  # two share a deadline
    set_columns(numbers[0], **_taken(owner, first_responded_at=T0, resolution_due=None))  # no deadline: last
    expected = [numbers[1], numbers[4], numbers[2], numbers[3], numbers[0]]
    now = T0 + 6 * HOUR

    seen, pages, url = [], [], "/staff/queue?show=all"
    while url:
        with frozen_clock(now):
            page = client.get(url).get_data(as_text=True)
        pages.append(_numbers(page))
        seen += _numbers(page)
        url = _link(page, "next")
    assert seen == expected
    assert pages == [expected[:2], expected[2:4], expected[4:]]
    assert "show=all" in _link(_queue(client, now, show="all"), "next")

    back = []
    url = _link(page, "prev")
    while url:
        with frozen_clock(now):
            page = client.get(url).get_data(as_text=True)
        back = _numbers(page) + back
        url = _link(page, "prev")
    assert back == expected[:4]


def test_the_first_page_has_no_previous_link_and_the_last_no_next(client, staff, file):
    staff()
    file(T0)
    page = _queue(client, T0 + HOUR, show="all")
    assert _link(page, "prev") is None and _link(page, "next") is None and "« First" not in page


# --- the page and who may see it -----------------------------------------------------------


def test_the_page_carries_the_times_the_countdown_script_reads_and_no_inline_script(client, staff, file):
    staff()
    number = file(T0)
    now = T0 + HOUR
    with frozen_clock(now):
        response = client.get("/staff/queue")
    page = response.get_data(as_text=True)
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/countdown.js">']
    assert 'data-now="2026-03-02T08:00:00.000+00:00"' in page
    row = page[page.index("<tr class"):].split(">", 1)[0]
    assert 'data-due="2026-03-03T07:00:00.000+00:00"' in row
    assert 'data-warn="2026-03-03T01:00:00.000+00:00"' in row  # 18 h after registration
    assert 'data-past="overdue by {span}"' in page and 'data-span-hours="{h} h {m} min"' in page
    assert number in page


@pytest.mark.parametrize(
    "role, status",
    [("officer", 200), ("manager", 200), ("administrator", 200), ("clerk", 403)],
)
def test_only_staff_who_handle_complaints_may_open_the_queue(client, login, role, status):
    login(client, role)
    assert client.get("/staff/queue").status_code == status


def test_an_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get("/staff/queue")
    assert response.status_code == 302 and response.headers["Location"].startswith("/staff/login")


@pytest.mark.parametrize("role, shown", [("officer", True), ("manager", True), ("clerk", False)])
def test_the_staff_navigation_links_the_queue_for_those_who_may_open_it(client, login, role, shown):
    login(client, role)
    page = client.get("/staff/").get_data(as_text=True)
    assert ('href="/staff/queue">Queue</a>' in page) is shown

