"""Border checks: reading the document, asking the sources in parallel, deciding go / refer / hit,
entries and exits of third-country nationals, refusals, the re-check queue and retention.

Every change of border data happens here, with its permission check and audit record."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from granica import clock
from granica.audit import service as audit
from granica.auth.principal import Principal
from granica.border import sources as src
from granica.border.models import (
    BorderCheck,
    BorderCrossingPoint,
    BorderLane,
    BorderRecheck,
    BorderShift,
    EntryExitRecord,
    Refusal,
    SltdDocument,
    TravellerFile,
)
from granica.border.refusal import (
    RefusalDecision,
    render_refusal_pdf,
    validate_decision,
)
from granica.border.refusal import load_config as load_refusal_config
from granica.border.schemas import (
    CheckRequest,
    CheckResult,
    HitView,
    Reason,
    RefusalRequest,
    SourceView,
    StayView,
    TypedDocument,
)
from granica.border.stay import assess_stay
from granica.documents import parse_mrz
from granica.documents.mrz import country_codes
from granica.errors import ConflictError, GranicaError, NotFoundError, ValidationError
from granica.settings import get_settings
from granica.storage import new_id

# Nationals of the EU, EEA and Switzerland enjoy free movement (minimum check, SBC Art 8(2));
# Serbian nationals are checked as a member state's own nationals. ICAO codes (D = Germany).
FREE_MOVEMENT = frozenset({
    "AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA", "D", "GRC", "HUN",
    "IRL", "ITA", "LVA", "LTU", "LUX", "MLT", "NLD", "POL", "PRT", "ROU", "SVK", "SVN", "ESP",
    "SWE", "ISL", "LIE", "NOR", "CHE", "SRB",
})

MESSAGES = {
    "no_document": "No travel document was presented or read: refer to second line.",
    "mrz_unreadable": "The MRZ could not be read",
    "mrz_check_digit": "A check digit of the MRZ is wrong",
    "impossible_date": "A date on the document is impossible",
    "unknown_country": "Unknown country code",
    "document_expired": "The travel document has expired",
    "validity_short": "The document is not valid for 3 months after the intended departure "
                      "(SBC Art 6(1)(a))",
    "incomplete_document": "Document data is incomplete",
    "duplicate_crossing": "This crossing was already checked",
    "already_entered": "An entry is recorded with no exit since",
    "already_exited": "An exit is recorded with no entry since",
    "incomplete": "Not every source answered: the check is incomplete",
    "stay_exhausted": "The intended stay exceeds 90 days in any 180 (refusal reason F)",
    "overstay": "The traveller has overstayed",
    "stay_unavailable": "The 90/180-day calculation is not available",
}


@dataclass(frozen=True)
class DocumentData:
    """The document as the check uses it, from the MRZ or typed."""

    document_type: str = ""
    document_number: str = ""
    issuing_state: str = ""
    nationality: str = ""
    surname: str = ""
    given_names: str = ""
    birth_date: dt.date | None = None
    sex: str = ""
    expiry_date: dt.date | None = None

    def view(self) -> dict[str, Any]:
        return {
            "document_type": self.document_type, "document_number": self.document_number,
            "issuing_state": self.issuing_state, "nationality": self.nationality,
            "surname": self.surname, "given_names": self.given_names,
            "birth_date": self.birth_date.isoformat() if self.birth_date else None,
            "sex": self.sex,
            "expiry_date": self.expiry_date.isoformat() if self.expiry_date else None,
        }


def _reason(code: str, detail: str = "") -> Reason:
    base = MESSAGES[code]
    return Reason(code=code, message=f"{base}: {detail}" if detail else base)


# --- reading the document ---------------------------------------------------------------

def known_country_codes() -> frozenset[str]:
    """Codes valid in an MRZ (the documents library's table)."""
    return frozenset(country_codes())


# MrzResult warning codes that make a check fail closed (others are shown, e.g. expires_soon)
_MRZ_WARNING_REASONS = {
    "unknown_country_code": "unknown_country",
    "impossible_date": "impossible_date",
    "expired": "document_expired",
    "no_expiry_date": "incomplete_document",
    "unknown_document_code": "mrz_unreadable",
}


def read_mrz(text: str) -> tuple[DocumentData | None, list[Reason]]:
    """Parse and validate the MRZ; every problem becomes a reason (the check fails closed)."""
    result = parse_mrz(text)
    if result.errors or not result.fields:
        detail = "; ".join(e.get("message", str(e)) for e in result.errors)
        return None, [_reason("mrz_unreadable", detail[:300] or "no fields recognised")]
    reasons: list[Reason] = []
    bad = [k for k, ok in result.checks.items() if not ok]
    if bad:
        fixed = ", ".join(f"{c.get('field', '?')} read {c.get('read', '?')!r} as "
                          f"{c.get('corrected', '?')!r}" for c in result.corrections)
        reasons.append(_reason("mrz_check_digit", ", ".join(bad) + (
            f" (OCR correction proposed: {fixed}; rescan or compare with the data page)"
            if fixed else "; rescan the document or type the data page")))
    for w in result.warnings:
        code = _MRZ_WARNING_REASONS.get(w.get("code", ""))
        if code:
            reasons.append(_reason(code, w.get("message", "")))
    f = result.fields
    doc = DocumentData(
        document_type=f.get("document_code", "").replace("<", ""),
        document_number=f.get("document_number", "").replace("<", ""),
        issuing_state=f.get("issuing_state", "").replace("<", ""),
        nationality=f.get("nationality", "").replace("<", ""),
        surname=f.get("surname", "").replace("<", " ").strip(),
        given_names=f.get("given_names", "").replace("<", " ").strip(),
        birth_date=result.birth_date, sex=f.get("sex", "").replace("<", ""),
        expiry_date=result.expiry_date,
    )
    return doc, reasons


def typed_document(d: TypedDocument) -> DocumentData:
    return DocumentData(
        document_type=d.document_type.strip().upper(),
        document_number=d.document_number.strip().upper().replace(" ", ""),
        issuing_state=d.issuing_state.strip().upper(),
        nationality=d.nationality.strip().upper(),
        surname=" ".join(d.surname.split()), given_names=" ".join(d.given_names.split()),
        birth_date=d.birth_date, sex=d.sex.strip().upper(), expiry_date=d.expiry_date,
    )


def document_problems(doc: DocumentData, today: dt.date) -> list[Reason]:
    """Rules on the document whatever its source: dates, countries, expiry, completeness."""
    out: list[Reason] = []
    missing = [n for n in ("document_number", "surname") if not getattr(doc, n)]
    if missing:
        out.append(_reason("incomplete_document", ", ".join(missing) + " missing"))
    if doc.birth_date is None:
        out.append(_reason("incomplete_document", "birth_date missing"))
    elif doc.birth_date > today:
        out.append(_reason("impossible_date", f"birth date {doc.birth_date} is in the future"))
    if doc.expiry_date is None:
        out.append(_reason("incomplete_document", "expiry_date missing"))
    else:
        if doc.birth_date and doc.expiry_date <= doc.birth_date:
            out.append(_reason("impossible_date", f"expiry {doc.expiry_date} before birth"))
        elif doc.expiry_date < today:
            out.append(_reason("document_expired", f"expired on {doc.expiry_date}"))
    known = known_country_codes()
    if known:
        for name in ("issuing_state", "nationality"):
            code = getattr(doc, name)
            if not code or code not in known:
                out.append(_reason("unknown_country", f"{name} {code!r}"))
    return out


def _dedupe(reasons: Iterable[Reason]) -> list[Reason]:
    seen: set[str] = set()
    out = []
    for r in reasons:
        if r.code not in seen:  # the MRZ and the rules may both find the same fault
            seen.add(r.code)
            out.append(r)
    return out


# --- the 90/180-day rule ------------------------------------------------------------------

def _stay_figures(stays: list[tuple[dt.date, dt.date]], control: dt.date,
                  intended: tuple[dt.date, dt.date] | None) -> StayView:
    a = assess_stay([list(p) for p in stays], control, list(intended) if intended else None)
    text = a.explanation().get("text", [])
    return StayView(
        days_used=a.days_used, days_remaining=a.days_remaining, allowed=a.allowed,
        last_allowed_day=a.last_allowed_day, overstay_days=a.overstay_days,
        explanation=" ".join(str(t) for t in text) if isinstance(text, list) else str(text),
    )


def _stays_of(records: Sequence[EntryExitRecord], until: dt.date) -> list[tuple[dt.date, dt.date]]:
    """Pair entries with the following exits; an open entry lasts until `until`."""
    stays: list[tuple[dt.date, dt.date]] = []
    opened: dt.date | None = None
    for r in sorted(records, key=lambda r: r.at):
        if r.kind == "entry":
            if opened is not None:  # two entries in a row: count the first stay up to the second
                stays.append((opened, r.at.date()))
            opened = r.at.date()
        elif opened is not None:
            stays.append((opened, r.at.date()))
            opened = None
    if opened is not None:
        stays.append((opened, until))
    return stays


# --- the check ------------------------------------------------------------------------------

def _years(n: int) -> dt.timedelta:
    return dt.timedelta(days=365 * n + n // 4)


def crossing_point(session: Session, code: str) -> BorderCrossingPoint:
    bcp = session.scalar(sa.select(BorderCrossingPoint).where(BorderCrossingPoint.code == code))
    if bcp is None or not bcp.active:
        raise ValidationError(
            f"border crossing point '{code}' is not known or not active; "
            "use the code of a crossing point from the reference data", field="bcp")
    return bcp


def _release_sqlite_lock(session: Session) -> None:
    # SQLite sessions take the write lock at BEGIN; the sources' own sessions would wait
    # for it until they time out, so end this unit's reads before the sources start.
    if session.get_bind().dialect.name == "sqlite" and session.in_transaction():
        session.commit()


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


def check(session: Session, principal: Principal, request: CheckRequest, purpose: str,
          *, sources: Sequence[src.Source] | None = None) -> CheckResult:
    """Check one person at a crossing point and decide go / refer / hit (never a silent go)."""
    audit.require(session, principal, "border.check", action="border.check",
                  subject_type="border_check", purpose=purpose, what="check travellers")
    started = time.perf_counter()
    now = clock.now()
    today = now.date()
    settings = get_settings()
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
        reasons.append(_reason("no_document"))
    if doc is not None:
        reasons += document_problems(doc, today)
    reasons = _dedupe(reasons)

    nationality = doc.nationality if doc else ""
    thorough = not (nationality in FREE_MOVEMENT or request.free_movement_family_member)
    kind = "thorough" if thorough else "minimum"

    if request.crossing_ref and session.scalar(
            sa.select(BorderCheck.id).where(BorderCheck.crossing_ref == request.crossing_ref)):
        reasons.append(_reason("duplicate_crossing", f"crossing_ref {request.crossing_ref!r}"))
        crossing_ref: str | None = None  # keep the first check's claim on the reference
    else:
        crossing_ref = request.crossing_ref

    # EES history of a third-country national: second crossing in the same direction, 90/180
    traveller: TravellerFile | None = None
    movements: list[EntryExitRecord] = []
    if doc is not None and thorough and doc.document_number:
        traveller = session.scalar(sa.select(TravellerFile).where(
            TravellerFile.document_number == doc.document_number,
            TravellerFile.issuing_state == doc.issuing_state))
        if traveller is not None:
            movements = list(session.scalars(sa.select(EntryExitRecord).where(
                EntryExitRecord.traveller_id == traveller.id)).all())
    last = max(movements, key=lambda m: m.at) if movements else None
    if last is not None and last.kind == request.direction:
        reasons.append(_reason(
            "already_entered" if request.direction == "entry" else "already_exited",
            f"{last.kind} at {last.bcp_code} on {last.at:%Y-%m-%d %H:%M} UTC"))
    stay: StayView | None = None
    if doc is not None and thorough:
        past = _stays_of(movements, today)
        if request.direction == "entry":
            end = request.intended_exit or today
            stay = _stay_figures(past, today, (today, max(end, today)))
            if stay.allowed is False:
                reasons.append(_reason("stay_exhausted", f"{stay.days_used} days used, last "
                                       f"allowed day {stay.last_allowed_day}"))
            if doc.expiry_date and request.intended_exit and \
                    doc.expiry_date < request.intended_exit + dt.timedelta(days=90):
                reasons.append(_reason("validity_short", f"expires {doc.expiry_date}"))
        else:
            stay = _stay_figures(past, today, None)
            if stay.overstay_days > 0:
                reasons.append(_reason("overstay", f"{stay.overstay_days} days over the limit"))

    query = src.TravellerQuery(
        surname=doc.surname if doc else "", given_names=doc.given_names if doc else "",
        birth_date=doc.birth_date if doc else None, nationality=nationality,
        sex=doc.sex if doc else "", document_type=doc.document_type if doc else "",
        document_number=doc.document_number if doc else "",
        issuing_state=doc.issuing_state if doc else "",
        vehicle_plate=request.vehicle_plate.strip().upper().replace(" ", ""),
        vehicle_country=request.vehicle_country.strip().upper(),
    )
    engine = session.get_bind()
    _release_sqlite_lock(session)
    outcomes = src.run_sources(engine, principal, query, purpose,  # type: ignore[arg-type]
                               settings.border_source_budget_ms / 1000, sources=sources)
    if prints:
        outcomes += _fingerprint_step(engine, principal, query, purpose, prints, outcomes,
                                      identity_unknown=any(r.code in _IDENTITY_UNKNOWN
                                                           for r in reasons))
    missed = [o.name for o in outcomes if o.status in ("timeout", "error")]
    hits = _order_hits([h for o in outcomes for h in o.hits])
    if missed:
        reasons.append(_reason("incomplete", ", ".join(
            f"{o.label} ({o.status})" for o in outcomes if o.name in missed)))

    decision = "hit" if hits else ("refer" if reasons else "go")
    check_row = BorderCheck(
        id=new_id(), checked_at=now, bcp_code=bcp.code, lane_code=request.lane,
        direction=request.direction,
        user_id=principal.user_id, username=principal.username, via=principal.via,
        crossing_ref=crossing_ref, kind=kind, input_source=input_source,
        document_type=doc.document_type if doc else "",
        document_number=query.document_number, issuing_state=query.issuing_state,
        nationality=nationality, surname=query.surname, given_names=query.given_names,
        birth_date=query.birth_date, sex=query.sex,
        expiry_date=doc.expiry_date if doc else None, vehicle_plate=query.vehicle_plate,
        decision=decision, complete=not missed, missed_sources=missed,
        reasons=[r.model_dump() for r in reasons],
        sources=[o.as_dict() for o in outcomes], hits=[h.as_dict() for h in hits],
        traveller_id=traveller.id if traveller else None,
        retain_until=now + _years(settings.border_retention_years),
    )
    check_row.duration_ms = int((time.perf_counter() - started) * 1000)
    session.add(check_row)
    if hits:
        hits = _report_hits(session, principal, check_row, hits, purpose)
        check_row.hits = [h.as_dict() for h in hits]
    recheckable = [m for m in missed if m != "fingerprints"]
    if recheckable:
        # the traveller's prints are not kept, so a missed fingerprint step is not re-run:
        # the referral to second line stands for it
        session.add(BorderRecheck(check_id=check_row.id, bcp_code=bcp.code,
                                  missed_sources=recheckable, queued_at=now))
    if decision == "go" and thorough and doc is not None:
        traveller = _record_movement(session, principal, check_row, doc, traveller, stay,
                                     request, bcp, now)
        check_row.traveller_id = traveller.id
    elif doc is not None and thorough and stay is not None and stay.overstay_days > 0 \
            and traveller is not None:
        _mark_overstayer(session, traveller, now)
    audit.record(
        session, principal, "border.check", purpose=purpose, subject_type="border_check",
        subject_ids=[check_row.id] + [h.alert_id for h in hits],
        query={"bcp": bcp.code, "direction": request.direction, **query.as_dict(),
               "fingerprints": len(prints)},
        result_count=len(hits),
        details={"decision": decision, "complete": not missed, "missed_sources": missed,
                 "reasons": [r.code for r in reasons], "kind": kind},
    )
    return _result(check_row, reasons, hits, outcomes, stay, doc)


def _fingerprint_step(engine: Any, principal: Principal, query: src.TravellerQuery, purpose: str,
                      prints: list[tuple[int, bytes]], outcomes: Sequence[src.SourceOutcome],
                      *, identity_unknown: bool) -> list[src.SourceOutcome]:
    """After the alphanumeric sources: verify each person hit 1:1 against its alert's prints
    and, where the identity is not ascertained, search the prints 1:N. Its own time budget;
    a timeout or failure is a missed source like any other. Marks the person hits in place."""
    person_hits = [h for o in outcomes for h in o.hits if h.source in _PERSON_SOURCES]
    verify = list(dict.fromkeys(h.alert_id for h in person_hits))
    source = src.FingerprintSource(prints, verify, search=identity_unknown)
    if not source.applies(query):
        return []
    budget = get_settings().border_fingerprint_budget_ms / 1000
    (outcome,) = src.run_sources(engine, principal, query, purpose, budget, sources=[source])
    if outcome.status == "ok":
        for o in outcomes:
            for i, h in enumerate(o.hits):
                if h.alert_id in source.verifications and h.source in _PERSON_SOURCES:
                    decision, score = source.verifications[h.alert_id]
                    o.hits[i] = dataclasses.replace(
                        h, fingerprint=decision, fingerprint_score=round(score, 4),
                        summary=f"{h.summary}; {FINGERPRINT_MESSAGES[decision]}")
    return [outcome]


def _order_hits(hits: list[src.Hit]) -> list[src.Hit]:
    """One hit per alert, those with warning markers (armed, violent, ...) first."""
    best: dict[str, src.Hit] = {}
    for h in hits:  # the national lists and the SIS search may both find an alert
        if h.alert_id not in best or (h.score or 0.0) > (best[h.alert_id].score or 0.0):
            best[h.alert_id] = h
    return sorted(best.values(), key=lambda h: (
        not any(w.startswith("warning marker") for w in h.warnings), not h.warnings,
        -(h.score or 0.0)))


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


def _report_hits(session: Session, principal: Principal, row: BorderCheck,
                 hits: Sequence[src.Hit], purpose: str) -> list[src.Hit]:
    """A hit on an alert opens a hit report for the SIRENE Bureau (sis keeps the reports);
    an SLTD hit is confirmed with the Interpol NCB instead."""
    from granica.sis.service import report_hit

    out = []
    for h in hits:
        if h.source == "sltd":
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


def _record_movement(session: Session, principal: Principal, row: BorderCheck,
                     doc: DocumentData, traveller: TravellerFile | None, stay: StayView | None,
                     request: CheckRequest, bcp: BorderCrossingPoint,
                     now: dt.datetime) -> TravellerFile:
    settings = get_settings()
    years = settings.border_overstayer_retention_years if traveller and traveller.overstayer \
        else settings.border_retention_years
    # EES Art 34: the file lives 3 years and a day after the last exit (5 for overstayers)
    keep_file = now + _years(years) + dt.timedelta(days=1)
    if traveller is None:
        traveller = TravellerFile(
            id=new_id(), surname=doc.surname, given_names=doc.given_names,
            birth_date=doc.birth_date, nationality=doc.nationality, sex=doc.sex,
            document_type=doc.document_type, document_number=doc.document_number,
            issuing_state=doc.issuing_state, document_expiry=doc.expiry_date, created_at=now,
            retain_until=keep_file)
        session.add(traveller)
        session.flush()  # the entry below refers to it; no relationship orders the inserts
    else:
        traveller.retain_until = keep_file
    authorised_until = None
    if stay is not None and request.direction == "entry":
        authorised_until = stay.last_allowed_day
    session.add(EntryExitRecord(
        traveller_id=traveller.id, kind=request.direction, at=now, bcp_code=bcp.code,
        authority=bcp.authority, check_id=row.id, visa_number=request.visa_number,
        family_member=request.free_movement_family_member, authorised_until=authorised_until,
        days_used=stay.days_used if stay else 0,
        overstay_days=stay.overstay_days if stay else 0,
        recorded_by=principal.username, retain_until=now + _years(years)))
    return traveller


def _mark_overstayer(session: Session, traveller: TravellerFile, now: dt.datetime) -> None:
    years = get_settings().border_overstayer_retention_years
    traveller.overstayer = True
    traveller.retain_until = max(traveller.retain_until, now + _years(years))
    session.execute(sa.update(EntryExitRecord).where(
        EntryExitRecord.traveller_id == traveller.id).values(retain_until=now + _years(years)))


def record_crossing_after_referral(session: Session, principal: Principal, check_id: str,
                               purpose: str) -> str:
    """After second line cleared a referred third-country national, record the crossing."""
    audit.require(session, principal, "border.supervise", action="border.movement.record",
                  subject_type="border_check", subject_ids=[check_id], purpose=purpose,
                  what="record a crossing after referral")
    row = session.get(BorderCheck, check_id)
    if row is None:
        raise NotFoundError(f"border check {check_id} not found", field="check_id")
    if row.decision == "go":
        raise ConflictError(f"check {check_id} was a go; its crossing is already recorded")
    bcp = crossing_point(session, row.bcp_code)
    doc = DocumentData(row.document_type, row.document_number, row.issuing_state,
                       row.nationality, row.surname, row.given_names, row.birth_date, row.sex,
                       row.expiry_date)
    traveller = session.get(TravellerFile, row.traveller_id) if row.traveller_id else None
    req = CheckRequest(bcp=row.bcp_code, direction=row.direction)  # type: ignore[arg-type]
    traveller = _record_movement(session, principal, row, doc, traveller, None, req, bcp,
                                 clock.now())
    row.traveller_id = traveller.id
    audit.record(session, principal, "border.movement.record", purpose=purpose,
                 subject_type="traveller", subject_ids=[traveller.id, row.id])
    return traveller.id


# --- reading checks, the supervisor's queue ----------------------------------------------

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
    doc = DocumentData(row.document_type, row.document_number, row.issuing_state,
                       row.nationality, row.surname, row.given_names, row.birth_date, row.sex,
                       row.expiry_date) if row.input_source != "none" else None
    reasons = [Reason(**r) for r in row.reasons]
    return _result(row, reasons, hits, outcomes, None, doc)


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
    _release_sqlite_lock(session)
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
        new_hits = _order_hits([h for o in outcomes for h in o.hits])
        item.status = "done"
        item.outcome = "hit" if new_hits else "go"
        new_hits = _report_hits(session, principal, row, new_hits, purpose)
        item.hits = [h.as_dict() for h in new_hits]
        done += 1
        hit += 1 if new_hits else 0
        audit.record(session, principal, "border.recheck", purpose=purpose,
                     subject_type="border_check",
                     subject_ids=[row.id] + [h.alert_id for h in new_hits],
                     result_count=len(new_hits),
                     details={"sources": [o.name for o in outcomes], "outcome": item.outcome})
    return {"done": done, "pending": still, "hits": hit}


# --- refusals -------------------------------------------------------------------------------

def refusal_letters(language: str = "en") -> dict[str, str]:
    """The lettered reasons of the standard form, from the refusal configuration."""
    config = load_refusal_config()
    return {letter: r.texts.get(language) or next(iter(r.texts.values()), "")
            for letter, r in config.reasons.items()}


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
        doc = DocumentData(row.document_type, row.document_number, row.issuing_state,
                           row.nationality, row.surname, row.given_names, row.birth_date,
                           row.sex, row.expiry_date)
    now = clock.now()
    refusal = Refusal(
        check_id=row.id if row else None, traveller_id=row.traveller_id if row else None,
        decided_at=now, decided_by=principal.display_name or principal.username,
        bcp_code=bcp.code, reasons=list(request.reasons), remarks=request.remarks,
        details=dict(request.details), language=request.language, surname=doc.surname,
        given_names=doc.given_names, birth_date=doc.birth_date, nationality=doc.nationality,
        document_number=doc.document_number, issuing_state=doc.issuing_state,
        retain_until=now + _years(get_settings().border_retention_years))
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


# --- retention ------------------------------------------------------------------------------

def purge_expired(session: Session, principal: Principal,
                  purpose: str = "retention (EES Art 34)") -> dict[str, int]:
    """Erase checks, entries/exits, traveller files and refusals past their retention date."""
    audit.require(session, principal, "border.admin", action="border.retention",
                  subject_type="border_check", purpose=purpose, what="erase expired records")
    now = clock.now()
    counts: dict[str, int] = {}
    # a file is kept while any of its entries/exits is kept
    live = sa.select(EntryExitRecord.traveller_id).where(EntryExitRecord.retain_until >= now)
    for name, model, extra in (
        ("entries_exits", EntryExitRecord, None),
        ("refusals", Refusal, None),
        ("checks", BorderCheck, None),
        ("travellers", TravellerFile, TravellerFile.id.not_in(live)),
    ):
        cond = model.retain_until < now
        if extra is not None:
            cond = sa.and_(cond, extra)
        ids = list(session.scalars(sa.select(model.id).where(cond)))
        for i in range(0, len(ids), 500):
            session.execute(sa.delete(model).where(model.id.in_(ids[i:i + 500])))
        counts[name] = len(ids)
    audit.record(session, principal, "border.retention", purpose=purpose,
                 subject_type="border_check", result_count=sum(counts.values()), details=counts)
    return counts


# --- reference data and the SLTD stand-in ----------------------------------------------

def add_crossing_point(session: Session, principal: Principal, *, code: str, name: str,
                       kind: str = "road", neighbour: str | None = None,
                       lanes: Sequence[tuple[str, str, str]] = (), purpose: str) -> BorderCrossingPoint:
    """Create a border crossing point with lanes given as (code, direction, kind)."""
    audit.require(session, principal, "border.supervise", action="border.reference.change",
                  subject_type="crossing_point", purpose=purpose, what="edit reference data")
    if session.scalar(sa.select(BorderCrossingPoint.id).where(BorderCrossingPoint.code == code)):
        raise ConflictError(f"border crossing point '{code}' already exists", field="code")
    bcp = BorderCrossingPoint(code=code, name=name, kind=kind, neighbour=neighbour)
    session.add(bcp)
    session.flush()
    for lane_code, direction, lane_kind in lanes:
        session.add(BorderLane(bcp_id=bcp.id, code=lane_code, direction=direction, kind=lane_kind))
    audit.record(session, principal, "border.reference.change", purpose=purpose,
                 subject_type="crossing_point", subject_ids=[bcp.id], details={"code": code})
    return bcp


def add_shift(session: Session, principal: Principal, *, bcp_code: str, starts_at: dt.datetime,
              ends_at: dt.datetime, supervisor: str, purpose: str) -> BorderShift:
    audit.require(session, principal, "border.supervise", action="border.reference.change",
                  subject_type="shift", purpose=purpose, what="plan shifts")
    if ends_at <= starts_at:
        raise ValidationError("a shift must end after it starts", field="ends_at")
    bcp = crossing_point(session, bcp_code)
    shift = BorderShift(bcp_id=bcp.id, starts_at=starts_at, ends_at=ends_at, supervisor=supervisor)
    session.add(shift)
    session.flush()
    audit.record(session, principal, "border.reference.change", purpose=purpose,
                 subject_type="shift", subject_ids=[shift.id])
    return shift


def list_crossing_points(session: Session) -> list[tuple[BorderCrossingPoint, list[BorderLane]]]:
    """Reference data (no personal data): every active crossing point with its lanes."""
    bcps = session.scalars(sa.select(BorderCrossingPoint).where(
        BorderCrossingPoint.active.is_(True)).order_by(BorderCrossingPoint.code)).all()
    lanes = session.scalars(sa.select(BorderLane).order_by(BorderLane.code)).all()
    return [(b, [ln for ln in lanes if ln.bcp_id == b.id]) for b in bcps]


def seed_sltd(session: Session, principal: Principal,
              records: Iterable[tuple[str, str, str]], purpose: str) -> int:
    """Load (document_number, issuing_state, status) rows into the local SLTD stand-in."""
    audit.require(session, principal, "border.admin", action="border.sltd.seed",
                  subject_type="document", purpose=purpose, what="seed the SLTD stand-in")
    n = 0
    today = clock.today()
    for number, state, status in records:
        if status not in ("stolen", "lost", "revoked", "blank"):
            raise ValidationError(f"SLTD status {status!r} for {number}: use stolen, lost, "
                                  "revoked or blank", field="status")
        session.add(SltdDocument(document_number=number.upper(), issuing_state=state.upper(),
                                 status=status, reported_on=today))
        n += 1
    session.flush()
    audit.record(session, principal, "border.sltd.seed", purpose=purpose,
                 subject_type="document", result_count=n)
    return n


__all__ = [
    "FREE_MOVEMENT", "DocumentData", "QueueView", "add_crossing_point", "add_shift", "check",
    "check_result_of", "decide_refusal", "get_check", "list_crossing_points",
    "purge_expired", "read_mrz", "recheck_pending",
    "record_crossing_after_referral", "refusal_pdf", "refusal_statistics", "seed_sltd",
    "shift_queue",
]
