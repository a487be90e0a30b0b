"""The statutory paragraphs letters carry: every letter in every wording and language names
where the complainant may go, the FCA's prescribed English is exact, and a letter missing
what the law requires in it is refused."""

from __future__ import annotations

import json

import pytest

from app.clocks.policy import Letter
from app.clocks.statutory import (
    STATUTORY_WORDING,
    ReferralBody,
    StatutoryLetter,
    StatutoryWordingError,
    _wording,
    statutory_paragraphs,
)
from app.languages import SUPPORTED_LANGUAGES

FOS = ReferralBody("Financial Ombudsman Service", "Exchange Tower, London E14 9SR",
                   "https://www.financial-ombudsman.org.uk", 6)
IBAS = ReferralBody("Independent Betting Adjudication Service", "PO Box 62639, London EC3P 3AS",
                    "https://www.ibas-uk.com", 12)
VALUES = {"due": "15.01.2027", "days": "15", "reason": "REASON-TEXT"}

#: How each language writes the FOS's fixed six months (Annex 3R).
SIX_MONTHS = {"en": "six months", "ru": "шести месяцев", "ro": "șase luni", "uk": "шести місяців"}
#: How each language writes a body's time limit after "within", by its number of months.
MONTHS = {
    6: {"en": "6 months", "ru": "6 месяцев", "ro": "6 luni", "uk": "6 місяців"},
    12: {"en": "12 months", "ru": "12 месяцев", "ro": "12 luni", "uk": "12 місяців"},
}
#: The letters whose FOS text is the FCA's own (the others fall back to the generic text).
FOS_TEXTS = {StatutoryLetter.FINAL_RESPONSE, StatutoryLetter.SUMMARY_RESOLUTION, StatutoryLetter.HOLDING}


def _text(letter, wording, body, language, values=VALUES) -> str:
    paragraphs = statutory_paragraphs(letter, wording=wording, body=body, language=language, values=values)
    assert paragraphs and all(paragraph.strip() for paragraph in paragraphs)
    assert not any("{" in paragraph or "}" in paragraph for paragraph in paragraphs), "a placeholder left unfilled"
    return "\n".join(paragraphs)


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
@pytest.mark.parametrize("wording", ["fos", "ukgc_adr", None])
@pytest.mark.parametrize("letter", list(StatutoryLetter))
def test_every_letter_in_every_wording_and_language_names_the_body_its_website_and_time_limit(
        letter, wording, language):
    body = FOS if wording == "fos" else IBAS
    text = _text(letter, wording, body, language)
    assert body.name in text and body.address in text and body.website in text
    if wording == "fos" and letter in FOS_TEXTS:
        assert SIX_MONTHS[language] in text
    else:
        assert MONTHS[body.time_limit_months][language] in text


def test_the_fos_final_response_gives_the_annex_3r_wording_exactly():
    paragraphs = statutory_paragraphs(StatutoryLetter.FINAL_RESPONSE, wording="fos", body=FOS, language="en")
    assert paragraphs[:2] == (
        "You have the right to refer your complaint to the Financial Ombudsman Service, free of charge – but you "
        "must do so within six months of the date of this letter.",
        "If you do not refer your complaint in time, the Ombudsman will not have our permission to consider your "
        "complaint and so will only be able to do so in very limited circumstances. For example, if the Ombudsman "
        "believes that the delay was as a result of exceptional circumstances.",
    )
    text = "\n".join(paragraphs)
    assert "leaflet is enclosed" in text and "https://www.financial-ombudsman.org.uk" in text


def test_the_summary_resolution_says_resolved_and_carries_the_waiver_wording():
    text = _text(StatutoryLetter.SUMMARY_RESOLUTION, "fos", FOS, "en")
    assert "refers to your recent complaint" in text and "consider your complaint resolved" in text
    assert "may be able to refer your complaint to the Financial Ombudsman Service" in text
    assert "the Ombudsman will not have our permission to consider your complaint" in text


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_the_fos_wording_is_translated_with_the_services_english_name_kept(language):
    text = _text(StatutoryLetter.FINAL_RESPONSE, "fos", FOS, language)
    assert "Financial Ombudsman Service" in text and SIX_MONTHS[language] in text


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_the_holding_letter_gives_the_reason_and_the_expected_date(language):
    text = _text(StatutoryLetter.HOLDING, "fos", FOS, language)
    assert "REASON-TEXT" in text and "15.01.2027" in text


@pytest.mark.parametrize(("language", "fifteen", "one"), [
    ("en", "extended by 15 days, until 15.01.2027", "extended by 1 day,"),
    ("ru", "продлён на 15 дней, до 15.01.2027", "продлён на 1 день,"),
    ("ro", "se prelungește cu 15 zile, până la 15.01.2027", "se prelungește cu 1 zi,"),
    ("uk", "продовжено на 15 днів, до 15.01.2027", "продовжено на 1 день,"),
])
def test_the_extension_notice_says_by_how_many_days_until_when_and_why(language, fifteen, one):
    text = _text(StatutoryLetter.EXTENSION_NOTICE, None, None, language)
    assert fifteen in text and "REASON-TEXT" in text
    assert one in _text(StatutoryLetter.EXTENSION_NOTICE, None, None, language, {**VALUES, "days": "1"})


def test_the_extension_notice_needs_no_body_but_names_one_when_set():
    without = _text(StatutoryLetter.EXTENSION_NOTICE, None, None, "en")
    assert "refer" not in without
    assert IBAS.name in _text(StatutoryLetter.EXTENSION_NOTICE, None, IBAS, "en")


@pytest.mark.parametrize(("language", "months", "expected"), [
    ("ru", 1, "в течение 1 месяца"), ("ru", 3, "в течение 3 месяцев"), ("ru", 21, "в течение 21 месяца"),
    ("uk", 1, "протягом 1 місяця"), ("uk", 6, "протягом 6 місяців"),
    ("ro", 1, "în termen de 1 lună"), ("ro", 6, "în termen de 6 luni"), ("ro", 24, "în termen de 24 de luni"),
    ("en", 1, "within 1 month of"), ("en", 3, "within 3 months of"),
])
def test_the_time_limit_takes_the_languages_plural_form(language, months, expected):
    body = ReferralBody("Body", "Street 1", "https://body.example", months)
    assert expected in _text(StatutoryLetter.FINAL_RESPONSE, None, body, language)


@pytest.mark.parametrize("letter", sorted(set(StatutoryLetter) - {StatutoryLetter.EXTENSION_NOTICE}))
def test_a_letter_that_names_where_to_refer_cannot_be_written_without_the_body(letter):
    with pytest.raises(StatutoryWordingError, match="referral body"):
        statutory_paragraphs(letter, wording=None, body=None, language="en", values=VALUES)


@pytest.mark.parametrize(("letter", "values", "missing"), [
    (StatutoryLetter.HOLDING, {"reason": "x"}, "due"),
    (StatutoryLetter.EXTENSION_NOTICE, {"days": "15", "reason": "x"}, "due"),
    (StatutoryLetter.EXTENSION_NOTICE, {"due": "1.1.2027", "reason": "x"}, "extended_by"),
])
def test_a_missing_value_is_an_error_naming_it(letter, values, missing):
    with pytest.raises(StatutoryWordingError, match=missing):
        statutory_paragraphs(letter, wording="fos", body=FOS, language="en", values=values)


def test_the_extensions_days_must_be_a_positive_whole_number():
    for days in ("fifteen", "0"):
        with pytest.raises(StatutoryWordingError, match="days"):
            statutory_paragraphs(StatutoryLetter.EXTENSION_NOTICE, wording=None, body=None, language="en",
                                 values={**VALUES, "days": days})


def test_an_unknown_wording_is_refused():
    with pytest.raises(StatutoryWordingError, match="unknown referral wording 'cfpb'"):
        statutory_paragraphs(StatutoryLetter.FINAL_RESPONSE, wording="cfpb", body=FOS, language="en")


def test_an_unsupported_language_gets_the_english_text():
    assert statutory_paragraphs(StatutoryLetter.DEADLOCK, wording="ukgc_adr", body=IBAS, language="de") == \
        statutory_paragraphs(StatutoryLetter.DEADLOCK, wording="ukgc_adr", body=IBAS, language="en")


def test_a_values_braces_are_printed_as_written():
    text = _text(StatutoryLetter.HOLDING, "fos", FOS, "en", {**VALUES, "reason": "REASON-TEXT"})
    odd = statutory_paragraphs(StatutoryLetter.HOLDING, wording="fos", body=FOS, language="en",
                               values={**VALUES, "reason": "{name} {0}"})
    assert "The reason: {name} {0}." in "\n".join(odd) and "REASON-TEXT" in text


def test_every_language_has_every_text_and_no_cedilla_romanian():
    texts = json.loads(STATUTORY_WORDING.read_text(encoding="utf-8"))
    assert set(texts) == set(SUPPORTED_LANGUAGES)
    assert all(set(texts[language]) == set(texts["en"]) for language in texts)
    assert not set("şţŞŢ") & set(json.dumps(texts["ro"], ensure_ascii=False))
    assert _wording() == texts


def test_a_wording_file_missing_a_text_in_one_language_is_refused(tmp_path):
    texts = json.loads(STATUTORY_WORDING.read_text(encoding="utf-8"))
    del texts["uk"]["deadlock.generic"]
    path = tmp_path / "statutory.json"
    path.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(StatutoryWordingError, match=r"uk differs from en: missing \['deadlock.generic'\]"):
        _wording(path)


def test_the_statutory_letters_are_the_policys_letters_and_the_final_response():
    assert {letter.value for letter in StatutoryLetter} == {letter.value for letter in Letter} | {"final_response"}


def test_a_referral_body_comes_back_from_its_json_and_a_bad_one_is_refused():
    assert ReferralBody.from_json(FOS.to_json()) == FOS
    assert FOS.to_json() == {"name": "Financial Ombudsman Service", "address": "Exchange Tower, London E14 9SR",
                             "website": "https://www.financial-ombudsman.org.uk", "time_limit_months": 6}
    for bad in ({"name": "X", "address": "Y", "website": "Z"}, {**FOS.to_json(), "time_limit_months": 0},
                {**FOS.to_json(), "name": "  "}, {**FOS.to_json(), "time_limit_months": "six"}):
        with pytest.raises(StatutoryWordingError):
            ReferralBody.from_json(bad)
