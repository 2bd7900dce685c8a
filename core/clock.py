"""Time: stored in UTC, computed in Asia/Shanghai (DESIGN.md rule 3).

Services take `now=` (default: this moment), so a test, a replay or the simulated month can
drive them at any time without replacing the process's clock.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

SHANGHAI = ZoneInfo("Asia/Shanghai")
# The office day that working hours are counted in, and the hour a working-day deadline falls due.
WORKDAY_START = dt.time(9, 0)
WORKDAY_END = dt.time(17, 30)


def now(given: dt.datetime | None = None) -> dt.datetime:
    """`given`, or this moment: the one line every service starts with."""
    return given if given is not None else timezone.now()


def end_of_working_day(day: dt.date) -> dt.datetime:
    """17:30 in Shanghai on `day`: when a deadline given as a date falls due."""
    return dt.datetime.combine(day, WORKDAY_END, tzinfo=SHANGHAI)
