"""The shipped clock-policy presets: each one is the regulation as docs/clock-policies.md
describes it, valid, and kept unchanged through the settings' JSON."""

from __future__ import annotations

import pytest

from app.clocks.policy import ClockPolicy, PolicyError
from app.clocks.presets import PRESETS, preset

#: Each preset's clocks, written from the regulation: (kind, amount, unit, met by, start,
#: pauses in, extension, extension notice, escalates).
CLOCKS = {
    "current": [],
    "ukgc": [
        ("acknowledgement", 24, "hours", {"registration"}, "received", set(), None, False, False),
        ("final_response", 56, "calendar_days", {"decision"}, "received", {"waiting"}, None, False, True),
    ],
    "fca_general": [
        ("final_response", 56, "calendar_days", {"decision", "holding_response"}, "received", set(), None, False,
         True),
    ],
    "fca_payments": [
        ("final_response", 15, "working_days", {"decision"}, "received", set(), 20, True, True),
    ],
    "ru_59fz": [
        ("registration", 3, "calendar_days", {"registration"}, "received", set(), None, False, False),
        ("final_response", 30, "calendar_days", {"decision"}, "registered", set(), 30, True, True),
    ],
    "ua_appeals": [
        ("final_response", 30, "calendar_days", {"decision"}, "received", set(), 15, True, True),
    ],
    "ro_og27": [
        ("final_response", 30, "calendar_days", {"decision"}, "registered", set(), 15, True, True),
    ],
}

#: (early resolution, closure bands, letters, referral wording) per preset.
RULES = {
    "current": (None, [(56, "calendar_days")], set(), None),
    "ukgc": (None, [(56, "calendar_days")], {"deadlock"}, "ukgc_adr"),
    "fca_general": ((3, "working_days"), [(3, "working_days"), (28, "calendar_days"), (56, "calendar_days")],
                    {"summary_resolution", "holding"}, "fos"),
    "fca_payments": ((3, "working_days"), [(3, "working_days"), (15, "working_days"), (35, "working_days")],
                     {"summary_resolution", "holding"}, "fos"),
    "ru_59fz": (None, [(30, "calendar_days"), (60, "calendar_days")], {"extension_notice"}, None),
    "ua_appeals": (None, [(15, "calendar_days"), (30, "calendar_days"), (45, "calendar_days")],
                   {"extension_notice"}, None),
    "ro_og27": (None, [(30, "calendar_days"), (45, "calendar_days")], {"extension_notice"}, None),
}


def _period(period) -> tuple[int, str] | None:
    return None if period is None else (period.amount, period.unit.value)


def test_the_presets_are_listed_in_the_order_the_administrators_page_shows_them():
    assert list(PRESETS) == ["current", "ukgc", "fca_general", "fca_payments", "ru_59fz", "ua_appeals", "ro_og27"]


@pytest.mark.parametrize("code", list(CLOCKS))
def test_each_preset_runs_the_clocks_its_regulation_sets(code):
    policy = preset(code).policy
    clocks = [
        (rule.kind.value, rule.period.amount, rule.period.unit.value, {m.value for m in rule.met_by},
         rule.start.value, set(rule.pauses_in), rule.extension, rule.extension_notice, rule.escalates)
        for rule in policy.clocks
    ]
    assert clocks == CLOCKS[code]


@pytest.mark.parametrize("code", list(RULES))
def test_each_preset_has_its_regulations_bands_letters_and_referral_wording(code):
    policy = preset(code).policy
    early, bands, letters, wording = RULES[code]
    assert _period(policy.early_resolution) == early
    assert [_period(band) for band in policy.closure_bands] == bands
    assert {letter.value for letter in policy.letters} == letters
    assert policy.referral_wording == wording


@pytest.mark.parametrize("code", list(CLOCKS))
def test_each_preset_names_itself_and_keeps_the_installations_first_response_hours(code):
    item = preset(code)
    assert item.code == code and item.policy.preset == code
    assert item.policy.first_response is None


@pytest.mark.parametrize("code", list(CLOCKS))
def test_each_preset_is_valid_and_comes_back_unchanged_from_its_json(code):
    policy = preset(code).policy
    policy.check()
    for rule in policy.clocks:
        rule.check()
    assert ClockPolicy.from_json(policy.to_json()) == policy


@pytest.mark.parametrize("code", [code for code in CLOCKS if code != "current"])
def test_every_regulatory_preset_cites_its_sources(code):
    sources = preset(code).sources
    assert sources and all(source.startswith(("https://", "http://")) for source in sources)


def test_an_unknown_preset_is_a_policy_error_naming_the_known_ones():
    with pytest.raises(PolicyError, match="unknown clock policy preset 'fca'.*fca_general"):
        preset("fca")


def test_the_titles_and_summaries_are_translated(app):
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("ro"):
        assert str(preset("ro_og27").title) == "România, OG 27/2002 (petiții)"
    with app.test_request_context(), force_locale("uk"):
        assert str(preset("ukgc").title) == "Комісія з азартних ігор Великої Британії (LCCP SR 6.1.1)"
    with app.test_request_context(), force_locale("en"):
        assert str(preset("ukgc").summary).startswith("Acknowledgement within 24 hours")
