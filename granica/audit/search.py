"""Reading the audit log: filtered listings for the Data Protection Officer and auditors."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from granica.audit import service as audit
from granica.audit.models import AuditEntry, AuditSubjectIndex
from granica.auth.principal import Principal
from granica.errors import ValidationError


@dataclass
class AuditPage:
    rows: list[dict[str, Any]]
    total: int
    limit: int
    offset: int


def entry_dict(row: AuditEntry) -> dict[str, Any]:
    return {
        "seq": row.seq, "occurred_at": row.occurred_at.isoformat(), "user_id": row.user_id,
        "username": row.username, "agency": row.agency, "action": row.action,
        "purpose": row.purpose, "subject_type": row.subject_type,
        "subject_ids": row.subject_ids, "query": row.query, "result_count": row.result_count,
        "outcome": row.outcome, "details": row.details,
    }


def accesses_to(session: Session, subject_ids: list[str], *, limit: int = 10_000
                ) -> list[AuditEntry]:
    """Every audit row about any of these subjects (through the audit_subject index)."""
    if not subject_ids:
        return []
    seqs = sa.select(AuditSubjectIndex.seq).where(AuditSubjectIndex.subject_id.in_(subject_ids))
    return list(session.scalars(sa.select(AuditEntry).where(AuditEntry.seq.in_(seqs))
                                .order_by(AuditEntry.seq).limit(limit)))


def search(
    session: Session,
    principal: Principal,
    *,
    purpose: str,
    subject_id: str | None = None,
    username: str | None = None,
    agency: str | None = None,
    action: str | None = None,
    outcome: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> AuditPage:
    """List audit rows, newest first; needs `audit.read`, and is itself audited."""
    query = {k: v for k, v in {
        "subject_id": subject_id, "username": username, "agency": agency, "action": action,
        "outcome": outcome, "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None}.items() if v is not None}
    audit.require(session, principal, "audit.read", action="audit.search", subject_type="audit",
                  purpose=purpose, what="read the audit log")
    if not 1 <= limit <= 1000:
        raise ValidationError("limit must be between 1 and 1000", field="limit")
    if offset < 0:
        raise ValidationError("offset must not be negative", field="offset")
    stmt = sa.select(AuditEntry)
    if subject_id:
        stmt = stmt.where(AuditEntry.seq.in_(
            sa.select(AuditSubjectIndex.seq).where(AuditSubjectIndex.subject_id == subject_id)))
    if username:
        stmt = stmt.where(AuditEntry.username == username)
    if agency:
        stmt = stmt.where(AuditEntry.agency == agency)
    if action:
        stmt = stmt.where(AuditEntry.action.startswith(action, autoescape=True))
    if outcome:
        stmt = stmt.where(AuditEntry.outcome == outcome)
    if since:
        stmt = stmt.where(AuditEntry.occurred_at >= since)
    if until:
        stmt = stmt.where(AuditEntry.occurred_at < until)
    total = int(session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0)
    rows = session.scalars(stmt.order_by(AuditEntry.seq.desc()).limit(limit).offset(offset)).all()
    audit.record(session, principal, "audit.search", purpose=purpose, subject_type="audit",
                 subject_ids=[subject_id] if subject_id else [], query=query, result_count=total)
    return AuditPage([entry_dict(r) for r in rows], total, limit, offset)
