"""The working calendar (app/clocks/calendar.py): which days are worked, and where a period, an
extension and a pause put a due time. Expected values are worked out by hand in the comments:
dates and weekdays from the 2026-2027 calendars, holidays from each country's law, offsets of
the zones (London GMT+0 / BST+1, Chisinau and Bucharest EET+2, Kyiv EEST+3 in summer, Moscow +3).
"""

from __future__ import annotations

import time as stopwatch
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from app.clocks.calendar import SUPPORTED_COUNTRIES, CalendarError, WorkingCalendar, _public_holidays
from app.clocks.policy import Period, Unit

LONDON, CHISINAU, BUCHAREST, KYIV, MOSCOW = (ZoneInfo(name) for name in (
    "Europe/London", "Europe/Chisinau", "Europe/Bucharest", "Europe/Kyiv", "Europe/Moscow"))
H = timedelta(hours=1)

FCA = WorkingCalendar("Europe/London", "GB", "ENG", opening=(time(9), time(17, 30)))
ENGLAND = WorkingCalendar("Europe/London", "GB", "ENG")
MOLDOVA = WorkingCalendar("Europe/Chisinau", "MD")
ROMANIA = WorkingCalendar("Europe/Bucharest", "RO")
RUSSIA = WorkingCalendar("Europe/Moscow", "RU")
UKRAINE = WorkingCalendar("Europe/Kyiv", "UA")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def days(calendar: WorkingCalendar, first: date, last: date) -> dict[date, bool]:
    """Whether each day from `first` to `last` is worked."""
    return {first + timedelta(n): calendar.is_working_day(first + timedelta(n))
            for n in range((last - first).days + 1)}


# Which days are worked


def test_in_england_christmas_and_the_substitute_boxing_day_are_off_in_2026() -> None:
    # 25 Dec 2026 is a Friday (Christmas Day); Boxing Day falls on Saturday 26, so the bank
    # holiday is the substitute Monday 28; Tuesday 29 is worked again.
    assert days(ENGLAND, date(2026, 12, 24), date(2026, 12, 29)) == {
        date(2026, 12, 24): True, date(2026, 12, 25): False, date(2026, 12, 26): False,
        date(2026, 12, 27): False, date(2026, 12, 28): False, date(2026, 12, 29): True,
    }
    assert ENGLAND.holiday_name(date(2026, 12, 25)) == "Christmas Day"
    assert ENGLAND.holiday_name(date(2026, 12, 28)) == "Boxing Day (observed)"
    assert ENGLAND.holiday_name(date(2026, 12, 29)) is None


def test_scotland_has_the_second_of_january_off_and_england_does_not() -> None:
    # 2 Jan 2026 is a Friday: a bank holiday in Scotland only.
    scotland = WorkingCalendar("Europe/London", "GB", "SCT")
    assert not scotland.is_working_day(date(2026, 1, 2))
    assert ENGLAND.is_working_day(date(2026, 1, 2))


def test_moldova_has_both_christmases_and_new_year_off() -> None:
    # 25 Dec 2026 (Fri, new style), 1 Jan 2027 (Fri), 7-8 Jan 2027 (Thu-Fri, old style).
    for day in (date(2026, 12, 25), date(2027, 1, 1), date(2027, 1, 7), date(2027, 1, 8)):
        assert not MOLDOVA.is_working_day(day), day
        assert MOLDOVA.holiday_name(day)
    assert MOLDOVA.is_working_day(date(2027, 1, 6))


def test_romania_has_national_day_and_both_days_of_christmas_off() -> None:
    # 30 Nov 2026 (Mon, St Andrew), 1 Dec (Tue, National Day), 25-26 Dec (Fri-Sat).
    assert ROMANIA.holiday_name(date(2026, 12, 1)) == "National Day"
    assert ROMANIA.holiday_name(date(2026, 12, 26)) == "Christmas Day"
    assert days(ROMANIA, date(2026, 11, 30), date(2026, 12, 2)) == {
        date(2026, 11, 30): False, date(2026, 12, 1): False, date(2026, 12, 2): True}
    assert not ROMANIA.is_working_day(date(2026, 12, 25))


def test_russia_has_the_new_year_holidays_its_transfers_and_its_worked_saturday() -> None:
    # 1-8 Jan 2027 are the New Year holidays (7 Jan Christmas); Monday 11 is worked.
    assert days(RUSSIA, date(2027, 1, 1), date(2027, 1, 11)) == {
        **{date(2027, 1, n): False for n in range(1, 11)}, date(2027, 1, 11): True}
    # The government's transfers of 2026: Friday 9 Jan and Thursday 31 Dec are off.
    assert not RUSSIA.is_working_day(date(2026, 1, 9))
    assert not RUSSIA.is_working_day(date(2026, 12, 31))
    # 2025: Saturday 1 November was worked in exchange for Monday 3 November.
    assert RUSSIA.is_working_day(date(2025, 11, 1))
    assert not RUSSIA.is_working_day(date(2025, 11, 3))


def test_ukrainian_holidays_are_working_days_under_martial_law() -> None:
    # Labour Code art. 73 is suspended since 2022: Independence Day, Monday 24 Aug 2026, and New
    # Year's Day, Thursday 1 Jan 2026, are worked and named nowhere; before the war 24 Aug 2021
    # (a Tuesday) was a day off.
    for day in (date(2026, 8, 24), date(2026, 1, 1), date(2026, 12, 25)):
        assert UKRAINE.is_working_day(day), day
        assert UKRAINE.holiday_name(day) is None
    assert not UKRAINE.is_working_day(date(2021, 8, 24))
    # Received Friday 21 Aug 2026, one working day: Monday 24 counts; its end is 25 Aug 00:00
    # EEST = 24 Aug 21:00 UTC.
    assert UKRAINE.due(datetime(2026, 8, 21, 10, tzinfo=KYIV), Period(1, Unit.WORKING_DAYS)) == utc(2026, 8, 24, 21)


def test_without_a_country_only_the_weekend_is_off() -> None:
    plain = WorkingCalendar("Europe/London")
    assert plain.is_working_day(date(2026, 12, 25))  # a Friday
    assert not plain.is_working_day(date(2026, 12, 26))  # a Saturday
    assert plain.holiday_name(date(2026, 12, 25)) is None


def test_a_public_holiday_is_found_in_a_year_never_looked_up_before() -> None:
    # New Year's Day 2040 is a Sunday, so England's bank holiday is Monday 2 January.
    assert not ENGLAND.is_working_day(date(2040, 1, 2))
    assert ENGLAND.is_working_day(date(2040, 1, 3))
    assert _public_holidays("GB", "ENG") is _public_holidays("GB", "ENG")


def test_an_added_holiday_and_an_added_working_saturday_change_the_count() -> None:
    calendar = WorkingCalendar("Europe/Chisinau", "MD", added_holidays=frozenset({date(2026, 12, 31)}),
                               added_working_days=frozenset({date(2027, 1, 9)}))
    assert calendar.holiday_name(date(2026, 12, 31)) == "Non-working day (added)"
    assert calendar.holiday_name(date(2027, 1, 9)) is None
    # Received Wed 30 Dec 2026, one working day: Thu 31 (added), Fri 1 Jan (New Year) and the
    # weekend are off, so Mon 4 Jan counts; its end is 5 Jan 00:00 EET = 4 Jan 22:00 UTC.
    assert calendar.due(datetime(2026, 12, 30, 11, tzinfo=CHISINAU), Period(1, Unit.WORKING_DAYS)) == utc(2027, 1, 4, 22)
    # Received Tue 5 Jan 2027, two working days: Wed 6 (1), Thu 7 and Fri 8 off (Christmas),
    # Sat 9 worked (2): its end is 10 Jan 00:00 EET = 9 Jan 22:00 UTC.
    assert calendar.due(datetime(2027, 1, 5, 11, tzinfo=CHISINAU), Period(2, Unit.WORKING_DAYS)) == utc(2027, 1, 9, 22)


def test_an_added_working_day_wins_over_a_public_holiday() -> None:
    calendar = WorkingCalendar("Europe/Chisinau", "MD", added_working_days=frozenset({date(2027, 1, 8)}))
    assert calendar.is_working_day(date(2027, 1, 8))
    assert calendar.holiday_name(date(2027, 1, 8)) is None


# Periods


def test_hours_are_exact_hours() -> None:
    assert MOLDOVA.due(datetime(2026, 12, 4, 19, tzinfo=CHISINAU), Period(24, Unit.HOURS)) == utc(2026, 12, 5, 17)


def test_calendar_days_end_at_midnight_after_the_last_day_across_a_month_end() -> None:
    # Received Fri 4 Dec 2026 19:00 in Chisinau; day 0 is 4 Dec, day 30 is Sun 3 Jan 2027; due
    # at 4 Jan 00:00 EET = 3 Jan 22:00 UTC.
    assert MOLDOVA.due(datetime(2026, 12, 4, 19, tzinfo=CHISINAU), Period(30, Unit.CALENDAR_DAYS)) == utc(2027, 1, 3, 22)
    # 59-FZ registration, 3 days: received Fri 30 Jan 2026 in Moscow; day 3 is Mon 2 Feb; due at
    # 3 Feb 00:00 MSK = 2 Feb 21:00 UTC.
    assert RUSSIA.due(datetime(2026, 1, 30, 15, tzinfo=MOSCOW), Period(3, Unit.CALENDAR_DAYS)) == utc(2026, 2, 2, 21)


def test_the_fca_close_of_business_on_the_third_business_day_after_christmas_eve() -> None:
    # Received Thu 24 Dec 2026 16:00: the day of receipt never counts; Fri 25, the weekend and
    # Mon 28 (Boxing Day substitute) are off; Tue 29 (1), Wed 30 (2), Thu 31 (3); close of
    # business 17:30 GMT.
    received = datetime(2026, 12, 24, 16, tzinfo=LONDON)
    assert FCA.due(received, Period(3, Unit.WORKING_DAYS)) == utc(2026, 12, 31, 17, 30)


def test_the_day_of_receipt_never_counts_even_when_it_is_worked() -> None:
    # Received Mon 7 Dec 2026 at 00:30 in Chisinau; one working day is Tue 8, ending 9 Dec 00:00
    # EET = 8 Dec 22:00 UTC.
    assert MOLDOVA.due(datetime(2026, 12, 7, 0, 30, tzinfo=CHISINAU), Period(1, Unit.WORKING_DAYS)) == utc(2026, 12, 8, 22)


def test_working_days_over_moldovas_holidays() -> None:
    # Received Thu 24 Dec 2026, 5 working days: Fri 25 off, weekend, Mon 28 (1), Tue 29 (2),
    # Wed 30 (3), Thu 31 (4), Fri 1 Jan off, weekend, Mon 4 Jan (5): 4 Jan 22:00 UTC.
    assert MOLDOVA.due(datetime(2026, 12, 24, 10, tzinfo=CHISINAU), Period(5, Unit.WORKING_DAYS)) == utc(2027, 1, 4, 22)
    # Received Tue 5 Jan 2027, 3 working days: Wed 6 (1), Thu 7 and Fri 8 off, weekend, Mon 11
    # (2), Tue 12 (3): 13 Jan 00:00 EET = 12 Jan 22:00 UTC.
    assert MOLDOVA.due(datetime(2027, 1, 5, 10, tzinfo=CHISINAU), Period(3, Unit.WORKING_DAYS)) == utc(2027, 1, 12, 22)


def test_working_days_over_romanias_national_day() -> None:
    # Received Fri 27 Nov 2026, 2 working days: weekend, Mon 30 Nov and Tue 1 Dec off, Wed 2
    # (1), Thu 3 (2): 4 Dec 00:00 EET = 3 Dec 22:00 UTC.
    assert ROMANIA.due(datetime(2026, 11, 27, 12, tzinfo=BUCHAREST), Period(2, Unit.WORKING_DAYS)) == utc(2026, 12, 3, 22)


def test_working_days_over_the_russian_new_year_holidays() -> None:
    # Received Thu 31 Dec 2026 (itself a transferred day off), 3 working days: 1-8 Jan off,
    # weekend, Mon 11 (1), Tue 12 (2), Wed 13 (3): 14 Jan 00:00 MSK = 13 Jan 21:00 UTC.
    assert RUSSIA.due(datetime(2026, 12, 31, 9, tzinfo=MOSCOW), Period(3, Unit.WORKING_DAYS)) == utc(2027, 1, 13, 21)


def test_ninety_working_days_are_counted_quickly() -> None:
    # No holidays: from Mon 5 Jan 2026, 18 weeks of 5 working days end on Mon 11 May 2026;
    # its end is 12 May 00:00 BST = 11 May 23:00 UTC.
    plain = WorkingCalendar("Europe/London")
    began = stopwatch.perf_counter()
    assert plain.due(datetime(2026, 1, 5, 12, tzinfo=LONDON), Period(90, Unit.WORKING_DAYS)) == utc(2026, 5, 11, 23)
    MOLDOVA.due(datetime(2026, 1, 5, 12, tzinfo=CHISINAU), Period(90, Unit.WORKING_DAYS))
    assert stopwatch.perf_counter() - began < 0.5


@pytest.mark.parametrize("calendar", [FCA, MOLDOVA, RUSSIA], ids=["fca-opening-hours", "moldova", "russia"])
@pytest.mark.parametrize("period", [Period(24, Unit.HOURS), Period(56, Unit.CALENDAR_DAYS),
                                    Period(3, Unit.WORKING_DAYS), Period(8, Unit.BUSINESS_HOURS)],
                         ids=lambda period: period.unit.value)
def test_due_for_many_starts_gives_the_due_time_of_each(calendar: WorkingCalendar, period: Period) -> None:
    # Starts every 97 minutes over 40 days around the October clock change and two holidays
    # (the closure bands of a period's complaints are counted this way): the same moments
    # as `due` one by one, including several starts on one local day and both sides of midnight.
    starts = [utc(2026, 10, 1) + timedelta(minutes=97 * n) for n in range(40 * 24 * 60 // 97)]
    due = calendar.due_for_many(period)
    assert [due(start) for start in starts] == [calendar.due(start, period) for start in starts]


def test_business_hours_started_on_a_weekend_night_count_from_monday_morning() -> None:
    calendar = WorkingCalendar("Europe/Chisinau", "MD", opening=(time(9), time(18)))
    # Sat 5 Dec 2026 23:00: Mon 7 Dec gives 9 hours (09-18), Tue 8 the 10th: 10:00 EET = 08:00 UTC.
    assert calendar.due(datetime(2026, 12, 5, 23, tzinfo=CHISINAU), Period(10, Unit.BUSINESS_HOURS)) == utc(2026, 12, 8, 8)
    # Tue 8 Dec 02:00, 3 hours: from 09:00 to 12:00 EET = 10:00 UTC.
    assert calendar.due(datetime(2026, 12, 8, 2, tzinfo=CHISINAU), Period(3, Unit.BUSINESS_HOURS)) == utc(2026, 12, 8, 10)
    # Mon 7 Dec 09:00, 9 hours: closing time that day (18:00 EET = 16:00 UTC), not next morning.
    assert calendar.due(datetime(2026, 12, 7, 9, tzinfo=CHISINAU), Period(9, Unit.BUSINESS_HOURS)) == utc(2026, 12, 7, 16)


def test_business_hours_without_opening_hours_count_whole_working_days() -> None:
    # Fri 4 Dec 2026 19:00, 24 hours: 5 on Friday, the weekend skipped, 19 on Monday: Mon 7 Dec
    # 19:00 EET = 17:00 UTC.
    assert MOLDOVA.due(datetime(2026, 12, 4, 19, tzinfo=CHISINAU), Period(24, Unit.BUSINESS_HOURS)) == utc(2026, 12, 7, 17)


# Extensions


def test_an_extension_counts_on_from_the_last_day_counted() -> None:
    # 5 working days from 24 Dec 2026 end at the end of Mon 4 Jan 2027 (4 Jan 22:00 UTC); 3 more:
    # Tue 5 (1), Wed 6 (2), Thu 7 and Fri 8 off, weekend, Mon 11 (3): 11 Jan 22:00 UTC.
    assert MOLDOVA.extended(utc(2027, 1, 4, 22), 3, Unit.WORKING_DAYS) == utc(2027, 1, 11, 22)
    # 30 calendar days ending with Sun 3 Jan 2027 (3 Jan 22:00 UTC), 30 more end with Tue 2 Feb:
    # 3 Feb 00:00 EET = 2 Feb 22:00 UTC.
    assert MOLDOVA.extended(utc(2027, 1, 3, 22), 30, Unit.CALENDAR_DAYS) == utc(2027, 2, 2, 22)
    assert MOLDOVA.extended(utc(2027, 1, 3, 22), 5, Unit.HOURS) == utc(2027, 1, 4, 3)
    # FCA close of business Thu 31 Dec 2026 17:30: one more business day skips New Year's Day
    # and the weekend: Mon 4 Jan 17:30. Ten more business hours: 8.5 on Mon 4 Jan, 1.5 on Tue 5:
    # 10:30 GMT.
    assert FCA.extended(utc(2026, 12, 31, 17, 30), 1, Unit.WORKING_DAYS) == utc(2027, 1, 4, 17, 30)
    assert FCA.extended(utc(2026, 12, 31, 17, 30), 10, Unit.BUSINESS_HOURS) == utc(2027, 1, 5, 10, 30)


@pytest.mark.parametrize("unit", [Unit.CALENDAR_DAYS, Unit.WORKING_DAYS, Unit.HOURS, Unit.BUSINESS_HOURS])
def test_an_extended_period_ends_where_the_longer_period_would(unit: Unit) -> None:
    received = datetime(2026, 12, 22, 15, tzinfo=LONDON)
    for calendar in (ENGLAND, FCA):
        assert calendar.extended(calendar.due(received, Period(3, unit)), 7, unit) == calendar.due(received, Period(10, unit))


# Pauses


def test_a_pause_of_one_whole_working_day_moves_a_working_day_clock_by_one_working_day() -> None:
    # FCA hours: Tue 5 Jan 2027 09:00-17:30 is one whole business day, 8h30 counted; the due time
    # Thu 31 Dec 2026 17:30 moves past New Year's Day and the weekend to Mon 4 Jan 17:30.
    paused = FCA.counted(utc(2027, 1, 5, 9), utc(2027, 1, 5, 17, 30), Unit.WORKING_DAYS)
    assert paused == timedelta(hours=8, minutes=30)
    assert FCA.shifted(utc(2026, 12, 31, 17, 30), paused, Unit.WORKING_DAYS) == utc(2027, 1, 4, 17, 30)
    # Whole days: a pause over Mon 7 Dec 2026 counts 24 hours; the due time at the end of Fri 4
    # Dec (4 Dec 22:00 UTC) moves over the weekend to the end of Mon 7 Dec (7 Dec 22:00 UTC).
    paused = MOLDOVA.counted(utc(2026, 12, 6, 22), utc(2026, 12, 7, 22), Unit.WORKING_DAYS)
    assert paused == timedelta(hours=24)
    assert MOLDOVA.shifted(utc(2026, 12, 4, 22), paused, Unit.WORKING_DAYS) == utc(2026, 12, 7, 22)


def test_a_pause_counts_only_the_time_the_clock_counts() -> None:
    # Fri 8 Jan 2027 12:00 to Mon 11 Jan 12:00 (GMT): 5h30 on Friday until closing, the weekend
    # not at all, 3h on Monday from opening.
    start, end = utc(2027, 1, 8, 12), utc(2027, 1, 11, 12)
    assert FCA.counted(start, end, Unit.WORKING_DAYS) == timedelta(hours=8, minutes=30)
    assert FCA.counted(start, end, Unit.BUSINESS_HOURS) == timedelta(hours=8, minutes=30)
    assert FCA.counted(start, end, Unit.HOURS) == 72 * H
    assert FCA.counted(start, end, Unit.CALENDAR_DAYS) == 72 * H
    assert FCA.counted(end, start, Unit.WORKING_DAYS) == timedelta()
    # Hours and calendar days shift by plain time.
    assert FCA.shifted(utc(2027, 1, 8, 12), 72 * H, Unit.HOURS) == utc(2027, 1, 11, 12)
    # 10 business hours from Thu 31 Dec 2026 12:00: 5h30 that day, then Mon 4 Jan 09:00 + 4h30.
    assert FCA.shifted(utc(2026, 12, 31, 12), 10 * H, Unit.BUSINESS_HOURS) == utc(2027, 1, 4, 13, 30)


# Daylight saving (Europe/London: BST ends Sun 25 Oct 2026, begins Sun 28 Mar 2027)


def test_days_end_at_local_midnight_across_the_october_change() -> None:
    received = datetime(2026, 10, 24, 12, tzinfo=LONDON)  # Sat 12:00 BST = 11:00 UTC
    # One calendar day: the end of Sun 25 Oct, 26 Oct 00:00 GMT = 00:00 UTC (37 hours later).
    assert ENGLAND.due(received, Period(1, Unit.CALENDAR_DAYS)) == utc(2026, 10, 26, 0)
    # 24 hours are 24 elapsed hours: 25 Oct 11:00 UTC, 11:00 GMT on the wall clock.
    assert ENGLAND.due(received, Period(24, Unit.HOURS)) == utc(2026, 10, 25, 11)


def test_working_days_end_at_local_midnight_across_the_march_change() -> None:
    # Received Fri 26 Mar 2027 10:00 GMT (Good Friday: the day of receipt never counts anyway);
    # Easter is Sun 28 Mar, the change to BST, and Mon 29 is Easter Monday; one working day is
    # Tue 30 Mar, ending 31 Mar 00:00 BST = 30 Mar 23:00 UTC.
    assert ENGLAND.due(datetime(2027, 3, 26, 10, tzinfo=LONDON), Period(1, Unit.WORKING_DAYS)) == utc(2027, 3, 30, 23)


def test_a_pause_over_the_25_hour_day_is_still_one_working_day() -> None:
    # Sunday 25 Oct 2026 worked by decision: 24 Oct 23:00 UTC (00:00 BST) to 26 Oct 00:00 UTC
    # (00:00 GMT) is 25 elapsed hours, one whole working day (24 on the wall clock).
    calendar = WorkingCalendar("Europe/London", "GB", "ENG", added_working_days=frozenset({date(2026, 10, 25)}))
    start, end = utc(2026, 10, 24, 23), utc(2026, 10, 26, 0)
    assert calendar.counted(start, end, Unit.WORKING_DAYS) == 24 * H
    assert calendar.counted(start, end, Unit.BUSINESS_HOURS) == 25 * H
    assert calendar.counted(start, end, Unit.HOURS) == 25 * H
    # Due at the end of Fri 23 Oct (24 Oct 00:00 BST = 23 Oct 23:00 UTC): the pause moves it to
    # the end of the next working day, Sun 25 Oct (26 Oct 00:00 GMT).
    due = utc(2026, 10, 23, 23)
    assert calendar.shifted(due, 24 * H, Unit.WORKING_DAYS) == utc(2026, 10, 26, 0)
    assert calendar.extended(due, 1, Unit.WORKING_DAYS) == utc(2026, 10, 26, 0)


# Checks and JSON


@pytest.mark.parametrize(("calendar", "message"), [
    (WorkingCalendar("Europe/London", "XX"), "unknown country 'XX'"),
    (WorkingCalendar("Europe/London", "GB", "XYZ"), "unknown subdivision 'XYZ' of GB (known: ENG, NIR, SCT, WLS)"),
    (WorkingCalendar("Europe/London", "MD", "ENG"), "unknown subdivision 'ENG' of MD"),
    (WorkingCalendar("Europe/London", None, "ENG"), "needs a country"),
    (WorkingCalendar("Europe/Nowhere"), "unknown time zone"),
    (WorkingCalendar("Europe/London", opening=(time(17), time(9))), "close after they open: 17:00-09:00"),
    (WorkingCalendar("Europe/London", opening=(time(9), time(9))), "close after they open"),
    (WorkingCalendar("Europe/London", added_holidays=frozenset({date(2027, 1, 9)}),
                     added_working_days=frozenset({date(2027, 1, 9)})), "2027-01-09"),
    (WorkingCalendar("Europe/London", weekend=frozenset(range(7))), "no working day"),
    (WorkingCalendar("Europe/London", weekend=frozenset({7})), "numbered 0"),
])
def test_a_calendar_that_cannot_be_used_says_why(calendar: WorkingCalendar, message: str) -> None:
    with pytest.raises(CalendarError, match=message.replace("(", r"\(").replace(")", r"\)")):
        calendar.check()


def test_the_supported_countries_are_sorted_and_known_to_the_holidays_package() -> None:
    assert {"MD", "RO", "UA", "GB", "RU"} <= set(SUPPORTED_COUNTRIES)
    assert list(SUPPORTED_COUNTRIES) == sorted(SUPPORTED_COUNTRIES)
    assert set(SUPPORTED_COUNTRIES) <= set(holidays.list_supported_countries())


def test_a_calendar_survives_its_json() -> None:
    calendar = WorkingCalendar("Europe/Chisinau", "MD", added_holidays=frozenset({date(2026, 12, 31)}),
                               added_working_days=frozenset({date(2027, 1, 9)}), opening=(time(9), time(17, 30)))
    value = calendar.to_json()
    assert value == {"country": "MD", "subdivision": None, "added_holidays": ["2026-12-31"],
                     "added_working_days": ["2027-01-09"], "opening": ["09:00", "17:30"], "weekend": [5, 6]}
    assert WorkingCalendar.from_json(value, "Europe/Chisinau") == calendar
    assert WorkingCalendar.from_json({}, "Europe/London") == WorkingCalendar("Europe/London")


@pytest.mark.parametrize("value", [
    {"country": "XX"}, {"opening": ["9", "nope"]}, {"opening": "09:00"}, {"added_holidays": ["31.12.2026"]},
    {"opening": ["17:30", "09:00"]},
])
def test_a_calendar_from_bad_json_is_refused(value: dict) -> None:
    with pytest.raises(CalendarError):
        WorkingCalendar.from_json(value, "Europe/London")


def test_a_naive_moment_is_refused() -> None:
    with pytest.raises(CalendarError, match="aware"):
        ENGLAND.due(datetime(2026, 12, 24, 16), Period(3, Unit.WORKING_DAYS))
