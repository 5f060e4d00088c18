"""JSON API of the audit log: verify the chain, list rows (for the DPO and auditors)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Query

from granica.api.deps import CurrentPrincipal, DbSession, StatedPurpose
from granica.audit import search as audit_search
from granica.audit.verify import verify_as

router = APIRouter(prefix="/audit", tags=["audit log"])


@router.get("/verify")
def verify_chain(session: DbSession, principal: CurrentPrincipal,
                 purpose: StatedPurpose) -> dict[str, Any]:
    """Recompute the hash chain and check the signed anchors (permission `audit.verify`).

    `ok` is false when a row was changed, removed or inserted out of order, or the chain
    was recomputed after a change; `first_bad_seq` and `message` name the row.

    Example: `GET /api/v1/audit/verify`
    """
    return verify_as(session, principal, purpose=purpose).to_dict()


@router.get("/entries")
def list_entries(
    session: DbSession,
    principal: CurrentPrincipal,
    purpose: StatedPurpose,
    subject_id: str | None = Query(None, max_length=64, description="alert, person or user id"),
    username: str | None = Query(None, max_length=100),
    agency: str | None = Query(None, max_length=40),
    action: str | None = Query(None, max_length=80, description="action prefix, e.g. `alerts.`"),
    outcome: str | None = Query(None, max_length=20),
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0),
) -> dict[str, Any]:
    """Audit rows, newest first (permission `audit.read`); the listing is itself audited.

    Example: `GET /api/v1/audit/entries?subject_id=7f0c...&limit=50` with
    `X-Purpose: data subject request DSR-2026-14`
    """
    page = audit_search.search(session, principal, purpose=purpose, subject_id=subject_id,
                               username=username, agency=agency, action=action,
                               outcome=outcome, since=since, until=until, limit=limit,
                               offset=offset)
    return {"total": page.total, "limit": page.limit, "offset": page.offset, "rows": page.rows}
