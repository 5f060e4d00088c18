"""The border check: one person at a crossing point, go / refer / hit, in named steps (assess,
history, ask, screen, decide, store), and reading stored checks. A room of `border.service`."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from granica import clock
from granica.audit import service as audit
from granica.auth.principal import Principal
from granica.border import sources as src
from granica.border.models import BorderCheck, BorderCrossingPoint, BorderRecheck
from granica.border.movements import History, mark_overstayer, record_movement, traveller_history
from granica.border.reading import (
    DocumentData,
    dedupe,
    document_problems,
    free_movement,
    read_mrz,
    reason,
    typed_document,
)
from granica.border.reference import crossing_point, years
from granica.border.schemas import (
    CheckRequest,
    CheckResult,
    HitView,
    Reason,
    SourceView,
    StayView,
)
from granica.cooperation import service as cooperation
from granica.errors import GranicaError, NotFoundError, ValidationError
from granica.settings import get_settings
from granica.storage import new_id

# Reasons that leave the identity not ascertained by a document: the prints are then searched
# against the alerts' prints (1862 Art 43(2)).
_IDENTITY_UNKNOWN = frozenset({"no_document", "mrz_unreadable", "mrz_check_digit"})
_PERSON_SOURCES = frozenset({"sis_person", "national"})
FINGERPRINT_MESSAGES = {
    "confirmed": "confirmed by fingerprints",
    "not_confirmed": "NOT confirmed by fingerprints: the prints do not match the alert's",
    "no_prints": "the alert has no prints to compare",
    "identified": "identified by fingerprints (1:N search)",
}


def release_sqlite_lock(session: Session) -> None:
    # SQLite sessions take the write lock at BEGIN; the sources' own sessions would wait
    # for it until they time out, so end this unit's reads before the sources start.
    if session.get_bind().dialect.name == "sqlite" and session.in_transaction():
        session.commit()


def append_audit(session: Session, principal: Principal, entries: list[dict[str, Any]],
                 handed_over: Sequence[dict[str, Any]] = ()) -> None:
    """The check's audit rows in one batch (one statement): the rows its sources handed over
    (`AuditHandover`) and its own, each entry holding `audit.record`'s keyword arguments."""
    audit.write_rows(session, [*handed_over,
                               *(audit.pending_row(principal, **entry) for entry in entries)])


def decode_fingerprints(request: CheckRequest) -> list[tuple[int, bytes]]:
    """The request's base64 images as (finger position, bytes), each one checked to decode as
    an image, so that bad input fails before anything is stored (422 naming the field)."""
    import base64
    import binascii

    from granica.biometrics.formats.images import read_image

    out: list[tuple[int, bytes]] = []
    for i, fp in enumerate(request.fingerprints):
        field = f"fingerprints[{i}].image"
        try:
            data = base64.b64decode(fp.image.strip(), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValidationError(f"{field} is not valid base64 ({exc}); send the PNG or WSQ "
                                  "file base64-encoded", field=field) from exc
        try:
            read_image(data)
        except GranicaError as exc:
            raise ValidationError(f"{field} is not a readable PNG/WSQ image: {exc.message}; "
                                  "capture the print again", field=field) from exc
        out.append((fp.finger_position, data))
    return out



@dataclass
class Assessment:
    """What the document and the request say before any register is asked (step `assess`)."""

    bcp: BorderCrossingPoint
    doc: DocumentData | None
    input_source: str
    reasons: list[Reason]
    thorough: bool
    crossing_ref: str | None
    prints: list[tuple[int, bytes]]
    query: src.TravellerQuery
    # the sources' audit rows (their reads), written with the check's own (step `store`)
    audit_rows: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    @property
    def kind(self) -> str:
        return "thorough" if self.thorough else "minimum"


@dataclass
class Decision:
    """The check's outcome once every source answered or ran out of time (step `decide`)."""

    decision: str
    hits: list[src.Hit]
    missed: list[str]
    reasons: list[Reason]
    outcomes: list[src.SourceOutcome]


def assess(session: Session, request: CheckRequest, today: dt.date) -> Assessment:
    """Read the document (MRZ or typed), apply the document rules, choose minimum or thorough
    check, and refuse a second claim on the same crossing reference."""
    bcp = crossing_point(session, request.bcp)
    prints = decode_fingerprints(request)
    reasons: list[Reason] = []
    doc: DocumentData | None = None
    input_source = "none"
    if request.mrz and request.mrz.strip():
        input_source = "mrz"
        doc, reasons = read_mrz(request.mrz)
    elif request.document is not None:
        input_source = "typed"
        doc = typed_document(request.document)
    if doc is None and not reasons:
        reasons.append(reason("no_document"))
    if doc is not None:
        reasons += document_problems(doc, today)
    reasons = dedupe(reasons)
    nationality = doc.nationality if doc else ""
    thorough = not (free_movement(nationality, get_settings().document_country)
                    or request.free_movement_family_member)
    crossing_ref = request.crossing_ref
    if crossing_ref and session.scalar(
            sa.select(BorderCheck.id).where(BorderCheck.crossing_ref == crossing_ref)):
        reasons.append(reason("duplicate_crossing", f"crossing_ref {crossing_ref!r}"))
        crossing_ref = None  # keep the first check's claim on the reference
    query = src.TravellerQuery(
        surname=doc.surname if doc else "", given_names=doc.given_names if doc else "",
        birth_date=doc.birth_date if doc else None, nationality=nationality,
        sex=doc.sex if doc else "", document_type=doc.document_type if doc else "",
        document_number=doc.document_number if doc else "",
        issuing_state=doc.issuing_state if doc else "",
        vehicle_plate=request.vehicle_plate.strip().upper().replace(" ", ""),
        vehicle_country=request.vehicle_country.strip().upper(),
    )
    return Assessment(bcp, doc, input_source, reasons, thorough, crossing_ref, prints, query)


def history(session: Session, assessment: Assessment, request: CheckRequest,
            today: dt.date) -> History:
    """The entry/exit history, for third-country nationals only (thorough checks)."""
    if assessment.doc is None or not assessment.thorough:
        return History()
    return traveller_history(session, assessment.doc, request, today)


def ask(session: Session, principal: Principal, assessment: Assessment, purpose: str,
        sources: Sequence[src.Source] | None, *, identity_unknown: bool) -> list[src.SourceOutcome]:
    """Ask every source at once within the budget, then the fingerprints with theirs. The
    sources read on their own connections, so this session's transaction writes nothing yet."""
    engine = session.get_bind()
    release_sqlite_lock(session)
    handover = src.AuditHandover()
    outcomes = src.run_sources(engine, principal, assessment.query, purpose,  # type: ignore[arg-type]
                               get_settings().border_source_budget_ms / 1000, sources=sources,
                               handover=handover)
    if assessment.prints:
        outcomes += _fingerprint_step(engine, principal, assessment.query, purpose,
                                      assessment.prints, outcomes,
                                      identity_unknown=identity_unknown, handover=handover)
    assessment.audit_rows = handover.close()
    return outcomes


def screen(session: Session, principal: Principal, assessment: Assessment,
           request: CheckRequest, purpose: str, check_id: str) -> list[Reason]:
    """Step `screen`: the risk profiles the agencies wrote together (granica.cooperation). A
    flag refers the traveller or vehicle to a control with the profile's reason; it is not an
    alert hit. Runs in the check's own transaction, so a flag is kept only with its check."""
    q = assessment.query
    flags = cooperation.screen_crossing(
        session, principal, purpose, bcp=assessment.bcp.code, direction=request.direction,
        nationality=q.nationality if 2 <= len(q.nationality) <= 3 and q.nationality.isalpha()
        else None,
        origin=request.origin or None, destination=request.destination or None,
        carrier=request.carrier.strip() or None, commodity=request.commodity or None,
        vehicle_plate=q.vehicle_plate or None,
        subject=(f"{q.surname} {q.given_names}".strip() or q.vehicle_plate)[:200],
        check_ref=check_id)
    return [reason("risk_profile", f"{f.profile_name}: {f.reason}") for f in flags]


def decide(reasons: list[Reason], outcomes: list[src.SourceOutcome]) -> Decision:
    """A hit wins; any reason (a missed source or a namesake among them) refers; only a clean
    check is a go. A possible match (a namesake) is shown but is not a hit: second line
    verifies the identity and reports the hit if it is the person."""
    missed = [o.name for o in outcomes if o.status in ("timeout", "error")]
    hits = order_hits([h for o in outcomes for h in o.hits])
    reasons = list(reasons)
    possible = [h for h in hits if not h.confirmed]
    if possible:
        reasons.append(reason("possible_match", ", ".join(
            f"{h.category_label} {h.alert_id}" for h in possible)))
    if missed:
        reasons.append(reason("incomplete", ", ".join(
            f"{o.label} ({o.status})" for o in outcomes if o.name in missed)))
    decision = "hit" if any(h.confirmed for h in hits) else ("refer" if reasons else "go")
    return Decision(decision, hits, missed, reasons, outcomes)


def store(session: Session, principal: Principal, request: CheckRequest, a: Assessment,
          h: History, d: Decision, purpose: str, now: dt.datetime,
          duration_ms: int, check_id: str) -> BorderCheck:
    """Write the check, its hit reports, its re-check, the crossing and the audit rows: one
    transaction, committed by the caller's unit of work."""
    settings = get_settings()
    q = a.query
    row = BorderCheck(
        id=check_id, checked_at=now, bcp_code=a.bcp.code, lane_code=request.lane,
        direction=request.direction,
        user_id=principal.user_id, username=principal.username, via=principal.via,
        crossing_ref=a.crossing_ref, kind=a.kind, input_source=a.input_source,
        document_type=q.document_type, document_number=q.document_number,
        issuing_state=q.issuing_state, nationality=q.nationality, surname=q.surname,
        given_names=q.given_names, birth_date=q.birth_date, sex=q.sex,
        expiry_date=a.doc.expiry_date if a.doc else None, vehicle_plate=q.vehicle_plate,
        decision=d.decision, complete=not d.missed, missed_sources=d.missed,
        reasons=[r.model_dump() for r in d.reasons],
        sources=[o.as_dict() for o in d.outcomes], hits=[x.as_dict() for x in d.hits],
        traveller_id=h.traveller.id if h.traveller else None,
        retain_until=now + years(settings.border_retention_years), duration_ms=duration_ms,
    )
    session.add(row)
    if d.hits:
        d.hits = report_hits(session, principal, row, d.hits, purpose)
        row.hits = [x.as_dict() for x in d.hits]
    recheckable = [m for m in d.missed if m != "fingerprints"]
    if recheckable:
        # the traveller's prints are not kept, so a missed fingerprint step is not re-run:
        # the referral to second line stands for it
        session.add(BorderRecheck(check_id=row.id, bcp_code=a.bcp.code,
                                  missed_sources=recheckable, queued_at=now))
    if d.decision == "go" and a.thorough and a.doc is not None:
        row.traveller_id = record_movement(session, principal, row, a.doc, h.traveller, h.stay,
                                           request, a.bcp, now).id
    elif a.thorough and h.stay is not None and h.stay.overstay_days > 0 \
            and h.traveller is not None:
        mark_overstayer(session, h.traveller, now)
    append_audit(session, principal, handed_over=a.audit_rows, entries=[{
        "action": "border.check", "purpose": purpose, "subject_type": "border_check",
        "subject_ids": [row.id] + [x.alert_id for x in d.hits],
        "query": {"bcp": a.bcp.code, "direction": request.direction, **q.as_dict(),
                  "fingerprints": len(a.prints)},
        "result_count": len(d.hits),
        "details": {"decision": d.decision, "complete": not d.missed,
                    "missed_sources": d.missed, "reasons": [r.code for r in d.reasons],
                    "kind": a.kind},
    }])
    return row


def check(session: Session, principal: Principal, request: CheckRequest, purpose: str,
          *, sources: Sequence[src.Source] | None = None) -> CheckResult:
    """Check one person at a crossing point and decide go / refer / hit (never a silent go)."""
    audit.require(session, principal, "border.check", action="border.check",
                  subject_type="border_check", purpose=purpose, what="check travellers")
    started = time.perf_counter()
    now = clock.now()
    assessment = assess(session, request, now.date())
    past = history(session, assessment, request, now.date())
    reasons = assessment.reasons + past.reasons
    outcomes = ask(session, principal, assessment, purpose, sources,
                   identity_unknown=any(r.code in _IDENTITY_UNKNOWN for r in reasons))
    check_id = new_id()
    reasons += screen(session, principal, assessment, request, purpose, check_id)
    decision = decide(reasons, outcomes)
    row = store(session, principal, request, assessment, past, decision, purpose, now,
                int((time.perf_counter() - started) * 1000), check_id)
    return _result(row, decision.reasons, decision.hits, decision.outcomes, past.stay,
                   assessment.doc)


def _fingerprint_step(engine: Any, principal: Principal, query: src.TravellerQuery, purpose: str,
                      prints: list[tuple[int, bytes]], outcomes: Sequence[src.SourceOutcome],
                      *, identity_unknown: bool,
                      handover: src.AuditHandover | None = None) -> list[src.SourceOutcome]:
    """After the alphanumeric sources: verify each person hit 1:1 against its alert's prints
    and, where the identity is not ascertained, search the prints 1:N. Its own time budget;
    a timeout or failure is a missed source like any other. Marks the person hits in place."""
    person_hits = [h for o in outcomes for h in o.hits if h.source in _PERSON_SOURCES]
    verify = list(dict.fromkeys(h.alert_id for h in person_hits))
    source = src.FingerprintSource(prints, verify, search=identity_unknown)
    if not source.applies(query):
        return []
    budget = get_settings().border_fingerprint_budget_ms / 1000
    (outcome,) = src.run_sources(engine, principal, query, purpose, budget, sources=[source],
                                 handover=handover)
    if outcome.status == "ok":
        for o in outcomes:
            for i, h in enumerate(o.hits):
                if h.alert_id in source.verifications and h.source in _PERSON_SOURCES:
                    decision, score = source.verifications[h.alert_id]
                    o.hits[i] = dataclasses.replace(
                        h, fingerprint=decision, fingerprint_score=round(score, 4),
                        summary=f"{h.summary}; {FINGERPRINT_MESSAGES[decision]}")
    return [outcome]


def order_hits(hits: list[src.Hit]) -> list[src.Hit]:
    """One hit per alert, those with warning markers (armed, violent, ...) first."""
    best: dict[str, src.Hit] = {}
    for h in hits:  # the national lists and the SIS search may both find an alert
        if h.alert_id not in best or (h.score or 0.0) > (best[h.alert_id].score or 0.0):
            best[h.alert_id] = h
    return sorted(best.values(), key=lambda h: (
        not any(w.startswith("warning marker") for w in h.warnings), not h.confirmed,
        not h.warnings, -(h.score or 0.0)))


def _result(row: BorderCheck, reasons: list[Reason], hits: Sequence[src.Hit],
            outcomes: Sequence[src.SourceOutcome], stay: StayView | None,
            doc: DocumentData | None) -> CheckResult:
    warnings: list[str] = []
    for h in hits:
        for w in h.warnings:
            if w not in warnings:
                warnings.append(w)
    return CheckResult(
        check_id=row.id, decision=row.decision,  # type: ignore[arg-type]
        complete=row.complete, missed_sources=list(row.missed_sources), warnings=warnings,
        reasons=reasons, hits=[HitView(**h.as_dict()) for h in hits],
        kind=row.kind, direction=row.direction,  # type: ignore[arg-type]
        bcp=row.bcp_code, lane=row.lane_code, checked_at=row.checked_at,
        document=doc.view() if doc else {}, stay=stay,
        sources=[SourceView(**o.as_dict()) for o in outcomes],
        duration_ms=row.duration_ms,
        recheck_queued=any(m != "fingerprints" for m in row.missed_sources),
    )


def report_hits(session: Session, principal: Principal, row: BorderCheck,
                 hits: Sequence[src.Hit], purpose: str) -> list[src.Hit]:
    """A hit on an alert opens a hit report for the SIRENE Bureau (sis keeps the reports);
    an SLTD hit is confirmed with the Interpol NCB instead, and a possible match (a namesake)
    is reported only once second line has verified that it is the person."""
    from granica.sis.service import report_hit

    out = []
    for h in hits:
        if h.source == "sltd" or not h.confirmed:
            out.append(h)
            continue
        context = {"border_check": row.id, "bcp": row.bcp_code, "lane": row.lane_code,
                   "direction": row.direction, "source": h.source,
                   "document_number": row.document_number, "issuing_state": row.issuing_state,
                   "checked_at": row.checked_at.isoformat()}
        try:
            report_id = report_hit(session, principal, h.alert_id, context=context,
                                   purpose=purpose)
        except GranicaError:  # the alert went between search and report: the hit still stands
            report_id = ""
        out.append(dataclasses.replace(h, hit_report_id=report_id))
    return out



# --- reading stored checks ---------------------------------------------------------------

def get_check(session: Session, principal: Principal, check_id: str, purpose: str) -> BorderCheck:
    audit.require(session, principal, "border.check", action="border.check.read",
                  subject_type="border_check", subject_ids=[check_id], purpose=purpose,
                  what="read a border check")
    row = session.get(BorderCheck, check_id)
    if row is None:
        raise NotFoundError(f"border check {check_id} not found", field="check_id")
    if row.user_id != principal.user_id and not principal.can("border.supervise"):
        audit.deny(session, principal, "border.supervise", action="border.check.read",
                   subject_type="border_check", subject_ids=[check_id], purpose=purpose,
                   what="read another guard's check")
    audit.record(session, principal, "border.check.read", purpose=purpose,
                 subject_type="border_check", subject_ids=[check_id], result_count=1)
    return row


def check_result_of(row: BorderCheck) -> CheckResult:
    """The stored check rendered again as its result (for pages and the API)."""
    hits = [src.Hit(**{**h, "warnings": tuple(h.get("warnings") or ())}) for h in row.hits]
    outcomes = [src.SourceOutcome(s["name"], s["label"], s["status"], [], s["ms"],
                                  s.get("error", "")) for s in row.sources]
    doc = DocumentData.of(row) if row.input_source != "none" else None
    reasons = [Reason(**r) for r in row.reasons]
    return _result(row, reasons, hits, outcomes, None, doc)


