"""Tables of the national alert register (N.SIS): alerts, their search indexes, flags, links,
misused-identity extensions, extensions of the review date and hit reports for SIRENE."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from granica.storage import Base


class Alert(Base):
    """One alert, national or the national copy of another country's alert.

    The category's fields live in `data` (JSON, shaped by sis/categories.py); the columns
    beside it are what searches filter and sort on.
    """

    __tablename__ = "sis_alert"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    schengen_id: Mapped[str] = mapped_column(sa.String(40), unique=True)
    # no index on country, category or status: too few values to help a query, and each
    # index costs every import
    issuing_country: Mapped[str] = mapped_column(sa.String(2))
    category: Mapped[str] = mapped_column(sa.String(40))
    kind: Mapped[str] = mapped_column(sa.String(10))
    status: Mapped[str] = mapped_column(sa.String(12))  # draft | active
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    supplementary_information: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    # made temporarily unavailable to end users (Art 26(4)): only SIRENE sees it
    sirene_only: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    # until when an arrest alert stays hidden for an operation (48 hours, renewable: CH 25a,
    # 26(1bis)); None: as entered, until changed
    hidden_until: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    summary: Mapped[str] = mapped_column(sa.String(300))
    date_of_birth: Mapped[str | None] = mapped_column(sa.String(10), nullable=True)
    sex: Mapped[str | None] = mapped_column(sa.String(1), nullable=True)
    nationalities: Mapped[str | None] = mapped_column(sa.String(60), nullable=True)
    created_by: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime]
    validated_by: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    validated_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    updated_at: Mapped[dt.datetime]
    review_date: Mapped[dt.date] = mapped_column(sa.Date, index=True)
    review_warned_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    # kept by the service so that searches read flags and misused identities only when there are any
    flag_count: Mapped[int] = mapped_column(sa.SmallInteger, default=0)
    misused_count: Mapped[int] = mapped_column(sa.SmallInteger, default=0)


class AlertNameKey(Base):
    """Candidate generation for person search: blocking keys of every name of an alert.

    The birth year (0 when unknown) sits in the key so that a search with a date of birth
    reads only the index range it needs, on SQLite and PostgreSQL alike.
    """

    __tablename__ = "sis_alert_name_key"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    birth_year: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
    alert_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("sis_alert.id", ondelete="CASCADE"), primary_key=True,
        index=True,
    )


class AlertIdentifier(Base):
    """Object identifiers (VIN, plate, document number, serial, ...) and persons' identity
    documents, normalised, for exact lookups."""

    __tablename__ = "sis_alert_identifier"

    value: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    alert_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("sis_alert.id", ondelete="CASCADE"), primary_key=True,
        index=True,
    )


class AlertFlag(Base):
    """A validity flag (1862 Arts 24-25): the action is not executed in `country`."""

    __tablename__ = "sis_alert_flag"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    alert_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("sis_alert.id", ondelete="CASCADE"), index=True
    )
    country: Mapped[str] = mapped_column(sa.String(2))
    reason: Mapped[str] = mapped_column(sa.String(1000))
    created_by: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime]
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)


class AlertLink(Base):
    """A link between two alerts (1862 Art 63): operational need recorded, no new access."""

    __tablename__ = "sis_alert_link"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    alert_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("sis_alert.id", ondelete="CASCADE"), index=True
    )
    other_alert_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("sis_alert.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(sa.String(1000))
    created_by: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime]


class MisusedIdentity(Base):
    """The victim of a misused identity (1862 Art 62): kept only with explicit consent."""

    __tablename__ = "sis_misused_identity"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    alert_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("sis_alert.id", ondelete="CASCADE"), index=True
    )
    victim: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    consent_reference: Mapped[str] = mapped_column(sa.String(200))
    consent_given_on: Mapped[dt.date] = mapped_column(sa.Date)
    created_by: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime]


class AlertExtension(Base):
    """An extension of the review date after an individual assessment (kept for statistics)."""

    __tablename__ = "sis_alert_extension"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    alert_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("sis_alert.id", ondelete="CASCADE"), index=True
    )
    previous_review_date: Mapped[dt.date] = mapped_column(sa.Date)
    new_review_date: Mapped[dt.date] = mapped_column(sa.Date)
    reason: Mapped[str] = mapped_column(sa.String(1000))
    created_by: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime]


class HitReport(Base):
    """A hit on an alert, routed to the SIRENE Bureau; the SIRENE domain consumes these rows.

    No foreign key: the report outlives the alert's deletion.
    """

    __tablename__ = "sis_hit_report"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    alert_id: Mapped[str] = mapped_column(sa.String(36), index=True)
    schengen_id: Mapped[str] = mapped_column(sa.String(40))
    issuing_country: Mapped[str] = mapped_column(sa.String(2))
    category: Mapped[str] = mapped_column(sa.String(40))
    routed_to: Mapped[str] = mapped_column(sa.String(20), default="SIRENE")
    status: Mapped[str] = mapped_column(sa.String(20), default="new", index=True)
    reported_by: Mapped[str] = mapped_column(sa.String(64))
    reported_at: Mapped[dt.datetime]
    context: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, nullable=True)


class AlertFingerprint(Base):
    """One fingerprint template attached to a person alert (1862 Art 42, 1861 Art 32), used to
    confirm an alphanumeric hit (1:1) and to identify a person without papers (1:N).

    Only the template is kept (granica.biometrics' own format, `Template.to_bytes()`), not the
    image: comparisons need nothing more, and an image is more data than the purpose needs."""

    __tablename__ = "sis_alert_fingerprint"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    alert_id: Mapped[str] = mapped_column(
        sa.String(36), sa.ForeignKey("sis_alert.id", ondelete="CASCADE"), index=True
    )
    # ANSI/NIST finger position: 0 unknown, 1-10 right thumb .. left little
    finger_position: Mapped[int] = mapped_column(sa.SmallInteger)
    template: Mapped[bytes] = mapped_column(sa.LargeBinary)
    quality: Mapped[int] = mapped_column(sa.SmallInteger)
    created_by: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime]
