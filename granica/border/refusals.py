"""Refusals of entry (SBC Art 14): the officer's decision, the traveller's copy and the statistics.
The form's rules and wording are in `border.refusal`. A room of `border.service`."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from granica import clock
from granica.audit import service as audit
from granica.auth.principal import Principal
from granica.border.models import BorderCheck, Refusal
from granica.border.reading import DocumentData, typed_document
from granica.border.reference import crossing_point, years
from granica.border.refusal import RefusalDecision, render_refusal_pdf, validate_decision
from granica.border.refusal import load_config as load_refusal_config
from granica.border.schemas import RefusalRequest
from granica.errors import NotFoundError, ValidationError
from granica.settings import get_settings


def refusal_letters(language: str = "en") -> dict[str, str]:
    """The lettered reasons of the standard form, from the refusal configuration."""
    config = load_refusal_config()
    return {letter: r.texts.get(language) or next(iter(r.texts.values()), "")
            for letter, r in config.reasons.items()}


def refusal_particulars() -> dict[str, tuple[str, tuple[str, ...]]]:
    """Letter -> (what the officer adds, allowed values) for reasons that ask for particulars."""
    return load_refusal_config().particulars()


def refusal_languages() -> dict[str, str]:
    config = load_refusal_config()
    return {code: config.language_names.get(code, code) for code in config.languages}


def _decision_of(row: Refusal, authority: str) -> RefusalDecision:
    return RefusalDecision(
        surname=row.surname, given_names=row.given_names, birth_date=row.birth_date,
        nationality=row.nationality,
        document=f"{row.document_number} ({row.issuing_state})" if row.document_number else "",
        border_crossing_point=row.bcp_code, authority=authority, officer=row.decided_by,
        decided_at=row.decided_at, reasons=tuple(row.reasons), language=row.language,
        remarks=row.remarks, details=dict(row.details or {}))


def decide_refusal(session: Session, principal: Principal, request: RefusalRequest,
                   purpose: str) -> Refusal:
    """Record the officer's substantiated decision to refuse entry (SBC Art 14)."""
    audit.require(session, principal, "border.refuse", action="border.refusal.decide",
                  subject_type="refusal", purpose=purpose, what="refuse entry")
    bcp = crossing_point(session, request.bcp)
    row = session.get(BorderCheck, request.check_id) if request.check_id else None
    if request.check_id and row is None:
        raise NotFoundError(f"border check {request.check_id} not found", field="check_id")
    if row is None and request.document is None:
        raise ValidationError("a refusal needs the check it follows (check_id) or the "
                              "traveller's document data", field="document")
    if request.document is not None:
        doc = typed_document(request.document)
    else:
        assert row is not None
        doc = DocumentData.of(row)
    now = clock.now()
    refusal = Refusal(
        check_id=row.id if row else None, traveller_id=row.traveller_id if row else None,
        decided_at=now, decided_by=principal.display_name or principal.username,
        bcp_code=bcp.code, reasons=list(request.reasons), remarks=request.remarks,
        details=dict(request.details), language=request.language, surname=doc.surname,
        given_names=doc.given_names, birth_date=doc.birth_date, nationality=doc.nationality,
        document_number=doc.document_number, issuing_state=doc.issuing_state,
        retain_until=now + years(get_settings().border_retention_years))
    # the refusal module owns the form's rules: known letters, particulars for E/H/I, language
    checked = validate_decision(_decision_of(refusal, bcp.authority))
    refusal.reasons = list(checked.reasons)
    refusal.details = dict(checked.details)
    session.add(refusal)
    session.flush()
    audit.record(session, principal, "border.refusal.decide", purpose=purpose,
                 subject_type="refusal", subject_ids=[refusal.id] + ([row.id] if row else []),
                 details={"reasons": refusal.reasons, "bcp": bcp.code})
    return refusal


def refusal_pdf(session: Session, principal: Principal, refusal_id: str, purpose: str) -> bytes:
    """The traveller's copy of the standard form, in the traveller's language and Serbian."""
    audit.require(session, principal, "border.refuse", action="border.refusal.read",
                  subject_type="refusal", subject_ids=[refusal_id], purpose=purpose,
                  what="print a refusal")
    row = session.get(Refusal, refusal_id)
    if row is None:
        raise NotFoundError(f"refusal {refusal_id} not found", field="refusal_id")
    bcp = crossing_point(session, row.bcp_code)
    pdf = render_refusal_pdf(_decision_of(row, bcp.authority))
    audit.record(session, principal, "border.refusal.read", purpose=purpose,
                 subject_type="refusal", subject_ids=[row.id], result_count=1)
    return pdf


def refusal_statistics(session: Session, principal: Principal, purpose: str,
                       date_from: dt.date | None = None, date_to: dt.date | None = None,
                       bcp_code: str | None = None) -> dict[str, Any]:
    """Refusals counted by reason letter, crossing point and nationality (no personal data)."""
    if not (principal.can("border.supervise") or principal.can("analysis.read")):
        audit.deny(session, principal, "border.supervise", action="border.refusal.stats",
                   subject_type="refusal", purpose=purpose, what="see refusal statistics")
    q = sa.select(Refusal.reasons, Refusal.bcp_code, Refusal.nationality)
    if date_from:
        q = q.where(Refusal.decided_at >= dt.datetime.combine(date_from, dt.time(), dt.UTC))
    if date_to:
        q = q.where(Refusal.decided_at < dt.datetime.combine(
            date_to + dt.timedelta(days=1), dt.time(), dt.UTC))
    if bcp_code:
        q = q.where(Refusal.bcp_code == bcp_code)
    by_reason: dict[str, int] = {}
    by_bcp: dict[str, int] = {}
    by_nat: dict[str, int] = {}
    total = 0
    for reasons, bcp, nat in session.execute(q):
        total += 1
        for letter in reasons or []:
            by_reason[letter] = by_reason.get(letter, 0) + 1
        by_bcp[bcp] = by_bcp.get(bcp, 0) + 1
        by_nat[nat or "?"] = by_nat.get(nat or "?", 0) + 1
    audit.record(session, principal, "border.refusal.stats", purpose=purpose,
                 subject_type="refusal", query={"from": str(date_from), "to": str(date_to),
                                                "bcp": bcp_code}, result_count=total)
    return {"total": total, "by_reason": dict(sorted(by_reason.items())),
            "by_bcp": dict(sorted(by_bcp.items())),
            "by_nationality": dict(sorted(by_nat.items(), key=lambda kv: -kv[1]))}

