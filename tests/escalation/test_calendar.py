"""The working-day calendar, pinned to real holiday stretches and make-up days (调休)."""

import datetime as dt
import logging

import pytest

from core.clock import SHANGHAI
from escalation.calendar import WorkingCalendar
from escalation.models import CalendarOverride, DurationUnit

WD, WH, H, M = (DurationUnit.WORKING_DAYS, DurationUnit.WORKING_HOURS, DurationUnit.HOURS, DurationUnit.CALENDAR_MONTHS)


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("start", "amount", "unit", "due"),
    [
        # An ordinary week: Monday + 1 working day is Tuesday at the close of the office day.
        (at(2026, 11, 16, 10, 0), 1, WD, at(2026, 11, 17, 17, 30)),
        (at(2026, 11, 20, 20, 0), 1, WD, at(2026, 11, 23, 17, 30)),  # Friday night -> Monday
        (at(2026, 11, 21, 10, 0), 1, WD, at(2026, 11, 23, 17, 30)),  # Saturday -> Monday
        # Spring Festival 2025: 28 Jan - 4 Feb off; Sunday 26 Jan and Saturday 8 Feb worked.
        (at(2025, 1, 24, 10, 0), 1, WD, at(2025, 1, 26, 17, 30)),
        (at(2025, 1, 27, 10, 0), 1, WD, at(2025, 2, 5, 17, 30)),
        (at(2025, 2, 7, 10, 0), 1, WD, at(2025, 2, 8, 17, 30)),
        (at(2025, 1, 27, 10, 0), 10, WD, at(2025, 2, 17, 17, 30)),
        # National Day 2026: 1-7 Oct off; Saturday 10 Oct worked.
        (at(2026, 9, 30, 9, 0), 1, WD, at(2026, 10, 8, 17, 30)),
        (at(2026, 10, 9, 9, 0), 1, WD, at(2026, 10, 10, 17, 30)),
        # Working hours run 09:00-17:30 on working days.
        (at(2026, 11, 16, 10, 0), 4, WH, at(2026, 11, 16, 14, 0)),
        (at(2026, 11, 16, 16, 0), 4, WH, at(2026, 11, 17, 11, 30)),
        (at(2026, 11, 16, 7, 0), 4, WH, at(2026, 11, 16, 13, 0)),
        (at(2026, 10, 9, 16, 0), 4, WH, at(2026, 10, 10, 11, 30)),  # into the make-up Saturday
        (at(2026, 9, 30, 16, 0), 4, WH, at(2026, 10, 8, 11, 30)),  # over the National Day week
        # Clock hours and calendar months ignore the calendar.
        (at(2026, 10, 1, 23, 0), 2, H, at(2026, 10, 2, 1, 0)),
        (at(2026, 1, 31, 10, 0), 1, M, at(2026, 2, 28, 10, 0)),
        (at(2026, 11, 22, 15, 0), 1, M, at(2026, 12, 22, 15, 0)),
    ],
)
def test_deadlines_follow_the_official_calendar(start, amount, unit, due):
    assert WorkingCalendar().add(start, amount, unit) == due


def test_moments_in_utc_are_counted_in_shanghai():
    # 2026-11-16 18:00 UTC is Tuesday 02:00 in Shanghai: one working day is due Wednesday.
    start = dt.datetime(2026, 11, 16, 18, 0, tzinfo=dt.UTC)
    assert WorkingCalendar().add(start, 1, WD) == at(2026, 11, 18, 17, 30)


@pytest.mark.django_db
def test_administrator_overrides_win_over_the_official_calendar():
    CalendarOverride.objects.create(date=dt.date(2026, 11, 23), is_working_day=False, note="区里停电检修")
    CalendarOverride.objects.create(date=dt.date(2026, 11, 21), is_working_day=True, note="加班处理积案")
    calendar = WorkingCalendar.load()

    assert calendar.add(at(2026, 11, 20, 10, 0), 1, WD) == at(2026, 11, 21, 17, 30)
    assert calendar.add(at(2026, 11, 21, 10, 0), 1, WD) == at(2026, 11, 24, 17, 30)


@pytest.fixture
def warned_of_no_year(monkeypatch):
    """A process that has not warned of any year yet (the warning is once per process)."""
    monkeypatch.setattr("escalation.calendar._warned_years", set())


def test_a_year_the_calendar_does_not_know_counts_weekends_only_and_warns(caplog, warned_of_no_year):
    calendar = WorkingCalendar()
    with caplog.at_level(logging.WARNING, logger="escalation.calendar"):
        # Friday 2099-01-02 -> Monday 2099-01-05 (no holiday data: weekends only).
        due = calendar.add(at(2099, 1, 2, 10, 0), 1, WD)

    assert due == at(2099, 1, 5, 17, 30)
    assert "2099" in caplog.text and "weekends only" in caplog.text


@pytest.mark.django_db
def test_the_admin_warns_of_a_year_without_holiday_data_until_overrides_fill_it(admin_client, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr("escalation.admin.official_calendar_knows", lambda year: False)
    year = timezone.localdate().year

    before = admin_client.get("/admin/escalation/slapolicy/").content.decode()
    CalendarOverride.objects.create(date=dt.date(year, 1, 1), is_working_day=False, note="元旦")
    CalendarOverride.objects.create(date=dt.date(year + 1, 1, 1), is_working_day=False, note="元旦")
    after = admin_client.get("/admin/escalation/calendaroverride/").content.decode()

    assert f"没有 {year} 年的节假日数据" in before
    assert f"没有 {year + 1} 年的节假日数据" in before
    assert "节假日数据" not in after


def test_the_warning_of_an_unknown_year_is_given_once_a_process(caplog, warned_of_no_year):
    """A sweep loads the calendar every minute: the log says it once, not 1,440 times a day."""
    with caplog.at_level(logging.WARNING, logger="escalation.calendar"):
        for _ in range(3):
            WorkingCalendar().add(at(2099, 1, 2, 10, 0), 1, WD)

    assert caplog.text.count("no data for 2099") == 1


def test_no_warning_for_a_year_whose_holidays_the_administrator_entered(caplog, warned_of_no_year):
    """Overrides for the year (its holidays and make-up days) are what the warning asks for."""
    calendar = WorkingCalendar({dt.date(2099, 1, 1): False})
    with caplog.at_level(logging.WARNING, logger="escalation.calendar"):
        due = calendar.add(at(2099, 1, 2, 10, 0), 1, WD)

    assert due == at(2099, 1, 5, 17, 30) and "no data for 2099" not in caplog.text
