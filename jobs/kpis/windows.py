"""Time windows of KPIs as absolute bounds: computed once in Python, the same for every engine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from schemas.kpis import Kpi, Window

MONTHS = {"month": 1, "quarter": 3, "year": 12}


def window_bounds(window: Window | str, as_of: datetime) -> tuple[datetime | None, datetime]:
    """[start, end) of a window ending at as_of; start None means from the beginning of time."""
    if window == "all_time":
        return None, as_of
    assert isinstance(window, Window)
    if window.last_days is not None:
        return as_of - timedelta(days=window.last_days), as_of
    unit = window.calendar
    start = period_start(as_of, unit)
    if window.periods_back == 0:
        return start, as_of
    return shift(start, unit, -window.periods_back), shift(start, unit, 1 - window.periods_back)


def period_start(moment: datetime, unit: str) -> datetime:
    """The start (UTC midnight) of the calendar week (Monday), month, quarter or year of a moment."""
    day = moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "day":
        return day
    if unit == "week":
        return day - timedelta(days=day.weekday())
    month = day.month - (day.month - 1) % MONTHS[unit]
    return day.replace(month=month, day=1)


def shift(start: datetime, unit: str, periods: int) -> datetime:
    """A period start moved by whole periods (negative: back in time)."""
    if unit == "day":
        return start + timedelta(days=periods)
    if unit == "week":
        return start + timedelta(weeks=periods)
    months = start.year * 12 + start.month - 1 + periods * MONTHS[unit]
    return start.replace(year=months // 12, month=months % 12 + 1)


def earliest_start(kpis: list[Kpi], as_of: datetime) -> datetime | None:
    """The earliest time any of these KPIs looks at (None: all of history), to prune rows early."""
    starts = [window_bounds(k.window, as_of)[0] for k in kpis]
    return None if any(s is None for s in starts) else min(starts)  # type: ignore[type-var]
