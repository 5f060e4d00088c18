"""Parameter types routers share, so that what the OpenAPI document says a parameter is
is exactly what the API accepts."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BeforeValidator


def _iso_only(value: Any) -> Any:
    """Pydantic reads a number ('0.5') as seconds since 1970; the document says date-time."""
    if isinstance(value, (int, float)) or (
            isinstance(value, str) and value.strip().lstrip("+-").replace(".", "", 1).isdigit()):
        raise ValueError("give a date and time in ISO 8601 (e.g. 2026-11-14T08:10:00Z), "
                         "not a number")
    return value


# A moment in ISO 8601, as `format: date-time` says (no Unix timestamps).
IsoDateTime = Annotated[dt.datetime, BeforeValidator(_iso_only)]
