"""The shift supervisor's queue and the re-check of incomplete checks (sources that missed their
budget are asked again; hits go to SIRENE). A room of `border.service`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from granica import clock
from granica.audit import service as audit
from granica.auth.principal import Principal
from granica.border import sources as src
from granica.border.checks import order_hits, release_sqlite_lock, report_hits
from granica.border.models import BorderCheck, BorderRecheck
from granica.settings import get_settings


@dataclass(frozen=True)
class QueueView:
    checks: list[BorderCheck]
    rechecks: list[BorderRecheck]
    counts: dict[str, int]


def shift_queue(session: Session, principal: Principal, bcp_code: str | None, purpose: str,
                hours: int = 12) -> QueueView:
    """The shift supervisor's view: referred checks and hits, and checks awaiting a re-check."""
    audit.require(session, principal, "border.supervise", action="border.queue.read",
                  subject_type="border_check", purpose=purpose, what="see the lane queue")
    since = clock.now() - dt.timedelta(hours=hours)
    q = sa.select(BorderCheck).where(BorderCheck.checked_at >= since)
    if bcp_code:
        q = q.where(BorderCheck.bcp_code == bcp_code)
    rows = list(session.scalars(q.order_by(BorderCheck.checked_at.desc()).limit(2000)).all())
    counts = {"go": 0, "refer": 0, "hit": 0, "incomplete": 0}
    for r in rows:
        counts[r.decision] = counts.get(r.decision, 0) + 1
        counts["incomplete"] += 0 if r.complete else 1
    flagged = [r for r in rows if r.decision != "go"][:200]
    rq = sa.select(BorderRecheck).where(BorderRecheck.status == "pending")
    if bcp_code:
        rq = rq.where(BorderRecheck.bcp_code == bcp_code)
    rechecks = list(session.scalars(rq.order_by(BorderRecheck.queued_at).limit(200)).all())
    audit.record(session, principal, "border.queue.read", purpose=purpose,
                 subject_type="border_check", subject_ids=[r.id for r in flagged],
                 query={"bcp": bcp_code, "hours": hours}, result_count=len(flagged))
    return QueueView(flagged, rechecks, counts)


# --- the re-check queue -------------------------------------------------------------------

def recheck_pending(session: Session, principal: Principal, purpose: str = "automatic re-check",
                    *, sources: Sequence[src.Source] | None = None, limit: int = 100) -> dict[str, int]:
    """Ask the missed sources again for every incomplete check; hits go to SIRENE and the queue."""
    audit.require(session, principal, "border.check", action="border.recheck",
                  subject_type="border_check", purpose=purpose, what="re-check incomplete checks")
    pending = list(session.scalars(sa.select(BorderRecheck).where(
        BorderRecheck.status == "pending").order_by(BorderRecheck.queued_at).limit(limit)))
    jobs = [(item, session.get(BorderCheck, item.check_id)) for item in pending]
    engine = session.get_bind()
    release_sqlite_lock(session)
    budget = get_settings().border_source_budget_ms / 1000
    done = still = hit = 0
    for item, row in jobs:
        if row is None:
            continue
        q = src.TravellerQuery(
            surname=row.surname, given_names=row.given_names, birth_date=row.birth_date,
            nationality=row.nationality, sex=row.sex, document_type=row.document_type,
            document_number=row.document_number, issuing_state=row.issuing_state,
            vehicle_plate=row.vehicle_plate)
        outcomes = src.run_sources(engine, principal, q, purpose, budget,  # type: ignore[arg-type]
                                   sources=sources, only=item.missed_sources)
        now = clock.now()
        item.attempts += 1
        item.last_attempt_at = now
        missing = [o.name for o in outcomes if o.status in ("timeout", "error")]
        if missing:
            item.missed_sources = missing
            still += 1
            continue
        new_hits = order_hits([h for o in outcomes for h in o.hits])
        item.status = "done"
        confirmed = any(h.confirmed for h in new_hits)
        item.outcome = "hit" if confirmed else ("refer" if new_hits else "go")
        new_hits = report_hits(session, principal, row, new_hits, purpose)
        item.hits = [h.as_dict() for h in new_hits]
        done += 1
        hit += 1 if confirmed else 0
        audit.record(session, principal, "border.recheck", purpose=purpose,
                     subject_type="border_check",
                     subject_ids=[row.id] + [h.alert_id for h in new_hits],
                     result_count=len(new_hits),
                     details={"sources": [o.name for o in outcomes], "outcome": item.outcome})
    return {"done": done, "pending": still, "hits": hit}

