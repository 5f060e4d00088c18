"""Reference data of the border service: crossing points, lanes, shifts, the SLTD stand-in, and
the retention periods' arithmetic. A room of `border.service`; callers go through that module."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from granica import clock
from granica.audit import service as audit
from granica.auth.principal import Principal
from granica.border.models import BorderCrossingPoint, BorderLane, BorderShift, SltdDocument
from granica.errors import ConflictError, ValidationError


def years(n: int) -> dt.timedelta:
    """n calendar years as days, leap days included (retention periods)."""
    return dt.timedelta(days=365 * n + n // 4)


def crossing_point(session: Session, code: str) -> BorderCrossingPoint:
    bcp = session.scalar(sa.select(BorderCrossingPoint).where(BorderCrossingPoint.code == code))
    if bcp is None or not bcp.active:
        raise ValidationError(
            f"border crossing point '{code}' is not known or not active; "
            "use the code of a crossing point from the reference data", field="bcp")
    return bcp


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

