"""The border domain's scheduled jobs: re-checking incomplete checks and erasing expired records."""

from __future__ import annotations

import datetime as dt
from typing import Any

from granica.auth.principal import system_principal
from granica.border import service
from granica.jobs import register
from granica.storage import Database


def recheck(db: Database) -> dict[str, int]:
    """Ask the sources an incomplete check missed again; hits reach SIRENE and the queue."""
    with db.session() as s:
        return service.recheck_pending(s, system_principal("automatic re-check"),
                                       "automatic re-check of incomplete border checks")


def retention(db: Database) -> dict[str, Any]:
    """EES Art 34: checks, entries/exits and refusals after 3 years, overstayers after 5."""
    with db.session() as s:
        return service.purge_expired(s, system_principal("border retention"))


register("border.recheck", recheck, dt.timedelta(minutes=1),
         "re-check border checks whose sources did not answer")
register("border.retention", retention, dt.timedelta(days=1),
         "erase border checks, entries/exits and refusals past their retention period")
