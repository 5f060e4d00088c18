"""Tables of the border-checks domain: crossing points, lanes and shifts (reference data),
checks with their sources and hits (the hit reports live in sis), EES-style traveller files
with entries and exits, refusals of entry, the re-check queue and the local SLTD stand-in."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from granica.storage import Base, new_id


class BorderCrossingPoint(Base):
    """A border crossing point (reference data); `code` is what lanes, checks and users name."""

    __tablename__ = "border_crossing_point"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(10), default="road")  # road|rail|air|sea|river
    neighbour: Mapped[str | None] = mapped_column(sa.String(3), nullable=True)  # ICAO code
    authority: Mapped[str] = mapped_column(sa.String(100), default="Border Police")
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)


class BorderLane(Base):
    """A lane (booth, desk, e-gate or kiosk) of a crossing point."""

    __tablename__ = "border_lane"
    __table_args__ = (sa.UniqueConstraint("bcp_id", "code"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    bcp_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("border_crossing_point.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(sa.String(20))
    direction: Mapped[str] = mapped_column(sa.String(5), default="both")  # entry|exit|both
    kind: Mapped[str] = mapped_column(sa.String(10), default="all")  # all|eu|tcn|egate|kiosk
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)


class BorderShift(Base):
    """A shift at a crossing point, with its supervisor (whose queue view it scopes)."""

    __tablename__ = "border_shift"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    bcp_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("border_crossing_point.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime]
    supervisor: Mapped[str] = mapped_column(sa.String(100), default="")


class BorderCheck(Base):
    """One check of one person at one crossing: what was read, asked, found and decided."""

    __tablename__ = "border_check"
    __table_args__ = (
        sa.Index("ix_border_check_doc", "document_number", "issuing_state"),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    checked_at: Mapped[dt.datetime] = mapped_column(index=True)
    bcp_code: Mapped[str] = mapped_column(sa.String(20), index=True)
    lane_code: Mapped[str] = mapped_column(sa.String(20), default="")
    direction: Mapped[str] = mapped_column(sa.String(5))  # entry|exit
    user_id: Mapped[str] = mapped_column(sa.String(64))
    username: Mapped[str] = mapped_column(sa.String(100))
    via: Mapped[str] = mapped_column(sa.String(10), default="session")
    # a client's identifier of the crossing (e-gate transaction); a second check of it fails
    crossing_ref: Mapped[str | None] = mapped_column(sa.String(80), nullable=True, unique=True)
    kind: Mapped[str] = mapped_column(sa.String(10))  # minimum|thorough
    input_source: Mapped[str] = mapped_column(sa.String(10))  # mrz|typed|none
    document_type: Mapped[str] = mapped_column(sa.String(5), default="")
    document_number: Mapped[str] = mapped_column(sa.String(40), default="")
    issuing_state: Mapped[str] = mapped_column(sa.String(3), default="")
    nationality: Mapped[str] = mapped_column(sa.String(3), default="")
    surname: Mapped[str] = mapped_column(sa.String(200), default="")
    given_names: Mapped[str] = mapped_column(sa.String(200), default="")
    birth_date: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    sex: Mapped[str] = mapped_column(sa.String(1), default="")
    expiry_date: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    vehicle_plate: Mapped[str] = mapped_column(sa.String(20), default="")
    decision: Mapped[str] = mapped_column(sa.String(6), index=True)  # go|refer|hit
    complete: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    missed_sources: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    sources: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    hits: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    duration_ms: Mapped[int] = mapped_column(sa.Integer, default=0)
    traveller_id: Mapped[str | None] = mapped_column(sa.String(36), nullable=True, index=True)
    retain_until: Mapped[dt.datetime] = mapped_column(index=True)


class BorderRecheck(Base):
    """An incomplete check waiting for its missed sources to come back."""

    __tablename__ = "border_recheck"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    check_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("border_check.id", ondelete="CASCADE"), index=True
    )
    bcp_code: Mapped[str] = mapped_column(sa.String(20), index=True)
    missed_sources: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    status: Mapped[str] = mapped_column(sa.String(10), default="pending", index=True)
    queued_at: Mapped[dt.datetime]
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    outcome: Mapped[str] = mapped_column(sa.String(6), default="")  # go|refer|hit after completion
    hits: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)


class TravellerFile(Base):
    """EES-style individual file of a third-country national (Reg 2017/2226 Art 16(1))."""

    __tablename__ = "border_traveller"
    __table_args__ = (sa.UniqueConstraint("document_number", "issuing_state"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    surname: Mapped[str] = mapped_column(sa.String(200))
    given_names: Mapped[str] = mapped_column(sa.String(200), default="")
    birth_date: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    nationality: Mapped[str] = mapped_column(sa.String(3))
    sex: Mapped[str] = mapped_column(sa.String(1), default="")
    document_type: Mapped[str] = mapped_column(sa.String(5))
    document_number: Mapped[str] = mapped_column(sa.String(40))
    issuing_state: Mapped[str] = mapped_column(sa.String(3))
    document_expiry: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    created_at: Mapped[dt.datetime]
    overstayer: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    retain_until: Mapped[dt.datetime] = mapped_column(index=True)


class EntryExitRecord(Base):
    """One entry or exit of a traveller file (Art 16(2)), with the stay figures at that moment."""

    __tablename__ = "border_entry_exit"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    traveller_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("border_traveller.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(5))  # entry|exit
    at: Mapped[dt.datetime] = mapped_column(index=True)
    bcp_code: Mapped[str] = mapped_column(sa.String(20))
    authority: Mapped[str] = mapped_column(sa.String(100), default="")
    check_id: Mapped[str | None] = mapped_column(sa.String(36), nullable=True)
    visa_number: Mapped[str] = mapped_column(sa.String(20), default="")
    family_member: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    authorised_until: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    days_used: Mapped[int] = mapped_column(sa.Integer, default=0)
    overstay_days: Mapped[int] = mapped_column(sa.Integer, default=0)
    recorded_by: Mapped[str] = mapped_column(sa.String(100), default="")
    retain_until: Mapped[dt.datetime] = mapped_column(index=True)


class Refusal(Base):
    """A refusal of entry (SBC Art 14, Annex V Part B) with its lettered reasons."""

    __tablename__ = "border_refusal"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    check_id: Mapped[str | None] = mapped_column(sa.String(36), nullable=True, index=True)
    traveller_id: Mapped[str | None] = mapped_column(sa.String(36), nullable=True)
    decided_at: Mapped[dt.datetime] = mapped_column(index=True)
    decided_by: Mapped[str] = mapped_column(sa.String(100))
    bcp_code: Mapped[str] = mapped_column(sa.String(20), index=True)
    reasons: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    # particulars the form asks for: E documents missing, H "SIS"/"national", I national law
    details: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    remarks: Mapped[str] = mapped_column(sa.Text, default="")
    language: Mapped[str] = mapped_column(sa.String(10), default="en")
    surname: Mapped[str] = mapped_column(sa.String(200), default="")
    given_names: Mapped[str] = mapped_column(sa.String(200), default="")
    birth_date: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    nationality: Mapped[str] = mapped_column(sa.String(3), default="")
    document_number: Mapped[str] = mapped_column(sa.String(40), default="")
    issuing_state: Mapped[str] = mapped_column(sa.String(3), default="")
    retain_until: Mapped[dt.datetime] = mapped_column(index=True)


class SltdDocument(Base):
    """Local stand-in for Interpol's Stolen and Lost Travel Documents database."""

    __tablename__ = "border_sltd_document"
    __table_args__ = (sa.UniqueConstraint("document_number", "issuing_state"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    document_number: Mapped[str] = mapped_column(sa.String(40))
    issuing_state: Mapped[str] = mapped_column(sa.String(3))
    status: Mapped[str] = mapped_column(sa.String(12), default="stolen")  # stolen|lost|revoked|blank
    reported_on: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
