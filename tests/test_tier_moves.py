"""A manager moves a complaint to another tier: from the case page, the staff API or the queue's
bulk move, always `move_to_tier`. Whom it concerns is told by e-mail, in their own language, as
an escalation tells them: the new tier, the owner (who keeps it), and the administrators when
nobody works at that tier. One e-mail per complaint, as escalation notices go; nobody twice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select

from _cases import T0, act, events, load, notifications
from _smtp import SmtpServer, running_smtp_server
from app.auth.models import User
from app.auth.tokens import create_token
from app.clock import frozen_clock
from app.complaints.access import find_by_reference
from app.complaints.models import Resolution
from app.database import commit_with_retry
from app.extensions import db
from app.mail.delivery import deliver_due
from app.notifications.models import Notification
from app.registry.models import RegistryEntry
from app.workflow import joins
from app.workflow import operations as ops

H = timedelta(hours=1)
AT = T0 + 2 * H
REASON = "Payment disputes go to the specialists this week."


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    with running_smtp_server() as server:
        yield server


@pytest.fixture
def team(make_user) -> dict[str, int]:
    """An officer at tier 1 reading Ukrainian, one at tier 2 reading Romanian, a manager at tier 3,
    an administrator reading Russian; nobody works at tier 4."""
    return {
        "ion": make_user("ion", "officer", tier=1, email="ion@op.md", language="uk", full_name="Іван Петренко"),
        "ana": make_user("ana", "officer", tier=2, email="ana@op.md", language="ro", full_name="Ana Țurcanu"),
        "mihai": make_user("mihai", "manager", tier=3, email="mihai@op.md", full_name="Mihai Manager"),
        "ada": make_user("ada", "administrator", email="ada@op.md", language="ru", full_name="Ада Админ"),
    }


def sign_in(client, username: str) -> None:
    assert client.post("/staff/login", data={"username": username, "password": "correct horse 1"}).status_code == 302


def empty_outbox(app) -> None:
    """Forget what registration and taking queued: the test counts what the move sends."""
    with app.app_context():
        db.session.execute(delete(Notification))
        db.session.commit()


def move_on_page(client, number: str, data: dict):
    with frozen_clock(AT):
        return client.post(f"/staff/complaints/{number.replace('/', '-')}/move",
                           data={f"move-{name}": value for name, value in data.items()})


def deliver(make_app, smtp_server: SmtpServer):
    """Send what is due through the loopback SMTP server, as the sender process would."""
    sender = make_app(**smtp_server.settings(), PUBLIC_BASE_URL="https://complaints.example.md/")
    with sender.app_context(), frozen_clock(AT + H):
        return deliver_due()


def mails(smtp_server: SmtpServer) -> dict[str, list]:
    """What arrived, by recipient."""
    received: dict[str, list] = {}
    for delivered in smtp_server.messages:
        for to in delivered.rcpt_tos:
            received.setdefault(to, []).append(delivered.message)
    return received


def recorded(app) -> tuple[int, int]:
    with app.app_context():
        return (db.session.scalar(select(func.count()).select_from(RegistryEntry)),
                db.session.scalar(select(func.count()).select_from(Notification)))


# The case page ------------------------------------------------------------------------------


def test_a_manager_moves_a_complaint_from_the_case_page_and_the_tier_and_the_owner_are_told_once(
        app, client, register, team, make_app, smtp_server):
    number = register(subject="Retragerea de 500 MDL întârzie")
    act(app, number, ops.take_complaint, by=team["ion"])
    empty_outbox(app)
    sign_in(client, "mihai")
    page = client.get(f"/staff/complaints/{number.replace('/', '-')}").get_data(as_text=True)
    assert 'data-testid="form-move"' in page and "1 · Support desk (now)" in page

    response = move_on_page(client, number, {"tier": "2", "reason": REASON})

    assert response.status_code == 303
    complaint = load(app, number)
    assert (complaint.tier, complaint.owner_id) == (2, team["ion"])  # the owner keeps it
    event = events(app, number)[-1]
    assert (event["type"], event["tiers"], event["by"]["id"]) == ("moved", {"from": 1, "to": 2}, team["mihai"])
    assert f"{number} is moved to another tier." in client.get(response.location).get_data(as_text=True)
    assert notifications(app, number) == [("escalated", "tier", None, 2), ("escalated", "user", team["ion"], None)]

    report = deliver(make_app, smtp_server)
    assert (report.sent, report.skipped) == (2, 0)
    received = mails(smtp_server)
    assert sorted(received) == ["ana@op.md", "ion@op.md"]  # not the manager who moved it
    [to_tier], [to_owner] = received["ana@op.md"], received["ion@op.md"]
    assert to_tier["Content-Language"] == "ro"
    assert to_tier["Subject"] == f"Reclamația {number} a fost mutată la „Departamentul de specialitate”"
    body = to_tier.get_content()
    assert (f"Mihai Manager (conducerea) a mutat reclamația {number} (Retragerea de 500 MDL întârzie) de la nivelul "
            "„Serviciul de suport” la nivelul „Departamentul de specialitate”.") in body
    assert f"Motiv: {REASON}" in body
    assert f"https://complaints.example.md/staff/complaints/{complaint.slug}" in body
    assert "Rămâneți responsabilul" not in body  # that is the owner's line
    assert to_owner["Content-Language"] == "uk"
    assert to_owner["Subject"] == f"Скаргу {number} переміщено на рівень «Профільний відділ»"
    owner_body = to_owner.get_content()
    assert "переміщено керівництвом (Mihai Manager)" in owner_body and REASON in owner_body
    assert "Ви залишаєтеся її відповідальним" in owner_body

    assert deliver(make_app, smtp_server).sent == 0  # each once
    assert len(smtp_server.messages) == 2


def test_a_move_to_a_tier_nobody_works_at_tells_the_administrators_in_their_language(
        app, client, register, team, make_app, smtp_server):
    number = register()
    act(app, number, ops.take_complaint, by=team["ion"])
    empty_outbox(app)
    sign_in(client, "mihai")

    assert move_on_page(client, number, {"tier": "4", "reason": "The board must see this one."}).status_code == 303

    assert notifications(app, number) == [("escalated", "tier", None, 4), ("unstaffed_escalation", "user", team["ada"], None),
                                          ("escalated", "user", team["ion"], None)]
    report = deliver(make_app, smtp_server)
    assert (report.sent, report.skipped) == (2, 1)  # tier 4 has nobody to write to
    [to_admin] = mails(smtp_server)["ada@op.md"]
    assert to_admin["Content-Language"] == "ru"
    assert to_admin["Subject"] == (f"Жалоба {number} перемещена на уровень «Совет директоров / внешний омбудсмен», "
                                   "где никто не работает")
    body = to_admin.get_content()
    assert "перемещена руководством (Mihai Manager)" in body and "The board must see this one." in body


def test_the_owner_is_not_told_twice_nor_the_manager_who_moved_it_to_themselves(app, client, register, team):
    at_new_tier, own = register(), register()
    act(app, at_new_tier, ops.take_complaint, by=team["ana"])  # Ana, of tier 2, took a tier-1 complaint
    act(app, own, ops.take_complaint, by=team["mihai"])
    empty_outbox(app)
    sign_in(client, "mihai")
    for number in (at_new_tier, own):
        assert move_on_page(client, number, {"tier": "2", "reason": REASON}).status_code == 303
    # Ana hears of it as one of tier 2; the manager moved their own complaint.
    assert notifications(app, at_new_tier) == [("escalated", "tier", None, 2)]
    assert notifications(app, own) == [("escalated", "tier", None, 2)]


@pytest.mark.parametrize("data, message", [
    ({"tier": "1", "reason": REASON}, "It is at tier 1 already."),
    ({"tier": "", "reason": REASON}, "Choose the tier."),
    ({"reason": REASON}, "Choose the tier."),
    ({"tier": "9", "reason": REASON}, "Not a valid choice"),
    ({"tier": "two", "reason": REASON}, "Choose the tier."),
    ({"tier": "2"}, "Give the reason."),
    ({"tier": "2", "reason": "   "}, "Give the reason."),
])
def test_a_bad_move_on_the_case_page_shows_the_form_again_with_why_and_changes_nothing(
        app, client, register, team, data, message):
    number = register()
    empty_outbox(app)
    before = recorded(app)
    sign_in(client, "mihai")

    response = move_on_page(client, number, data)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page and 'data-testid="form-move"' in page
    if data.get("reason", "").strip():
        assert REASON in page  # what was typed is shown again
    assert recorded(app) == before and load(app, number).tier == 1


def _closed(app, register, team) -> str:
    number = register()
    act(app, number, ops.take_complaint, by=team["ion"])
    act(app, number, ops.resolve, by=team["ion"], resolution=Resolution.UPHELD, reasons="Paid in full today.")
    act(app, number, ops.close, by=team["ion"])
    return number


def _joined(app, register, team) -> str:
    main, repeat = register(), register()
    with app.app_context(), frozen_clock(T0 + H):
        complaint, into = find_by_reference(repeat), find_by_reference(main)
        user = db.session.get(User, team["ion"])
        commit_with_retry(lambda: joins.join_complaint(complaint, into=into, reason="The same withdrawal, again",
                                                       by=user))
    return repeat


@pytest.mark.parametrize("make, message", [
    (_closed, "cannot"),
    (_joined, "it is handled there now"),
])
def test_a_closed_or_joined_complaint_is_not_offered_the_move_and_refuses_it_clearly(
        app, client, register, team, make, message):
    number = make(app, register, team)
    empty_outbox(app)
    before = recorded(app)
    sign_in(client, "mihai")
    page = client.get(f"/staff/complaints/{number.replace('/', '-')}").get_data(as_text=True)
    assert 'data-testid="form-move"' not in page

    response = move_on_page(client, number, {"tier": "2", "reason": REASON})

    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert recorded(app) == before and load(app, number).tier == 1


def test_an_officer_is_neither_offered_the_move_nor_allowed_it(app, client, register, team):
    number = register()
    act(app, number, ops.take_complaint, by=team["ion"])
    sign_in(client, "ion")
    page = client.get(f"/staff/complaints/{number.replace('/', '-')}").get_data(as_text=True)
    assert 'data-testid="form-move"' not in page
    assert move_on_page(client, number, {"tier": "2", "reason": REASON}).status_code == 403
    assert load(app, number).tier == 1


# The queue's bulk move -----------------------------------------------------------------------


def test_a_bulk_move_tells_the_tier_once_per_complaint_and_each_owner_of_their_own(
        app, client, register, team, make_app, smtp_server):
    numbers = [register(subject=f"Withdrawal {n} is late") for n in (1, 2, 3)]
    act(app, numbers[0], ops.take_complaint, by=team["ion"])
    act(app, numbers[1], ops.take_complaint, by=team["ion"])
    empty_outbox(app)
    sign_in(client, "mihai")
    with app.app_context():
        ids = [str(find_by_reference(n).id) for n in numbers]
    with frozen_clock(AT):
        response = client.post("/staff/queue/bulk", data={"ids": ids, "action": "move", "tier": "2", "note": REASON})
    assert response.status_code == 303

    assert deliver(make_app, smtp_server).sent == 5
    received = mails(smtp_server)
    # As escalation notices: one e-mail per complaint to the tier, none batched.
    assert sorted(m["Subject"] for m in received["ana@op.md"]) == sorted(
        f"Reclamația {n} a fost mutată la „Departamentul de specialitate”" for n in numbers)
    assert sorted(m["Subject"] for m in received["ion@op.md"]) == sorted(
        f"Скаргу {n} переміщено на рівень «Профільний відділ»" for n in numbers[:2])
    assert set(received) == {"ana@op.md", "ion@op.md"}


# The staff API -------------------------------------------------------------------------------


@pytest.fixture
def tokens(app, team) -> dict[str, dict[str, str]]:
    headers = {}
    with app.app_context():
        for name in ("ion", "mihai"):
            secret = create_token(db.session.get(User, team[name]), "moves").secret
            headers[name] = {"Authorization": f"Bearer {secret}"}
        db.session.commit()
    return headers


def move_by_api(client, who: dict[str, str], number: str, body):
    with frozen_clock(AT):
        return client.post(f"/api/v1/staff/complaints/{number.replace('/', '-')}/move", headers=who, json=body)


def test_a_manager_moves_a_complaint_through_the_api_and_the_same_people_are_told(app, client, register, team,
                                                                                   tokens):
    number = register()
    act(app, number, ops.take_complaint, by=team["ion"])
    empty_outbox(app)

    assert move_by_api(client, tokens["ion"], number, {"tier": 2, "reason": REASON}).status_code == 403
    moved = move_by_api(client, tokens["mihai"], number, {"tier": 2, "reason": REASON})

    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["complaint"]["tier"] == 2
    assert events(app, number)[-1]["type"] == "moved"
    assert notifications(app, number) == [("escalated", "tier", None, 2), ("escalated", "user", team["ion"], None)]


@pytest.mark.parametrize("body, status, field, message", [
    ({"tier": 1, "reason": REASON}, 409, None, "It is at tier 1 already."),
    ({"tier": 9, "reason": REASON}, 422, "tier", "Not a valid choice"),
    ({"tier": "2", "reason": REASON}, 422, "tier", "Must be a whole number."),
    ({"tier": 2}, 422, "reason", "Give the reason."),
    ({"reason": REASON}, 422, "tier", "Choose the tier."),
    ({"tier": 2, "reason": REASON, "owner": 3}, 422, "owner", "Unknown field."),
    ([2, REASON], 422, "body", "Send a JSON object"),
])
def test_a_bad_move_through_the_api_is_refused_with_why_and_changes_nothing(app, client, register, team, tokens,
                                                                           body, status, field, message):
    number = register()
    empty_outbox(app)
    before = recorded(app)

    response = move_by_api(client, tokens["mihai"], number, body)

    assert response.status_code == status
    answer = response.get_json()
    text = " ".join(answer["errors"][field]) if field else str(answer)
    assert message in text
    assert recorded(app) == before


def test_a_closed_complaint_refuses_a_move_through_the_api(app, client, register, team, tokens):
    number = _closed(app, register, team)
    before = recorded(app)
    response = move_by_api(client, tokens["mihai"], number, {"tier": 2, "reason": REASON})
    assert response.status_code == 409
    assert recorded(app) == before
