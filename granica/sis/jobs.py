"""The alert register's scheduled jobs: review-date warnings, deletion at expiry, and the end
of an arrest alert's hiding for an operation."""

from __future__ import annotations

import datetime as dt
import logging

from granica.auth.principal import system_principal
from granica.jobs import register
from granica.sis import service
from granica.storage import Database

log = logging.getLogger("granica.jobs")


def review_warnings(db: Database) -> int:
    """Warn (in the log) about national alerts whose review date is within 4 months."""
    with db.session() as s:
        warned = service.review_warnings(s, system_principal("alert review warnings"),
                                         purpose="review date warning")
    for w in warned:
        log.warning("alert review due", extra={"fields": {
            "alert_id": w["alert_id"], "schengen_id": w["schengen_id"],
            "review_date": w["review_date"]}})
    return len(warned)


def delete_expired(db: Database) -> int:
    """Delete alerts past their review date; only the audit trail remains."""
    with db.session() as s:
        return service.delete_expired(s, system_principal("alert expiry"))


def unhide_expired(db: Database) -> int:
    """Hidden arrest alerts whose 48 hours are over are shown to end users again."""
    with db.session() as s:
        return service.unhide_expired(s, system_principal("end of hiding"))


register("sis.review_warnings", review_warnings, dt.timedelta(hours=1),
         "warn about alerts whose review date is within 4 months")
register("sis.delete_expired", delete_expired, dt.timedelta(hours=1),
         "delete alerts past their review date (the audit trail stays)")
register("sis.unhide_expired", unhide_expired, dt.timedelta(minutes=5),
         "show again the arrest alerts whose hiding for an operation has ended")
