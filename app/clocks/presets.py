"""The clock policies the registry ships: one per regulation it knows, for an administrator
to pick and adjust (docs/clock-policies.md explains each, with its sources).

Each preset is the regulation read as plainly as the policy model allows; where a rule needs
a choice the model cannot make for every installation (the UKGC's 3 working days for
operators without 24-hour gambling, Ukraine's "one month"), the preset takes the common case
and the documentation says what to adjust. No database, no request.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from msgspec import Struct

from .policy import ClockKind, ClockPolicy, ClockRule, Letter, MetBy, Period, PolicyError, Start, Unit


class Preset(Struct, frozen=True):
    """A named, documented clock policy the administrator's page offers."""

    code: str
    title: LazyString
    summary: LazyString  # one sentence for the administrator's page
    sources: tuple[str, ...]  # where the rules come from (docs/clock-policies.md, REGULATIONS)
    policy: ClockPolicy  # its `preset` is `code`


def _days(amount: int) -> Period:
    return Period(amount, Unit.CALENDAR_DAYS)


def _working_days(amount: int) -> Period:
    return Period(amount, Unit.WORKING_DAYS)


_DECISION = frozenset({MetBy.DECISION})
_WAITING = frozenset({"waiting"})

_FCA_DISP_SOURCES = (
    "https://handbook.fca.org.uk/handbook/DISP/1/5.html?date=2024-02-27",
    "https://handbook.fca.org.uk/handbook/disp1/disp1s6?date=01-06-2026&timeline=true",
    "https://handbook.fca.org.uk/handbook/DISP/1/6.html?date=2012-02-14&timeline=True",
    "https://handbook.fca.org.uk/handbook/DISP/1/Annex3.html?date=2016-07-17&timeline=True",
    "https://handbook.fca.org.uk/handbook/DISP/1/10.html?date=2024-10-03",
)

_PRESETS = (
    Preset(
        code="current",
        title=_l("Current behaviour (no regulatory clocks)"),
        summary=_l("Only the registry's own first-response hours; closed complaints are counted "
                   "within 8 weeks or over."),
        sources=(),
        policy=ClockPolicy(preset="current", closure_bands=(_days(56),)),
    ),
    Preset(
        code="ukgc",
        title=_l("UK Gambling Commission (LCCP SR 6.1.1)"),
        summary=_l("Acknowledgement within 24 hours; the whole procedure within 8 weeks, paused "
                   "while waiting for the customer; a deadlock letter naming the ADR provider."),
        sources=(
            "https://www.gamblingcommission.gov.uk/guidance/complaints-and-disputes-procedural-information-provision-and-reporting/4-time-limits-and-escalation-of-complaints",
            "https://www.gamblingcommission.gov.uk/licensees-and-businesses/guide/page/timescales-for-the-complaints-process",
            "https://www.gamblingcommission.gov.uk/manual/complaints-and-disputes-procedural-information-provision-and-reporting/5-adr-requirements",
            "https://www.gamblingcommission.gov.uk/public-and-players/guide/page/taking-your-complaint-to-an-alternative-dispute-resolution-adr-provider",
        ),
        policy=ClockPolicy(
            preset="ukgc",
            clocks=(
                ClockRule(ClockKind.ACKNOWLEDGEMENT, Period(24, Unit.HOURS), frozenset({MetBy.REGISTRATION})),
                ClockRule(ClockKind.FINAL_RESPONSE, _days(56), _DECISION, pauses_in=_WAITING, escalates=True),
            ),
            closure_bands=(_days(56),),
            letters=frozenset({Letter.DEADLOCK}),
            referral_wording="ukgc_adr",
        ),
    ),
    Preset(
        code="fca_general",
        title=_l("UK FCA, DISP 1 (general complaints)"),
        summary=_l("A final response or the 8-week letter within 8 weeks; complaints resolved by "
                   "the third business day get a summary resolution communication."),
        sources=_FCA_DISP_SOURCES,
        policy=ClockPolicy(
            preset="fca_general",
            clocks=(
                ClockRule(ClockKind.FINAL_RESPONSE, _days(56), frozenset({MetBy.DECISION, MetBy.HOLDING_RESPONSE}),
                          escalates=True),
            ),
            early_resolution=_working_days(3),
            closure_bands=(_working_days(3), _days(28), _days(56)),
            letters=frozenset({Letter.SUMMARY_RESOLUTION, Letter.HOLDING}),
            referral_wording="fos",
        ),
    ),
    Preset(
        code="fca_payments",
        title=_l("UK FCA, DISP 1.6.2AR (payment services and e-money)"),
        summary=_l("A final response within 15 business days, or a holding response and the final "
                   "response within 35 business days in all."),
        sources=_FCA_DISP_SOURCES,
        policy=ClockPolicy(
            preset="fca_payments",
            clocks=(
                ClockRule(ClockKind.FINAL_RESPONSE, _working_days(15), _DECISION,
                          extension=20, extension_notice=True, escalates=True),
            ),
            early_resolution=_working_days(3),
            closure_bands=(_working_days(3), _working_days(15), _working_days(35)),
            letters=frozenset({Letter.SUMMARY_RESOLUTION, Letter.HOLDING}),
            referral_wording="fos",
        ),
    ),
    Preset(
        code="ru_59fz",
        title=_l("Russia, Federal Law 59-FZ (citizens' appeals)"),
        summary=_l("Registered within 3 days; answered within 30 days of registration, extended "
                   "once by up to 30 days with notice to the citizen."),
        sources=(
            "http://kkcson.3dn.ru/index/obrashhenie_grazhdan/0-32",
            "https://ivcrb.ru/questions",
            "https://base.garant.ru/24492340/1b93c134b90c6071b4dc3f495464b753",
        ),
        policy=ClockPolicy(
            preset="ru_59fz",
            clocks=(
                ClockRule(ClockKind.REGISTRATION, _days(3), frozenset({MetBy.REGISTRATION})),
                ClockRule(ClockKind.FINAL_RESPONSE, _days(30), _DECISION, start=Start.REGISTERED,
                          extension=30, extension_notice=True, escalates=True),
            ),
            closure_bands=(_days(30), _days(60)),
            letters=frozenset({Letter.EXTENSION_NOTICE}),
        ),
    ),
    Preset(
        code="ua_appeals",
        title=_l("Ukraine, Law on citizens' appeals (art. 20)"),
        summary=_l("Answered within one month of receipt (counted as 30 days), extended with "
                   "notice to 45 days at most."),
        sources=(
            "https://urst.com.ua/ru/ob_obraschenii_grazhdan/st-20",
            "https://7aac.gov.ua/gromadyanam/informaciya-shhodo-zvernen/stroki-rozglyadu-zvernen/",
            "https://koradm.cg.gov.ua/index.php?id=25968&tp=1",
        ),
        policy=ClockPolicy(
            preset="ua_appeals",
            clocks=(
                ClockRule(ClockKind.FINAL_RESPONSE, _days(30), _DECISION,
                          extension=15, extension_notice=True, escalates=True),
            ),
            closure_bands=(_days(15), _days(30), _days(45)),
            letters=frozenset({Letter.EXTENSION_NOTICE}),
        ),
    ),
    Preset(
        code="ro_og27",
        title=_l("Romania, OG 27/2002 (petitions)"),
        summary=_l("Answered within 30 days of registration, extended once by up to 15 days with "
                   "notice to the petitioner."),
        sources=(
            "https://legislatie.just.ro/Public/DetaliiDocumentAfis/196796",
            "http://www.birouljuridic.ro/birouljuridic/og-nr-272002-privind-reglementarea-activitatilor-de-solutionare-a-petitiilor/",
        ),
        policy=ClockPolicy(
            preset="ro_og27",
            clocks=(
                ClockRule(ClockKind.FINAL_RESPONSE, _days(30), _DECISION, start=Start.REGISTERED,
                          extension=15, extension_notice=True, escalates=True),
            ),
            closure_bands=(_days(30), _days(45)),
            letters=frozenset({Letter.EXTENSION_NOTICE}),
        ),
    ),
)

#: The shipped presets by code, in the order the administrator's page lists them.
PRESETS: Mapping[str, Preset] = MappingProxyType({item.code: item for item in _PRESETS})


def preset(code: str) -> Preset:
    """The shipped preset `code`; a stored policy naming an unknown one cannot be reset to it."""
    try:
        return PRESETS[code]
    except KeyError:
        raise PolicyError(f"unknown clock policy preset {code!r} (known: {', '.join(PRESETS)})") from None
