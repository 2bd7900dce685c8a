"""The working-day calendar and deadline arithmetic (DESIGN.md rule 3).

Times are stored in UTC and computed in Asia/Shanghai. Working days follow the official
Chinese calendar — holidays and the make-up working days around them (调休) — through the
`chinesecalendar` package, with administrator overrides on top. A year the package does not
know falls back to weekends-only and logs a warning (once per year in each process, and not
for a year whose holidays an administrator has entered as overrides); the admin shows the same
warning. Deadline arithmetic never raises for an unknown year.
"""

import datetime as dt
import logging
from functools import lru_cache

import chinese_calendar
from dateutil.relativedelta import relativedelta

from core.clock import SHANGHAI, WORKDAY_END, WORKDAY_START

from .models import CalendarOverride, DurationUnit

logger = logging.getLogger(__name__)

# The years this process has already warned of: a sweep loads the calendar every minute, and
# the warning is for the operator, once.
_warned_years: set[int] = set()


@lru_cache(maxsize=8192)
def _official_workday(day: dt.date) -> bool | None:
    """The official calendar's answer, or None for a year it has no data for. About 20 µs a
    call in the library (it scans its holiday list), and a calendar is made for every ticket
    opened (SLA.load): hence kept for the process, as the library's data is."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return None


def official_calendar_knows(year: int) -> bool:
    return _official_workday(dt.date(year, 1, 1)) is not None


class WorkingCalendar:
    """Answers "is this a working day" and adds SLA durations to a moment."""

    def __init__(self, overrides: dict[dt.date, bool] | None = None):
        self.overrides = overrides or {}
        self._override_years = {day.year for day in self.overrides}
        self._days: dict[dt.date, bool] = {}

    @classmethod
    def load(cls) -> "WorkingCalendar":
        """The calendar with every administrator override (a small table: one query)."""
        return cls(dict(CalendarOverride.objects.values_list("date", "is_working_day")))

    def is_working_day(self, day: dt.date) -> bool:
        if day not in self._days:
            self._days[day] = self._is_working_day(day)
        return self._days[day]

    def _is_working_day(self, day: dt.date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        official = _official_workday(day)
        if official is None:
            if day.year not in _warned_years and day.year not in self._override_years:
                _warned_years.add(day.year)
                logger.warning(
                    "The official holiday calendar has no data for %s: counting weekends only. "
                    "Upgrade chinesecalendar or enter the year's holidays as calendar overrides.",
                    day.year,
                )
            return day.weekday() < 5
        return official

    def next_working_day(self, day: dt.date) -> dt.date:
        """The first working day strictly after `day`."""
        day += dt.timedelta(days=1)
        while not self.is_working_day(day):
            day += dt.timedelta(days=1)
        return day

    def add(self, start: dt.datetime, amount: int, unit: str) -> dt.datetime:
        """`start` plus `amount` of `unit`, as an aware datetime in Asia/Shanghai."""
        local = start.astimezone(SHANGHAI)
        if unit == DurationUnit.WORKING_DAYS:
            return self._add_working_days(local, amount)
        if unit == DurationUnit.WORKING_HOURS:
            return self._add_working_hours(local, amount)
        if unit == DurationUnit.HOURS:
            return local + dt.timedelta(hours=amount)
        if unit == DurationUnit.CALENDAR_MONTHS:
            # Same wall-clock time; 31 January plus one month is 28/29 February.
            naive = local.replace(tzinfo=None) + relativedelta(months=amount)
            return naive.replace(tzinfo=SHANGHAI)
        raise ValueError(f"Unknown duration unit {unit!r}")

    def _add_working_days(self, local: dt.datetime, days: int) -> dt.datetime:
        """The close of the Nth working day after the day of receipt.

        A request received on any day, at any hour, counts from the next working day: received
        on Monday, "one working day" is due on Tuesday at 17:30; received on Friday evening or
        on Saturday, on Monday at 17:30.
        """
        day = local.date()
        for _ in range(days):
            day = self.next_working_day(day)
        return dt.datetime.combine(day, WORKDAY_END, tzinfo=SHANGHAI)

    def _add_working_hours(self, local: dt.datetime, hours: int) -> dt.datetime:
        """Count `hours` of office time (09:00-17:30 on working days) from `local`."""
        return self.add_working_time(local, dt.timedelta(hours=hours))

    # --- working time: office hours (09:00-17:30) on working days -----------------------
    # What a paused clock is measured in, what a deadline moves by on resuming, and what the
    # warnings before a breach count ("a quarter of the time left", "a working day left").

    WORKING_DAY = dt.timedelta(hours=8, minutes=30)

    def _office(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        return (
            dt.datetime.combine(day, WORKDAY_START, tzinfo=SHANGHAI),
            dt.datetime.combine(day, WORKDAY_END, tzinfo=SHANGHAI),
        )

    def add_working_time(self, start: dt.datetime, amount: dt.timedelta) -> dt.datetime:
        """`start` plus `amount` of office time; nothing added leaves `start` as it is."""
        cursor = start.astimezone(SHANGHAI)
        if amount <= dt.timedelta(0):
            return cursor
        remaining = amount
        while True:
            day = cursor.date()
            opens, closes = self._office(day)
            if not self.is_working_day(day) or cursor >= closes:
                cursor = self._office(self.next_working_day(day))[0]
                continue
            cursor = max(cursor, opens)
            if cursor + remaining <= closes:
                return cursor + remaining
            remaining -= closes - cursor
            cursor = closes

    def subtract_working_time(self, end: dt.datetime, amount: dt.timedelta) -> dt.datetime:
        """The moment `amount` of office time before `end`."""
        cursor = end.astimezone(SHANGHAI)
        if amount <= dt.timedelta(0):
            return cursor
        remaining = amount
        while True:
            day = cursor.date()
            opens, closes = self._office(day)
            if not self.is_working_day(day) or cursor <= opens:
                day -= dt.timedelta(days=1)
                while not self.is_working_day(day):
                    day -= dt.timedelta(days=1)
                cursor = self._office(day)[1]
                continue
            cursor = min(cursor, closes)
            if cursor - remaining >= opens:
                return cursor - remaining
            remaining -= cursor - opens
            cursor = opens

    def working_time_between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """The office time from `start` to `end` (nothing if `end` is not after `start`)."""
        start, end = start.astimezone(SHANGHAI), end.astimezone(SHANGHAI)
        total = dt.timedelta(0)
        day = start.date()
        while day <= end.date():
            if self.is_working_day(day):
                opens, closes = self._office(day)
                low, high = max(start, opens), min(end, closes)
                if high > low:
                    total += high - low
            day += dt.timedelta(days=1)
        return total
