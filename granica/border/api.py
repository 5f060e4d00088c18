"""JSON API of the border domain: checks for kiosks and e-gates, the queue, refusals."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from granica.api.deps import CurrentPrincipal, DbSession, StatedPurpose
from granica.api.responses import errors
from granica.border import service
from granica.border.schemas import CheckRequest, CheckResult, RefusalRequest

router = APIRouter(prefix="/border", tags=["border checks"])


@router.post("/checks", response_model=CheckResult)
def create_check(body: CheckRequest, session: DbSession, principal: CurrentPrincipal,
                 purpose: StatedPurpose) -> CheckResult:
    """Check one traveller and get the decision in one call (kiosks, e-gates, lane clients).

    Send the MRZ lines as read (separated by `\\n`) or typed `document` data. The answer's
    `decision` is `go`, `refer` (stop and refer to second line) or `hit`; `warnings` come
    first and each hit carries its `action` to be taken. A source that did not answer in
    time makes the check `complete: false` with `missed_sources` and the decision `refer`;
    the check is then re-checked automatically when the source is back.

    Example:

        POST /api/v1/border/checks
        Authorization: Bearer <token>
        X-Purpose: border check at BCP Batrovci
        {"bcp": "RS-BATROVCI", "lane": "E1", "direction": "entry",
         "mrz": "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\\nL898902C36UTO7408122F1204159ZE184226B<<<<<10"}
    """
    return service.check(session, principal, body, purpose)


@router.get("/checks/{check_id}", response_model=CheckResult, responses=errors(404))
def read_check(check_id: str, session: DbSession, principal: CurrentPrincipal,
               purpose: StatedPurpose) -> CheckResult:
    """One stored check as its result (your own, or any for a shift supervisor)."""
    return service.check_result_of(service.get_check(session, principal, check_id, purpose))


@router.post("/checks/{check_id}/crossing", responses=errors(404, 409))
def record_crossing(check_id: str, session: DbSession, principal: CurrentPrincipal,
                    purpose: StatedPurpose) -> dict[str, str]:
    """After second line has cleared a referred third-country national, record the entry or
    exit of the check (shift supervisors)."""
    return {"traveller_id": service.record_crossing_after_referral(session, principal, check_id,
                                                                   purpose)}


@router.get("/queue")
def queue(session: DbSession, principal: CurrentPrincipal, purpose: StatedPurpose,
          bcp: str | None = None, hours: int = 12) -> dict[str, Any]:
    """The shift supervisor's queue: referred checks, hits and checks awaiting a re-check."""
    view = service.shift_queue(session, principal, bcp, purpose, hours=hours)
    return {
        "counts": view.counts,
        "checks": [service.check_result_of(c).model_dump(mode="json") for c in view.checks],
        "rechecks": [{"id": r.id, "check_id": r.check_id, "missed_sources": r.missed_sources,
                      "queued_at": r.queued_at.isoformat(), "attempts": r.attempts}
                     for r in view.rechecks],
    }


@router.post("/rechecks/run")
def run_rechecks(session: DbSession, principal: CurrentPrincipal,
                 purpose: StatedPurpose) -> dict[str, int]:
    """Ask the missed sources again now (the scheduled job does this on its own)."""
    return service.recheck_pending(session, principal, purpose)


@router.post("/refusals", status_code=201, responses=errors(404))
def create_refusal(body: RefusalRequest, session: DbSession, principal: CurrentPrincipal,
                   purpose: StatedPurpose) -> dict[str, Any]:
    """Record a refusal of entry with the letters of the standard form (e.g. `["C", "E"]`)."""
    row = service.decide_refusal(session, principal, body, purpose)
    return {"id": row.id, "reasons": row.reasons, "decided_at": row.decided_at.isoformat(),
            "pdf": f"/api/v1/border/refusals/{row.id}/pdf"}


@router.get("/refusals/{refusal_id}/pdf", response_class=Response, responses={
    200: {"content": {"application/pdf": {}}, "description": "the refusal form"}, **errors(404)})
def refusal_pdf(refusal_id: str, session: DbSession, principal: CurrentPrincipal,
                purpose: StatedPurpose) -> Response:
    """The traveller's copy of the refusal form (PDF, the traveller's language and Serbian)."""
    pdf = service.refusal_pdf(session, principal, refusal_id, purpose)
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="refusal-{refusal_id}.pdf"'})


@router.get("/refusals/statistics")
def refusal_statistics(session: DbSession, principal: CurrentPrincipal, purpose: StatedPurpose,
                       date_from: dt.date | None = None, date_to: dt.date | None = None,
                       bcp: str | None = None) -> dict[str, Any]:
    """Refusals counted by reason letter, crossing point and nationality."""
    return service.refusal_statistics(session, principal, purpose, date_from, date_to, bcp)
