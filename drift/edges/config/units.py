"""Values written as text in the config: durations, sizes, cron schedules, time zones, dates.

Cron expressions mean what they mean in a crontab. APScheduler 3 numbers weekdays from Monday
(its own `from_crontab` reads `1-5` as Tuesday to Saturday, see its issue 286), so the
day-of-week field is translated to weekday names before APScheduler sees it.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger

__all__ = ["cron_trigger", "parse_duration", "parse_expiry", "parse_size", "parse_timezone"]

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_SIZE = re.compile(r"(\d+(?:\.\d+)?)(?:([kmg])i?b?|b)?")
_BYTES = {"k": 1024, "m": 1024**2, "g": 1024**3}
_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # crontab: 0 (and 7) is Sunday
_APS_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # APScheduler's order
_DAY_TERM = re.compile(r"(\*|\w+)(?:-(\w+))?(?:/(\d+))?")


def parse_duration(value: str | float) -> float:
    """Seconds in `30s`, `15m`, `24h`, `7d`, `2w`, `500ms` or a plain number of seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        m = _DURATION.fullmatch(str(value).strip())
        if m is None:
            raise ValueError(f"{value!r} is not a duration such as 30s, 15m, 24h or 7d")
        seconds = float(m.group(1)) * _SECONDS[m.group(2)]
    if not seconds > 0:
        raise ValueError(f"{value!r} is not a positive duration")
    return seconds


def parse_size(value: str | int) -> int:
    """Bytes in `512k`, `8m`, `1g` (binary units; `kb`, `KiB`, `MB` alike) or a plain number."""
    if isinstance(value, int) and not isinstance(value, bool):
        size = value
    else:
        m = _SIZE.fullmatch(str(value).strip().lower())
        if m is None:
            raise ValueError(f"{value!r} is not a size such as 512k, 8m or 1g")
        size = round(float(m.group(1)) * _BYTES.get(m.group(2) or "", 1))
    if size < 0:
        raise ValueError(f"{value!r} is not a size: it is negative")
    return size


def parse_timezone(name: str) -> tzinfo:
    """An IANA time zone; `UTC` works even where the system has no time zone database."""
    if name.upper() in ("UTC", "Z", "ETC/UTC"):
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r}: use an IANA name such as UTC or Europe/Berlin"
        ) from None


def parse_expiry(text: str) -> datetime:
    """When a waiver stops holding: a date holds through that day (UTC); a date-time as given
    (UTC when it has no offset)."""
    try:
        if "T" not in text.upper() and " " not in text.strip():
            day = date.fromisoformat(text.strip())
            return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD) or an ISO 8601 date-time") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _day(token: str, expr: str) -> int:
    lower = token.lower()
    if lower in _CRON_DAYS:
        return _CRON_DAYS.index(lower)
    if lower.isdigit() and int(lower) <= 7:
        return int(lower) % 7
    raise ValueError(f"day of week {token!r} in {expr!r}: use 0-7 (0 and 7 are Sunday) or sun-sat")


def _days_of_week(field: str, expr: str) -> str:
    """A crontab day-of-week field as APScheduler weekday names (`*` when every day)."""
    days: set[int] = set()
    for term in field.split(","):
        m = _DAY_TERM.fullmatch(term)
        if m is None or (m.group(1) == "*" and m.group(2)):
            raise ValueError(f"day of week {term!r} in {expr!r} is not a day, range or step")
        start, end, step = m.group(1), m.group(2), int(m.group(3) or 1)
        if step < 1:
            raise ValueError(f"step 0 in day of week {term!r} of {expr!r}")
        if start == "*":
            first, last = 0, 6
        else:
            first = _day(start, expr)
            last = _day(end, expr) if end else (6 if m.group(3) else first)
            if end and last == 0 and first > 0:
                last = 7  # `5-7`, `fri-sun`: Sunday closes the week
            if last < first:
                raise ValueError(f"day range {term!r} in {expr!r} runs backwards")
        days.update(d % 7 for d in range(first, last + 1, step))
    if len(days) == 7:
        return "*"
    return ",".join(name for name in _APS_DAYS if _CRON_DAYS.index(name) in days)


def cron_trigger(expr: str, timezone: tzinfo | str = UTC) -> CronTrigger:
    """An APScheduler trigger for a standard 5-field crontab expression (or @daily, …);
    use it instead of `CronTrigger.from_crontab`, which shifts weekday numbers by one."""
    if isinstance(timezone, str):
        timezone = parse_timezone(timezone)
    text = _MACROS.get(expr.strip().lower(), expr)
    fields = text.split()
    if len(fields) != 5:
        raise ValueError(
            f"{expr!r} has {len(fields)} fields; a cron expression has 5: "
            "minute hour day-of-month month day-of-week"
        )
    minute, hour, day, month, weekday = fields
    if day != "*" and weekday != "*":
        raise ValueError(
            f"{expr!r} restricts both the day of the month and the day of the week "
            "(crontab runs when either matches, APScheduler only when both do): restrict one"
        )
    try:
        return CronTrigger(
            minute=minute,
            hour=hour,
            day=day,
            month=month,
            day_of_week=_days_of_week(weekday, expr),
            timezone=timezone,
        )
    except ValueError as exc:
        raise ValueError(f"{expr!r} is not a valid cron expression: {exc}") from None
