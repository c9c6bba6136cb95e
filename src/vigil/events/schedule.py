"""EventBridge schedule expressions: `rate(5 minutes)` and `cron(min hour dom month dow year)`.

Cron has EventBridge's six fields (UTC): `*`, lists, ranges, `/` steps, month and weekday
names, and `?` in day-of-month or day-of-week (one of them must be `?`). Days of the week run
1-7 from Sunday, as in EventBridge. `L`, `W` and `#` are refused with a clear error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from vigil.errors import VigilError

_RATE: Final = re.compile(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)")
_UNITS: Final = {
    "minute": 60,
    "minutes": 60,
    "hour": 3600,
    "hours": 3600,
    "day": 86400,
    "days": 86400,
}
_MONTH_NAMES: Final = "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC"
_MONTHS: Final = {m: i for i, m in enumerate(_MONTH_NAMES.split(), 1)}
_DAYS: Final = {d: i for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], 1)}
_FIELDS: Final[tuple[tuple[str, int, int, dict[str, int]], ...]] = (
    ("minutes", 0, 59, {}),
    ("hours", 0, 23, {}),
    ("day-of-month", 1, 31, {}),
    ("month", 1, 12, _MONTHS),
    ("day-of-week", 1, 7, _DAYS),
    ("year", 1970, 2199, {}),
)


class ScheduleError(VigilError):
    """A schedule expression EventBridge would not take."""


@dataclass(frozen=True)
class Schedule:
    text: str
    every: int | None = None  # seconds, for rate()
    sets: tuple[frozenset[int] | None, ...] = ()  # per cron field; None = "?"

    def next_after(self, moment: datetime) -> datetime:
        """The first firing strictly after `moment` (UTC)."""
        moment = moment.astimezone(UTC)
        if self.every is not None:
            epoch = int(moment.timestamp())
            return datetime.fromtimestamp(epoch - epoch % self.every + self.every, UTC)
        minutes, hours, dom, months, dow, years = self.sets
        start = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
        day = start.replace(hour=0, minute=0)
        for _ in range(366 * 5):
            if self._day_matches(day, dom, months, dow, years):
                for hour in sorted(hours or ()):
                    for minute in sorted(minutes or ()):
                        candidate = day.replace(hour=hour, minute=minute)
                        if candidate >= start:
                            return candidate
            day += timedelta(days=1)
        raise ScheduleError(f"{self.text}: no firing in the next five years")

    @staticmethod
    def _day_matches(
        day: datetime,
        dom: frozenset[int] | None,
        months: frozenset[int] | None,
        dow: frozenset[int] | None,
        years: frozenset[int] | None,
    ) -> bool:
        weekday = day.isoweekday() % 7 + 1  # Sunday = 1
        return (
            (months is None or day.month in months)
            and (years is None or day.year in years)
            and (dom is None or day.day in dom)
            and (dow is None or weekday in dow)
        )


def parse_schedule(text: str) -> Schedule:
    """rate(…) or cron(…) as EventBridge writes them; anything else says what is wrong."""
    if len(text) > 256:
        raise ScheduleError(f"{text[:40]}…: a schedule expression is at most 256 characters")
    return _parse_schedule(text)


def _parse_schedule(text: str) -> Schedule:
    text = text.strip()
    rate = _RATE.fullmatch(text)
    if rate:
        value, unit = int(rate.group(1)), rate.group(2)
        if value < 1 or (value == 1) != (not unit.endswith("s")):
            raise ScheduleError(f"{text}: use rate(1 minute) or rate(N minutes), N > 1")
        return Schedule(text, every=value * _UNITS[unit])
    if not (text.startswith("cron(") and text.endswith(")")):
        raise ScheduleError(
            f"{text!r} is not a schedule", hint="rate(5 minutes) or cron(0 12 * * ? *)"
        )
    fields = text[5:-1].split()
    if len(fields) != 6:
        raise ScheduleError(
            f"{text}: cron takes six fields (minutes hours day-of-month month day-of-week year)"
        )
    if (fields[2] == "?") == (fields[4] == "?"):
        raise ScheduleError(f"{text}: exactly one of day-of-month and day-of-week must be ?")
    sets = tuple(_field(f, spec, text) for f, spec in zip(fields, _FIELDS, strict=True))
    return Schedule(text, sets=sets)


def _field(
    value: str, spec: tuple[str, int, int, dict[str, int]], text: str
) -> frozenset[int] | None:
    name, low, high, names = spec
    if value == "?":
        if name not in ("day-of-month", "day-of-week"):
            raise ScheduleError(f"{text}: ? is only for day-of-month or day-of-week")
        return None
    if re.search(r"[LW#]", value.upper().replace("WED", "")):
        raise ScheduleError(f"{text}: L, W and # are not supported in {name}")
    out: set[int] = set()
    for part in value.split(","):
        body, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if body in ("*", ""):
            first, last = low, high
        elif "-" in body:
            a, b = body.split("-", 1)
            first, last = _value(a, names, name, text), _value(b, names, name, text)
        else:
            first = _value(body, names, name, text)
            last = high if step_text else first
        if not low <= first <= last <= high or step < 1:
            raise ScheduleError(f"{text}: {name} {part!r} is outside {low}-{high}")
        out.update(range(first, last + 1, step))
    return frozenset(out)


def _value(token: str, names: dict[str, int], field: str, text: str) -> int:
    if token.upper() in names:
        return names[token.upper()]
    if not token.isdigit():
        raise ScheduleError(f"{text}: {field} value {token!r} is not a number or a name")
    return int(token)
