"""Entries and exits of third-country nationals (EES): the traveller's file, the 90/180-day rule
on their history, and recording a crossing. A room of `border.service`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from granica import clock
from granica.audit import service as audit
from granica.auth.principal import Principal
from granica.border.models import BorderCheck, BorderCrossingPoint, EntryExitRecord, TravellerFile
from granica.border.reading import DocumentData, reason
from granica.border.reference import crossing_point, years
from granica.border.schemas import CheckRequest, Reason, StayView
from granica.border.stay import assess_stay
from granica.errors import ConflictError, NotFoundError
from granica.settings import get_settings
from granica.storage import new_id


def stay_figures(stays: list[tuple[dt.date, dt.date]], control: dt.date,
                 intended: tuple[dt.date, dt.date] | None) -> StayView:
    a = assess_stay([list(p) for p in stays], control, list(intended) if intended else None)
    text = a.explanation().get("text", [])
    return StayView(
        days_used=a.days_used, days_remaining=a.days_remaining, allowed=a.allowed,
        last_allowed_day=a.last_allowed_day, overstay_days=a.overstay_days,
        explanation=" ".join(str(t) for t in text) if isinstance(text, list) else str(text),
    )


def stays_of(records: Sequence[EntryExitRecord], until: dt.date) -> list[tuple[dt.date, dt.date]]:
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


@dataclass
class History:
    """What the traveller's file says about this crossing (the check's `history` step)."""

    traveller: TravellerFile | None = None
    stay: StayView | None = None
    reasons: list[Reason] = field(default_factory=list)


def traveller_history(session: Session, doc: DocumentData, request: CheckRequest,
                      today: dt.date) -> History:
    """The EES file of a third-country national: a second crossing in the same direction, and
    the 90/180-day rule for the intended stay (entry) or the stay just ended (exit)."""
    out = History()
    movements: list[EntryExitRecord] = []
    if doc.document_number:
        out.traveller = session.scalar(sa.select(TravellerFile).where(
            TravellerFile.document_number == doc.document_number,
            TravellerFile.issuing_state == doc.issuing_state))
        if out.traveller is not None:
            movements = list(session.scalars(sa.select(EntryExitRecord).where(
                EntryExitRecord.traveller_id == out.traveller.id)).all())
    last = max(movements, key=lambda m: m.at) if movements else None
    if last is not None and last.kind == request.direction:
        out.reasons.append(reason(
            "already_entered" if request.direction == "entry" else "already_exited",
            f"{last.kind} at {last.bcp_code} on {last.at:%Y-%m-%d %H:%M} UTC"))
    past = stays_of(movements, today)
    if request.direction == "entry":
        end = request.intended_exit or today
        out.stay = stay_figures(past, today, (today, max(end, today)))
        if out.stay.allowed is False:
            out.reasons.append(reason("stay_exhausted", f"{out.stay.days_used} days used, last "
                                      f"allowed day {out.stay.last_allowed_day}"))
        if doc.expiry_date and request.intended_exit and \
                doc.expiry_date < request.intended_exit + dt.timedelta(days=90):
            out.reasons.append(reason("validity_short", f"expires {doc.expiry_date}"))
    else:
        out.stay = stay_figures(past, today, None)
        if out.stay.overstay_days > 0:
            out.reasons.append(reason("overstay", f"{out.stay.overstay_days} days over the limit"))
    return out


def record_movement(session: Session, principal: Principal, row: BorderCheck,
                     doc: DocumentData, traveller: TravellerFile | None, stay: StayView | None,
                     request: CheckRequest, bcp: BorderCrossingPoint,
                     now: dt.datetime) -> TravellerFile:
    settings = get_settings()
    kept = settings.border_overstayer_retention_years if traveller and traveller.overstayer \
        else settings.border_retention_years
    # EES Art 34: the file lives 3 years and a day after the last exit (5 for overstayers)
    keep_file = now + years(kept) + dt.timedelta(days=1)
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
        recorded_by=principal.username, retain_until=now + years(kept)))
    return traveller


def mark_overstayer(session: Session, traveller: TravellerFile, now: dt.datetime) -> None:
    until = now + years(get_settings().border_overstayer_retention_years)
    traveller.overstayer = True
    traveller.retain_until = max(traveller.retain_until, until)
    session.execute(sa.update(EntryExitRecord).where(
        EntryExitRecord.traveller_id == traveller.id).values(retain_until=until))


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
    doc = DocumentData.of(row)
    traveller = session.get(TravellerFile, row.traveller_id) if row.traveller_id else None
    req = CheckRequest(bcp=row.bcp_code, direction=row.direction)  # type: ignore[arg-type]
    traveller = record_movement(session, principal, row, doc, traveller, None, req, bcp,
                                 clock.now())
    row.traveller_id = traveller.id
    audit.record(session, principal, "border.movement.record", purpose=purpose,
                 subject_type="traveller", subject_ids=[traveller.id, row.id])
    return traveller.id

