"""Tables of the exchange with the central system.

On a national node: each transmission of a data subject (its transaction control number, the
exchange message that carried it, and the central's answer: hit, no hit or rejected, with the
candidates or the faults).

On a node with the role `eurodac-central` (the stand-in central system): the records it stores
by category (one per reference number, whatever the number of resends), their fingers, and
every transaction received with the answer given."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from granica.storage import Base

# Results of a transmission, as the central answered it.
HIT = "hit"
NO_HIT = "no_hit"
REJECTED = "rejected"
RESULTS = (HIT, NO_HIT, REJECTED)


class Transmission(Base):
    """One transmission of a national subject to the central system (a resend is another
    row with the same reference and a new transaction control number)."""

    __tablename__ = "asylum_transmission"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    subject_id: Mapped[str] = mapped_column(sa.ForeignKey("asylum_subject.id"), index=True)
    reference: Mapped[str] = mapped_column(sa.String(40), index=True)
    tcn: Mapped[str] = mapped_column(sa.String(40), unique=True)  # 1.009 TCN
    peer: Mapped[str] = mapped_column(sa.String(16))
    message_id: Mapped[str] = mapped_column(sa.String(36))  # the exchange's outbox message
    sent_by: Mapped[str] = mapped_column(sa.String(64))
    sent_at: Mapped[dt.datetime]
    answered_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    result: Mapped[str | None] = mapped_column(sa.String(12), nullable=True)
    candidates: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    faults: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    answer_tcn: Mapped[str | None] = mapped_column(sa.String(40), nullable=True)


class CentralRecord(Base):
    """A data subject stored by the central system: one per reference number."""

    __tablename__ = "asylum_central_record"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(40), unique=True)
    origin: Mapped[str] = mapped_column(sa.String(16), index=True)  # the sending node
    category: Mapped[str] = mapped_column(sa.String(40), index=True)
    tot: Mapped[str] = mapped_column(sa.String(16))
    last_tcn: Mapped[str] = mapped_column(sa.String(40))
    sex: Mapped[str] = mapped_column(sa.String(1), default="X")
    captured_on: Mapped[dt.date | None] = mapped_column(sa.Date, nullable=True)
    operator: Mapped[str] = mapped_column(sa.String(64), default="")
    transmissions: Mapped[int] = mapped_column(sa.Integer, default=1)
    received_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    retained_until: Mapped[dt.datetime | None] = mapped_column(nullable=True)
    # protection granted, as the sending node said (compared as marked data, 2024 Art 27)
    marked_at: Mapped[dt.datetime | None] = mapped_column(nullable=True)


class CentralFinger(Base):
    """One finger of a stored record: its template and the image as transmitted (WSQ), or
    the amputation code (14.018 AMP) of a finger sent without a print."""

    __tablename__ = "asylum_central_finger"

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    record_id: Mapped[str] = mapped_column(sa.ForeignKey("asylum_central_record.id"), index=True)
    position: Mapped[int] = mapped_column(sa.SmallInteger)
    template: Mapped[bytes | None] = mapped_column(sa.LargeBinary, nullable=True)
    image: Mapped[bytes | None] = mapped_column(sa.LargeBinary, nullable=True)
    amputation: Mapped[str | None] = mapped_column(sa.String(2), nullable=True)


class CentralTransaction(Base):
    """A transaction the central system received and what it answered. The transaction
    itself is kept only for categories whose data are stored."""

    __tablename__ = "asylum_central_transaction"
    __table_args__ = (sa.UniqueConstraint("sender", "tcn"),)

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    message_id: Mapped[str] = mapped_column(sa.String(36), unique=True)
    sender: Mapped[str] = mapped_column(sa.String(16))
    reference: Mapped[str] = mapped_column(sa.String(40), index=True)
    tcn: Mapped[str] = mapped_column(sa.String(40))
    tot: Mapped[str] = mapped_column(sa.String(16))
    category: Mapped[str | None] = mapped_column(sa.String(40), nullable=True)
    received_at: Mapped[dt.datetime] = mapped_column(index=True)
    result: Mapped[str] = mapped_column(sa.String(12))
    faults: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    candidates: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    size: Mapped[int] = mapped_column(sa.Integer)
    content: Mapped[bytes | None] = mapped_column(sa.LargeBinary, nullable=True)
    answer_tcn: Mapped[str] = mapped_column(sa.String(40))
