"""The short-stay rule (Schengen Borders Code Art. 6(1)): at most 90 days in any 180-day period.

Pure functions, no database. For a day D the window is [D-179, D]; entry and exit days both count;
overlapping stays count each day once; every day of an intended stay must pass, not just its first.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from granica.errors import InputFormatError, ValidationError

MAX_DAYS = 90
WINDOW_DAYS = 180
# A continuous stay can never pass the rule for more than 90 days, so the search for the last
# allowed day ends well within this many days.
_SEARCH_LIMIT = 2 * WINDOW_DAYS

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
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        raise ValidationError(
            f"{where}: expected an ISO date (YYYY-MM-DD), got {value!r}", field=where
        )
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError(
            f"{where}: {value!r} is not a possible date (use YYYY-MM-DD)", field=where
        ) from None


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
            if parsed[b].entry <= parsed[a].exit:
                raise ValidationError(
                    f"stays[{b}] ({parsed[b].entry} to {parsed[b].exit}) overlaps stays[{a}] "
                    f"({parsed[a].entry} to {parsed[a].exit}); correct the dates or merge the two stays",
                    field=f"stays[{b}]",
                )
    planned = None if intended is None else _pair(intended, "intended", None)
    return parsed, control, planned


def _count(days: set[dt.date], end: dt.date) -> int:
    start = end - dt.timedelta(days=WINDOW_DAYS - 1)
    return sum(1 for d in days if start <= d <= end)


def _last_allowed(present: set[dt.date], start: dt.date) -> dt.date | None:
    """Last day of continuous presence from `start` such that every day from `start` passes."""
    days = set(present)
    last = None
    day = start
    for _ in range(_SEARCH_LIMIT):
        days.add(day)
        if _count(days, day) > MAX_DAYS:
            break
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
    present: set[dt.date] = set()
    for stay in parsed:
        present.update(stay.days())
    # Days after the control date are never counted as used.
    used_days = {d for d in present if window[0] <= d <= window[1]}
    days_used = len(used_days)
    in_window = []
    for stay in sorted(parsed, key=lambda s: s.entry):
        n = sum(1 for d in stay.days() if window[0] <= d <= window[1])
        if n:
            in_window.append((stay.entry, stay.exit, n))
    notes: list[str] = []
    if len(present) < sum((s.exit - s.entry).days + 1 for s in parsed):
        notes.append("Some stays overlap; each calendar day is counted once.")

    allowed = None
    first_refused = None
    peak = None
    if planned is not None:
        with_plan = present | set(planned.days())
        counts = [(d, _count(with_plan, d)) for d in planned.days()]
        peak = max(n for _, n in counts)
        refused = [d for d, n in counts if n > MAX_DAYS]
        allowed = not refused
        first_refused = refused[0] if refused else None
        last_allowed = _last_allowed(present, planned.entry)
    else:
        past = {d for d in present if d <= control}
        in_progress = any(s.entry <= control <= s.exit for s in parsed)
        if not in_progress:
            notes.append(
                "No stay is in progress on the control date; the last allowed day assumes an entry on it."
            )
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
