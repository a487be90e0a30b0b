"""What the real-shaped messages of tests/mail/ say once read: charsets, transfer encodings,
HTML-only bodies, quoted history, files, and the signs of a machine. No database."""

from __future__ import annotations

import pytest

from _mail import raw_mail
from app.mailin.parse import html_to_text, language_of, parse, peek_headers, strip_quoted


@pytest.mark.parametrize(("name", "sender", "address", "subject", "words", "language"), [
    ("windows-1251", "Иван Петров", "ivan.petrov@example.ru", "Жалоба: списание 1200 леев",
     "списали 1200 леев за ставку", "ru"),
    ("koi8-r", "Мария Соколова", "maria.s@example.org", "Не выводятся деньги", "вывести выигрыш 3500 MDL", "ru"),
    ("koi8-u", "Олена Ковальчук", "olena.k@example.com.ua", "Бонус не зараховано", "Мені не зарахували бонус", "uk"),
    ("iso-8859-2", "Ştefan Ţurcanu", "stefan.turcanu@example.md", "Depunere neînregistrată",
     "şi suma nu apare în cont", "ro"),
    ("wrong-charset", "", "alexei@example.ru", "account", "Прошу разобраться с блокировкой", "ru"),
    ("malformed-headers", "Vasile Ciobanu", "vasile@example.md", "Reclamație depunere ț",
     "nu mi s-a înregistrat depunerea", "ro"),
])
def test_each_charset_and_transfer_encoding_reads_as_the_sender_wrote_it(name, sender, address, subject, words,
                                                                          language):
    mail = parse(raw_mail(name))
    assert (mail.sender_name, mail.sender_address) == (sender, address)
    assert mail.subject.startswith(subject)
    assert words in mail.text
    assert "\ufffd" not in mail.text + mail.subject + mail.sender_name
    assert mail.automatic is None and mail.files == ()
    assert language_of(f"{mail.subject}\n{mail.text}", "en") == language


def test_an_html_only_message_becomes_clean_text_without_markup_scripts_or_styles():
    mail = parse(raw_mail("html-only"))
    assert mail.html_only
    assert mail.text == ("Bună ziua,\n\nVă scriu pentru că pariul meu nr. 771203 a fost anulat fără explicaţie.\n\n"
                         "- Suma: 150 lei\n- Data: 21.11.2026\n\nAştept răspunsul dumneavoastră.\nElena Rusu")
    for trace in ("<", "alert", "color: red", "pixel.gif", "Plângere"):
        assert trace not in mail.text


def test_multipart_alternative_reads_the_plain_text_and_lists_the_pdf_and_the_inline_image():
    mail = parse(raw_mail("alternative-with-pdf"))
    assert (mail.sender_name, mail.sender_address) == ("Smith, John", "John.Smith@example.net")
    assert mail.text.startswith("Good afternoon,\n\nMy withdrawal of 2,000 MDL")
    assert not mail.html_only
    assert [(f.filename, f.content_type, f.inline) for f in mail.files] == [
        ("logo.png", "image/png", True), ("bank-statement.pdf", "application/pdf", False)]
    assert mail.files[1].content.startswith(b"%PDF-1.4")


def test_an_outlook_reply_shows_what_was_written_not_the_quoted_history():
    mail = parse(raw_mail("outlook-reply", number="2026/000001", in_reply_to="notification-1.2@localhost"))
    assert mail.text == ("Hello,\n\nHere is the screenshot you asked for. The payment ID is TX-55102.\n\n"
                         "Regards,\nAna-Maria")
    assert "Please send us the payment ID" in mail.full_text
    assert mail.in_reply_to == ("notification-1.2@localhost",) and mail.references == ("notification-1.2@localhost",)
    assert mail.sender_name == "Ana-Maria Ștefănescu-Țurcanu"


@pytest.mark.parametrize(("text", "visible"), [
    ("Thanks!\n\nOn Mon, 23 Nov 2026 at 10:00, Registry <c@r.example> wrote:\n> Dear Ana", "Thanks!"),
    ("Da.\n\nÎn lun., 23 nov. 2026 la 10:00, Registrul <c@r.example> a scris:\n> Stimată", "Da."),
    ("Спасибо.\n\nВ понедельник, 23 ноября 2026 г. в 10:00, Реестр <c@r.example> написал:\n> Уважаемая", "Спасибо."),
    ("Дякую.\n\n-----Оригінальне повідомлення-----\nВід: Реєстр", "Дякую."),
    ("Ok\n-----Original Message-----\nFrom: Registry\nSent: Monday\nTo: me\nSubject: x\n\nold", "Ok"),
    ("Answer\nOn Mon, 23 Nov 2026 at 10:00, Registry\n<c@r.example> wrote:\n> quoted", "Answer"),
    ("> only a quote\n> nothing else", "> only a quote\n> nothing else"),
])
def test_quoted_history_is_cut_in_each_language(text, visible):
    assert strip_quoted(text) == visible


@pytest.mark.parametrize(("name", "sign"), [
    ("bounce", "Auto-Submitted: auto-replied"),
    ("out-of-office", "Auto-Submitted: auto-replied"),
])
def test_bounces_and_auto_replies_are_known_as_sent_by_a_machine(name, sign):
    assert parse(raw_mail(name)).automatic == sign


@pytest.mark.parametrize(("headers", "sign"), [
    ("Precedence: bulk\n", "Precedence: bulk"),
    ("X-Autorespond: on\n", "X-Autorespond: on"),
    ("Return-Path: <>\n", "Return-Path: <> (a delivery report)"),
    ("List-Id: <news.example.com>\n", "List-Id: mail from a mailing list"),
    ("Auto-Submitted: no\n", None),
])
def test_each_sign_of_a_machine_is_named(headers, sign):
    raw = f"From: someone@example.com\nSubject: hi\n{headers}\nhello\n".encode()
    assert parse(raw).automatic == sign
    assert parse(b"From: MAILER-DAEMON@example.com\nSubject: x\n\nfailed\n").automatic == "sent by MAILER-DAEMON"


def test_headers_of_the_arrival_record_are_read_from_any_bytes():
    assert peek_headers(raw_mail("windows-1251")) == {
        "message_id": "20261123101455.1251@mail.example.ru", "from": "Иван Петров <ivan.petrov@example.ru>",
        "subject": "Жалоба: списание 1200 леев"}
    assert peek_headers(b"\x00\xff\xfe garbage")["message_id"] == ""


def test_bytes_that_are_no_e_mail_are_refused_so_they_are_kept_as_unreadable():
    with pytest.raises(ValueError, match="not an e-mail"):
        parse(b"\x00\x01\x02 just bytes, no headers at all")


def test_html_that_is_no_html_still_gives_text():
    assert html_to_text("") == ""
    assert html_to_text("plain words &amp; <b>bold</b>") == "plain words & bold"
