"""The one source of "now": deadlines, retention and audit timestamps read it, tests move it."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Annotated, Any

from pydantic import BeforeValidator

_lock = threading.Lock()
_offset = dt.timedelta(0)
_frozen: dt.datetime | None = None


def now() -> dt.datetime:
    """Current time, timezone-aware UTC (stored as UTC everywhere)."""
    with _lock:
        if _frozen is not None:
            return _frozen
        return dt.datetime.now(dt.UTC) + _offset


def today() -> dt.date:
    return now().date()


def freeze(at: dt.datetime) -> None:
    """Stop the clock at a given instant (naive values are taken as UTC)."""
    global _frozen
    with _lock:
        _frozen = at if at.tzinfo else at.replace(tzinfo=dt.UTC)


def advance(delta: dt.timedelta) -> None:
    """Move the clock forward (or back) by delta, frozen or not."""
    global _offset, _frozen
    with _lock:
        if _frozen is not None:
            _frozen = _frozen + delta
        else:
            _offset = _offset + delta


def reset() -> None:
    global _offset, _frozen
    with _lock:
        _offset = dt.timedelta(0)
        _frozen = None


# --- moments and days as input ------------------------------------------------------------
# Pydantic reads a number ("0.5") as seconds since 1970 for a datetime or a date; an API whose
# document says `format: date-time` or `format: date` takes ISO 8601 text only.

def _iso_only(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) or (
            isinstance(value, str) and value.strip().lstrip("+-").replace(".", "", 1).isdigit()):
        raise ValueError("give a date (and time) in ISO 8601, e.g. 2026-11-14 or "
                         "2026-11-14T08:10:00Z, not a number")
    return value


IsoDateTime = Annotated[dt.datetime, BeforeValidator(_iso_only)]
IsoDate = Annotated[dt.date, BeforeValidator(_iso_only)]
