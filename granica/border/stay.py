"""The short-stay rule (Schengen Borders Code Art. 6(1)): at most 90 days in any 180-day period.

Pure functions, no database. For a day D the window is [D-179, D]; entry and exit days both count;
overlapping stays count each day once; every day of an intended stay must pass, not just its first.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from granica.errors import InputFormatError, ValidationError

MAX_DAYS = 90
WINDOW_DAYS = 180
# A continuous stay can never pass the rule for more than 90 days, so the search for the last
# allowed day ends well within this many days.
_SEARCH_LIMIT = 2 * WINDOW_DAYS

# Dates outside these years are typing errors, and would only make the day-by-day count slow.
FIRST_YEAR, LAST_YEAR = 1900, 2200

DateLike = dt.date | str


@dataclass(frozen=True, slots=True)
class Stay:
    entry: dt.date
    exit: dt.date

    def days(self) -> Iterable[dt.date]:
        for n in range((self.exit - self.entry).days + 1):
            yield self.entry + dt.timedelta(days=n)


@dataclass(frozen=True, slots=True)
class StayAssessment:
    """The answer for a guard, with the arithmetic that led to it."""

    control_date: dt.date
    days_used: int
    days_remaining: int
    overstay_days: int
    allowed: bool | None
    last_allowed_day: dt.date | None
    window: tuple[dt.date, dt.date]
    stays_in_window: list[tuple[dt.date, dt.date, int]]
    first_refused_day: dt.date | None = None
    peak_in_intended: int | None = None
    notes: list[str] = field(default_factory=list)

    def explanation(self) -> dict[str, Any]:
        text = [
            f"Window for {self.control_date}: {self.window[0]} to {self.window[1]} (180 days ending on the control date).",
        ]
        for start, end, count in self.stays_in_window:
            text.append(f"Stay {start} to {end}: {count} day(s) in the window.")
        text.append(
            f"Days used: {self.days_used} of {MAX_DAYS}; days remaining: {self.days_remaining}."
        )
        if self.overstay_days:
            text.append(f"Overstay: {self.overstay_days} day(s) beyond the {MAX_DAYS}-day limit.")
        if self.allowed is not None:
            if self.allowed:
                text.append(
                    f"The intended stay is allowed: no day of it has more than {MAX_DAYS} days in its window (peak {self.peak_in_intended})."
                )
            else:
                text.append(
                    f"The intended stay is NOT allowed: on {self.first_refused_day} the 180-day window would hold "
                    f"more than {MAX_DAYS} days (peak {self.peak_in_intended})."
                )
        if self.last_allowed_day is not None:
            text.append(f"Last allowed day of continuous presence: {self.last_allowed_day}.")
        elif self.allowed is not None or self.overstay_days:
            text.append("No day of further presence is allowed from that date.")
        text.extend(self.notes)
        return {
            "window": [self.window[0].isoformat(), self.window[1].isoformat()],
            "stays_in_window": [
                {"entry": a.isoformat(), "exit": b.isoformat(), "days": n}
                for a, b, n in self.stays_in_window
            ],
            "first_refused_day": self.first_refused_day.isoformat()
            if self.first_refused_day
            else None,
            "peak_in_intended": self.peak_in_intended,
            "text": text,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "days_used": self.days_used,
            "days_remaining": self.days_remaining,
            "allowed": self.allowed,
            "last_allowed_day": self.last_allowed_day.isoformat()
            if self.last_allowed_day
            else None,
            "overstay_days": self.overstay_days,
            "explanation": self.explanation(),
        }


def _date(value: object, where: str) -> dt.date:
    if isinstance(value, dt.datetime):
        date = value.date()
    elif isinstance(value, dt.date):
        date = value
    elif not isinstance(value, str):
        raise ValidationError(
            f"{where}: expected an ISO date (YYYY-MM-DD), got {value!r}", field=where
        )
    else:
        try:
            date = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise ValidationError(
                f"{where}: {value!r} is not a possible date (use YYYY-MM-DD)", field=where
            ) from None
    if not FIRST_YEAR <= date.year <= LAST_YEAR:
        raise ValidationError(
            f"{where}: {date} is outside {FIRST_YEAR}-{LAST_YEAR}; check the year", field=where
        )
    return date


def _pair(value: object, where: str, control: dt.date | None) -> Stay:
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ValidationError(f"{where}: expected [entry, exit], got {value!r}", field=where)
    entry = _date(value[0], f"{where} entry")
    # A stay still open on the control date (exit null) ends on the control date.
    if value[1] is None and control is not None:
        exit_ = max(control, entry)
    else:
        exit_ = _date(value[1], f"{where} exit")
    if exit_ < entry:
        raise ValidationError(f"{where}: exit {exit_} is before entry {entry}", field=where)
    return Stay(entry, exit_)


def parse_stays(
    stays: Sequence[object],
    control_date: DateLike,
    intended: object | None = None,
    *,
    reject_overlaps: bool = False,
) -> tuple[list[Stay], dt.date, Stay | None]:
    """Check and convert raw input; errors name the item at fault (`stays[2] exit`, `intended`, ...)."""
    control = _date(control_date, "control_date")
    if not isinstance(stays, (list, tuple)):
        raise ValidationError(
            f"stays: expected a list of [entry, exit] pairs, got {stays!r}", field="stays"
        )
    parsed = [_pair(item, f"stays[{i}]", control) for i, item in enumerate(stays)]
    if reject_overlaps:
        order = sorted(range(len(parsed)), key=lambda i: parsed[i].entry)
        for a, b in itertools.pairwise(order):
            # Leaving and coming back on the same day is not an overlap.
            if parsed[b].entry < parsed[a].exit:
                raise ValidationError(
                    f"stays[{b}] ({parsed[b].entry} to {parsed[b].exit}) overlaps stays[{a}] "
                    f"({parsed[a].entry} to {parsed[a].exit}); correct the dates or merge the two stays",
                    field=f"stays[{b}]",
                )
    planned = None if intended is None else _pair(intended, "intended", None)
    return parsed, control, planned


class _Timeline:
    """Presence flags over a range of days, with window counts in constant time (prefix sums)."""

    def __init__(self, first: dt.date, last: dt.date) -> None:
        self.first = first
        self.flags = [0] * ((last - first).days + 1)

    def mark(self, start: dt.date, end: dt.date) -> None:
        a = max(0, (start - self.first).days)
        b = min(len(self.flags) - 1, (end - self.first).days)
        if a <= b:
            self.flags[a : b + 1] = [1] * (b - a + 1)

    def copy(self) -> _Timeline:
        other = _Timeline(self.first, self.first)
        other.flags = list(self.flags)
        return other

    def counter(self) -> Callable[[dt.date], int]:
        """Days present in the 180-day window ending on a day (the flags as they are now)."""
        prefix = [0, *itertools.accumulate(self.flags)]
        first = self.first

        def count(day: dt.date) -> int:
            end = (day - first).days + 1
            return prefix[end] - prefix[max(0, end - WINDOW_DAYS)]

        return count


def _last_allowed(timeline: _Timeline, start: dt.date) -> dt.date | None:
    """Last day of continuous presence from `start` such that every day from `start` passes.

    A window ends on its day, so continuing presence after day d cannot change d's count: marking
    the whole continuation at once gives every day's count.
    """
    continued = timeline.copy()
    end = start + dt.timedelta(days=_SEARCH_LIMIT - 1)
    continued.mark(start, end)
    count = continued.counter()
    last = None
    day = start
    while day <= end and count(day) <= MAX_DAYS:
        last = day
        day += dt.timedelta(days=1)
    return last


def assess_stay(
    stays: Sequence[object],
    control_date: DateLike,
    intended: object | None = None,
    *,
    reject_overlaps: bool = False,
) -> StayAssessment:
    """Days used, days remaining, overstay, and whether (and until when) an intended stay is allowed.

    `stays` are earlier stays [entry, exit] (ISO dates or dates, inclusive; exit None = still
    present, ends on the control date). Overlapping stays count each day once, unless
    `reject_overlaps`, which makes them a ValidationError. `intended` is [entry, exit] or None; with
    None, `last_allowed_day` continues the stay in progress on the control date, or an entry on it.
    """
    parsed, control, planned = parse_stays(
        stays, control_date, intended, reject_overlaps=reject_overlaps
    )
    window = (control - dt.timedelta(days=WINDOW_DAYS - 1), control)
    # The timeline covers every window judged here: the control date's, and those of the days
    # from the judged start (intended entry, or the control date) up to the search limit.
    start = planned.entry if planned else control
    horizon = (
        min(control, start) - dt.timedelta(days=WINDOW_DAYS),
        max(control, start + dt.timedelta(days=_SEARCH_LIMIT)),
    )
    timeline = _Timeline(*horizon)
    for stay in parsed:
        timeline.mark(stay.entry, stay.exit)
    # Days after the control date are never counted as used: the window ends on it.
    days_used = timeline.counter()(control)
    in_window = []
    ordered = sorted(parsed, key=lambda s: s.entry)
    for stay in ordered:
        n = (min(stay.exit, window[1]) - max(stay.entry, window[0])).days + 1
        if n > 0:
            in_window.append((stay.entry, stay.exit, n))
    notes: list[str] = []
    if any(b.entry <= a.exit for a, b in itertools.pairwise(ordered)):
        notes.append("Some stays overlap; each calendar day is counted once.")

    allowed = None
    first_refused = None
    peak = None
    if planned is not None:
        with_plan = timeline.copy()
        with_plan.mark(planned.entry, planned.exit)
        count = with_plan.counter()
        # Any day past the first 360 of a continuous stay fails anyway (at most 90 can pass).
        judged = itertools.islice(planned.days(), _SEARCH_LIMIT)
        counts = [(d, count(d)) for d in judged]
        peak = max(n for _, n in counts)
        refused = [d for d, n in counts if n > MAX_DAYS]
        allowed = not refused
        first_refused = refused[0] if refused else None
        last_allowed = _last_allowed(timeline, planned.entry)
    else:
        in_progress = any(s.entry <= control <= s.exit for s in parsed)
        if not in_progress:
            notes.append(
                "No stay is in progress on the control date; "
                "the last allowed day assumes an entry on it."
            )
        # Recorded stays after the control date are ignored: presence continues from it.
        past = _Timeline(*horizon)
        for stay in parsed:
            past.mark(stay.entry, min(stay.exit, control))
        last_allowed = _last_allowed(past, control)

    return StayAssessment(
        control_date=control,
        days_used=days_used,
        days_remaining=max(0, MAX_DAYS - days_used),
        overstay_days=max(0, days_used - MAX_DAYS),
        allowed=allowed,
        last_allowed_day=last_allowed,
        window=window,
        stays_in_window=in_window,
        first_refused_day=first_refused,
        peak_in_intended=peak,
        notes=notes,
    )


def assess_stay_json(text: str, *, reject_overlaps: bool = False) -> StayAssessment:
    """The `granica border stay --json` input: {"stays": [...], "control_date": ..., "intended": ...}."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputFormatError(
            f"stdin is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); expected "
            '{"stays": [[entry, exit], ...], "control_date": "YYYY-MM-DD", "intended": [entry, exit] or null}'
        ) from None
    if not isinstance(data, dict):
        raise ValidationError("input must be a JSON object with stays, control_date and intended")
    unknown = set(data) - {"stays", "control_date", "intended"}
    if unknown:
        raise ValidationError(
            f"unknown key(s) {sorted(unknown)}; expected stays, control_date, intended",
            field=min(unknown),
        )
    if "control_date" not in data:
        raise ValidationError("control_date is missing", field="control_date")
    return assess_stay(
        data.get("stays", []),
        data["control_date"],
        data.get("intended"),
        reject_overlaps=reject_overlaps,
    )
