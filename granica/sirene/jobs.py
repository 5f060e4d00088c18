"""The SIRENE Bureau's scheduled jobs: taking up hit reports (also nudged by each hit),
telling the duty officer of answers that became overdue, and erasing old case files."""

from __future__ import annotations

import datetime as dt
from typing import Any

from granica.auth.principal import system_principal
from granica.jobs import register
from granica.sirene import service
from granica.storage import Database


def intake(db: Database) -> dict[str, int]:
    """Open a case and send a form G for each new hit on another country's alert."""
    with db.session() as s:
        return service.take_hits(s, system_principal(service.INBOX))


def deadlines(db: Database) -> dict[str, Any]:
    with db.session() as s:
        notices = service.notify_deadlines(s)
    return {"notified": len(notices)}


def alert_notices(db: Database) -> dict[str, int]:
    """Tell the other bureaux of our alerts deleted or expired, and close their cases."""
    with db.session() as s:
        return service.notify_deleted_alerts(s, system_principal(service.INBOX))


def retention(db: Database) -> dict[str, int]:
    with db.session() as s:
        return service.erase_expired_cases(s, system_principal("SIRENE case retention"))


register("sirene.intake", intake, dt.timedelta(seconds=30),
         "open SIRENE cases and send forms G for hits on other countries' alerts")
register("sirene.deadlines", deadlines, dt.timedelta(minutes=1),
         "notify the duty officer of SIRENE answers overdue or escalated")
register("sirene.alert_notices", alert_notices, dt.timedelta(minutes=5),
         "tell the other bureaux of deleted or expired alerts and close their cases")
register("sirene.retention", retention, dt.timedelta(days=1),
         "erase closed SIRENE cases a year after their alert was deleted")
