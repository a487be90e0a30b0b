"""The case page's handling actions and the complainant's side on the tracking page."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from _cases import T0, act, load
from app.complaints.models import ComplaintStatus, Resolution
from app.desk.operations import correct_complaint
from app.extensions import db
from app.registry.models import RegistryEntry
from app.registry.verify import verify_registry
from app.workflow import operations as ops
from app.workflow.models import CaseMessage


def slug(number: str) -> str:
    return number.replace("/", "-")


def entries(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(RegistryEntry))


def sign_in(client, username: str) -> None:
    response = client.post("/staff/login", data={"username": username, "password": "correct horse 1"})
    assert response.status_code == 302


def tracking_path(app, number: str) -> str:
    complaint = load(app, number)
    return f"/track/{complaint.slug}?code={complaint.access_code}"


def test_an_officer_takes_and_answers_from_the_case_page(app, client, register, staff):
    number = register()
    sign_in(client, "olga")
    page = client.get(f"/staff/complaints/{slug(number)}").get_data(as_text=True)
    assert "Nobody yet" in page and "Take this complaint" in page
    assert client.post(f"/staff/complaints/{slug(number)}/take").status_code == 303
    response = client.post(f"/staff/complaints/{slug(number)}/respond",
                           data={"respond-body": "Выплата отправлена, ждите 1–3 рабочих дня."})
    assert response.status_code == 303
    page = client.get(f"/staff/complaints/{slug(number)}").get_data(as_text=True)
    assert "Olga Officer" in page and "OUT-2026/000001" in page
    assert "Выплата отправлена" in page
    assert load(app, number).status == ComplaintStatus.RESPONDED


def test_an_invalid_action_shows_what_was_typed_and_changes_nothing(app, client, register, staff):
    number = register()
    act(app, number, ops.take_complaint, by=staff["olga"])
    sign_in(client, "olga")
    before = entries(app)
    response = client.post(f"/staff/complaints/{slug(number)}/transfer",
                           data={"transfer-to": str(staff["petru"]), "transfer-reason": "no"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "between 5 and 20000 characters" in page
    assert re.search(f'<option selected value="{staff["petru"]}">', page)
    assert entries(app) == before and load(app, number).owner_id == staff["olga"]


def test_responding_to_a_closed_complaint_is_refused_with_the_text_kept(app, client, register, staff):
    number = register()
    act(app, number, ops.take_complaint, by=staff["olga"])
    act(app, number, ops.resolve, by=staff["olga"], resolution=Resolution.REJECTED, reasons="The bet was void.")
    act(app, number, ops.close, by=staff["olga"])
    sign_in(client, "olga")
    before = entries(app)
    response = client.post(f"/staff/complaints/{slug(number)}/respond", data={"respond-body": "Late thoughts"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "You cannot send a response: the complaint is closed." in page
    assert "Late thoughts" in page
    assert entries(app) == before


def test_someone_who_does_not_own_it_cannot_answer_it(app, client, register, staff):
    number = register()
    act(app, number, ops.take_complaint, by=staff["olga"])
    sign_in(client, "petru")
    response = client.post(f"/staff/complaints/{slug(number)}/respond", data={"respond-body": "Hello"})
    assert response.status_code == 422
    assert re.search("Only the complaint(&#39;|')s owner can do this", response.get_data(as_text=True))


def test_the_case_page_shows_owner_tier_transfers_and_contacts(app, client, register, staff):
    number = register()
    act(app, number, ops.take_complaint, by=staff["olga"])
    act(app, number, ops.transfer_complaint, by=staff["olga"], to=staff["petru"], reason="Petru knows it")
    act(app, number, ops.respond, by=staff["petru"], body="First answer.")
    act(app, number, ops.complainant_reply, by=None, body="Not good enough", dispute=True)
    sign_in(client, "petru")
    page = client.get(f"/staff/complaints/{slug(number)}").get_data(as_text=True)
    owner = re.search(r'data-testid="owner">(.*?)</dd>', page, re.S).group(1)
    assert "Petru Officer" in owner
    assert "1 · Support desk" in page
    assert "1 of 2 allowed" in page
    assert re.search(r"Complainant(&#39;|')s contacts</dt>\s*<dd>2</dd>", page)
    assert "The complainant disputed" in page


def test_the_case_page_lists_the_persons_other_complaints_by_address_whatever_its_case(app, client, register, staff):
    first = register(email="Ana.Rusu@Example.md", phone=None)
    again = register(email="ana.rusu@example.md", phone=None)
    by_phone = register(email=None, phone="+37369123456")
    stranger = register(email="ana.rusu@example.ro", phone="+37379000000")
    sign_in(client, "mihai")
    page = client.get(f"/staff/complaints/{slug(first)}").get_data(as_text=True)
    others = page.split("Other complaints from this person", 1)[1].split("</section>", 1)[0]
    assert again in others
    assert first not in others and by_phone not in others and stranger not in others
    page = client.get(f"/staff/complaints/{slug(by_phone)}").get_data(as_text=True)
    assert "None found with the same e-mail or phone." in page


def test_a_complaint_transferred_up_from_the_case_page_is_in_the_new_owners_default_queue(app, client, register,
                                                                                           staff):
    number = register()
    act(app, number, ops.take_complaint, by=staff["olga"])
    sign_in(client, "olga")
    page = client.get(f"/staff/complaints/{slug(number)}").get_data(as_text=True)
    transfer = page.split('data-testid="form-transfer"', 1)[1].split("</form>", 1)[0]
    assert f'<option value="{staff["sofia"]}">Sofia Specialist (tier 2)</option>' in transfer
    assert f'value="{staff["olga"]}"' not in transfer  # not herself
    response = client.post(f"/staff/complaints/{slug(number)}/transfer",
                           data={"transfer-to": str(staff["sofia"]), "transfer-reason": "A gateway fault: Sofia's area"})
    assert response.status_code == 303
    complaint = load(app, number)
    assert (complaint.owner_id, complaint.tier) == (staff["sofia"], 2)

    specialist = app.test_client()
    sign_in(specialist, "sofia")
    queue = specialist.get("/staff/queue").get_data(as_text=True)
    assert '<option selected value="mine_and_tier">' in queue
    assert f">{number}</a>" in queue and "No open complaints" not in queue
    case = specialist.get(f"/staff/complaints/{slug(number)}").get_data(as_text=True)
    assert "2 · Specialist department" in case and "Tier 1 → 2" in case  # the history shows the move
    with app.app_context():
        report = verify_registry()
    assert report.ok, [str(p) for p in report.problems]


def test_staff_read_the_category_the_tier_the_history_and_the_colleagues_in_their_own_language(
        app, client, register, staff, make_user):
    number = register(language="ru")  # the complainant writes in Russian
    ion = make_user("ion", "officer", tier=1, language="ro", full_name="Ion Ofițer")
    clerk = make_user("irina", "clerk", language="en", full_name="Irina Clerk")
    act(app, number, ops.take_complaint, by=ion)
    act(app, number, correct_complaint, by=clerk, changes={"category": "technical"}, reason="Wrong category chosen")
    sign_in(client, "ion")
    page = client.get(f"/staff/complaints/{slug(number)}").get_data(as_text=True)
    assert "Probleme tehnice cu site-ul sau aplicația" in page and "Технические проблемы" not in page
    assert "1 · Serviciul de suport" in page
    assert f'<option value="{staff["sofia"]}">Sofia Specialist (nivelul 2)</option>' in page
    assert re.search(r"<em>Categorie</em>: <del>Plăți și retrageri</del> → <ins>Probleme tehnice cu site-ul sau "
                     r"aplicația</ins>", page)
    english = app.test_client()
    sign_in(english, "olga")
    page = english.get(f"/staff/complaints/{slug(number)}").get_data(as_text=True)
    assert "<dd>Technical problems with the site or app</dd>" in page and "Платеж" not in page


def test_resuming_says_what_it_does_in_each_status_it_is_offered_in(app, client, register, staff):
    number = register()
    act(app, number, ops.take_complaint, by=staff["olga"])
    sign_in(client, "olga")

    def resume_offer() -> str | None:
        page = client.get(f"/staff/complaints/{slug(number)}").get_data(as_text=True)
        assert "Resume work" not in page
        found = re.search(r'data-testid="resume">([^<]+)</button>\s*<p class="hint">([^<]+)</p>', page)
        return found and (found.group(1), found.group(2))

    assert resume_offer() is None  # in progress: nothing to resume
    act(app, number, ops.request_information, by=staff["olga"], body="Which card?")
    assert resume_offer()[0] == "Stop waiting and resume work"
    act(app, number, ops.respond, by=staff["olga"], body="We are checking.")
    button, hint = resume_offer()
    assert button == "Mark as in progress again" and "record the decision instead" in hint
    act(app, number, ops.resolve, by=staff["olga"], resolution=Resolution.REJECTED, reasons="The bet was void.")
    assert resume_offer() is None
    act(app, number, ops.complainant_reply, by=None, body="I do not accept this.", dispute=True)
    assert resume_offer()[0] == "Start work on the reopened complaint"
    assert client.post(f"/staff/complaints/{slug(number)}/resume").status_code == 303
    assert load(app, number).status == ComplaintStatus.IN_PROGRESS


def test_the_complainant_sees_the_answer_but_not_internal_notes(app, client, register, staff):
    number = register()
    act(app, number, ops.take_complaint, by=staff["olga"])
    act(app, number, ops.add_consultation, by=staff["olga"], note="Internal: check the gateway log")
    act(app, number, ops.respond, by=staff["olga"], body="Plata a fost trimisă astăzi.")
    page = client.get(tracking_path(app, number)).get_data(as_text=True)
    assert "Plata a fost trimisă astăzi." in page and "OUT-2026/000001" in page
    assert "gateway log" not in page
    letter = re.search(r'href="(/track/[^"]+/letters/\d+\.pdf\?code=[^"]+)"', page).group(1)
    response = client.get(letter.replace("&amp;", "&"))
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert client.get(re.sub(r"code=[^&]+", "code=WRONG", letter)).status_code == 404


def test_a_dispute_from_the_tracking_page_reopens_and_escalates(app, client, register, staff):
    number = register()
    act(app, number, ops.take_complaint, by=staff["olga"])
    act(app, number, ops.respond, by=staff["olga"], body="We refuse.")
    complaint = load(app, number)
    url = f"/track/{complaint.slug}/dispute?code={complaint.access_code}"
    response = client.post(url, data={"dispute-body": "Nu sunt de acord.", "dispute-escalate": "1"})
    assert response.status_code == 303
    complaint = load(app, number)
    assert (complaint.status, complaint.tier, complaint.contact_count) == (ComplaintStatus.REOPENED, 2, 2)


def test_a_reply_with_a_wrong_access_code_is_a_404_and_changes_nothing(app, client, register, staff):
    number = register()
    act(app, number, ops.take_complaint, by=staff["olga"])
    act(app, number, ops.request_information, by=staff["olga"], body="Which card?")
    before = entries(app)
    response = client.post(f"/track/{slug(number)}/reply?code=AAAA-BBBB-CCCC", data={"reply-body": "Visa"})
    assert response.status_code == 404
    assert entries(app) == before and load(app, number).contact_count == 1


@pytest.mark.parametrize("status_path", ["closed"])
def test_a_closed_complaint_offers_only_the_dispute(app, client, register, staff, status_path):
    number = register(language="en")  # the tracking page speaks the complaint's language
    act(app, number, ops.take_complaint, by=staff["olga"])
    act(app, number, ops.resolve, by=staff["olga"], resolution=Resolution.UPHELD, reasons="We pay it back.")
    act(app, number, ops.close, by=staff["olga"])
    page = client.get(tracking_path(app, number)).get_data(as_text=True)
    assert 'data-testid="form-dispute"' in page and 'data-testid="form-reply"' not in page
    complaint = load(app, number)
    response = client.post(f"/track/{complaint.slug}/reply?code={complaint.access_code}", data={"reply-body": "Hi"})
    assert response.status_code == 422
    assert "You cannot reply: the complaint is closed." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CaseMessage)) == 1


def test_the_letter_on_the_case_page_is_the_pdf_of_the_response(app, client, register, staff):
    number = register(at=T0)
    act(app, number, ops.take_complaint, by=staff["olga"])
    message = act(app, number, ops.respond, by=staff["olga"], body="Answer.")
    sign_in(client, "olga")
    response = client.get(f"/staff/complaints/{slug(number)}/letters/{message.id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"


def test_the_fingerprint_printed_on_a_letter_verifies_but_an_internal_note_does_not(app, client, register, staff):
    from app.registry.digest import fingerprint_of
    from app.registry.models import RegistryEntry as Entry

    number = register()
    act(app, number, ops.take_complaint, by=staff["olga"])
    note = act(app, number, ops.add_consultation, by=staff["olga"], note="Internal only")
    letter = act(app, number, ops.respond, by=staff["olga"], body="Our answer.")
    with app.app_context():
        printed = {m.id: fingerprint_of(db.session.get(Entry, m.entry_position).digest) for m in (note, letter)}
    page = client.get("/verify", query_string={"number": number, "fingerprint": printed[letter.id]})
    assert "Letter OUT-2026/000001 about complaint" in page.get_data(as_text=True)
    page = client.get("/verify", query_string={"number": number, "fingerprint": printed[note.id]})
    assert "No registered complaint matches" in page.get_data(as_text=True)


def test_the_api_shows_the_complainant_the_letters_but_not_internal_notes(app, client, register, staff):
    number = register()
    act(app, number, ops.take_complaint, by=staff["olga"])
    act(app, number, ops.add_consultation, by=staff["olga"], note="Internal only")
    act(app, number, ops.respond, by=staff["olga"], body="Our answer.")
    complaint = load(app, number)
    body = client.get(f"/api/v1/complaints/{complaint.slug}?code={complaint.access_code}").get_json()
    assert body["status"] == "responded" and body["first_responded_at"]
    assert [(m["kind"], m["outgoing_number"], m["body"]) for m in body["messages"]] == [
        ("response", "OUT-2026/000001", "Our answer.")]
