"""Tables of the cooperation domain: shared records with their goods lines and search keys,
subscriptions and the notifications they raise, risk profiles and the flags they gave."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from granica.storage import Base, new_id


class CoopRecord(Base):
    """A seizure, inspection, incident or case, owned by the agency that made it.

    Besides the owner, the agencies in `coop_share` see it, or every agency holding
    `cooperation.read` when `shared_all`; `data` is the validated payload of its kind.
    """

    __tablename__ = "coop_record"
    __table_args__ = (sa.Index("ix_coop_record_kind_occurred", "kind", "occurred_at"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    reference: Mapped[str] = mapped_column(sa.String(40), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(12))
    category: Mapped[str] = mapped_column(sa.String(40), index=True)
    owner_agency: Mapped[str] = mapped_column(sa.String(30), index=True)
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    occurred_at: Mapped[dt.datetime] = mapped_column(index=True)
    bcp: Mapped[str | None] = mapped_column(sa.String(20), nullable=True, index=True)
    shared_all: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    personal: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    summary: Mapped[str] = mapped_column(sa.String(500), default="")
    # persons involved (incident: persons_total; case: victims; seizure: persons named)
    persons: Mapped[int] = mapped_column(sa.Integer, default=0)
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    version: Mapped[int] = mapped_column(sa.Integer, default=1)
    import_batch: Mapped[str | None] = mapped_column(sa.String(36), nullable=True)


class CoopShare(Base):
    """One agency a record is shared with (the index the visibility filter reads)."""

    __tablename__ = "coop_share"

    record_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("coop_record.id", ondelete="CASCADE"), primary_key=True)
    agency: Mapped[str] = mapped_column(sa.String(30), primary_key=True, index=True)


class CoopGoods(Base):
    """One line of goods in a seizure (what the statistics count and sum)."""

    __tablename__ = "coop_goods"

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    record_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("coop_record.id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(sa.String(30), index=True)
    substance: Mapped[str | None] = mapped_column(sa.String(40), nullable=True)
    quantity: Mapped[float] = mapped_column(sa.Float)
    unit: Mapped[str] = mapped_column(sa.String(12))
    hs_code: Mapped[str | None] = mapped_column(sa.String(10), nullable=True)
    un_number: Mapped[str | None] = mapped_column(sa.String(4), nullable=True)
    over_threshold: Mapped[bool] = mapped_column(sa.Boolean, default=False)


class CoopKey(Base):
    """What a record names that other records, subscriptions and links can match on.

    kinds: vehicle, company, route, commodity, person, phone, document, and ref (a record a
    case links to). Values are normalised (see service.normalise_key); a commodity code is
    stored at each HS level. A record's own crossing point and reference are not repeated
    here: searches read its `bcp` and `reference` columns, which answer for older rows that
    still hold such keys of their own as well.
    """

    __tablename__ = "coop_key"
    __table_args__ = (sa.Index("ix_coop_key_kind_value", "kind", "value"),)

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    record_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("coop_record.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(12))
    value: Mapped[str] = mapped_column(sa.String(200))
    label: Mapped[str] = mapped_column(sa.String(200), default="")


class CoopSubscription(Base):
    """An agency asks to be told when another agency records something that names a key."""

    __tablename__ = "coop_subscription"
    __table_args__ = (sa.Index("ix_coop_subscription_kind_value", "kind", "value"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    agency: Mapped[str] = mapped_column(sa.String(30), index=True)
    kind: Mapped[str] = mapped_column(sa.String(12))
    value: Mapped[str] = mapped_column(sa.String(200))
    label: Mapped[str] = mapped_column(sa.String(200), default="")
    urgent: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    bcp: Mapped[str | None] = mapped_column(sa.String(20), nullable=True)
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[dt.datetime]
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)


class CoopNotification(Base):
    """A notice to an agency (or the shift at one crossing point) about a record."""

    __tablename__ = "coop_notification"
    __table_args__ = (sa.Index("ix_coop_notification_agency_read", "agency", "read_at"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    agency: Mapped[str] = mapped_column(sa.String(30))
    bcp: Mapped[str | None] = mapped_column(sa.String(20), nullable=True)
    record_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("coop_record.id", ondelete="CASCADE"), index=True)
    subscription_id: Mapped[str | None] = mapped_column(sa.String(36), nullable=True)
    urgent: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    message: Mapped[str] = mapped_column(sa.String(500))
    created_at: Mapped[dt.datetime]
    read_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    read_by: Mapped[str | None] = mapped_column(sa.String(100), nullable=True)


class RiskProfile(Base):
    """Rules agencies write together; a check whose facts meet every criterion is flagged."""

    __tablename__ = "coop_risk_profile"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(sa.String(200))
    reason: Mapped[str] = mapped_column(sa.String(500))
    criteria: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    agencies: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime] = mapped_column(index=True)
    valid_from: Mapped[dt.datetime]
    valid_to: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True, index=True)
    retired_reason: Mapped[str | None] = mapped_column(sa.String(300), nullable=True)


class RiskProfileHit(Base):
    """A flag a profile gave at a check, and what the control then found."""

    __tablename__ = "coop_risk_hit"
    __table_args__ = (sa.Index("ix_coop_risk_hit_profile_at", "profile_id", "flagged_at"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True, default=new_id)
    profile_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("coop_risk_profile.id", ondelete="CASCADE"))
    flagged_at: Mapped[dt.datetime]
    bcp: Mapped[str | None] = mapped_column(sa.String(20), nullable=True)
    subject: Mapped[str] = mapped_column(sa.String(200), default="")
    vehicle_plate: Mapped[str | None] = mapped_column(sa.String(20), nullable=True, index=True)
    check_ref: Mapped[str | None] = mapped_column(sa.String(36), nullable=True)
    flagged_by: Mapped[str] = mapped_column(sa.String(100))
    outcome: Mapped[str | None] = mapped_column(sa.String(12), nullable=True)  # found|nothing
    outcome_record_id: Mapped[str | None] = mapped_column(sa.String(36), nullable=True)
    outcome_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
