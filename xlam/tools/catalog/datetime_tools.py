"""Date, time and calendar tools (wrappers over :mod:`datetime`, :mod:`calendar` and :mod:`zoneinfo`)."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import Field

from xlam.tools.catalog._types import Days, IsoDate, IsoDateTime, Month, Timezone, Year

CATEGORY = "datetime"

_WEEKDAYS = list(calendar.day_name)


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def day_of_week(date: IsoDate) -> str:
    """Find the weekday name of a calendar date.

    Args:
        date: The date in ISO format (YYYY-MM-DD).
    """
    return _WEEKDAYS[_date(date).weekday()]


def days_between(start_date: IsoDate, end_date: IsoDate) -> int:
    """Count the days from a start date to an end date (negative if the end is earlier).

    Args:
        start_date: The first date (YYYY-MM-DD).
        end_date: The second date (YYYY-MM-DD).
    """
    return (_date(end_date) - _date(start_date)).days


def add_days(date: IsoDate, days: Days) -> str:
    """Add a number of days to a date and return the resulting date.

    Args:
        date: The starting date (YYYY-MM-DD).
        days: Days to add (negative to go back).
    """
    return (_date(date) + dt.timedelta(days=days)).isoformat()


def add_months(date: IsoDate, months: Literal[1, 2, 3, 6, 12, 18, 24]) -> str:
    """Add calendar months to a date, clamping to the last day of the month when needed.

    Args:
        date: The starting date (YYYY-MM-DD).
        months: Number of months to add.
    """
    d = _date(date)
    index = d.month - 1 + months
    year, month = d.year + index // 12, index % 12 + 1
    day = min(d.day, calendar.monthrange(year, month)[1])
    return dt.date(year, month, day).isoformat()


def is_leap_year(year: Year) -> bool:
    """Check whether a year is a leap year in the Gregorian calendar.

    Args:
        year: The year.
    """
    return calendar.isleap(year)


def days_in_month(year: Year, month: Month) -> int:
    """Count the days in a month of a given year.

    Args:
        year: The year.
        month: The month number (1-12).
    """
    return calendar.monthrange(year, month)[1]


def month_calendar(year: Year, month: Month) -> str:
    """Render the text calendar of a month.

    Args:
        year: The year.
        month: The month number (1-12).
    """
    return calendar.month(year, month)


def week_number(date: IsoDate) -> int:
    """Return the ISO 8601 week number of a date.

    Args:
        date: The date (YYYY-MM-DD).
    """
    return _date(date).isocalendar().week


def day_of_year(date: IsoDate) -> int:
    """Return the ordinal day within the year (1 for January 1st).

    Args:
        date: The date (YYYY-MM-DD).
    """
    return _date(date).timetuple().tm_yday


def age_on_date(birth_date: IsoDate, on_date: IsoDate) -> int:
    """Compute a person's age in whole years on a given date.

    Args:
        birth_date: The date of birth (YYYY-MM-DD).
        on_date: The date at which the age is computed (YYYY-MM-DD).
    """
    b, o = _date(birth_date), _date(on_date)
    return o.year - b.year - ((o.month, o.day) < (b.month, b.day))


def convert_timezone(datetime_text: IsoDateTime, from_timezone: Timezone, to_timezone: Timezone) -> str:
    """Convert a local date and time from one time zone to another.

    Args:
        datetime_text: The local date and time (YYYY-MM-DDTHH:MM:SS).
        from_timezone: The IANA time zone of the input.
        to_timezone: The IANA time zone to convert to.
    """
    value = dt.datetime.fromisoformat(datetime_text).replace(tzinfo=ZoneInfo(from_timezone))
    return value.astimezone(ZoneInfo(to_timezone)).isoformat()


def utc_offset(timezone: Timezone, date: IsoDate) -> str:
    """Return the UTC offset (as +HH:MM) of a time zone on a given date.

    Args:
        timezone: The IANA time zone name.
        date: The date (YYYY-MM-DD), which decides daylight saving time.
    """
    value = dt.datetime.combine(_date(date), dt.time(12), tzinfo=ZoneInfo(timezone))
    offset = value.utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def unix_timestamp(datetime_text: IsoDateTime) -> int:
    """Convert a UTC date and time to a Unix timestamp (seconds since 1970-01-01).

    Args:
        datetime_text: The UTC date and time (YYYY-MM-DDTHH:MM:SS).
    """
    return int(dt.datetime.fromisoformat(datetime_text).replace(tzinfo=dt.UTC).timestamp())


def from_unix_timestamp(timestamp: Annotated[int, Field(ge=0, le=4_000_000_000)]) -> str:
    """Convert a Unix timestamp to an ISO UTC date and time.

    Args:
        timestamp: Seconds since 1970-01-01T00:00:00Z.
    """
    return dt.datetime.fromtimestamp(timestamp, tz=dt.UTC).isoformat()


def business_days_between(start_date: IsoDate, end_date: IsoDate) -> int:
    """Count the weekdays (Monday to Friday) from a start date up to but excluding an end date.

    Args:
        start_date: The first date (YYYY-MM-DD).
        end_date: The end date (YYYY-MM-DD), exclusive.
    """
    s, e = _date(start_date), _date(end_date)
    if e < s:
        s, e = e, s
    return sum(1 for i in range((e - s).days) if (s + dt.timedelta(days=i)).weekday() < 5)


def next_weekday(date: IsoDate, weekday: Literal["Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                                                 "Saturday", "Sunday"]) -> str:
    """Find the first date strictly after a given date that falls on a given weekday.

    Args:
        date: The reference date (YYYY-MM-DD).
        weekday: The weekday wanted.
    """
    d = _date(date)
    delta = (_WEEKDAYS.index(weekday) - d.weekday() - 1) % 7 + 1
    return (d + dt.timedelta(days=delta)).isoformat()


def quarter_of_date(date: IsoDate) -> int:
    """Return the calendar quarter (1-4) a date falls in.

    Args:
        date: The date (YYYY-MM-DD).
    """
    return (_date(date).month - 1) // 3 + 1


def format_date(date: IsoDate, style: Literal["long", "short", "us", "european"] = "long") -> str:
    """Format an ISO date in a human-readable style.

    Args:
        date: The date (YYYY-MM-DD).
        style: The output style: long ("March 15, 2024"), short ("15 Mar 2024"), us ("03/15/2024") or european ("15.03.2024").
    """
    d = _date(date)
    if style == "long":
        return f"{calendar.month_name[d.month]} {d.day}, {d.year}"
    if style == "short":
        return f"{d.day} {calendar.month_abbr[d.month]} {d.year}"
    if style == "us":
        return d.strftime("%m/%d/%Y")
    return d.strftime("%d.%m.%Y")


def easter_date(year: Year) -> str:
    """Compute the date of Western (Gregorian) Easter Sunday in a year.

    Args:
        year: The year.
    """
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * leap) // 451
    month, day = divmod(h + leap - 7 * m + 114, 31)
    return dt.date(year, month, day + 1).isoformat()


def seconds_to_duration(seconds: Annotated[int, Field(ge=0, le=10_000_000)]) -> str:
    """Express a number of seconds as days, hours, minutes and seconds.

    Args:
        seconds: The duration in seconds.
    """
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{days}d {hours}h {minutes}m {secs}s"
