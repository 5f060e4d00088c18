"""Statistics of the national fingerprint database per category and month (in the node's
local time): enrolments, searches, candidates, hits (confirmed by an expert), candidates the
experts rejected, subjects transmitted and the time from registration to transmission, and
transactions the central system rejected (by the month they were sent).
Counts only: no personal data, so the audit row names no subject."""

from __future__ import annotations

import csv
import datetime as dt
import io
import statistics as stats
from collections import defaultdict
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from granica.asylum.central_models import REJECTED as CENTRAL_REJECTED
from granica.asylum.central_models import Transmission
from granica.asylum.models import CONFIRMED, REJECTED, Candidate, Search, Subject
from granica.asylum.service import ENROL, SUBJECT
from granica.audit import service as audit
from granica.auth.principal import Principal
from granica.errors import ValidationError
from granica.settings import get_settings

COLUMNS = ("month", "category", "enrolments", "searches", "candidates", "hits", "rejected",
           "transmitted", "transmit_hours_median", "transmit_hours_max", "transactions_rejected")


def _month(moment: dt.datetime, zone: ZoneInfo) -> str:
    if moment.tzinfo is None:  # stored instants are UTC even where a driver drops the zone
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(zone).strftime("%Y-%m")


def _bounds(since: dt.date | None, until: dt.date | None,
            zone: ZoneInfo) -> tuple[dt.datetime | None, dt.datetime | None]:
    if since and until and since > until:
        raise ValidationError(f"since {since} is after until {until}", field="since")
    start = dt.datetime.combine(since, dt.time(), zone).astimezone(dt.UTC) if since else None
    end = (dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), zone).astimezone(dt.UTC)
           if until else None)
    return start, end


def _within(column: Any, start: dt.datetime | None, end: dt.datetime | None) -> list[Any]:
    out = []
    if start is not None:
        out.append(column >= start)
    if end is not None:
        out.append(column < end)
    return out


def statistics(session: Session, principal: Principal, *, since: dt.date | None = None,
               until: dt.date | None = None, purpose: str = "") -> dict[str, Any]:
    """One row per month and category. Searches on their own (a police request) have the
    category `request`. An enrolment the quality gate or a rule refused stores nothing, so
    it is not counted (the officer retakes it at once)."""
    purpose = purpose or "statistics"
    audit.require(session, principal, ENROL, action="asylum.statistics", subject_type=SUBJECT,
                  purpose=purpose, what="see the fingerprint database statistics")
    zone = ZoneInfo(get_settings().local_timezone)
    start, end = _bounds(since, until, zone)
    rows: dict[tuple[str, str], dict[str, Any]] = defaultdict(
        lambda: {"enrolments": 0, "searches": 0, "candidates": 0, "hits": 0, "rejected": 0,
                 "transmitted": 0, "transactions_rejected": 0, "hours": []})
    for kind, category, at, candidates in session.execute(
            sa.select(Search.kind, Search.category, Search.requested_at, Search.candidates)
            .where(*_within(Search.requested_at, start, end))):
        row = rows[(_month(at, zone), category)]
        row["searches"] += 1
        row["enrolments"] += kind == "enrolment"
        row["candidates"] += candidates or 0
    for state, category, at in session.execute(
            sa.select(Candidate.state, Search.category, Search.requested_at)
            .join(Search, Search.id == Candidate.search_id)
            .where(Candidate.state.in_((CONFIRMED, REJECTED)),
                   *_within(Search.requested_at, start, end))):
        row = rows[(_month(at, zone), category)]
        row["hits" if state == CONFIRMED else "rejected"] += 1
    for category, registered, transmitted in session.execute(
            sa.select(Subject.category, Subject.registered_at, Subject.transmitted_at)
            .where(Subject.transmitted_at.is_not(None),
                   *_within(Subject.registered_at, start, end))):
        assert transmitted is not None  # selected for it
        row = rows[(_month(registered, zone), category)]
        row["transmitted"] += 1
        row["hours"].append((transmitted - registered).total_seconds() / 3600)
    for category, sent in session.execute(
            sa.select(Subject.category, Transmission.sent_at)
            .join(Subject, Subject.id == Transmission.subject_id)
            .where(Transmission.result == CENTRAL_REJECTED,
                   *_within(Transmission.sent_at, start, end))):
        rows[(_month(sent, zone), category)]["transactions_rejected"] += 1
    out = []
    for (month, category), row in sorted(rows.items()):
        hours = row.pop("hours")
        out.append({"month": month, "category": category, **row,
                    "transmit_hours_median": round(stats.median(hours), 2) if hours else None,
                    "transmit_hours_max": round(max(hours), 2) if hours else None})
    totals = {k: sum(r[k] for r in out) for k in ("enrolments", "searches", "candidates", "hits",
                                                   "rejected", "transmitted",
                                                   "transactions_rejected")}
    audit.record(session, principal, "asylum.statistics", purpose=purpose, subject_type=SUBJECT,
                 query={"since": since.isoformat() if since else None,
                        "until": until.isoformat() if until else None},
                 result_count=len(out))
    return {"since": since.isoformat() if since else None,
            "until": until.isoformat() if until else None, "timezone": zone.key,
            "rows": out, "totals": totals}


def statistics_csv(result: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in result["rows"]:
        writer.writerow(["" if row[c] is None else row[c] for c in COLUMNS])
    return out.getvalue()
