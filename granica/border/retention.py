"""Retention of border data (EES Art 34): erasing checks, entries/exits, traveller files and
refusals past their date. A room of `border.service`; callers go through that module."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from granica import clock
from granica.audit import service as audit
from granica.auth.principal import Principal
from granica.border.models import BorderCheck, EntryExitRecord, Refusal, TravellerFile


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

